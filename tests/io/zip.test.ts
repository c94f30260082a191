// The zip directory reader: archives written by Python's zipfile (an independent writer: names,
// sizes, CRCs and data offsets from its own infolist), torch.save's own, the ZIP64 records and
// extra fields torch writes for files over 4 GB (built here), and every malformed directory
// refused with the field and byte offset.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkStored, readZipDirectory } from '../../src/io/zip';
import { formatError } from '../format-error';
import { PYTHON, toolReference } from '../references';
import { writeZip } from './torch-zip';

const enc = new TextEncoder();
const FIXTURES = join(__dirname, '..', 'fixtures');
const hasPython = toolReference(PYTHON, 'python3', 'zip.test.ts: archives written by Python\'s zipfile');

function expectError(fn: () => unknown, field: string, offset: number, message?: RegExp): void {
  const e = formatError(fn);
  expect({ field: e.field, byteOffset: e.byteOffset }).toEqual({ field, byteOffset: offset });
  if (message) expect(e.message).toMatch(message);
}

describe('reading', () => {
  test.runIf(hasPython)('an archive of Python\'s zipfile: names, sizes, CRCs and data offsets as its infolist says, stored and ZIP64 entries', () => {
    const script = String.raw`
import io, json, struct, sys, zipfile, base64
buf = io.BytesIO()
with zipfile.ZipFile(buf, 'w', zipfile.ZIP_STORED) as z:
    z.writestr('a/data.pkl', b'\x80\x02K\x07.')
    z.writestr('a/data/0', bytes(range(256)) * 3)
    with z.open('a/big', 'w', force_zip64=True) as f:   # a ZIP64 extra field in the local header
        f.write(b'xyz' * 10)
    z.writestr(zipfile.ZipInfo('a/deflated'), b'hello ' * 50, compress_type=zipfile.ZIP_DEFLATED)
    z.comment = b'a comment'
data = buf.getvalue()
out = []
for i in zipfile.ZipFile(io.BytesIO(data)).infolist():
    n, e = struct.unpack('<HH', data[i.header_offset + 26:i.header_offset + 30])
    out.append(dict(name=i.filename, method=i.compress_type, crc32=i.CRC, size=i.file_size, compressedSize=i.compress_size,
                    localHeaderOffset=i.header_offset, dataOffset=i.header_offset + 30 + n + e))
print(json.dumps(dict(zip=base64.b64encode(data).decode(), entries=out)))
`;
    const { zip, entries } = JSON.parse(execFileSync(PYTHON, ['-c', script], { encoding: 'utf8' })) as { zip: string; entries: Record<string, unknown>[] };
    const bytes = new Uint8Array(Buffer.from(zip, 'base64'));
    const dir = readZipDirectory(bytes);
    expect(dir.entries.map(({ name, method, crc32, size, compressedSize, localHeaderOffset, dataOffset }) =>
      ({ name, method, crc32, size, compressedSize, localHeaderOffset, dataOffset }))).toEqual(entries);
    const data0 = dir.get('a/data/0')!;
    expect(bytes.subarray(data0.dataOffset, data0.dataOffset + data0.size)).toEqual(Uint8Array.from({ length: 768 }, (_, i) => i % 256));
    expect(() => checkStored(dir.get('a/data/0')!, 'data/0')).not.toThrow();
    expectError(() => checkStored(dir.get('a/deflated')!, 'deflated'), 'method', dir.get('a/deflated')!.recordOffset + 10, /compressed \(method 8, deflate\)/);
  });

  test('torch.save\'s archive (tests/fixtures/pytorch/state-dict.bin, Debian\'s torch 1.13): the entries torch wrote', () => {
    const dir = readZipDirectory(new Uint8Array(readFileSync(join(FIXTURES, 'pytorch', 'state-dict.bin'))));
    // torch's writer (miniz) adds ZIP64 end records even to a 5 KB file.
    expect(dir.zip64).toBe(true);
    expect(dir.entries[0]!.name).toBe('state-dict/data.pkl');
    expect(dir.get('state-dict/version')).toBeDefined();
    expect(dir.entries.every((e) => e.method === 0 && e.size === e.compressedSize)).toBe(true);
  });

  test('ZIP64: the end records and the extra field carry counts, sizes and offsets (0xffff and 0xffffffff in the 32-bit fields)', () => {
    const files = [{ name: 'x/data.pkl', data: enc.encode('pickle') }, { name: 'x/data/0', data: new Uint8Array(100).fill(7) }];
    const plain = writeZip(files, { align: 64 });
    const z = writeZip(files, { zip64: true, align: 64, comment: 'torch' });
    const a = readZipDirectory(plain.bytes), b = readZipDirectory(z.bytes);
    expect(b.zip64).toBe(true);
    expect(a.zip64).toBe(false);
    const strip = (e: { name: string; size: number; dataOffset: number; localHeaderOffset: number }) =>
      ({ name: e.name, size: e.size, dataOffset: e.dataOffset, localHeaderOffset: e.localHeaderOffset });
    expect(b.entries.map(strip)).toEqual(a.entries.map(strip));
    expect(b.entries.map((e) => e.dataOffset)).toEqual(z.entries.map((e) => e.dataOffset));
    expect(z.entries.every((e) => e.dataOffset % 64 === 0)).toBe(true);
  });

  test('read piece by piece: only the end, the directory and the local headers, never an entry\'s data', () => {
    const big = new Uint8Array(200_000);
    const z = writeZip([{ name: 'a/data.pkl', data: enc.encode('p') }, { name: 'a/data/0', data: big }]);
    const reads: [number, number][] = [];
    const dir = readZipDirectory({ length: z.bytes.length, read: (o, n) => (reads.push([o, n]), z.bytes.subarray(o, o + n)) });
    expect(dir.get('a/data/0')!.size).toBe(200_000);
    expect(Math.max(...reads.map(([, n]) => n))).toBeLessThan(65_600);
  });
});

describe('refusals: FormatError naming the field and the byte offset', () => {
  const files = [{ name: 'a/data.pkl', data: enc.encode('pickle') }, { name: 'a/data/0', data: new Uint8Array(16) }];
  const base = writeZip(files);
  const edit = (f: (v: DataView, b: Uint8Array) => void, from = base.bytes) => {
    const b = from.slice();
    f(new DataView(b.buffer), b);
    return b;
  };

  test('not a zip, or too short', () => {
    expectError(() => readZipDirectory(new Uint8Array(10)), 'end of central directory', 0, /fewer than the 22/);
    expectError(() => readZipDirectory(new Uint8Array(100)), 'end of central directory', 78, /no end of central directory record/);
    // Truncated: the end record is gone.
    expectError(() => readZipDirectory(base.bytes.subarray(0, base.bytes.length - 1)), 'end of central directory', base.bytes.length - 23);
  });

  test('the central directory past the end records, or too small for its entries', () => {
    expectError(() => readZipDirectory(edit((v) => v.setUint32(base.eocdOffset + 16, base.centralOffset + 1, true))),
      'central directory offset', base.eocdOffset + 16, /runs past the end records/);
    expectError(() => readZipDirectory(edit((v) => v.setUint16(base.eocdOffset + 10, 40, true))), 'central directory size', base.eocdOffset + 12);
    expectError(() => readZipDirectory(edit((v) => v.setUint16(base.eocdOffset + 10, 0xffff, true))), 'central directory size', base.eocdOffset + 12);
  });

  test('a record without its signature, a local header offset past the directory, data past the directory, a size not its stored size', () => {
    const r1 = base.entries[1]!.recordOffset;
    expectError(() => readZipDirectory(edit((v) => v.setUint32(r1, 0, true))), 'central directory', r1, /entry 1 of 2 has no central directory signature/);
    expectError(() => readZipDirectory(edit((v) => v.setUint32(r1 + 42, base.centralOffset, true))), 'local header offset', r1 + 42);
    expectError(() => readZipDirectory(edit((v) => v.setUint32(r1 + 42, 3, true))), 'local header', 3, /no local header signature/);
    expectError(() => readZipDirectory(edit((v) => { v.setUint32(r1 + 20, 1000, true); v.setUint32(r1 + 24, 1000, true); })),
      'compressed size', r1 + 20, /"a\/data\/0"'s 1000 bytes from \d+ run past the central directory/);
    expectError(() => readZipDirectory(edit((v) => v.setUint32(r1 + 24, 17, true))), 'size', r1 + 24, /is stored, yet its size 17/);
    expectError(() => readZipDirectory(edit((v) => v.setUint16(r1 + 28, 5000, true))), 'central directory', r1, /run past the central directory's end/);
  });

  test('two entries of one name', () => {
    const z = writeZip([files[0]!, files[0]!]);
    expectError(() => readZipDirectory(z.bytes), 'name', z.entries[1]!.recordOffset + 46, /two entries are named "a\/data.pkl"/);
  });

  test('ZIP64: a locator pointing nowhere, 0xffffffff without the extra field, a value beyond 2^53', () => {
    const z = writeZip(files, { zip64: true });
    const locator = z.eocdOffset - 20;
    expectError(() => readZipDirectory(edit((v) => v.setUint32(locator + 8, 5, true), z.bytes)), 'ZIP64 end of central directory', 5);
    expectError(() => readZipDirectory(edit((v) => v.setUint32(locator + 8, z.eocdOffset, true), z.bytes)), 'ZIP64 locator', locator + 8);
    const r0 = z.entries[0]!.recordOffset;
    // The extra field's id changed: the sizes of 0xffffffff have nowhere to come from.
    expectError(() => readZipDirectory(edit((v) => v.setUint16(r0 + 46 + 10, 0x7075, true), z.bytes)), 'ZIP64 extra field', r0, /no ZIP64 extra field/);
    expectError(() => readZipDirectory(edit((v) => v.setUint32(r0 + 46 + 10 + 4 + 4, 0x00400000, true), z.bytes)), 'ZIP64 extra field', r0 + 46 + 10 + 4,
      /too large for a file offset or size/);
    // The extra field cut short: 8 bytes where 24 are needed.
    expectError(() => readZipDirectory(edit((v) => v.setUint16(r0 + 46 + 10 + 2, 8, true), z.bytes)), 'ZIP64 extra field', r0 + 46 + 10 + 4 + 8,
      /too short for its compressed size/);
  });

  test('encrypted entries are refused by checkStored', () => {
    const dir = readZipDirectory(edit((v) => v.setUint16(base.entries[0]!.recordOffset + 8, 1, true)));
    expectError(() => checkStored(dir.entries[0]!, 'data.pkl'), 'flags', base.entries[0]!.recordOffset + 8, /encrypted/);
  });
});
