// The safetensors format (Hugging Face), on bytes, so the same code runs in Node and in browsers:
//   8 bytes   N, the header length, a little-endian u64;
//   N bytes   a UTF-8 JSON object {name: {dtype, shape, data_offsets: [begin, end]}, ...,
//             "__metadata__"?: {string: string}}, padded with spaces (the reference writer pads
//             N to a multiple of 8);
//   the rest  the data buffer; a tensor's offsets are relative to its start, row-major,
//             little-endian.
// Every size the header claims is checked against the bytes before anything of that size is
// allocated: a corrupt or hostile header gets a FormatError naming the field, the tensor and the
// byte offset, not a gigabyte allocation. parseSafetensors allocates nothing beyond the parsed
// header; tensor() allocates exactly the validated byte length of one tensor.
//
// Departures from the reference implementation (the Rust crate `safetensors`), both lenient:
// - it requires the tensors to cover the data buffer without gaps; gaps are accepted here and
//   reported in `uncoveredBytes` and `notes` (overlaps are refused, as there);
// - sub-byte dtypes (F4, F6_*) are listed like any other; reading them as f32 is refused.
import { FormatError } from './errors';
import { parseJsonBytes, type JsonBytes } from './json-bytes';

/** The dtypes of the safetensors specification, with their width in bits. */
const DTYPE_BITS = {
  BOOL: 8, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8, F4: 4, F6_E2M3: 6, F6_E3M2: 6,
  I16: 16, U16: 16, F16: 16, BF16: 16, I32: 32, U32: 32, F32: 32, I64: 64, U64: 64, F64: 64, C64: 64,
} as const;

export type SafetensorsDtype = keyof typeof DTYPE_BITS;

/** The dtypes tensor() converts to float32, exactly (F64 is rounded to nearest). */
export type FloatDtype = 'F32' | 'F16' | 'BF16' | 'F64';

export interface TensorInfo {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Offset of the tensor's first byte in the whole file (not in the data buffer). */
  byteOffset: number;
  byteLength: number;
}

export interface TensorOptions {
  /** Throw a FormatError naming the tensor and the element if a value is NaN or ±Infinity. */
  checkFinite?: boolean;
}

export interface SafetensorsFile {
  /** Tensor names, in the order of their data (by begin offset). */
  readonly names: readonly string[];
  /** The "__metadata__" strings ({} when absent). */
  readonly metadata: Readonly<Record<string, string>>;
  /** N, the header length. */
  readonly headerLength: number;
  /** 8 + N: where the data buffer starts in the file. */
  readonly dataOffset: number;
  /** Bytes of the data buffer that no tensor covers (the reference implementation refuses them). */
  readonly uncoveredBytes: number;
  /** What was accepted but is not quite the format: gaps in the data buffer. */
  readonly notes: readonly string[];
  has(name: string): boolean;
  /** Throws an Error naming the tensor if there is none of that name. */
  info(name: string): TensorInfo;
  /** The tensor as float32: F32 copied, F16 and BF16 converted exactly, F64 rounded to nearest. */
  tensor(name: string, options?: TensorOptions): Float32Array;
  /**
   * An F32 tensor's values without a conversion: a Float32Array over the file's own bytes (no
   * copy: it changes if they do, and keeps the whole file alive while referenced), or over the
   * bytes just read from a ByteSource. Undefined where that cannot be (another dtype, a
   * big-endian host, an offset not a multiple of 4): use tensor().
   */
  view(name: string, options?: TensorOptions): Float32Array | undefined;
  /** Integer tensors (BOOL, U8, I8, I16, U16, I32, U32, I64, U64) as Int32Array, if every value fits. */
  intTensor(name: string): Int32Array;
  /**
   * An I8 tensor's values as they are stored (a quantized checkpoint's weights): a copy, or with
   * `view` the bytes just read, in place (as view(): valid until the next read from a ByteSource).
   */
  int8Tensor(name: string, options?: { view?: boolean }): Int8Array;
  /** Throws a FormatError naming the tensor and the first NaN or ±Infinity, without converting the tensor. */
  checkFinite(name: string): void;
}

/** The reference implementation's limit (MAX_HEADER_SIZE in the Rust crate). */
export const MAX_HEADER_BYTES = 100_000_000;
/** A valid header nests 3 deep ({name: {shape: [...]}}); deeper is refused before JSON.parse. */
const MAX_DEPTH = 8;

const encoder = new TextEncoder();
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fail(field: string, offset: number, what: string): FormatError {
  return new FormatError(`safetensors: ${what} (field ${field}, byte offset ${offset})`, field, offset);
}

/**
 * A file read piece by piece (a file handle in Node): the header is read first, then each tensor
 * when asked for, so a model is never held whole in memory besides its weights in WASM memory.
 */
export interface ByteSource {
  /** The file's size in bytes. */
  readonly length: number;
  /**
   * `length` bytes from `offset` (within the file), valid until the next read: a source may
   * reuse one buffer. (tensor() copies out of them; a view() is then valid until the next read.)
   */
  read(offset: number, length: number): Uint8Array;
}

export function parseSafetensors(input: Uint8Array | ByteSource): SafetensorsFile {
  const isBytes = input instanceof Uint8Array;
  if (!isBytes && !(input && Number.isSafeInteger(input.length) && typeof input.read === 'function')) {
    throw new Error('parseSafetensors: give the bytes (a Uint8Array) or a ByteSource');
  }
  const source: ByteSource = isBytes ? { length: input.length, read: (offset, length) => input.subarray(offset, offset + length) } : input;
  if (source.length < 8) {
    throw fail('header length', 0, `the file has ${source.length} bytes, fewer than the 8 of the header length`);
  }
  const first = source.read(0, 8);
  const view = new DataView(first.buffer, first.byteOffset, 8);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLength > MAX_HEADER_BYTES) {
    throw fail('header length', 0, `the header length is ${headerLength} bytes, more than the ${MAX_HEADER_BYTES} allowed`);
  }
  if (8 + headerLength > source.length) {
    throw fail('header length', 0, `the header length is ${headerLength} bytes, but only ${source.length - 8} bytes follow it`);
  }
  const dataOffset = 8 + headerLength;
  const dataLength = source.length - dataOffset;
  const { value: header, keys } = parseJsonHeader(source.read(0, dataOffset), 8, dataOffset, 'header');
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw fail('header', 8, `the header must be a JSON object, got ${describe(header)}`);
  }

  const entries = new Map<string, TensorInfo & { begin: number; end: number }>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    const at = keys.get(name) ?? 8;
    if (name === '__metadata__') {
      metadata = readMetadata(value, at);
      continue;
    }
    entries.set(name, readEntry(name, value, at, keys, dataOffset, dataLength));
  }

  // Overlaps, after sorting by begin: each tensor must start at or after the end of the one before.
  const sorted = [...entries.entries()].sort((a, b) => a[1].begin - b[1].begin || a[1].end - b[1].end);
  let covered = 0, previousEnd = 0, previousName = '';
  for (const [name, e] of sorted) {
    if (e.begin < previousEnd) {
      throw fail('data_offsets', keys.get(`${name}\u0000data_offsets`) ?? keys.get(name) ?? 8,
        `tensor "${name}" [${e.begin}, ${e.end}) overlaps tensor "${previousName}", which ends at ${previousEnd}`);
    }
    covered += e.end - e.begin;
    previousName = name;
    previousEnd = e.end;
  }
  const uncoveredBytes = dataLength - covered;
  const notes = uncoveredBytes > 0
    ? [`${uncoveredBytes} of the ${dataLength} bytes of the data buffer belong to no tensor ` +
       '(accepted; the reference implementation requires full coverage)']
    : [];

  const names = sorted.map(([name]) => name);
  const get = (name: string) => {
    const e = entries.get(name);
    if (!e) throw new Error(`safetensors: no tensor named "${name}" (the file has ${entries.size}: ${preview(names)})`);
    return e;
  };
  return {
    names, metadata, headerLength, dataOffset, uncoveredBytes, notes,
    has: (name) => entries.has(name),
    info: (name) => {
      const { dtype, shape, byteOffset, byteLength } = get(name);
      return { dtype, shape: [...shape], byteOffset, byteLength };
    },
    tensor: (name, options = {}) => readFloat(source, name, get(name), options.checkFinite === true),
    view: (name, options = {}) => {
      const info = get(name);
      if (info.dtype !== 'F32' || !LITTLE_ENDIAN_HOST) return undefined;
      const b = source.read(info.byteOffset, info.byteLength);
      if (b.byteOffset % 4 !== 0) return undefined;
      // The bytes just read, scanned where they are (a file source is read once, not twice).
      if (options.checkFinite) scanFinite({ length: source.length, read: () => b }, name, info);
      return new Float32Array(b.buffer, b.byteOffset, info.byteLength / 4);
    },
    intTensor: (name) => readInt(source, name, get(name)),
    int8Tensor: (name, options = {}) => {
      const info = get(name);
      if (info.dtype !== 'I8') throw fail('dtype', info.byteOffset, `tensor "${name}" is ${info.dtype}, not I8`);
      const b = source.read(info.byteOffset, info.byteLength);
      const values = new Int8Array(b.buffer, b.byteOffset, b.byteLength);
      return options.view ? values : values.slice();
    },
    checkFinite: (name) => scanFinite(source, name, get(name)),
  };
}

// --- the header -------------------------------------------------------------------------------

function parseJsonHeader(bytes: Uint8Array, start: number, end: number, field: string): JsonBytes {
  return parseJsonBytes(bytes, start, end, { field, maxDepth: MAX_DEPTH, subject: 'the header', depthNote: ' (a valid header nests 3)', fail });
}

function readMetadata(value: unknown, at: number): Record<string, string> {
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw fail('__metadata__', at, `"__metadata__" must be an object of strings, got ${describe(value)}`);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [k, v] of entries) {
    if (typeof v !== 'string') throw fail('__metadata__', at, `"__metadata__"."${k}" must be a string, got ${describe(v)}`);
  }
  // fromEntries defines own properties: a "__proto__" key stays a key.
  return Object.fromEntries(entries) as Record<string, string>;
}

const FIELDS = ['dtype', 'shape', 'data_offsets'] as const;

function readEntry(name: string, value: unknown, at: number, keys: Map<string, number>, dataOffset: number,
  dataLength: number): TensorInfo & { begin: number; end: number } {
  const where = (f: string) => keys.get(`${name}\u0000${f}`) ?? at;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw fail('tensor', at, `tensor "${name}" must be an object {dtype, shape, data_offsets}, got ${describe(value)}`);
  }
  const entry = value as Record<string, unknown>;
  for (const f of FIELDS) {
    if (!(f in entry)) throw fail(f, at, `tensor "${name}" has no "${f}"`);
  }
  for (const f of Object.keys(entry)) {
    if (!(FIELDS as readonly string[]).includes(f)) {
      throw fail(keyField(f), where(f), `tensor "${name}" has an unknown field "${f}" (expected dtype, shape, data_offsets)`);
    }
  }
  const dtype = entry['dtype'];
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BITS, dtype)) {
    throw fail('dtype', where('dtype'), `tensor "${name}" has an unknown dtype ${JSON.stringify(dtype)} ` +
      `(known: ${Object.keys(DTYPE_BITS).join(', ')})`);
  }
  const shape = entry['shape'];
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw fail('shape', where('shape'), `tensor "${name}" has shape ${JSON.stringify(shape)}: ` +
      'it must be an array of non-negative integers');
  }
  const offsets = entry['data_offsets'];
  if (!Array.isArray(offsets) || offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)) {
    throw fail('data_offsets', where('data_offsets'), `tensor "${name}" has data_offsets ${JSON.stringify(offsets)}: ` +
      'they must be two non-negative integers [begin, end]');
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) {
    throw fail('data_offsets', where('data_offsets'), `tensor "${name}" has data_offsets [${begin}, ${end}]: begin is after end`);
  }
  if (end > dataLength) {
    throw fail('data_offsets', where('data_offsets'), `tensor "${name}" has data_offsets [${begin}, ${end}], ` +
      `past the end of the data buffer (${dataLength} bytes, from byte ${dataOffset} of the file)`);
  }
  // The element count, compared with the room the offsets give before it can overflow.
  const bits = DTYPE_BITS[dtype as SafetensorsDtype];
  let count = 1;
  for (const d of shape as number[]) {
    count *= d;
    if (count * bits > (end - begin) * 8) break;
  }
  if (count * bits !== (end - begin) * 8) {
    const claimed = Number.isSafeInteger(count) ? `${count} elements of ${dtype} (${(count * bits) / 8} bytes)` : 'more elements than fit';
    throw fail('shape', where('shape'), `tensor "${name}" has shape [${(shape as number[]).join(', ')}] of ${dtype}, ` +
      `${claimed}, but its data_offsets [${begin}, ${end}] hold ${end - begin} bytes`);
  }
  return {
    dtype: dtype as SafetensorsDtype, shape: [...(shape as number[])], byteOffset: dataOffset + begin,
    byteLength: end - begin, begin, end,
  };
}

// --- the data ---------------------------------------------------------------------------------

function readFloat(source: ByteSource, name: string, info: TensorInfo, checkFinite: boolean): Float32Array {
  const { dtype, byteOffset, byteLength } = info;
  const src = source.read(byteOffset, byteLength);
  let out: Float32Array;
  if (dtype === 'F32') {
    out = new Float32Array(byteLength / 4);
    if (LITTLE_ENDIAN_HOST) new Uint8Array(out.buffer).set(src);
    else {
      const v = new DataView(src.buffer, src.byteOffset, src.byteLength);
      for (let i = 0; i < out.length; i++) out[i] = v.getFloat32(4 * i, true);
    }
  } else if (dtype === 'F16' || dtype === 'BF16') {
    out = new Float32Array(byteLength / 2);
    const bits = new Uint32Array(out.buffer);
    const convert = dtype === 'F16' ? f16BitsToF32Bits : (h: number) => (h << 16) >>> 0;
    for (let i = 0, p = 0; i < out.length; i++, p += 2) bits[i] = convert(src[p]! | (src[p + 1]! << 8));
  } else if (dtype === 'F64') {
    out = new Float32Array(byteLength / 8);
    const v = new DataView(src.buffer, src.byteOffset, src.byteLength);
    for (let i = 0; i < out.length; i++) {
      const x = v.getFloat64(8 * i, true);
      out[i] = x;
      if (Number.isFinite(x) && !Number.isFinite(out[i]!)) {
        throw fail('values', byteOffset + 8 * i, `element ${i} of tensor "${name}" (F64) is ${x}, outside the float32 range`);
      }
    }
  } else {
    throw fail('dtype', byteOffset, `tensor "${name}" is ${dtype}, which cannot be read as float32 ` +
      '(F32, F16, BF16 and F64 can; intTensor() reads integer dtypes)');
  }
  if (checkFinite) {
    const width = byteLength / out.length;
    for (let i = 0; i < out.length; i++) {
      if (!Number.isFinite(out[i]!)) throw nonFinite(name, dtype, i, out[i]!, byteOffset + width * i);
    }
  }
  return out;
}

function nonFinite(name: string, dtype: string, i: number, x: number, offset: number): FormatError {
  return fail('values', offset, `element ${i} of tensor "${name}" (${dtype}) is ${x}: weights must be finite`);
}

function scanFinite(source: ByteSource, name: string, info: TensorInfo): void {
  const { dtype, byteOffset, byteLength } = info;
  const b = source.read(byteOffset, byteLength);
  const v = new DataView(b.buffer, b.byteOffset, byteLength);
  if (dtype === 'F32') {
    for (let p = 0; p < byteLength; p += 4) {
      if ((v.getUint32(p, true) & 0x7f800000) === 0x7f800000) throw nonFinite(name, dtype, p / 4, v.getFloat32(p, true), byteOffset + p);
    }
  } else if (dtype === 'F16' || dtype === 'BF16') {
    const mask = dtype === 'F16' ? 0x7c00 : 0x7f80;
    for (let p = 0; p < byteLength; p += 2) {
      const h = v.getUint16(p, true);
      if ((h & mask) === mask) {
        const x = new Float32Array(new Uint32Array([dtype === 'F16' ? f16BitsToF32Bits(h) : h << 16]).buffer)[0]!;
        throw nonFinite(name, dtype, p / 2, x, byteOffset + p);
      }
    }
  } else if (dtype === 'F64') {
    for (let p = 0; p < byteLength; p += 8) {
      const x = v.getFloat64(p, true);
      if (!Number.isFinite(x)) throw nonFinite(name, dtype, p / 8, x, byteOffset + p);
    }
  } else {
    throw fail('dtype', byteOffset, `tensor "${name}" is ${dtype}, not a float dtype (F32, F16, BF16, F64)`);
  }
}

const INT_READERS: Partial<Record<SafetensorsDtype, (v: DataView, i: number) => number | bigint>> = {
  BOOL: (v, i) => v.getUint8(i), U8: (v, i) => v.getUint8(i), I8: (v, i) => v.getInt8(i),
  I16: (v, i) => v.getInt16(2 * i, true), U16: (v, i) => v.getUint16(2 * i, true),
  I32: (v, i) => v.getInt32(4 * i, true), U32: (v, i) => v.getUint32(4 * i, true),
  I64: (v, i) => v.getBigInt64(8 * i, true), U64: (v, i) => v.getBigUint64(8 * i, true),
};

function readInt(source: ByteSource, name: string, info: TensorInfo): Int32Array {
  const { dtype, byteOffset, byteLength } = info;
  const read = INT_READERS[dtype];
  if (!read) throw fail('dtype', byteOffset, `tensor "${name}" is ${dtype}, not an integer dtype`);
  const width = DTYPE_BITS[dtype] / 8;
  const b = source.read(byteOffset, byteLength);
  const v = new DataView(b.buffer, b.byteOffset, byteLength);
  const out = new Int32Array(byteLength / width);
  for (let i = 0; i < out.length; i++) {
    const x = read(v, i);
    const n = typeof x === 'bigint' ? (x >= -(2n ** 31n) && x < 2n ** 31n ? Number(x) : NaN) : x;
    if (!(n >= -(2 ** 31) && n < 2 ** 31)) {
      throw fail('values', byteOffset + width * i, `element ${i} of tensor "${name}" (${dtype}) is ${String(x)}, outside the int32 range`);
    }
    out[i] = n;
  }
  return out;
}

// --- float formats ----------------------------------------------------------------------------

/**
 * The float32 bits of an IEEE half: exact for every value (subnormal halves become normal floats),
 * ±0 and ±Infinity kept, NaN kept with its payload in the top mantissa bits and made quiet, as
 * the F16C and ARM conversion instructions do.
 */
export function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant ? 0x400000 | (mant << 13) : 0)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // Subnormal: mant · 2^-24. Shift the leading 1 up to the implicit bit (bit 10).
  let e = 113; // the float32 biased exponent of 2^-14, lowered once per shift
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

/** The half bits nearest to a float32 (round to nearest, ties to even; overflow to ±Infinity; NaN stays NaN). */
export function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 112; // the half's biased exponent
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: ±0
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rest = mant & ((1 << shift) - 1), half = 1 << (shift - 1);
    if (rest > half || (rest === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++; // a carry may round up to the next exponent or Infinity
  return sign | h;
}

/** The bfloat16 bits nearest to a float32 (ties to even; NaN stays NaN, made quiet), as torch rounds. */
export function f32BitsToBf16Bits(x: number): number {
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return ((x >>> 16) | 0x40) & 0xffff;
  return Math.floor(((x >>> 0) + 0x7fff + ((x >>> 16) & 1)) / 0x10000) & 0xffff;
}

// --- writing ----------------------------------------------------------------------------------

export type WritableTensor = {
  dtype: 'F32' | 'F16' | 'BF16';
  shape: readonly number[];
  /** The values, row-major; converted to the dtype (round to nearest even) when it is F16 or BF16. */
  data: Float32Array;
} | {
  /** Int8 values written as they are (a quantized checkpoint's weights). */
  dtype: 'I8';
  shape: readonly number[];
  data: Int8Array;
};

/** Sort rank of the reference writer: by dtype, larger alignment first, then by name. */
const WRITE_RANK = { F32: 0, BF16: 1, F16: 2, I8: 3 } as const;
const WRITE_BYTES = { F32: 4, BF16: 2, F16: 2, I8: 1 } as const;

/**
 * The bytes of a safetensors file, laid out as the reference writer does: tensors by dtype
 * (F32, then BF16, then F16, then I8) and name, contiguous; "__metadata__" first in the header; the
 * header padded with spaces to a multiple of 8 bytes.
 */
export function writeSafetensors(tensors: Record<string, WritableTensor>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors);
  if (names.includes('__metadata__')) throw new Error('writeSafetensors: "__metadata__" cannot be a tensor name');
  for (const name of names) {
    const t = tensors[name]!;
    if (!Object.hasOwn(WRITE_RANK, t.dtype)) throw new Error(`writeSafetensors: tensor "${name}": dtype must be F32, F16, BF16 or I8, got ${String(t.dtype)}`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`writeSafetensors: tensor "${name}": shape must be an array of non-negative integers, got ${JSON.stringify(t.shape)}`);
    }
    const array = t.dtype === 'I8' ? Int8Array : Float32Array;
    if (!(t.data instanceof array)) throw new Error(`writeSafetensors: tensor "${name}": data must be a${t.dtype === 'I8' ? 'n' : ''} ${array.name} for ${t.dtype}`);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new Error(`writeSafetensors: tensor "${name}": shape [${t.shape.join(', ')}] has ${count} elements, data has ${t.data.length}`);
    }
  }
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new Error(`writeSafetensors: metadata "${k}" must be a string, got ${describe(v)}`);
    }
  }
  names.sort((a, b) => WRITE_RANK[tensors[a]!.dtype] - WRITE_RANK[tensors[b]!.dtype] || (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header['__metadata__'] = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    const size = t.data.length * WRITE_BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + size] };
    offset += size;
  }
  const json = encoder.encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength, true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let p = 8 + headerLength;
  for (const name of names) {
    const t = tensors[name]!;
    if (t.dtype === 'I8') {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.length), p);
      p += t.data.length;
      continue;
    }
    const { dtype, data } = t;
    const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
    if (dtype === 'F32') {
      for (let i = 0; i < data.length; i++, p += 4) view.setUint32(p, bits[i]!, true);
    } else {
      const convert = dtype === 'F16' ? f32BitsToF16Bits : f32BitsToBf16Bits;
      for (let i = 0; i < data.length; i++, p += 2) view.setUint16(p, convert(bits[i]!), true);
    }
  }
  return out;
}

// --- sharded checkpoints ----------------------------------------------------------------------

export interface ShardIndex {
  /** The index's "metadata" ({} when absent), e.g. { total_size: 437929984 }. */
  metadata: Record<string, unknown>;
  /** Tensor name → shard file name. */
  weightMap: Map<string, string>;
  /** The shard files, each once, sorted. */
  shards: string[];
  /** Where each tensor's entry starts in the index's bytes (0 for an index given parsed). */
  entryOffsets: Map<string, number>;
}

/**
 * model.safetensors.index.json: {"metadata": {...}, "weight_map": {tensor: shard file}}.
 * Shard names must be plain file names (no folders, no "..": a loader joins them to a folder or URL).
 */
export function parseShardIndex(json: Uint8Array | string | object): ShardIndex {
  let value: unknown = json;
  let keys = new Map<string, number>();
  if (typeof json === 'string' || json instanceof Uint8Array) {
    const bytes = typeof json === 'string' ? encoder.encode(json) : json;
    ({ value, keys } = parseJsonHeader(bytes, 0, bytes.length, 'index'));
  }
  const at = (k: string) => keys.get(k) ?? 0;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw fail('index', 0, `a shard index must be a JSON object, got ${describe(value)}`);
  }
  const index = value as Record<string, unknown>;
  for (const k of Object.keys(index)) {
    if (k !== 'metadata' && k !== 'weight_map') throw fail(keyField(k), at(k), `a shard index has "metadata" and "weight_map", not "${k}"`);
  }
  const metadata = index['metadata'] ?? {};
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw fail('metadata', at('metadata'), `"metadata" must be an object, got ${describe(metadata)}`);
  }
  const total = (metadata as Record<string, unknown>)['total_size'];
  if (total !== undefined && !(Number.isSafeInteger(total) && (total as number) >= 0)) {
    throw fail('metadata', at('metadata'), `"metadata"."total_size" must be a non-negative integer, got ${describe(total)}`);
  }
  const map = index['weight_map'];
  if (map === undefined) throw fail('weight_map', 0, 'the shard index has no "weight_map"');
  if (map === null || typeof map !== 'object' || Array.isArray(map)) {
    throw fail('weight_map', at('weight_map'), `"weight_map" must be an object {tensor: file}, got ${describe(map)}`);
  }
  const weightMap = new Map<string, string>();
  const entryOffsets = new Map<string, number>();
  for (const [name, file] of Object.entries(map as Record<string, unknown>)) {
    const where = keys.get(`weight_map\u0000${name}`) ?? at('weight_map');
    entryOffsets.set(name, where);
    if (typeof file !== 'string' || file.length === 0) {
      throw fail('weight_map', where, `tensor "${name}" maps to ${describe(file)}, not a file name`);
    }
    if (/[/\\]/.test(file) || file === '.' || file === '..' || file.includes('\u0000')) {
      throw fail('weight_map', where, `tensor "${name}" maps to "${file}": shard names must be plain file names`);
    }
    weightMap.set(name, file);
  }
  if (weightMap.size === 0) throw fail('weight_map', at('weight_map'), '"weight_map" lists no tensors');
  return { metadata: { ...(metadata as Record<string, unknown>) }, weightMap, shards: [...new Set(weightMap.values())].sort(), entryOffsets };
}

/** A JSON key as a FormatError field: the key itself, or '""' for the empty key. */
function keyField(key: string): string {
  return key === '' ? '""' : key;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function preview(names: readonly string[]): string {
  return names.length <= 5 ? names.map((n) => `"${n}"`).join(', ') : `${names.slice(0, 5).map((n) => `"${n}"`).join(', ')}, …`;
}
