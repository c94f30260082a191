// Mutations that know a format's layout, beside the blind ones of mutate.ts: a safetensors
// header edited as JSON (dtype swaps, inflated shapes, overlapping and out-of-range offsets, a
// wrong header length), NaN/Inf written into weights, the q8 parts of a wasm-nlp-q8 checkpoint
// (scales, I8 shapes, the marker), and the count/dim headers and JSON header of the word2vec
// files and checkpoints.
import { f32BitsToBf16Bits, f32BitsToF16Bits } from '../../src/io/safetensors';
import { concat, mutateBytes, mutateJsonValue, replaceNumber, type Rng } from './mutate';

const DTYPES = ['F32', 'F16', 'BF16', 'F64', 'I8', 'U8', 'BOOL', 'I16', 'U16', 'I32', 'U32', 'I64', 'U64', 'F4', 'F6_E2M3',
  'F8_E5M2', 'C64', 'f32', 'F32 ', 'Q4', ''];

/** Bit patterns that are not finite: f32 NaN (quiet, signalling), ±Inf; f16 and bf16 the same in 2 bytes. */
const F32_NON_FINITE = [0x7fc00000, 0x7f800000, 0xff800000, 0x7f800001, 0xffffffff];
const F16_NON_FINITE = [0x7c00, 0xfc00, 0x7e00, 0x7f80, 0xff80, 0x7fc0];

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Header { json: Record<string, unknown>; dataOffset: number }

function readSafetensorsHeader(b: Uint8Array): Header | undefined {
  if (b.length < 8) return undefined;
  const n = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, true);
  if (8 + n > b.length) return undefined;
  try {
    return { json: JSON.parse(dec.decode(b.subarray(8, 8 + n))), dataOffset: 8 + n };
  } catch {
    return undefined;
  }
}

/** A safetensors file with a new header before the same data; `lengthDelta` makes the header length lie. */
function withHeader(json: unknown, data: Uint8Array, lengthDelta = 0): Uint8Array {
  const text = enc.encode(JSON.stringify(json));
  const padded = Math.ceil(text.length / 8) * 8;
  const out = new Uint8Array(8 + padded + data.length);
  new DataView(out.buffer).setUint32(0, padded + lengthDelta >>> 0, true);
  out.set(text, 8);
  out.fill(0x20, 8 + text.length, 8 + padded);
  out.set(data, 8 + padded);
  return out;
}

type Entry = { dtype: unknown; shape: unknown; data_offsets: unknown };

export function mutateSafetensors(rng: Rng, b: Uint8Array): Uint8Array {
  const h = readSafetensorsHeader(b);
  const op = rng.int(10);
  if (!h || op >= 8) return mutateBytes(rng, b);
  const data = b.subarray(h.dataOffset);
  const names = Object.keys(h.json).filter((k) => k !== '__metadata__');
  const name = rng.pick(names);
  const e = h.json[name] as Entry;
  const offsets = e.data_offsets as [number, number];
  if (op === 0) {
    e.dtype = rng.pick(DTYPES);
  } else if (op === 1) {
    const shape = [...(e.shape as number[])];
    const i = rng.int(shape.length + 1);
    const x = rng.pick([0, 1, 2, 3, -1, 2 ** 31, 2 ** 32, 2 ** 53, 1e300, 0.5]);
    if (i === shape.length || rng.chance(0.3)) shape.splice(i, 0, x);
    else shape[i] = rng.chance(0.5) ? x : shape[i]! * rng.pick([2, 3, 1000, 2 ** 20]);
    e.shape = rng.chance(0.1) ? [] : shape;
  } else if (op === 2) {
    // Offsets: another tensor's (duplicated data), shifted (overlaps), past the end, reversed, odd.
    const other = h.json[rng.pick(names)] as Entry;
    const [begin, end] = offsets;
    e.data_offsets = rng.pick([
      other.data_offsets, [begin - 4, end - 4], [begin + 4, end + 4], [begin, end + 4], [end, begin], [begin, data.length + 8],
      [begin, 2 ** 53], [-8, end], [begin + 0.5, end], [begin, end, end], [begin], null, [String(begin), end],
    ]);
  } else if (op === 3) {
    // Values that are not finite, at a random element of a float tensor (checkFinite must name it).
    const out = b.slice();
    const v = new DataView(out.buffer);
    const [begin, end] = offsets;
    const width = e.dtype === 'F32' ? 4 : e.dtype === 'F16' || e.dtype === 'BF16' ? 2 : 0;
    if (width === 0 || end <= begin) return mutateBytes(rng, b);
    const at = h.dataOffset + begin + width * rng.int((end - begin) / width);
    if (width === 4) v.setUint32(at, rng.pick(F32_NON_FINITE), true);
    else v.setUint16(at, rng.pick(F16_NON_FINITE), true);
    return out;
  } else if (op === 4) {
    // The header length field: a little off, or huge (u64 high half set).
    const out = b.slice();
    const v = new DataView(out.buffer);
    const n = v.getUint32(0, true);
    const k = rng.int(4);
    if (k === 0) v.setUint32(0, n + rng.pick([-8, -1, 1, 8]) >>> 0, true);
    else if (k === 1) v.setUint32(4, rng.pick([1, 0xffffffff, 0x80000000]), true);
    else if (k === 2) v.setUint32(0, rng.pick([0, 1, 2, 0xffffffff, 100_000_001]), true);
    else v.setUint32(0, out.length - 8, true);
    return out;
  } else if (op === 5) {
    if (rng.chance(0.5)) delete h.json[name];
    else h.json[`${name}.copy`] = structuredClone(e);
  } else if (op === 6) {
    h.json['__metadata__'] = rng.pick([{ format: 'pt' }, { format: 1 }, [], 'x', null, { a: { b: 1 } }]);
  } else {
    return withHeader(mutateJsonValue(rng, h.json), data);
  }
  return withHeader(h.json, data, rng.chance(0.1) ? rng.pick([-1, 1, 8]) : 0);
}

/** word2vec text or .vec: the header's numbers, values that are not numbers, lines duplicated or cut. */
export function mutateWord2VecText(rng: Rng, b: Uint8Array): Uint8Array {
  const op = rng.int(8);
  const firstLine = b.indexOf(0x0a);
  if (op < 2) return replaceNumber(rng, b, firstLine + 1);
  if (op === 2) return replaceNumber(rng, b);
  if (op === 3) {
    // A value replaced by NaN, inf or an overflowing decimal.
    const text = dec.decode(b);
    const values = [...text.matchAll(/ -?\d+(\.\d+)?(e-?\d+)?/g)];
    if (values.length === 0) return mutateBytes(rng, b);
    const m = rng.pick(values);
    return enc.encode(text.slice(0, m.index! + 1) + rng.pick(['nan', 'NaN', 'inf', '-Infinity', '1e39', '-3.5e38', '1e-50', '0x1', '--1', '1..2', '']) +
      text.slice(m.index! + m[0].length));
  }
  if (op === 4) {
    // A whole line duplicated, moved or dropped.
    const lines = dec.decode(b).split('\n');
    const i = 1 + rng.int(Math.max(1, lines.length - 1)), j = 1 + rng.int(Math.max(1, lines.length - 1));
    if (rng.chance(0.5)) lines.splice(j, 0, lines[i] ?? '');
    else lines.splice(i, 1);
    return enc.encode(lines.join('\n'));
  }
  return mutateBytes(rng, b);
}

/** word2vec binary: the header's numbers, NaN/Inf floats, words with odd bytes, records cut or repeated. */
export function mutateWord2VecBinary(rng: Rng, b: Uint8Array): Uint8Array {
  const op = rng.int(8);
  const firstLine = b.indexOf(0x0a);
  if (op < 3) return replaceNumber(rng, b, firstLine + 1);
  if (op === 3 && b.length > firstLine + 8) {
    const out = b.slice();
    const at = firstLine + 1 + rng.int(out.length - firstLine - 5);
    new DataView(out.buffer).setUint32(at, rng.pick(F32_NON_FINITE), true);
    return out;
  }
  return mutateBytes(rng, b);
}

/** A checkpoint: its JSON header edited as a value (the length and the float alignment kept right or not). */
export function mutateCheckpoint(rng: Rng, b: Uint8Array): Uint8Array {
  const op = rng.int(10);
  if (op >= 6 || b.length < 20) return op === 9 ? mutateNonFinite(rng, b) : mutateBytes(rng, b);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const length = view.getUint32(16, true);
  let header: unknown;
  try {
    header = JSON.parse(dec.decode(b.subarray(20, 20 + length)));
  } catch {
    return mutateBytes(rng, b);
  }
  const floats = b.subarray(Math.ceil((20 + length) / 4) * 4);
  const text = enc.encode(JSON.stringify(mutateJsonValue(rng, header)));
  const start = Math.ceil((20 + text.length) / 4) * 4;
  const out = concat([b.subarray(0, 16), new Uint8Array(4), text, new Uint8Array(start - 20 - text.length), floats]);
  new DataView(out.buffer).setUint32(16, text.length + (rng.chance(0.1) ? rng.pick([-1, 1, 4, 2 ** 31]) : 0) >>> 0, true);
  return out;
}

/** A NaN or Inf written over the last 4-aligned float of the file's float section. */
function mutateNonFinite(rng: Rng, b: Uint8Array): Uint8Array {
  const out = b.slice();
  const length = new DataView(out.buffer).getUint32(16, true);
  const start = Math.ceil((20 + length) / 4) * 4;
  if (start + 4 > out.length) return mutateBytes(rng, b);
  const at = start + 4 * rng.int((out.length - start) / 4);
  new DataView(out.buffer).setUint32(at, rng.pick(F32_NON_FINITE), true);
  return out;
}

// --- wasm-nlp-q8 checkpoints --------------------------------------------------------------------
// A q8 model.safetensors (I8 matrices NAME, F32 scales NAME_scale [rows], the marker in
// __metadata__) decoded into its tensors, edited where the q8 reader looks (scale values, dtypes
// and shapes, I8 shapes, missing or renamed scales, the marker), and written back with offsets
// that agree with the data: so the edit reaches the q8 checks, not the safetensors parser's.

export interface StTensor { name: string; dtype: string; shape: number[]; data: Uint8Array }
export interface StFile { metadata: unknown; tensors: StTensor[] }

const Q8_MARKER = 'wasm-nlp-q8';

function decodeSafetensors(b: Uint8Array): StFile | undefined {
  const h = readSafetensorsHeader(b);
  if (!h) return undefined;
  const tensors: StTensor[] = [];
  for (const [name, value] of Object.entries(h.json)) {
    if (name === '__metadata__') continue;
    const e = value as Entry;
    const [begin, end] = e.data_offsets as [number, number];
    tensors.push({ name, dtype: String(e.dtype), shape: [...(e.shape as number[])], data: b.slice(h.dataOffset + begin, h.dataOffset + end) });
  }
  return { metadata: h.json['__metadata__'], tensors };
}

/** Tensors laid out one after another in the given order, the metadata first (left out when undefined). */
export function encodeSafetensors(f: StFile): Uint8Array {
  const json: Record<string, unknown> = {};
  if (f.metadata !== undefined) json['__metadata__'] = f.metadata;
  let offset = 0;
  for (const t of f.tensors) {
    json[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    offset += t.data.length;
  }
  return withHeader(json, concat(f.tensors.map((t) => t.data)));
}

/** Scales that the reader must refuse (zero, negative, NaN, ±Inf, 127·s past f32) or accept (denormals, tiny, large but finite). */
const SCALE_VALUES = [0, -0, -1, -1e-30, NaN, Infinity, -Infinity, 1e38, 3.4e38, 3e36, 2.67e36, 2.6e36, 1e30, 1e10, 1e4, 100, 1,
  1e-45, 1e-40, 1.1754942e-38, 1.1754944e-38, 1e-30, 1e-10];
const SCALE_BITS = [0x7fc00000, 0xffc00000, 0x7f800001, 0x7fbfffff, 0xffffffff, 0x00000001, 0x007fffff, 0x80000001];

function f32Bytes(values: ArrayLike<number>): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

function f32Values(data: Uint8Array): Float32Array {
  return new Float32Array(data.slice().buffer, 0, Math.floor(data.length / 4));
}

/** `data` cut or extended (with copies of its own bytes, or zeros) to `length` bytes. */
function resized(rng: Rng, data: Uint8Array, length: number): Uint8Array {
  if (length <= data.length) return data.slice(0, length);
  const out = new Uint8Array(length);
  out.set(data);
  if (rng.chance(0.5) && data.length > 0) for (let i = data.length; i < length; i++) out[i] = data[i % data.length]!;
  return out;
}

/** A scale tensor's values in another dtype: converted (F16, BF16, F64: the same scales, wrongly typed) or the bytes relabelled. */
function retyped(rng: Rng, t: StTensor): void {
  const dtype = rng.pick(['F16', 'BF16', 'F64', 'I8', 'U8', 'I32', 'U32', 'I64', 'F8_E5M2', 'BOOL', 'f32', 'F4']);
  const values = f32Values(t.data);
  const bits = new Uint32Array(values.buffer, 0, values.length);
  const convert = rng.chance(0.7);
  if (convert && (dtype === 'F16' || dtype === 'BF16')) {
    const out = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = (dtype === 'F16' ? f32BitsToF16Bits : f32BitsToBf16Bits)(bits[i]!);
    t.data = new Uint8Array(out.buffer);
  } else if (convert && dtype === 'F64') {
    t.data = new Uint8Array(new Float64Array(values).buffer);
  } else if (convert && (dtype === 'I8' || dtype === 'I32')) {
    t.data = dtype === 'I8' ? new Uint8Array(Int8Array.from(values, (x) => Math.round(x * 1000))) : new Uint8Array(Int32Array.from(values, (x) => Math.round(x * 1e6)).buffer);
  }
  t.dtype = dtype;
  // The shape follows the bytes (so the parser takes it) or stays (so it does not).
  const width = { F16: 2, BF16: 2, F64: 8, I8: 1, U8: 1, I32: 4, U32: 4, I64: 8, F8_E5M2: 1, BOOL: 1 }[dtype];
  if (width !== undefined && rng.chance(0.8)) t.shape = [Math.floor(t.data.length / width)];
  if (width !== undefined) t.data = t.data.slice(0, t.shape.reduce((a, b) => a * b, 1) * width);
}

function mutateQ8Tensors(rng: Rng, f: StFile): void {
  const byName = new Map(f.tensors.map((t) => [t.name, t]));
  const i8 = f.tensors.filter((t) => t.dtype === 'I8');
  const scales = f.tensors.filter((t) => t.name.endsWith('_scale'));
  const floats = f.tensors.filter((t) => t.dtype !== 'I8' && !t.name.endsWith('_scale'));
  const remove = (t: StTensor) => f.tensors.splice(f.tensors.indexOf(t), 1);
  const op = rng.int(14);
  const nonEmpty = scales.filter((t) => t.data.length >= 4);
  if (op <= 2 && nonEmpty.length > 0) {
    // Scale values: one element, a run, or all of them.
    const t = rng.pick(nonEmpty);
    const out = t.data.slice();
    const v = new DataView(out.buffer);
    const n = Math.floor(out.length / 4);
    const [from, to] = rng.pick([[rng.int(n), -1], [0, n], [0, 1], [n - 1, n], [rng.int(n), n]]) as [number, number];
    const value = rng.chance(0.8) ? rng.pick(SCALE_VALUES) : undefined;
    const bits = value === undefined ? rng.pick(SCALE_BITS) : 0;
    for (let i = from; i < (to < 0 ? from + 1 : to); i++) {
      if (value === undefined) v.setUint32(4 * i, bits, true);
      else v.setFloat32(4 * i, value, true);
    }
    t.data = out;
  } else if (op === 3 && scales.length > 0) {
    retyped(rng, rng.pick(scales));
  } else if (op === 4 && scales.length > 0) {
    // Scale shapes: [1, rows], [rows, 1], a row short or long, a scalar, empty, twice as long.
    const t = rng.pick(scales);
    const rows = t.shape[0] ?? 1;
    const shape = rng.pick([[1, rows], [rows, 1], [rows - 1], [rows + 1], [], [0], [2 * rows], [rows, rows], [Math.max(1, rows >> 1)]]);
    t.shape = shape;
    t.data = resized(rng, t.data, 4 * shape.reduce((a, b) => a * b, 1));
  } else if (op === 5 && i8.length > 0) {
    // I8 shapes: swapped, a row or column short or long, flattened, a third dimension.
    const t = rng.pick(i8);
    const [r, c] = [t.shape[0] ?? 1, t.shape[1] ?? 1];
    const shape = rng.pick([[c, r], [r - 1, c], [r, c - 1], [r + 1, c], [r, c + 1], [r * c], [r, c, 1], [1, r * c], [r * c, 1],
      [Math.max(1, r >> 1), 2 * c], [2 * r, Math.max(1, c >> 1)], [r, 1], [1, c], [0, c], []]);
    t.shape = shape;
    t.data = resized(rng, t.data, shape.reduce((a, b) => a * b, 1));
  } else if (op === 6 && scales.length > 0) {
    // The scales missing, renamed, or another tensor's.
    const t = rng.pick(scales);
    const k = rng.int(4);
    if (k === 0) remove(t);
    else if (k === 1) {
      const name = rng.pick([`${t.name}s`, t.name.replace(/_scale$/, '.scale'), t.name.replace(/_scale$/, '_SCALE'), t.name.replace(/_scale$/, ''), `${t.name}_scale`, 'x_scale', '_scale']);
      if (!byName.has(name)) t.name = name;
      else remove(t);
    } else {
      const other = rng.pick(scales);
      if (k === 2) [t.name, other.name] = [other.name, t.name];
      else { remove(t); f.tensors.push({ ...other, name: t.name, data: other.data.slice() }); }
    }
  } else if (op === 7) {
    // The marker: gone, changed, or the whole metadata.
    const m = (f.metadata !== null && typeof f.metadata === 'object' && !Array.isArray(f.metadata)) ? { ...(f.metadata as Record<string, unknown>) } : {};
    const k = rng.int(4);
    if (k === 0) delete m['quantization'];
    else if (k === 1) m['quantization'] = rng.pick([Q8_MARKER, 'wasm-nlp-q4', 'WASM-NLP-Q8', `${Q8_MARKER} `, '', 'q8', 'wasm-nlp-q8\u0000', 'gptq']);
    else if (k === 2) { m['Quantization'] = m['quantization']; delete m['quantization']; }
    f.metadata = k === 3 ? rng.pick([undefined, null, { format: 'pt' }, { quantization: 8 }, { quantization: null }, [Q8_MARKER], Q8_MARKER]) : m;
  } else if (op === 8 && i8.length > 0) {
    // I8 values: the extremes (-128, which the writer never makes), zeros, noise.
    const t = rng.pick(i8);
    const fill = rng.pick([127, 0x81, 0x80, 0, -1]);
    t.data = fill < 0 ? Uint8Array.from(t.data, () => rng.int(256)) : new Uint8Array(t.data.length).fill(fill);
  } else if (op === 9 && i8.length > 0) {
    // A matrix dequantized to F32 (a mixed file, valid), its scale kept or not.
    const t = rng.pick(i8);
    const s = byName.get(`${t.name}_scale`);
    const scale = s && s.dtype === 'F32' ? f32Values(s.data) : new Float32Array(t.shape[0] ?? 1).fill(1);
    const cols = (t.shape[1] ?? 1);
    const q = new Int8Array(t.data.buffer, t.data.byteOffset, t.data.length);
    t.data = f32Bytes(Array.from(q, (x, i) => x * (scale[Math.floor(i / cols)] ?? 1)));
    t.dtype = 'F32';
    if (s && rng.chance(0.5)) remove(s);
  } else if (op === 10 && floats.length > 0) {
    // A float tensor (a bias, a LayerNorm, final_logits_bias) made I8, with a scale of its rows.
    const t = rng.pick(floats);
    const values = f32Values(t.data);
    t.data = new Uint8Array(Int8Array.from(values, (x) => Math.max(-127, Math.min(127, Math.round(x * 100)))).buffer);
    t.dtype = 'I8';
    if (rng.chance(0.7)) f.tensors.push({ name: `${t.name}_scale`, dtype: 'F32', shape: [t.shape[0] ?? 1], data: f32Bytes(new Float32Array(t.shape[0] ?? 1).fill(0.01)) });
  } else if (op === 11 && i8.length > 0) {
    // An I8 matrix labelled with another 1-byte or wider dtype.
    const t = rng.pick(i8);
    t.dtype = rng.pick(['U8', 'BOOL', 'F8_E5M2', 'F8_E4M3', 'I16', 'F16', 'F32']);
    const width = { I16: 2, F16: 2, F32: 4 }[t.dtype] ?? 1;
    if (width > 1 && rng.chance(0.7)) t.shape = [t.shape[0] ?? 1, Math.floor((t.shape[1] ?? 1) / width)];
    t.data = t.data.slice(0, t.shape.reduce((a, b) => a * b, 1) * width);
  } else if (op === 12 && i8.length > 0) {
    // A row at the float32 limit: a scale whose 127× is finite (or just not), and -128 or 127 in its row.
    const t = rng.pick(i8);
    const s = byName.get(`${t.name}_scale`);
    const cols = t.shape[1] ?? 1;
    if (s && s.data.length >= 4 && t.data.length >= cols) {
      const rows = Math.min(s.data.length / 4, t.data.length / cols) | 0;
      const r = rng.int(rows);
      s.data = s.data.slice();
      new DataView(s.data.buffer).setFloat32(4 * r, rng.pick([2.6584558e36, 2.66e36, 2.67e36, 2.6793885e36, 2.6793887e36, 2.68e36]), true);
      t.data = t.data.slice();
      for (let n = 1 + rng.int(3); n > 0; n--) t.data[r * cols + rng.int(cols)] = rng.pick([0x80, 0x80, 127, 0x81]);
    }
  } else {
    // The tensors in another order (valid), or one dropped.
    if (rng.chance(0.5)) {
      for (let i = f.tensors.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [f.tensors[i], f.tensors[j]] = [f.tensors[j]!, f.tensors[i]!];
      }
    } else if (f.tensors.length > 0) remove(rng.pick(f.tensors));
  }
}

/** A q8 model.safetensors with one to three q8 edits, sometimes with a blind one on top. */
export function mutateQ8Safetensors(rng: Rng, b: Uint8Array): Uint8Array {
  const f = decodeSafetensors(b);
  if (!f) return mutateSafetensors(rng, b);
  for (let n = 1 + (rng.chance(0.3) ? rng.int(3) : 0); n > 0; n--) mutateQ8Tensors(rng, f);
  const out = encodeSafetensors(f);
  return rng.chance(0.1) ? mutateSafetensors(rng, out) : out;
}

/** config.json's quantization_config: gone, another method, values of the wrong type. */
export function mutateQ8Config(rng: Rng, b: Uint8Array): Uint8Array {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(dec.decode(b));
  } catch {
    return mutateBytes(rng, b);
  }
  const k = rng.int(4);
  if (k === 0) delete config['quantization_config'];
  else if (k === 1) config['quantization_config'] = { quant_method: rng.pick(['gptq', 'bitsandbytes', 'wasm-nlp-q4', 'WASM-NLP-Q8', '', 1, null, [Q8_MARKER]]) };
  else if (k === 2) config['quantization_config'] = rng.pick([null, [], Q8_MARKER, 8, { quant_method: Q8_MARKER, bits: 4 }, { method: Q8_MARKER }, JSON.parse(`{"__proto__": 1, "quant_method": "${Q8_MARKER}"}`)]);
  else config['quantization_config'] = mutateJsonValue(rng, config['quantization_config'] ?? { quant_method: Q8_MARKER });
  return enc.encode(JSON.stringify(config, null, rng.chance(0.5) ? 2 : undefined));
}
