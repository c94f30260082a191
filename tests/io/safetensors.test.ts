// safetensors: round trips through writeSafetensors, f16/bf16/f64 conversions against hand-computed
// bit patterns (and against Debian's torch for all 65536 patterns, required in CI: see
// tests/references.ts), every malformed file refused with the field and byte offset before any
// allocation of the claimed size, shard indexes, and (when the python `safetensors` package is
// importable: Debian has no package of it, so this one stays optional) files exchanged with it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { FormatError } from '../../src/io/errors';
import {
  f16BitsToF32Bits, f32BitsToBf16Bits, f32BitsToF16Bits, parseSafetensors, parseShardIndex, writeSafetensors,
} from '../../src/io/safetensors';
import { PYTHON, pythonReference } from '../references';
import { formatError } from '../format-error';

const enc = new TextEncoder();
const dir = mkdtempSync(join(tmpdir(), 'safetensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hasTorch = pythonReference('torch', 'python3-torch', 'safetensors.test.ts: F16 and BF16 against torch');
const hasPySafetensors = pythonReference('safetensors.numpy', null, 'safetensors.test.ts: files exchanged with the python safetensors package');

/** A file from a raw header string (not padded) and data bytes; N may be overridden. */
function file(header: string, data: Uint8Array | number = 0, headerLength?: number): Uint8Array {
  const h = enc.encode(header);
  const d = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  const view = new DataView(out.buffer);
  const n = headerLength ?? h.length;
  view.setUint32(0, n % 2 ** 32, true);
  view.setUint32(4, Math.floor(n / 2 ** 32), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}

/** The byte offset in the file of the nth (0-based) occurrence of `needle` in the header. */
function at(header: string, needle: string, nth = 0): number {
  let i = -1;
  for (let k = 0; k <= nth; k++) i = header.indexOf(needle, i + 1);
  if (i < 0) throw new Error(`"${needle}" not in header`);
  return 8 + enc.encode(header.slice(0, i)).length;
}


function expectFormatError(fn: () => unknown, field: string, offset: number, message?: RegExp): FormatError {
  const e = formatError(fn);
  expect({ field: e.field, byteOffset: e.byteOffset }).toEqual({ field, byteOffset: offset });
  if (message) expect(e.message).toMatch(message);
  return e;
}

const f32 = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0]!;
const bitsOf = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));
const u16 = (...values: number[]) => new Uint8Array(new Uint16Array(values).buffer);

describe('round trip', () => {
  test('F32, F16 and BF16 tensors with metadata, laid out as the reference writer does', () => {
    const a = new Float32Array([1, -2.5, 3.25, 0, -0, 65504, 1e-7, 123.456]);
    const bytes = writeSafetensors({
      'z.f32': { dtype: 'F32', shape: [2, 4], data: a },
      'a.f16': { dtype: 'F16', shape: [8], data: a },
      'b.bf16': { dtype: 'BF16', shape: [2, 2, 2], data: a },
      'a.f32': { dtype: 'F32', shape: [0, 3], data: new Float32Array(0) },
    }, { format: 'pt', note: 'ünïcode' });
    const view = new DataView(bytes.buffer);
    const n = view.getUint32(0, true);
    expect(view.getUint32(4, true)).toBe(0);
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text.startsWith('{"__metadata__":{"format":"pt","note":"ünïcode"},"a.f32":')).toBe(true);
    expect(text.trimEnd().endsWith('}')).toBe(true);
    expect(/^ *$/.test(text.slice(text.trimEnd().length))).toBe(true);

    const st = parseSafetensors(bytes);
    // F32 first, then BF16, then F16; by name within a dtype.
    expect(st.names).toEqual(['a.f32', 'z.f32', 'b.bf16', 'a.f16']);
    expect(st.metadata).toEqual({ format: 'pt', note: 'ünïcode' });
    expect(st.uncoveredBytes).toBe(0);
    expect(st.notes).toEqual([]);
    expect(st.headerLength).toBe(n);
    expect(st.info('z.f32')).toEqual({ dtype: 'F32', shape: [2, 4], byteOffset: 8 + n, byteLength: 32 });
    expect(st.info('b.bf16')).toEqual({ dtype: 'BF16', shape: [2, 2, 2], byteOffset: 8 + n + 32, byteLength: 16 });
    expect(bitsOf(st.tensor('z.f32'))).toEqual(bitsOf(a));
    expect(st.tensor('a.f32')).toEqual(new Float32Array(0));
    const half = st.tensor('a.f16');
    expect(Array.from(half.subarray(0, 6))).toEqual([1, -2.5, 3.25, 0, -0, 65504]);
    expect(Object.is(half[4], -0)).toBe(true);
    expect(half[6]).toBe(2 * 2 ** -24); // a subnormal half: steps of 2^-24, 1e-7 is 1.68 of them
    expect(half[7]).toBe(123.4375);
    expect(Array.from(st.tensor('b.bf16'))).toEqual([1, -2.5, 3.25, 0, -0, 65536, f32(0x33d70000), 123.5]);
    // Views on a larger buffer, at an odd offset, read the same.
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(bitsOf(parseSafetensors(shifted.subarray(3)).tensor('z.f32'))).toEqual(bitsOf(a));
  });

  test('tensor() copies: changing the result leaves the file alone', () => {
    const bytes = writeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } });
    const st = parseSafetensors(bytes);
    st.tensor('w')[0] = 99;
    expect(Array.from(st.tensor('w'))).toEqual([1, 2]);
  });

  test('view(): an aligned F32 tensor in place, nothing for other dtypes or a misaligned file', () => {
    const a = new Float32Array([1, -2.5, 3.25]);
    const bytes = writeSafetensors({ w: { dtype: 'F32', shape: [3], data: a }, h: { dtype: 'F16', shape: [3], data: a } });
    const st = parseSafetensors(bytes);
    const w = st.view('w')!;
    expect(bitsOf(w)).toEqual(bitsOf(a));
    expect(w.buffer).toBe(bytes.buffer);
    expect(w.byteOffset).toBe(st.info('w').byteOffset);
    bytes.set(new Uint8Array(new Float32Array([7]).buffer), st.info('w').byteOffset);
    expect(w[0]).toBe(7); // the file's bytes, not a copy
    expect(st.view('h')).toBeUndefined();
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(parseSafetensors(shifted.subarray(1)).view('w')).toBeUndefined();
    expect(() => st.view('nope')).toThrow(/no tensor named "nope"/);
  });

  test('I8: written after the float tensors, read back as they are by int8Tensor (a copy, or a view in place)', () => {
    const q = new Int8Array([-127, -1, 0, 1, 127, 5]);
    const bytes = writeSafetensors({ q: { dtype: 'I8', shape: [2, 3], data: q }, s: { dtype: 'F32', shape: [2], data: new Float32Array([0.5, 2]) } });
    const st = parseSafetensors(bytes);
    expect(st.names).toEqual(['s', 'q']);
    expect(st.info('q')).toMatchObject({ dtype: 'I8', shape: [2, 3], byteLength: 6 });
    const copy = st.int8Tensor('q');
    expect(copy).toEqual(q);
    expect(copy.buffer).not.toBe(bytes.buffer);
    const view = st.int8Tensor('q', { view: true });
    expect(view).toEqual(q);
    expect(view.buffer).toBe(bytes.buffer);
    expect(() => st.int8Tensor('s')).toThrow(/tensor "s" is F32, not I8/);
    expect(Array.from(st.intTensor('q'))).toEqual(Array.from(q));
  });

  test('writer refuses bad input', () => {
    expect(() => writeSafetensors({ w: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).toThrow(/shape \[3\] has 3 elements, data has 2/);
    expect(() => writeSafetensors({ w: { dtype: 'I16' as 'F32', shape: [1], data: new Float32Array(1) } })).toThrow(/dtype must be F32, F16, BF16 or I8, got I16/);
    expect(() => writeSafetensors({ w: { dtype: 'I8', shape: [1], data: new Float32Array(1) as never } })).toThrow(/data must be an Int8Array for I8/);
    expect(() => writeSafetensors({ w: { dtype: 'F32', shape: [1], data: new Int8Array(1) as never } })).toThrow(/data must be a Float32Array for F32/);
    expect(() => writeSafetensors({ __metadata__: { dtype: 'F32', shape: [0], data: new Float32Array(0) } })).toThrow(/__metadata__/);
  });
});

describe('float conversions', () => {
  test('F16 → F32, hand-computed bit patterns', () => {
    const cases: [number, number][] = [
      [0x3c00, 0x3f800000], // 1
      [0xc000, 0xc0000000], // -2
      [0x7bff, 0x477fe000], // 65504, the largest half
      [0x0400, 0x38800000], // 2^-14, the smallest normal
      [0x03ff, 0x387fc000], // the largest subnormal, 1023·2^-24
      [0x0001, 0x33800000], // 2^-24, the smallest subnormal
      [0x8001, 0xb3800000], // -2^-24
      [0x0000, 0x00000000], // +0
      [0x8000, 0x80000000], // -0
      [0x7c00, 0x7f800000], // +Inf
      [0xfc00, 0xff800000], // -Inf
      [0x7e00, 0x7fc00000], // quiet NaN
      [0x7c01, 0x7fc02000], // signalling NaN: made quiet, payload kept
      [0x3555, 0x3eaaa000], // 0.333251953125
    ];
    for (const [h, f] of cases) expect([h, f16BitsToF32Bits(h)]).toEqual([h, f]);
    const st = parseSafetensors(file(`{"h":{"dtype":"F16","shape":[${cases.length}],"data_offsets":[0,${2 * cases.length}]}}`,
      u16(...cases.map(([h]) => h))));
    expect(bitsOf(st.tensor('h'))).toEqual(cases.map(([, f]) => f));
  });

  test('BF16 → F32 is the top half of the bits, subnormals and NaN payloads included', () => {
    const cases = [0x3f80, 0xc049, 0x0001, 0x8000, 0x7f80, 0xff80, 0x7fc0, 0x7f81, 0x007f];
    const st = parseSafetensors(file(`{"b":{"dtype":"BF16","shape":[${cases.length}],"data_offsets":[0,${2 * cases.length}]}}`,
      u16(...cases)));
    expect(bitsOf(st.tensor('b'))).toEqual(cases.map((h) => (h << 16) >>> 0));
    expect(st.tensor('b')[1]).toBe(-3.140625);
  });

  test('F64 → F32 rounds to nearest; a finite value beyond float32 is refused', () => {
    // 3.4028235e38 rounds down to the largest float32; 3.4028235677973366e38, the midpoint to
    // 2^128, rounds (to even) to Infinity and is refused.
    const d = new Float64Array([0.1, -1 / 3, 1e-50, 3.4028235e38]);
    const header = '{"d":{"dtype":"F64","shape":[4],"data_offsets":[0,32]}}';
    expect(Array.from(parseSafetensors(file(header, new Uint8Array(d.buffer))).tensor('d')))
      .toEqual([Math.fround(0.1), Math.fround(-1 / 3), 0, 3.4028234663852886e38]);
    const big = new Float64Array([1, 3.4028235677973366e38]);
    const h2 = '{"d":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}';
    expectFormatError(() => parseSafetensors(file(h2, new Uint8Array(big.buffer))).tensor('d'), 'values', 8 + h2.length + 8,
      /element 1 of tensor "d" \(F64\) is 3.4028235677973366e\+38, outside the float32 range/);
  });

  test('F32 → F16 and BF16 round to nearest, ties to even', () => {
    const bits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0]!;
    const half: [number, number][] = [
      [1, 0x3c00], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [65504, 0x7bff], [65519, 0x7bff],
      [65520, 0x7c00], [1e9, 0x7c00], [-Infinity, 0xfc00], [2 ** -24, 0x0001], [2 ** -25, 0x0000],
      [1.5 * 2 ** -25, 0x0001], [3 * 2 ** -25, 0x0002], [-0, 0x8000], [2 ** -14 - 2 ** -25, 0x0400], [NaN, 0x7e00],
    ];
    for (const [x, h] of half) expect([x, f32BitsToF16Bits(bits(x))]).toEqual([x, h]);
    const bf: [number, number][] = [
      [1, 0x3f80], [1 + 2 ** -8, 0x3f80], [1 + 3 * 2 ** -8, 0x3f82], [1 + 2 ** -8 + 2 ** -20, 0x3f81],
      [3.4e38, 0x7f80], [-0, 0x8000], [NaN, 0x7fc0],
    ];
    for (const [x, h] of bf) expect([x, f32BitsToBf16Bits(bits(x))]).toEqual([x, h]);
    // Every half survives F16 → F32 → F16.
    for (let h = 0; h < 0x10000; h++) {
      const back = f32BitsToF16Bits(f16BitsToF32Bits(h));
      if (back !== h && !((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0)) throw new Error(`half ${h.toString(16)} came back as ${back.toString(16)}`);
    }
  });

  test.skipIf(!hasTorch)('all 65536 F16 and BF16 patterns convert as torch converts them', () => {
    const out = join(dir, 'torch-bits.bin');
    execFileSync(PYTHON, ['-c', `
import sys, torch
h = torch.arange(0, 65536, dtype=torch.int32).to(torch.int16)
f16 = h.view(torch.float16).to(torch.float32).view(torch.int32)
bf16 = h.view(torch.bfloat16).to(torch.float32).view(torch.int32)
open(sys.argv[1], 'wb').write(torch.cat([f16, bf16]).numpy().tobytes())
`, out], { stdio: ['ignore', 'ignore', 'inherit'] });
    const expected = new Uint32Array(new Uint8Array(readFileSync(out)).buffer);
    const all = new Uint16Array(0x10000).map((_, i) => i);
    const data = new Uint8Array(all.buffer);
    for (const [k, dtype] of [[0, 'F16'], [1, 'BF16']] as const) {
      const st = parseSafetensors(file(`{"t":{"dtype":"${dtype}","shape":[65536],"data_offsets":[0,131072]}}`, data));
      const got = bitsOf(st.tensor('t'));
      let mismatches = 0;
      for (let i = 0; i < 0x10000; i++) if (got[i] !== expected[k * 0x10000 + i]) mismatches++;
      expect([dtype, mismatches]).toEqual([dtype, 0]);
    }
  });
});

describe('bad files: a FormatError with the field and byte offset, nothing of the claimed size allocated', () => {
  const entry = (name: string, dtype: string, shape: number[], begin: number, end: number) =>
    `"${name}":{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":[${begin},${end}]}`;

  test('header length', () => {
    expectFormatError(() => parseSafetensors(new Uint8Array(5)), 'header length', 0, /5 bytes, fewer than the 8/);
    // 2^60 bytes claimed by a 20-byte file: refused before anything is read or allocated.
    expectFormatError(() => parseSafetensors(file('{}', 10, 2 ** 60)), 'header length', 0, /more than the 100000000 allowed/);
    expectFormatError(() => parseSafetensors(file('{}', 10, 200_000_000)), 'header length', 0, /more than the 100000000 allowed/);
    expectFormatError(() => parseSafetensors(file('{}', 10, 1000)), 'header length', 0, /1000 bytes, but only 12 bytes follow/);
  });

  test('invalid UTF-8, invalid JSON, not an object, too deep', () => {
    const bad = file('{"a\u0001":1}');
    bad[10] = 0xff;
    expectFormatError(() => parseSafetensors(bad), 'header', 10, /not valid UTF-8/);
    const overlong = file('{"ab":1}');
    overlong[10] = 0xc0; overlong[11] = 0xaf; // an overlong "/"
    expectFormatError(() => parseSafetensors(overlong), 'header', 10, /not valid UTF-8/);
    const json = '{"a": }';
    const e = formatError(() => parseSafetensors(file(json)));
    expect(e.field).toBe('header');
    expect(e.message).toMatch(/not valid JSON/);
    if (/position \d+/.test(e.message)) expect(e.byteOffset).toBe(8 + json.indexOf('}'));
    expectFormatError(() => parseSafetensors(file('')), 'header', 8, /not valid JSON/);
    expectFormatError(() => parseSafetensors(file('[1, 2]')), 'header', 8, /must be a JSON object, got an array/);
    expectFormatError(() => parseSafetensors(file('null')), 'header', 8, /must be a JSON object, got null/);
    const deep = `{"a":${'['.repeat(20)}${']'.repeat(20)}}`;
    expectFormatError(() => parseSafetensors(file(deep)), 'header', 8 + 5 + 7, /nests deeper than 8/); // the 9th level
  });

  test('missing, extra and malformed fields', () => {
    const missing = '{"w":{"shape":[1],"data_offsets":[0,4]}}';
    expectFormatError(() => parseSafetensors(file(missing, 4)), 'dtype', at(missing, '"w"'), /tensor "w" has no "dtype"/);
    const extra = `{${entry('w', 'F32', [1], 0, 4).slice(0, -1)},"bias":1}}`;
    expectFormatError(() => parseSafetensors(file(extra, 4)), 'bias', at(extra, '"bias"'), /unknown field "bias"/);
    const notObject = '{"w":[1,2]}';
    expectFormatError(() => parseSafetensors(file(notObject)), 'tensor', at(notObject, '"w"'), /tensor "w" must be an object/);
    const dtype = `{${entry('w', 'F128', [1], 0, 16)}}`;
    expectFormatError(() => parseSafetensors(file(dtype, 16)), 'dtype', at(dtype, '"dtype"'), /unknown dtype "F128"/);
    for (const shape of ['[-1]', '[1.5]', '"3"', '[9007199254740993]', '[[2]]']) {
      const h = `{"w":{"dtype":"F32","shape":${shape},"data_offsets":[0,4]}}`;
      expectFormatError(() => parseSafetensors(file(h, 4)), 'shape', at(h, '"shape"'), /non-negative integers/);
    }
    for (const offsets of ['[0]', '[0,4,8]', '[-4,0]', '["0","4"]', '{"0":0}']) {
      const h = `{"w":{"dtype":"F32","shape":[1],"data_offsets":${offsets}}}`;
      expectFormatError(() => parseSafetensors(file(h, 4)), 'data_offsets', at(h, '"data_offsets"'), /two non-negative integers/);
    }
    const meta = `{"__metadata__":{"format":1},${entry('w', 'F32', [1], 0, 4)}}`;
    expectFormatError(() => parseSafetensors(file(meta, 4)), '__metadata__', at(meta, '"__metadata__"'), /"format" must be a string/);
    const proto = parseSafetensors(file('{"__metadata__":{"__proto__":"x","a":"b"}}'));
    expect(Object.getPrototypeOf(proto.metadata)).toBe(Object.prototype);
    expect(Object.keys(proto.metadata)).toEqual(['__proto__', 'a']);
    const metaArray = '{"__metadata__":["pt"]}';
    expectFormatError(() => parseSafetensors(file(metaArray)), '__metadata__', 8 + 1, /object of strings/);
  });

  test('sizes: shape × dtype against the offsets, offsets against the buffer', () => {
    const wrong = `{${entry('w', 'F32', [2, 3], 0, 20)}}`;
    expectFormatError(() => parseSafetensors(file(wrong, 20)), 'shape', at(wrong, '"shape"'),
      /shape \[2, 3\] of F32, 6 elements of F32 \(24 bytes\), but its data_offsets \[0, 20\] hold 20 bytes/);
    // A shape of 10^27 elements over 4 bytes: refused without computing or allocating it.
    const huge = `{${entry('w', 'F32', [1e9, 1e9, 1e9], 0, 4)}}`;
    expectFormatError(() => parseSafetensors(file(huge, 4)), 'shape', at(huge, '"shape"'), /hold 4 bytes/);
    const past = `{${entry('w', 'F32', [250], 0, 1000)}}`;
    expectFormatError(() => parseSafetensors(file(past, 16)), 'data_offsets', at(past, '"data_offsets"'),
      /past the end of the data buffer \(16 bytes/);
    const hugeOffsets = `{${entry('w', 'F32', [2 ** 50], 0, 2 ** 52)}}`;
    expectFormatError(() => parseSafetensors(file(hugeOffsets, 16)), 'data_offsets', at(hugeOffsets, '"data_offsets"'), /past the end/);
    const backwards = `{${entry('w', 'F32', [1], 8, 4)}}`;
    expectFormatError(() => parseSafetensors(file(backwards, 8)), 'data_offsets', at(backwards, '"data_offsets"'), /begin is after end/);
    const bool = `{${entry('w', 'F4', [3], 0, 2)}}`;
    expect(() => parseSafetensors(file(bool, 2))).toThrow(/F4.*6 elements|F4, .*hold 2 bytes/s); // 3 × 4 bits is 1.5 bytes
    expect(parseSafetensors(file(`{${entry('w', 'F4', [4], 0, 2)}}`, 2)).info('w').byteLength).toBe(2);
  });

  test('overlaps are refused, gaps accepted and reported', () => {
    const overlap = `{${entry('a', 'F32', [2], 0, 8)},${entry('b', 'F32', [2], 4, 12)}}`;
    expectFormatError(() => parseSafetensors(file(overlap, 12)), 'data_offsets', at(overlap, '"data_offsets"', 1),
      /tensor "b" \[4, 12\) overlaps tensor "a", which ends at 8/);
    // Listed out of order in the header: still found after sorting by begin.
    const reversed = `{${entry('b', 'F32', [2], 4, 12)},${entry('a', 'F32', [2], 0, 8)}}`;
    expectFormatError(() => parseSafetensors(file(reversed, 12)), 'data_offsets', at(reversed, '"data_offsets"', 0), /"b".*overlaps.*"a"/);
    const gap = `{${entry('b', 'F32', [1], 8, 12)},${entry('a', 'F32', [1], 0, 4)}}`;
    const st = parseSafetensors(file(gap, 16));
    expect(st.names).toEqual(['a', 'b']);
    expect(st.uncoveredBytes).toBe(8);
    expect(st.notes[0]).toMatch(/8 of the 16 bytes of the data buffer belong to no tensor/);
    const empty = parseSafetensors(file(`{${entry('e', 'F32', [0], 4, 4)},${entry('a', 'F32', [1], 0, 4)}}`, 4));
    expect(empty.names).toEqual(['a', 'e']);
    expect(empty.tensor('e').length).toBe(0);
  });

  test('duplicate names and fields, which JSON.parse would silently merge', () => {
    const dup = `{${entry('w', 'F32', [1], 0, 4)},${entry('w', 'F32', [1], 4, 8)}}`;
    expectFormatError(() => parseSafetensors(file(dup, 8)), 'header', at(dup, '"w"', 1), /the key "w" appears twice in the header/);
    const dupField = '{"w":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}';
    expectFormatError(() => parseSafetensors(file(dupField, 4)), 'header', at(dupField, '"dtype"', 1), /"dtype" appears twice in "w"/);
    // Keys are compared decoded: "\u0077" is "w"; a quote inside a name does not end it.
    const escaped = `{${entry('w', 'F32', [1], 0, 4)},"\\u0077":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`;
    expectFormatError(() => parseSafetensors(file(escaped, 8)), 'header', at(escaped, '"\\u0077"'), /appears twice/);
    const quoted = parseSafetensors(file(`{${entry('a\\"b,{', 'F32', [1], 0, 4)}}`, 4));
    expect(quoted.names).toEqual(['a"b,{']);
  });

  test('NaN and Infinity: reported naming the tensor and element when asked', () => {
    const values = new Float32Array([1, 2, NaN, Infinity]);
    const header = `{${entry('ok', 'F32', [2], 0, 8)},${entry('w', 'F32', [2], 8, 16)},${entry('h', 'F16', [2], 16, 20)},` +
      `${entry('b', 'BF16', [2], 20, 24)}}`;
    const data = new Uint8Array(24);
    data.set(new Uint8Array(values.buffer), 0);
    data.set(u16(0x3c00, 0xfc00), 16);
    data.set(u16(0x7fc0, 0x3f80), 20);
    const st = parseSafetensors(file(header, data));
    const base = 8 + header.length;
    expect(Number.isNaN(st.tensor('w')[0])).toBe(true);
    st.checkFinite('ok');
    expect(Array.from(st.tensor('ok', { checkFinite: true }))).toEqual([1, 2]);
    expectFormatError(() => st.tensor('w', { checkFinite: true }), 'values', base + 8, /element 0 of tensor "w" \(F32\) is NaN/);
    expectFormatError(() => st.checkFinite('w'), 'values', base + 8, /tensor "w"/);
    expectFormatError(() => st.checkFinite('h'), 'values', base + 18, /element 1 of tensor "h" \(F16\) is -Infinity/);
    expectFormatError(() => st.tensor('h', { checkFinite: true }), 'values', base + 18, /-Infinity/);
    expectFormatError(() => st.checkFinite('b'), 'values', base + 20, /element 0 of tensor "b" \(BF16\) is NaN/);
  });

  test('integer dtypes: listed, refused as float32, read by intTensor within range', () => {
    const i64 = new BigInt64Array([5n, -7n, 2n ** 40n]);
    const header = `{${entry('ids', 'I64', [2], 0, 16)},${entry('big', 'I64', [1], 16, 24)},${entry('n', 'I32', [2], 24, 32)},` +
      `${entry('mask', 'BOOL', [3], 32, 35)},${entry('q', 'I8', [1], 35, 36)}}`;
    const data = new Uint8Array(36);
    data.set(new Uint8Array(i64.buffer), 0);
    data.set(new Uint8Array(new Int32Array([-3, 2147483647]).buffer), 24);
    data.set([1, 0, 1, 0xff], 32);
    const st = parseSafetensors(file(header, data));
    expect(st.info('ids').dtype).toBe('I64');
    expectFormatError(() => st.tensor('ids'), 'dtype', 8 + header.length, /tensor "ids" is I64, which cannot be read as float32/);
    expectFormatError(() => st.tensor('q'), 'dtype', 8 + header.length + 35, /tensor "q" is I8/);
    expect(Array.from(st.intTensor('ids'))).toEqual([5, -7]);
    expect(Array.from(st.intTensor('n'))).toEqual([-3, 2147483647]);
    expect(Array.from(st.intTensor('mask'))).toEqual([1, 0, 1]);
    expect(Array.from(st.intTensor('q'))).toEqual([-1]);
    expectFormatError(() => st.intTensor('big'), 'values', 8 + header.length + 16, /1099511627776, outside the int32 range/);
  });

  test('a missing tensor is named', () => {
    const st = parseSafetensors(writeSafetensors({ a: { dtype: 'F32', shape: [1], data: new Float32Array(1) } }));
    expect(st.has('a')).toBe(true);
    expect(st.has('b')).toBe(false);
    expect(() => st.tensor('b')).toThrow(/no tensor named "b" \(the file has 1: "a"\)/);
    expect(() => st.info('b')).toThrow(/no tensor named "b"/);
  });
});

describe('shard index', () => {
  const index = {
    metadata: { total_size: 24 },
    weight_map: { 'a.weight': 'model-00002-of-00002.safetensors', 'b.weight': 'model-00001-of-00002.safetensors',
      'c.bias': 'model-00002-of-00002.safetensors' },
  };

  test('string or object, shards listed once and sorted', () => {
    for (const input of [JSON.stringify(index, null, 2), index]) {
      const s = parseShardIndex(input);
      expect(s.shards).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
      expect(s.weightMap.get('c.bias')).toBe('model-00002-of-00002.safetensors');
      expect(s.weightMap.size).toBe(3);
      expect(s.metadata).toEqual({ total_size: 24 });
    }
    expect(parseShardIndex({ weight_map: { a: 'x.safetensors' } }).metadata).toEqual({});
  });

  test('bad indexes', () => {
    expectFormatError(() => parseShardIndex('{"weight_map": '), 'index', 15, /not valid JSON/);
    expectFormatError(() => parseShardIndex('[]'), 'index', 0, /must be a JSON object/);
    expectFormatError(() => parseShardIndex('{"metadata": {}}'), 'weight_map', 0, /no "weight_map"/);
    expectFormatError(() => parseShardIndex('{"weight_map": {}}'), 'weight_map', 1, /lists no tensors/);
    const bad = '{"weight_map": {"a": "ok.safetensors", "b": 3}}';
    expectFormatError(() => parseShardIndex(bad), 'weight_map', bad.indexOf('"b"'), /tensor "b" maps to number 3/);
    const traversal = '{"weight_map": {"a": "../../etc/passwd"}}';
    expectFormatError(() => parseShardIndex(traversal), 'weight_map', traversal.indexOf('"a"'), /plain file names/);
    const dup = '{"weight_map": {"a": "x.safetensors", "a": "y.safetensors"}}';
    expectFormatError(() => parseShardIndex(dup), 'index', dup.lastIndexOf('"a"'), /"a" appears twice in "weight_map"/);
    expectFormatError(() => parseShardIndex({ weight_map: { a: 'x' }, extra: 1 }), 'extra', 0, /not "extra"/);
    expectFormatError(() => parseShardIndex({ metadata: { total_size: -1 }, weight_map: { a: 'x' } }), 'metadata', 0, /total_size/);
  });
});

describe('files exchanged with the python safetensors package', () => {
  test.skipIf(!hasPySafetensors)('we read its files and it reads ours, value for value', () => {
    const theirs = join(dir, 'theirs.safetensors');
    execFileSync(PYTHON, ['-c', `
import sys, numpy as np
from safetensors.numpy import save_file
rng = np.random.default_rng(7)
save_file({
  'f32': rng.standard_normal((3, 5)).astype(np.float32),
  'f16': (rng.standard_normal((4,)) * 1000).astype(np.float16),
  'f64': np.array([0.1, -2.5, 1e-30]),
  'i64': np.array([1, -2, 3], dtype=np.int64),
  'empty': np.zeros((0, 4), dtype=np.float32),
}, sys.argv[1], metadata={'format': 'np'})
np.save(sys.argv[1] + '.f32.npy', rng.standard_normal(1))
`, theirs]);
    const st = parseSafetensors(new Uint8Array(readFileSync(theirs)));
    expect(st.metadata).toEqual({ format: 'np' });
    expect(st.uncoveredBytes).toBe(0);
    expect(st.info('f32').shape).toEqual([3, 5]);
    expect(Array.from(st.intTensor('i64'))).toEqual([1, -2, 3]);
    expect(Array.from(st.tensor('f64'))).toEqual([Math.fround(0.1), -2.5, Math.fround(1e-30)]);
    const values = JSON.parse(execFileSync(PYTHON, ['-c', `
import sys, json
from safetensors.numpy import load_file
t = load_file(sys.argv[1])
print(json.dumps({k: [float(x) for x in v.astype('float64').ravel()] for k, v in t.items() if k in ('f32', 'f16')}))
`, theirs]).toString()) as Record<string, number[]>;
    expect(Array.from(st.tensor('f32'))).toEqual(values['f32']);
    expect(Array.from(st.tensor('f16'))).toEqual(values['f16']);

    const ours = join(dir, 'ours.safetensors');
    const data = new Float32Array([1.5, -2.25, 3e-6, 70000, -0, 1 / 3]);
    writeFileSync(ours, writeSafetensors({
      a: { dtype: 'F32', shape: [2, 3], data }, b: { dtype: 'F16', shape: [6], data }, c: { dtype: 'BF16', shape: [3, 2], data },
    }, { source: 'wasm-nlp' }));
    const read = JSON.parse(execFileSync(PYTHON, ['-c', `
import sys, json
from safetensors import safe_open
with safe_open(sys.argv[1], framework='np') as f:
    out = {'metadata': f.metadata()}
    for k in f.keys():
        t = f.get_tensor(k)
        out[k] = {'dtype': str(t.dtype), 'shape': list(t.shape), 'bits': [int(x) for x in t.view('u%d' % t.itemsize).ravel()]}
print(json.dumps(out))
`, ours]).toString()) as Record<string, { dtype: string; shape: number[]; bits: number[] }> & { metadata: unknown };
    expect(read.metadata).toEqual({ source: 'wasm-nlp' });
    const st2 = parseSafetensors(new Uint8Array(readFileSync(ours)));
    expect(read['a']!.bits).toEqual(bitsOf(st2.tensor('a')));
    expect(read['b']!.bits).toEqual(Array.from(data, (x) => f32BitsToF16Bits(new Uint32Array(new Float32Array([x]).buffer)[0]!)));
    expect(read['c']!.shape).toEqual([3, 2]);
  });
});
