// Mutations that know a format's layout, beside the blind ones of mutate.ts: a safetensors
// header edited as JSON (dtype swaps, inflated shapes, overlapping and out-of-range offsets, a
// wrong header length), NaN/Inf written into weights, and the count/dim headers and JSON
// header of the word2vec files and checkpoints.
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
