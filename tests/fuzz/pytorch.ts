// The fuzz target of pytorch_model.bin (src/io/zip.ts, pickle.ts, pytorch.ts): torch.save files
// of Debian's torch (tests/fixtures/pytorch/state-dict.bin, bert-pytorch's and a shard of
// bert-pytorch-sharded's) mutated either as bytes (the zip's records, the storages) or entry by
// entry and zipped again, so that mutations of data.pkl reach the unpickler: its opcodes,
// their arguments (sizes, strides, offsets, memo indexes), the globals it names, and the storage
// entries' sizes and names. A load reads every tensor as the checkpoint does (floats checked
// finite, integers as int32); a result must have as many values as its shape says, all finite.
// The legacy format's seeds (pytorch/legacy.bin, bert-pytorch-legacy's) have their pickles mutated
// the same way, their storages' 8-byte counts changed, and the file cut or lengthened. Two seeds
// of seven are folders (bert-pytorch, bert-pytorch-legacy), loaded by loadModel.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePytorch } from '../../src/io/pytorch';
import { readZipDirectory } from '../../src/io/zip';
import { loadModel } from '../../src/transformer/load';
import { TextEncoderModel } from '../../src/transformer/text-encoder';
import { writeZip, type ZipInput } from '../io/torch-zip';
import { mutateBytes, type Rng } from './mutate';
import type { Files, Loaded, Target } from './targets';

const FIXTURES = join(__dirname, '..', 'fixtures');
const BIN = 'pytorch_model.bin';

/** Pickle opcodes, for replacing one: those read and some that are refused. */
const OPCODES = [0x80, 0x95, 0x2e, 0x28, 0x7d, 0x5d, 0x29, 0x74, 0x85, 0x86, 0x87, 0x58, 0x8c, 0x4a, 0x4b, 0x4d, 0x8a, 0x88, 0x89, 0x4e,
  0x71, 0x72, 0x94, 0x68, 0x6a, 0x73, 0x75, 0x61, 0x65, 0x63, 0x93, 0x52, 0x51, 0x62, 0x47, 0x69, 0x81, 0x30, 0x32];
const GLOBALS = ['torch\nFloatStorage', 'torch\nHalfStorage', 'torch\nBFloat16Storage', 'torch\nLongStorage', 'torch\nCharStorage', 'torch\nBoolStorage',
  'torch\nDoubleStorage', 'torch._utils\n_rebuild_tensor_v2', 'torch._utils\n_rebuild_parameter', 'collections\nOrderedDict', 'posix\nsystem',
  'torch\nComplexFloatStorage'];
const INTS = [0, 1, 2, 3, 5, 48, 127, 128, 255];

function seeds(): Files[] {
  const bin = (path: string) => new Uint8Array(readFileSync(join(FIXTURES, path)));
  const folder = (name: string) => {
    const dir = join(FIXTURES, name);
    return Object.fromEntries(readdirSync(dir).map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))]));
  };
  return [
    { [BIN]: bin('pytorch/state-dict.bin') },
    { [BIN]: bin('bert-pytorch/pytorch_model.bin') },
    { [BIN]: bin('bert-pytorch-sharded/pytorch_model-00002-of-00002.bin') },
    folder('bert-pytorch'),
    { [BIN]: bin('pytorch/legacy.bin') },
    { [BIN]: bin('bert-pytorch-legacy/pytorch_model.bin') },
    folder('bert-pytorch-legacy'),
  ];
}

/** The archive's entries (of a seed: valid), mutated one way, zipped again as torch lays them out. */
function mutateEntries(rng: Rng, bin: Uint8Array): Uint8Array {
  const dir = readZipDirectory(bin);
  const entries: ZipInput[] = dir.entries.map((e) => ({ name: e.name, data: bin.slice(e.dataOffset, e.dataOffset + e.size) }));
  const pkl = entries.find((e) => e.name.endsWith('/data.pkl'))!;
  const op = rng.int(10);
  if (op <= 5) {
    pkl.data = mutatePickle(rng, pkl.data, op);
  } else if (op === 6) {
    // A storage entry shortened, lengthened or gone.
    const storages = entries.filter((e) => e.name.includes('/data/'));
    const s = rng.pick(storages);
    if (rng.chance(0.3)) entries.splice(entries.indexOf(s), 1);
    else s.data = rng.chance(0.5) ? s.data.subarray(0, rng.int(s.data.length)) : new Uint8Array([...s.data, ...new Uint8Array(1 + rng.int(8))]);
  } else if (op === 7) {
    // Entries renamed: another archive folder, a storage key changed, data.pkl not first.
    const e = rng.pick(entries);
    e.name = rng.chance(0.5) ? e.name.replace(/^[^/]+/, rng.pick(['archive', 'x', ''])) : e.name.replace(/\d+$/, String(rng.int(50)));
    if (rng.chance(0.3)) entries.push(entries.shift()!);
  } else if (op === 8) {
    // A storage's values to NaN, Infinity or a huge number (the finiteness check).
    const s = rng.pick(entries.filter((e) => e.name.includes('/data/') && e.data.length >= 4));
    if (s) {
      const d = s.data.slice();
      new DataView(d.buffer).setUint32(4 * rng.int(Math.floor(d.length / 4)), rng.pick([0x7fc00000, 0x7f800000, 0xff800000, 0x7f7fffff, 0x7c007c00]), true);
      s.data = d;
    }
  } else {
    // A byteorder entry, a deflated entry.
    if (rng.chance(0.5)) entries.push({ name: `${entries[0]!.name.split('/')[0]}/byteorder`, data: new TextEncoder().encode(rng.pick(['little', 'big', 'middle'])) });
    else rng.pick(entries).method = rng.pick([8, 12, 99]);
  }
  return writeZip(entries, { align: 64, zip64: rng.chance(0.5) }).bytes;
}

/** Pickle bytes mutated one way (`op` 0 to 5): as bytes, a small integer, an opcode, a global, a slice repeated or removed. */
function mutatePickle(rng: Rng, p: Uint8Array, op: number): Uint8Array {
  if (op === 0) return mutateBytes(rng, p);
  if (op <= 2) {
    // An opcode's argument (BININT1, BINPUT, BINGET) or any byte to a small integer: sizes, strides, offsets, memo indexes.
    const q = p.slice();
    for (let k = 1 + rng.int(3); k > 0; k--) {
      const i = rng.int(q.length);
      if (q[i - 1] === 0x4b || q[i - 1] === 0x71 || q[i - 1] === 0x68 || rng.chance(0.3)) q[i] = rng.pick(INTS);
    }
    return q;
  }
  if (op === 3) {
    const q = p.slice();
    q[rng.int(q.length)] = rng.pick(OPCODES);
    return q;
  }
  if (op === 4) {
    // A GLOBAL's name replaced by another (storage types, callables, refused ones).
    const text = new TextDecoder('latin1').decode(p);
    const globals = [...text.matchAll(/c([a-z_.]+\n[A-Za-z_0-9]+)\n/g)];
    if (globals.length === 0) return p;
    const g = rng.pick(globals);
    const start = g.index + 1;
    const replaced = text.slice(0, start) + rng.pick(GLOBALS) + text.slice(start + g[1]!.length);
    return Uint8Array.from(replaced, (c) => c.charCodeAt(0));
  }
  // A slice of the pickle repeated or removed (whole tensors, MARKs, memo puts).
  const a = rng.int(p.length), b = Math.min(p.length, a + 1 + rng.int(40));
  return rng.chance(0.5) ? new Uint8Array([...p.subarray(0, b), ...p.subarray(a, b), ...p.subarray(b)]) : new Uint8Array([...p.subarray(0, a), ...p.subarray(b)]);
}

/**
 * A legacy-format file (of a seed: valid) mutated one way. Its parts follow one another with no
 * offsets between them, so the pickles (magic number … storage keys: the first headerLength
 * bytes) are mutated as data.pkl is and the storages follow wherever the pickles now end; or a
 * storage's 8-byte element count is changed, a value made NaN, or the file cut or lengthened.
 */
function mutateLegacy(rng: Rng, bin: Uint8Array): Uint8Array {
  const pt = parsePytorch(bin);
  const pickles = bin.subarray(0, pt.headerLength), rest = bin.subarray(pt.headerLength);
  const op = rng.int(9);
  if (op <= 5) return new Uint8Array([...mutatePickle(rng, pickles, op), ...rest]);
  const q = bin.slice();
  const v = new DataView(q.buffer);
  // Where the counts are: before the first storage, and before each tensor's first element (most start their storage).
  const counts = [pt.headerLength, ...pt.names.map((n) => pt.info(n).byteOffset - 8)];
  if (op === 6) {
    const at = rng.pick(counts);
    const numel = v.getUint32(at, true);
    v.setUint32(at, rng.pick([0, 1, numel - 1, numel + 1, 2 ** 32 - 1, ...INTS]) >>> 0, true);
    if (rng.chance(0.2)) v.setUint32(at + 4, rng.pick([1, 256, 2 ** 31]), true);
    return q;
  }
  if (op === 7) {
    const floats = pt.names.filter((n) => pt.info(n).dtype === 'F32' && pt.info(n).byteLength >= 4);
    if (floats.length > 0) v.setUint32(pt.info(rng.pick(floats)).byteOffset, rng.pick([0x7fc00000, 0x7f800000, 0xff800000, 0x7f7fffff]), true);
    return q;
  }
  return rng.chance(0.5) ? bin.subarray(0, rng.int(bin.length)) : new Uint8Array([...bin, ...new Uint8Array(1 + rng.int(16))]);
}

export function pytorchTarget(): Target {
  return {
    name: 'pytorch',
    seeds: seeds(),
    mutate: (rng, seed) => {
      const bin = seed[BIN]!;
      const legacy = bin[0] === 0x80;
      return { ...seed, [BIN]: rng.chance(0.3) ? mutateBytes(rng, bin) : legacy ? mutateLegacy(rng, bin) : mutateEntries(rng, bin) };
    },
    load: async (files, rt): Promise<Loaded> => {
      if (files['config.json']) {
        const model = await loadModel({ files }, { runtime: rt });
        return {
          check: () => {
            if (!(model instanceof TextEncoderModel)) throw new Error('bert-pytorch loaded as another kind of model');
            try {
              for (const e of model.embed(['hello world', 'the cat sat on the mat.'], { truncation: 'truncate' })) {
                if (!e.every(Number.isFinite)) throw new Error('an embedding is not finite');
              }
            } catch (e) {
              // Finite weights too large for float32 arithmetic (a mutation wrote 3.4e38) overflow, and
              // the forward pass says so (src/transformer/finite.ts): noted, not failed, as targets.ts does.
              if (largestWeight(files[BIN]!) > 1e4) return 'outputs overflow float32 (weights beyond ±1e4)';
              throw e;
            }
          },
          dispose: () => model.dispose(),
        };
      }
      const pt = parsePytorch(files[BIN]!);
      // Every tensor read as a loader would: floats checked finite, integers as int32.
      const read = pt.names.map((name) => {
        const { dtype, shape } = pt.info(name);
        const values = ['F32', 'F16', 'BF16', 'F64'].includes(dtype) ? pt.tensor(name, { checkFinite: true }) : pt.intTensor(name);
        return { name, shape, values };
      });
      return {
        check: () => {
          for (const { name, shape, values } of read) {
            if (values.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`${name}: ${values.length} values for shape [${shape}]`);
            for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) throw new Error(`${name}: element ${i} is ${values[i]}`);
          }
        },
        dispose: () => {},
      };
    },
  };
}

function largestWeight(bin: Uint8Array): number {
  const pt = parsePytorch(bin);
  let largest = 0;
  for (const name of pt.names) {
    if (['F32', 'F16', 'BF16', 'F64'].includes(pt.info(name).dtype)) for (const x of pt.tensor(name)) largest = Math.max(largest, Math.abs(x));
  }
  return largest;
}
