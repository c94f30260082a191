// The central directory of a zip archive, read from its end, for the archives torch.save writes
// (pytorch_model.bin): every entry stored, not compressed, so an entry's bytes are a range of the
// file that can be read where they are, piece by piece. Nothing here decompresses: an entry
// compressed otherwise (deflate, say, after a re-zip) is listed, and readers refuse it by name.
//
// The layout, from the end:
//   end of central directory (EOCD)  signature 0x06054b50, 22 bytes and a comment of ≤ 65535;
//   ZIP64 locator and ZIP64 EOCD     before it, when the counts or offsets overflow 16/32 bits
//                                    (torch writes them for files over 4 GB);
//   central directory                one 46-byte record per entry, with its name and extra
//                                    fields (the ZIP64 one holds the sizes and offset that
//                                    overflow);
//   local headers and data           30 bytes, a name and extra fields (torch pads data to 64
//                                    bytes there), then the entry's bytes.
// Every offset and size is checked against the file before it is used: a corrupt or hostile
// archive gets a FormatError naming the field and the byte offset, never a read past the end or
// an allocation of the size it claims.
import { FormatError } from './errors';
import type { ByteSource } from './safetensors';

export interface ZipEntry {
  /** The name as stored (UTF-8), e.g. "pytorch_model/data/0". */
  readonly name: string;
  /** 0 stored, 8 deflate, …: only stored entries can be read as they are. */
  readonly method: number;
  /** The general purpose flags (bit 0: encrypted). */
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  /** Where the entry's local header starts in the file. */
  readonly localHeaderOffset: number;
  /** Where the entry's bytes start in the file (after the local header, its name and extras). */
  readonly dataOffset: number;
  /** Where the entry's central directory record starts in the file. */
  readonly recordOffset: number;
}

export interface ZipDirectory {
  /** The entries in central directory order. */
  readonly entries: readonly ZipEntry[];
  /** Whether the end records were ZIP64 ones. */
  readonly zip64: boolean;
  get(name: string): ZipEntry | undefined;
}

const EOCD = 0x06054b50, ZIP64_LOCATOR = 0x07064b50, ZIP64_EOCD = 0x06064b50, CENTRAL = 0x02014b50, LOCAL = 0x04034b50;
const EOCD_BYTES = 22, LOCATOR_BYTES = 20, ZIP64_EOCD_BYTES = 56, CENTRAL_BYTES = 46, LOCAL_BYTES = 30;
const MAX_COMMENT = 0xffff;
/** More entries than any checkpoint has (a 70B model has a few thousand tensors): a bound on the work a directory asks for. */
export const MAX_ZIP_ENTRIES = 1_000_000;

/** The first four bytes of every zip archive that has an entry (a local header). */
export function looksLikeZip(first: Uint8Array): boolean {
  return first.length >= 4 && first[0] === 0x50 && first[1] === 0x4b && first[2] === 0x03 && first[3] === 0x04;
}

function fail(field: string, offset: number, what: string): FormatError {
  return new FormatError(`zip: ${what} (field ${field}, byte offset ${offset})`, field, offset);
}

/** Reads the directory (and each entry's local header) of the archive; reads no entry's data. */
export function readZipDirectory(input: Uint8Array | ByteSource): ZipDirectory {
  const source: ByteSource = input instanceof Uint8Array
    ? { length: input.length, read: (offset, length) => input.subarray(offset, offset + length) }
    : input;
  const size = source.length;
  if (size < EOCD_BYTES) throw fail('end of central directory', 0, `the file has ${size} bytes, fewer than the ${EOCD_BYTES} of a zip's end record`);

  // The end record is the last signature whose comment length reaches exactly the end of the file.
  const tailStart = Math.max(0, size - EOCD_BYTES - MAX_COMMENT);
  const tail = copy(source.read(tailStart, size - tailStart));
  const tv = view(tail);
  let eocd = -1;
  for (let p = tail.length - EOCD_BYTES; p >= 0; p--) {
    if (tv.getUint32(p, true) === EOCD && p + EOCD_BYTES + tv.getUint16(p + 20, true) === tail.length) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) {
    throw fail('end of central directory', Math.max(0, size - EOCD_BYTES),
      'no end of central directory record in the last 65557 bytes: not a zip archive, or a truncated one');
  }
  const eocdAt = tailStart + eocd;
  const disk = tv.getUint16(eocd + 4, true), cdDisk = tv.getUint16(eocd + 6, true);
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  let zip64 = false;
  let cdEnd = eocdAt;

  // A ZIP64 locator just before the end record points to the ZIP64 end record.
  if (eocdAt >= LOCATOR_BYTES) {
    const loc = source.read(eocdAt - LOCATOR_BYTES, LOCATOR_BYTES);
    const lv = view(loc);
    if (lv.getUint32(0, true) === ZIP64_LOCATOR) {
      zip64 = true;
      const locAt = eocdAt - LOCATOR_BYTES;
      const at = u64(lv, 8, 'ZIP64 locator', locAt + 8);
      if (at + ZIP64_EOCD_BYTES > locAt) {
        throw fail('ZIP64 locator', locAt + 8, `the ZIP64 end record's offset ${at} leaves no room for its ${ZIP64_EOCD_BYTES} bytes before the locator at ${locAt}`);
      }
      const z = view(copy(source.read(at, ZIP64_EOCD_BYTES)));
      if (z.getUint32(0, true) !== ZIP64_EOCD) throw fail('ZIP64 end of central directory', at, 'no ZIP64 end record signature where the locator points');
      if (z.getUint32(16, true) !== 0 || z.getUint32(20, true) !== 0) throw fail('disk', at + 16, 'a multi-disk (split) archive');
      count = u64(z, 32, 'entries', at + 32);
      cdSize = u64(z, 40, 'central directory size', at + 40);
      cdOffset = u64(z, 48, 'central directory offset', at + 48);
      cdEnd = at;
    }
  }
  if (!zip64 && (disk !== 0 || cdDisk !== 0)) throw fail('disk', eocdAt + 4, 'a multi-disk (split) archive');
  if (count > MAX_ZIP_ENTRIES) throw fail('entries', eocdAt + 10, `${count} entries, more than the ${MAX_ZIP_ENTRIES} allowed`);
  if (cdOffset + cdSize > cdEnd) {
    throw fail('central directory offset', eocdAt + 16,
      `the central directory [${cdOffset}, ${cdOffset + cdSize}) runs past the end records at ${cdEnd}`);
  }
  if (count * CENTRAL_BYTES > cdSize) {
    throw fail('central directory size', eocdAt + 12, `${count} entries need at least ${count * CENTRAL_BYTES} bytes, the central directory has ${cdSize}`);
  }

  const cd = copy(source.read(cdOffset, cdSize));
  const cv = view(cd);
  const names = new TextDecoder('utf-8', { fatal: false });
  const entries: ZipEntry[] = [];
  const byName = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    const at = cdOffset + p;
    if (p + CENTRAL_BYTES > cd.length) throw fail('central directory', at, `entry ${i} of ${count} runs past the central directory's end`);
    if (cv.getUint32(p, true) !== CENTRAL) throw fail('central directory', at, `entry ${i} of ${count} has no central directory signature`);
    const flags = cv.getUint16(p + 8, true);
    const method = cv.getUint16(p + 10, true);
    const crc32 = cv.getUint32(p + 16, true);
    let compressedSize = cv.getUint32(p + 20, true);
    let entrySize = cv.getUint32(p + 24, true);
    const nameLength = cv.getUint16(p + 28, true), extraLength = cv.getUint16(p + 30, true), commentLength = cv.getUint16(p + 32, true);
    const startDisk = cv.getUint16(p + 34, true);
    let localHeaderOffset = cv.getUint32(p + 42, true);
    const end = p + CENTRAL_BYTES + nameLength + extraLength + commentLength;
    if (end > cd.length) throw fail('central directory', at, `entry ${i}'s name, extra fields and comment run past the central directory's end`);
    const name = names.decode(cd.subarray(p + CENTRAL_BYTES, p + CENTRAL_BYTES + nameLength));

    // The ZIP64 extra field holds, in this order, the fields whose 32-bit value is 0xffffffff.
    const wanted = [entrySize === 0xffffffff, compressedSize === 0xffffffff, localHeaderOffset === 0xffffffff];
    if (wanted.some(Boolean)) {
      const extra = findExtra(cd, p + CENTRAL_BYTES + nameLength, extraLength, 0x0001);
      if (extra === undefined) throw fail('ZIP64 extra field', at, `entry "${name}" has a size or offset of 0xffffffff and no ZIP64 extra field`);
      let q = extra.start;
      const next = (field: string) => {
        if (q + 8 > extra.end) throw fail('ZIP64 extra field', cdOffset + q, `entry "${name}"'s ZIP64 extra field is too short for its ${field}`);
        const v = u64(cv, q, 'ZIP64 extra field', cdOffset + q);
        q += 8;
        return v;
      };
      if (wanted[0]) entrySize = next('size');
      if (wanted[1]) compressedSize = next('compressed size');
      if (wanted[2]) localHeaderOffset = next('local header offset');
    }
    if (startDisk !== 0 && startDisk !== 0xffff) throw fail('disk', at + 34, `entry "${name}" starts on disk ${startDisk}: a multi-disk archive`);

    // The local header: its own name and extra lengths say where the data starts.
    if (localHeaderOffset + LOCAL_BYTES > cdOffset) {
      throw fail('local header offset', at + 42, `entry "${name}"'s local header at ${localHeaderOffset} is not before the central directory at ${cdOffset}`);
    }
    const local = view(copy(source.read(localHeaderOffset, LOCAL_BYTES)));
    if (local.getUint32(0, true) !== LOCAL) throw fail('local header', localHeaderOffset, `entry "${name}" has no local header signature where its record points`);
    const dataOffset = localHeaderOffset + LOCAL_BYTES + local.getUint16(26, true) + local.getUint16(28, true);
    if (dataOffset + compressedSize > cdOffset) {
      throw fail('compressed size', at + 20, `entry "${name}"'s ${compressedSize} bytes from ${dataOffset} run past the central directory at ${cdOffset}`);
    }
    if (method === 0 && compressedSize !== entrySize) {
      throw fail('size', at + 24, `entry "${name}" is stored, yet its size ${entrySize} is not its stored size ${compressedSize}`);
    }
    const entry: ZipEntry = { name, method, flags, crc32, compressedSize, size: entrySize, localHeaderOffset, dataOffset, recordOffset: at };
    if (byName.has(name)) throw fail('name', at + CENTRAL_BYTES, `two entries are named "${name}"`);
    byName.set(name, entry);
    entries.push(entry);
    p = end;
  }
  return { entries, zip64, get: (name) => byName.get(name) };
}

/** The bytes a stored entry holds: a FormatError naming the entry if it is compressed or encrypted. */
export function checkStored(entry: ZipEntry, file: string): void {
  if (entry.flags & 1) throw fail('flags', entry.recordOffset + 8, `${file}: entry "${entry.name}" is encrypted`);
  if (entry.method !== 0) {
    throw fail('method', entry.recordOffset + 10, `${file}: entry "${entry.name}" is compressed (method ${entry.method}${entry.method === 8 ? ', deflate' : ''}); ` +
      'torch.save stores entries uncompressed and only those are read: re-save it with torch.save, or convert it to safetensors');
  }
}

/** The [start, end) of the extra field `id` within extra fields at cd[from, from + length), or undefined. */
function findExtra(cd: Uint8Array, from: number, length: number, id: number): { start: number; end: number } | undefined {
  const v = view(cd);
  for (let q = from; q + 4 <= from + length;) {
    const fieldId = v.getUint16(q, true), fieldLength = v.getUint16(q + 2, true);
    const end = Math.min(q + 4 + fieldLength, from + length);
    if (fieldId === id) return { start: q + 4, end };
    q += 4 + fieldLength;
  }
  return undefined;
}

/** A little-endian u64 that must be a safe integer (offsets and sizes of a real file are). */
function u64(v: DataView, p: number, field: string, offset: number): number {
  const lo = v.getUint32(p, true), hi = v.getUint32(p + 4, true);
  if (hi >= 0x200000) throw fail(field, offset, `the 64-bit value ${(BigInt(hi) << 32n) | BigInt(lo)} is too large for a file offset or size`);
  return hi * 2 ** 32 + lo;
}

/** A source's bytes are valid until its next read: keep what is parsed across reads. */
function copy(b: Uint8Array): Uint8Array {
  return b.slice();
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
