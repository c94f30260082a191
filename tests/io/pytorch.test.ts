// pytorch_model.bin: files written by Debian's torch 1.13 (tools/make_pytorch_fixtures.py) read to
// the values torch saved (expected.json: every dtype, shared storages, views with offsets and
// strides, byte offsets from the zip's own headers), the same from bytes and piece by piece, the
// legacy format (torch < 1.6) to the same values at the offsets Python's pickle finds (legacy.json),
// malicious pickles refused naming the global, and every malformed archive or state dict refused
// with the field and byte offset before anything of a claimed size is allocated.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parsePytorch } from '../../src/io/pytorch';
import type { ByteSource } from '../../src/io/safetensors';
import { formatError } from '../format-error';
import { f32Bytes, op, pickle, stateDictPickle, torchZip, type TensorSpec } from './torch-zip';
import { legacyFile, legacyStateDictPickle, type LegacyTensor } from './torch-legacy';

const DIR = join(__dirname, '..', 'fixtures', 'pytorch');
const read = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));
const enc = new TextEncoder();

interface Expected {
  dtype: string; shape: number[]; stride: number[]; storage_offset: number; contiguous: boolean; storage: string; byteOffset: number; values: number[];
}
const expected = (JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as { tensors: Record<string, Expected> }).tensors;

function expectError(fn: () => unknown, field: string, offset: number, message?: RegExp): void {
  const e = formatError(fn);
  expect({ field: e.field, byteOffset: e.byteOffset }).toEqual({ field, byteOffset: offset });
  if (message) expect(e.message).toMatch(message);
}

/** A ByteSource over bytes that hands out each read in one reused buffer (as a file handle does) and records the reads. */
function fileLike(bytes: Uint8Array): ByteSource & { reads: [number, number][] } {
  let scratch = new Uint8Array(0);
  const reads: [number, number][] = [];
  return {
    length: bytes.length, reads,
    read(offset, length) {
      reads.push([offset, length]);
      if (offset + length > bytes.length) throw new Error(`read past the end: ${offset} + ${length}`);
      if (scratch.length < length) scratch = new Uint8Array(length);
      scratch.set(bytes.subarray(offset, offset + length));
      return scratch.subarray(0, length);
    },
  };
}

/** The byte offset of the nth (0-based) `needle` (ASCII) in the file. */
function find(bytes: Uint8Array, needle: string, nth = 0): number {
  let i = -1;
  for (let k = 0; k <= nth; k++) {
    i = Buffer.from(bytes).indexOf(needle, i + 1);
    if (i < 0) throw new Error(`${needle} not found`);
  }
  return i;
}

/** The offset of the REDUCE that rebuilds the first tensor of stateDictPickle: after the backward hooks' REDUCE and the TUPLE. */
function rebuildAt(bytes: Uint8Array): number {
  return find(bytes, 'ccollections\nOrderedDict\n)R', 1) + 'ccollections\nOrderedDict\n)R'.length + 1;
}

/** The offset of the nth BINPERSID of stateDictPickle (it follows the TUPLE of the persistent id). */
function persidAt(bytes: Uint8Array, nth: number): number {
  return find(bytes, 'tQ', nth) + 1;
}

describe('files written by Debian\'s torch (tests/fixtures/pytorch/state-dict.bin)', () => {
  const bytes = read('state-dict.bin');

  test.each([['the bytes', () => parsePytorch(bytes)], ['piece by piece', () => parsePytorch(fileLike(bytes))]] as const)(
    'every tensor as torch saved it: dtype, shape, byte offset, values (%s)', (_, open) => {
      const pt = open();
      expect(pt.archiveName).toBe('state-dict');
      expect([...pt.names].sort()).toEqual(Object.keys(expected).sort());
      for (const [name, e] of Object.entries(expected)) {
        const info = pt.info(name);
        expect({ dtype: info.dtype, shape: info.shape, byteOffset: info.byteOffset }, name).toEqual({ dtype: e.dtype, shape: e.shape, byteOffset: e.byteOffset });
        const values = ['F32', 'F16', 'BF16', 'F64'].includes(e.dtype) ? pt.tensor(name) : pt.intTensor(name);
        // Floats exactly (f64 rounded to f32 as Math.fround does); ints as they are.
        expect(Array.from(values), name).toEqual(e.dtype === 'F64' ? e.values.map(Math.fround) : e.values);
      }
    });

  test('the fixture covers what it should: every dtype, shared storages, offsets, strides, 0-d and empty tensors', () => {
    const e = Object.values(expected);
    expect(new Set(e.map((t) => t.dtype))).toEqual(new Set(['F32', 'F16', 'BF16', 'F64', 'I64', 'I32']));
    expect(e.filter((t) => !t.contiguous).length).toBeGreaterThanOrEqual(4);
    expect(e.filter((t) => t.storage_offset > 0).length).toBeGreaterThanOrEqual(3);
    expect(expected['lm_head.weight']!.storage).toBe(expected['embeddings.word_embeddings.weight']!.storage);
    expect(expected['tied.last_rows']!.storage).toBe(expected['embeddings.word_embeddings.weight']!.storage);
    expect(expected['transposed']!.stride).toEqual([1, 4]);
    expect(expected['scalar']!.shape).toEqual([]);
    expect(expected['empty']!.shape).toEqual([0, 3]);
    expect(expected['position_ids']!.dtype).toBe('I64');
  });

  test('view(): the file\'s own bytes for a contiguous F32 tensor; undefined for a strided view or another dtype', () => {
    const pt = parsePytorch(bytes);
    const v = pt.view('embeddings.word_embeddings.weight')!;
    expect(v.buffer).toBe(bytes.buffer);
    expect(Array.from(v)).toEqual(expected['embeddings.word_embeddings.weight']!.values);
    expect(pt.view('transposed')).toBeUndefined();
    expect(pt.view('f16')).toBeUndefined();
    // A view of rows 3.. of the shared storage: its first element is element 12 of the storage.
    expect(pt.info('tied.last_rows').byteOffset - pt.info('embeddings.word_embeddings.weight').byteOffset).toBe(12 * 4);
  });

  test('piece by piece: a strided view is one read of the span it touches, never the whole file', () => {
    const src = fileLike(bytes);
    const pt = parsePytorch(src);
    src.reads.length = 0;
    pt.tensor('column'); // [3] with stride 4 from offset 1 of a [3, 4] storage: elements 1, 5, 9
    expect(src.reads).toEqual([[pt.info('column').byteOffset, 9 * 4]]);
  });

  test('checkFinite names the tensor and the element\'s byte offset in the file', () => {
    const b = bytes.slice();
    const { byteOffset } = parsePytorch(b).info('transposed');
    // Storage element 5 of the [3, 4] base is row 1 (stride 1), column 1 (stride 4) of the transposed view: element 1·3+1 = 4.
    new DataView(b.buffer).setFloat32(byteOffset + 5 * 4, NaN, true);
    const pt = parsePytorch(b);
    expectError(() => pt.tensor('transposed', { checkFinite: true }), 'values', byteOffset + 20, /element 4 of tensor "transposed" \(F32\) is NaN/);
    expect(Number.isNaN(pt.tensor('transposed')[4])).toBe(true);
    expectError(() => pt.checkFinite('transposed'), 'values', byteOffset + 20);
  });

  test('reading a tensor of another kind: integers as floats, floats as integers, an unknown name', () => {
    const pt = parsePytorch(bytes);
    expectError(() => pt.tensor('position_ids'), 'dtype', expected['position_ids']!.byteOffset, /is I64, which cannot be read as float32/);
    expect(() => pt.intTensor('f16')).toThrow(/is F16, not an integer dtype/);
    expect(() => pt.int8Tensor('f16')).toThrow(/not I8/);
    expect(() => pt.info('nope')).toThrow(/no tensor named "nope"/);
  });
});

describe('refused: what is not a state dict, without running it', () => {
  test('a pickle that would run os.system: FormatError naming posix.system at its GLOBAL', () => {
    const b = read('os-system.bin');
    expectError(() => parsePytorch(b), 'global', find(b, 'cposix\nsystem'), /the global posix\.system is not allowed.*nothing was run/);
  });

  test('builtins.eval, a whole nn.Module (torch.save(model)), a REDUCE of a storage type', () => {
    const e = read('eval.bin');
    expectError(() => parsePytorch(e), 'global', find(e, 'c__builtin__\neval'), /the global __builtin__\.eval is not allowed/);
    const m = read('module.bin');
    expectError(() => parsePytorch(m), 'global', find(m, 'ctorch.nn.modules.linear\nLinear'), /the global torch\.nn\.modules\.linear\.Linear is not allowed/);
    const r = read('reduce-storage.bin');
    // GLOBAL torch.FloatStorage, BINPUT, BININT1 3, TUPLE1, BINPUT, then REDUCE.
    const global = find(r, 'ctorch\nFloatStorage\n');
    expect(r.subarray(global + 20, global + 28)).toEqual(Uint8Array.from([0x71, r[global + 21]!, 0x4b, 3, 0x85, 0x71, r[global + 26]!, 0x52]));
    expectError(() => parsePytorch(r), 'reduce', global + 27, /REDUCE of torch\.FloatStorage, which may be named but not called/);
  });

  test('bytes that are neither a zip nor a pickle: JSON, torch 0.1\'s tar format', () => {
    expectError(() => parsePytorch(enc.encode('{"not": "a zip"}')), 'format', 0, /neither a zip archive .* nor the legacy torch.save format/);
    const tar = new Uint8Array(1024);
    tar.set(enc.encode('storages'));
    expectError(() => parsePytorch(tar), 'format', 0, /neither a zip archive/);
    expect(() => parsePytorch('x' as never)).toThrow(/give the bytes/);
  });
});

describe('malformed archives and state dicts (built here): FormatError naming the field and offset', () => {
  const w: TensorSpec = { name: 'w', storage: '0', type: 'FloatStorage', numel: 6, shape: [2, 3], stride: [3, 1] };
  const six = f32Bytes(1, 2, 3, 4, 5, 6);
  const build = (tensors: TensorSpec[], storages: Record<string, Uint8Array> = { 0: six }, options = {}) => torchZip(stateDictPickle(tensors), storages, options);

  test('a state dict built here reads as torch would: offsets and strides', () => {
    const z = build([w, { ...w, name: 't', shape: [3, 2], stride: [1, 3] }, { ...w, name: 's', offset: 4, shape: [2], stride: [1] }], { 0: six }, { archive: 'pytorch_model' });
    const pt = parsePytorch(z.bytes);
    expect(Array.from(pt.tensor('t'))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(pt.tensor('s'))).toEqual([5, 6]);
    expect(pt.info('s').byteOffset).toBe(z.entries[1]!.dataOffset + 16);
    expect(pt.archiveName).toBe('pytorch_model');
  });

  test('a view past its storage\'s end, more elements than the storage (expand), dimensions that disagree', () => {
    const past = build([{ ...w, offset: 1 }]);
    expectError(() => parsePytorch(past.bytes), 'size', rebuildAt(past.bytes), /reach element 6 of storage "0", which has 6/);
    const expanded = build([{ ...w, shape: [1000, 6], stride: [0, 1] }]);
    expectError(() => parsePytorch(expanded.bytes), 'size', rebuildAt(expanded.bytes), /more elements than its storage "0" \(6\); expanded views/);
    const dims = build([{ ...w, stride: [3] }]);
    expectError(() => parsePytorch(dims.bytes), 'stride', rebuildAt(dims.bytes), /size has 2 dimensions, stride 1/);
  });

  test('a storage entry of another size, a missing one, one compressed, another storage type under the same key', () => {
    const short = build([w], { 0: six.subarray(0, 20) });
    expectError(() => parsePytorch(short.bytes), 'storage', short.entries[1]!.recordOffset + 24, /6 elements of F32 \(24 bytes\), but its entry holds 20 bytes/);
    const missing = build([w], {});
    expectError(() => parsePytorch(missing.bytes), 'storage', missing.entries[0]!.dataOffset + 0 + persidAt(stateDictPickle([w]), 0),
      /storage "0" has no entry archive\/data\/0/);
    const deflated = torchZip(stateDictPickle([w]), {}, { extra: [{ name: 'archive/data/0', data: six, method: 8 }] });
    expectError(() => parsePytorch(deflated.bytes), 'method', deflated.entries[2]!.recordOffset + 10, /compressed \(method 8, deflate\)/);
    const mixed = build([w, { ...w, name: 'h', type: 'HalfStorage', numel: 12, shape: [12], stride: [1] }]);
    expectError(() => parsePytorch(mixed.bytes), 'storage', persidAt(mixed.bytes, 1), /storage "0" is 12 × F16 here and 6 × F32 before/);
  });

  test('storage types outside the allow-list are globals it refuses; a persistent id of another shape', () => {
    const complex = build([{ ...w, type: 'ComplexFloatStorage' }]);
    expectError(() => parsePytorch(complex.bytes), 'global', find(complex.bytes, 'ctorch\nComplexFloatStorage'), /torch\.ComplexFloatStorage is not allowed/);
    const pkl = pickle(op.proto(), op.global('collections', 'OrderedDict'), op.emptyTuple(), op.reduce(), op.str('x'), op.str('just a key'), op.binpersid(), op.setitem(), op.stop());
    const z = torchZip(pkl, {});
    expectError(() => parsePytorch(z.bytes), 'persistent id', z.entries[0]!.dataOffset + pkl.length - 3, /persistent id the string "just a key"/);
  });

  test('a root that is no dict, a value that is no tensor (a training checkpoint)', () => {
    const list = torchZip(pickle(op.proto(), op.emptyList(), op.stop()), {});
    expectError(() => parsePytorch(list.bytes), 'data.pkl', list.entries[0]!.dataOffset, /holds a list of 0, not a state dict/);
    const epoch = torchZip(pickle(op.proto(), op.emptyDict(), op.str('epoch'), op.int(3), op.setitem(), op.stop()), {});
    expectError(() => parsePytorch(epoch.bytes), 'data.pkl', epoch.entries[0]!.dataOffset, /"epoch" of the state dict is the int 3, not a tensor \(a training checkpoint/);
  });

  test('an archive without data.pkl, entries outside a folder, a big-endian byteorder, no entries', () => {
    const noPkl = torchZip(stateDictPickle([w]), { 0: six }, { archive: 'a' });
    noPkl.bytes.set(enc.encode('a/data.pkX'), noPkl.entries[0]!.recordOffset + 46);
    expectError(() => parsePytorch(noPkl.bytes), 'data.pkl', noPkl.entries[0]!.recordOffset, /no a\/data.pkl: not a torch.save file/);
    const big = build([w], { 0: six }, { extra: [{ name: 'archive/byteorder', data: enc.encode('big') }] });
    expectError(() => parsePytorch(big.bytes), 'byteorder', big.entries[3]!.dataOffset, /big-endian; only little-endian/);
    const little = build([w], { 0: six }, { extra: [{ name: 'archive/byteorder', data: enc.encode('little') }] });
    expect(Array.from(parsePytorch(little.bytes).tensor('w'))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('_rebuild_tensor_v2 arguments of the wrong kind', () => {
    const pkl = pickle(op.proto(), op.global('torch._utils', '_rebuild_tensor_v2'), op.mark(), op.str('not a storage'), op.int(0), op.emptyTuple(), op.emptyTuple(),
      op.false(), op.none(), op.tuple(), op.reduce(), op.stop());
    const z = torchZip(pkl, {});
    expectError(() => parsePytorch(z.bytes), '_rebuild_tensor_v2', z.entries[0]!.dataOffset + pkl.length - 2, /_rebuild_tensor_v2 of the string "not a storage", not a storage/);
  });
});

describe('the legacy format (torch < 1.6): tests/fixtures/pytorch/legacy.bin, and files built here', () => {
  const bytes = read('legacy.bin');
  // Written with legacy.bin: each tensor's first element, found by Python's pickle walking the file.
  const offsets = (JSON.parse(readFileSync(join(DIR, 'legacy.json'), 'utf8')) as { byteOffsets: Record<string, number> }).byteOffsets;

  test.each([['the bytes', () => parsePytorch(bytes)], ['piece by piece', () => parsePytorch(fileLike(bytes))]] as const)(
    'every tensor of legacy.bin as torch saved it: dtype, shape, byte offset, values (%s)', (_, open) => {
      const pt = open();
      expect({ format: pt.format, archiveName: pt.archiveName, notes: pt.notes }).toEqual({ format: 'legacy', archiveName: '', notes: [] });
      expect([...pt.names].sort()).toEqual(Object.keys(expected).sort());
      for (const [name, e] of Object.entries(expected)) {
        const info = pt.info(name);
        expect({ dtype: info.dtype, shape: info.shape, byteOffset: info.byteOffset }, name).toEqual({ dtype: e.dtype, shape: e.shape, byteOffset: offsets[name] });
        const values = ['F32', 'F16', 'BF16', 'F64'].includes(e.dtype) ? pt.tensor(name) : pt.intTensor(name);
        expect(Array.from(values), name).toEqual(e.dtype === 'F64' ? e.values.map(Math.fround) : e.values);
      }
      // Shared storages stay shared: the tied rows are views of the embedding's storage.
      expect(pt.info('tied.last_rows').byteOffset - pt.info('embeddings.word_embeddings.weight').byteOffset).toBe(12 * 4);
    });

  test('piece by piece: the parse reads the pickles and each storage\'s 8-byte count, never a storage\'s bytes', () => {
    const bin = new Uint8Array(readFileSync(join(__dirname, '..', 'fixtures', 'bert-pytorch-legacy', 'pytorch_model.bin')));
    const src = fileLike(bin);
    const pt = parsePytorch(src);
    expect(pt.format).toBe('legacy');
    const counts = src.reads.filter(([o]) => o >= pt.headerLength);
    // 41 tensors, each on its own storage (classifier.bias 2 elements into its storage of 6).
    expect(counts.length).toBe(41);
    expect(counts.every(([, n]) => n === 8)).toBe(true);
    const starts = new Set(counts.map(([o]) => o + 8));
    for (const name of pt.names) expect(starts.has(pt.info(name).byteOffset - (name === 'classifier.bias' ? 8 : 0)), name).toBe(true);
    // The pickles: windows from where each starts, the state dict's (over 4 KB) read again in a larger one.
    const windows = src.reads.filter(([o]) => o < pt.headerLength);
    expect(windows.reduce((s, [, n]) => s + n, 0)).toBeLessThan(bin.length / 4);
    expect(pt.headerLength).toBeGreaterThan(4096);
  });

  const six = f32Bytes(1, 2, 3, 4, 5, 6);
  const w: LegacyTensor = { name: 'w', storage: '0', type: 'FloatStorage', numel: 6, shape: [2, 3], stride: [3, 1] };
  const ok = { tensors: [w], storages: [{ key: '0', numel: 6, data: six }] };

  test('a file built here: the storage list\'s order gives the offsets, not the pickle\'s; _rebuild_tensor (torch 0.4.0); bytes after the last storage noted', () => {
    const h: LegacyTensor = { name: 'h', storage: '1', type: 'HalfStorage', numel: 2, shape: [2], stride: [1] };
    const half = Uint8Array.from([0x00, 0x3c, 0x00, 0xc0]); // 1, -2
    const f = legacyFile({ tensors: [w, { ...h, v1: true }], storages: [{ key: '1', numel: 2, data: half }, { key: '0', numel: 6, data: six }], trailing: new Uint8Array(3) });
    const pt = parsePytorch(f.bytes);
    expect(Array.from(pt.tensor('w'))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(pt.tensor('h'))).toEqual([1, -2]);
    expect(pt.info('w').byteOffset).toBe(f.countAt['0']! + 8);
    expect(pt.info('h').byteOffset).toBe(f.countAt['1']! + 8);
    expect(pt.names).toEqual(['h', 'w']);
    expect(pt.uncoveredBytes).toBe(3);
    expect(pt.notes).toEqual([`3 bytes after the last storage (from byte ${f.end}) belong to no tensor`]);
  });

  test('storage views (view_metadata, torch < 0.4): a tensor on elements 2 … 4 of a storage of 6', () => {
    const v: LegacyTensor = { ...w, name: 'v', numel: 6, view: { key: 'view', offset: 2, size: 3 }, offset: 1, shape: [2], stride: [1] };
    const f = legacyFile({ tensors: [w, v], storages: [{ key: '0', numel: 6, data: six }] });
    const pt = parsePytorch(f.bytes);
    expect(Array.from(pt.tensor('v'))).toEqual([4, 5]);
    expect(pt.info('v').byteOffset).toBe(f.countAt['0']! + 8 + (2 + 1) * 4);
    // A tensor past the view's end (element 3 of 3), a view past its storage's end, a view key that is a storage's.
    const past = legacyFile({ tensors: [{ ...v, offset: 2 }], storages: ok.storages });
    expectError(() => parsePytorch(past.bytes), 'size', find(past.bytes, 'tR') + 1, /reach element 3 of storage "view", which has 3/);
    const beyond = legacyFile({ tensors: [{ ...v, view: { key: 'view', offset: 4, size: 3 } }], storages: ok.storages });
    expectError(() => parsePytorch(beyond.bytes), 'view_metadata', find(beyond.bytes, 'tQ') + 1, /view "view" is elements 4 to 7 of storage "0", which has 6/);
    const clash = legacyFile({ tensors: [w, { ...v, view: { key: '0', offset: 0, size: 3 } }], storages: ok.storages });
    expectError(() => parsePytorch(clash.bytes), 'view_metadata', find(clash.bytes, 'tQ', 1) + 1, /view key "0" is also a storage's key/);
    const odd = legacyFile({ tensors: [w], storages: ok.storages, main: legacyStateDictPickle([w]).map((b, i, a) => (b === 0x4e && a[i + 1] === 0x74 ? 0x88 : b)) });
    expectError(() => parsePytorch(odd.bytes), 'view_metadata', find(odd.bytes, 'tQ') + 1, /view_metadata True of storage "0"/);
  });

  test('the magic number, the protocol version, a big-endian sys_info', () => {
    const magic = legacyFile({ ...ok, magic: [...op.proto(2), ...op.int(7), ...op.stop()] });
    expectError(() => parsePytorch(magic.bytes), 'magic', 0, /a pickle of the int 7, not torch.save's magic number 0x1950a86a20f9469cfc6c/);
    const version = legacyFile({ ...ok, version: 1000 });
    expectError(() => parsePytorch(version.bytes), 'protocol_version', version.versionAt, /protocol version the int 1000; the legacy torch.save format is 1001/);
    expect(version.versionAt).toBe(15);
    const big = legacyFile({ ...ok, littleEndian: false });
    expectError(() => parsePytorch(big.bytes), 'sys_info', big.sysInfoAt, /little_endian=False/);
  });

  test('a storage count that disagrees with the state dict, data past the end, the file ending before a count', () => {
    const five = legacyFile({ tensors: [w], storages: [{ key: '0', numel: 5, data: six.subarray(0, 20) }] });
    expectError(() => parsePytorch(five.bytes), 'storage', five.countAt['0']!, /storage "0" has 5 elements here, but the state dict says 6/);
    const f = legacyFile(ok);
    const cut = f.bytes.subarray(0, f.bytes.length - 1);
    expectError(() => parsePytorch(cut), 'storage', f.countAt['0']!, /6 elements of F32 \(24 bytes\) from byte \d+, past the end of the file/);
    const noCount = f.bytes.subarray(0, f.countAt['0']! + 7);
    expectError(() => parsePytorch(noCount), 'storage', f.countAt['0']!, /its element count \(8 bytes\) is past the end of the file/);
  });

  test('a count of 2^40 elements is refused against the file\'s length, nothing of that size read or allocated', () => {
    const huge = 2 ** 40;
    const f = legacyFile({ tensors: [{ ...w, numel: huge }], storages: [{ key: '0', numel: huge, data: six }] });
    const src = fileLike(f.bytes);
    expectError(() => parsePytorch(src), 'storage', f.countAt['0']!, new RegExp(`${huge} elements of F32 \\(${4 * huge} bytes\\).* past the end of the file \\(${f.bytes.length} bytes\\)`));
    expect(Math.max(...src.reads.map(([, n]) => n))).toBeLessThanOrEqual(f.bytes.length);
  });

  test('the storage key list: a key no tensor uses, a storage it leaves out, a key twice, no list', () => {
    const extra = legacyFile({ ...ok, keys: ['0', '9'] });
    expectError(() => parsePytorch(extra.bytes), 'storage keys', extra.keysAt, /names "9", which no tensor of the state dict uses/);
    const missing = legacyFile({ ...ok, keys: [] });
    expectError(() => parsePytorch(missing.bytes), 'storage keys', missing.keysAt, /storage "0" is not in the list of storage keys/);
    const twice = legacyFile({ ...ok, keys: ['0', '0'] });
    expectError(() => parsePytorch(twice.bytes), 'storage keys', twice.keysAt, /names "0" twice/);
    const none = legacyFile(ok).bytes.subarray(0, legacyFile(ok).keysAt);
    expectError(() => parsePytorch(none), 'truncated', legacyFile(ok).keysAt, /without STOP/);
  });

  test('the state dict: a malicious global, a persistent id of five items (the zip format\'s), a truncated pickle, a huge string length', () => {
    const evil = legacyFile({ ...ok, main: pickle(op.proto(), op.global('posix', 'system'), op.str('echo'), op.tuple1(), op.reduce(), op.stop()) });
    expectError(() => parsePytorch(evil.bytes), 'global', evil.mainAt + 2, /the global posix\.system is not allowed/);
    const five = legacyFile({ ...ok, main: stateDictPickle([w]) });
    expectError(() => parsePytorch(five.bytes), 'persistent id', five.mainAt + persidAt(stateDictPickle([w]), 0),
      /persistent id a tuple of 5: the legacy format's are \('storage', type, key, location, numel, view_metadata\)/);
    const f = legacyFile(ok);
    expectError(() => parsePytorch(f.bytes.subarray(0, f.keysAt - 1)), 'truncated', f.keysAt - 1, new RegExp(`the pickle ends at ${f.keysAt - 1 - f.mainAt} without STOP`));
    // BINUNICODE claiming 4 GB in a file of a few hundred bytes: refused when the file ends, by a read of the file's length at most.
    const long = legacyFile({ ...ok, main: pickle(op.proto(), 0x58, 0xff, 0xff, 0xff, 0xff, op.stop()) });
    const src = fileLike(long.bytes);
    expectError(() => parsePytorch(src), 'truncated', long.mainAt + 2, /BINUNICODE \('X'\) needs 4294967295 bytes/);
    expect(Math.max(...src.reads.map(([, n]) => n))).toBeLessThanOrEqual(long.bytes.length);
  });

  test('a training checkpoint in the legacy format (a value that is no tensor)', () => {
    const epoch = legacyFile({ tensors: [], storages: [], main: pickle(op.proto(), op.emptyDict(), op.str('epoch'), op.int(3), op.setitem(), op.stop()) });
    expectError(() => parsePytorch(epoch.bytes), 'state dict', epoch.mainAt, /"epoch" of the state dict is the int 3, not a tensor/);
  });
});
