// loadModel on pytorch_model.bin folders written by Debian's torch (tools/make_pytorch_fixtures.py):
// BERT's F32 weights (some stored as transposed views and a slice of a larger storage) give
// exactly the model of its model.safetensors, from a directory (read piece by piece) and from
// memory; its F16 weights in two .bin shards give exactly the model of model-f16.safetensors;
// safetensors is preferred when both are there; the same F32 weights in the legacy format (torch <
// 1.6) give the same model; errors name the file, the tensor and the offset.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FormatError } from '../../src/io/errors';
import { parsePytorch } from '../../src/io/pytorch';
import { init, type Runtime } from '../../src/runtime';
import { openCheckpoint } from '../../src/transformer/checkpoint';
import { modelFiles } from '../../src/transformer/files';
import { loadModel } from '../../src/transformer/load';
import type { TextEncoderModel } from '../../src/transformer/text-encoder';

const FIXTURES = join(__dirname, '..', 'fixtures');
const bert = JSON.parse(readFileSync(join(FIXTURES, 'bert', 'fixture.json'), 'utf8'));
const TEXTS = ['the cat sat on the mat', 'a quick brown fox jumps'];

function folder(name: string): Record<string, Uint8Array> {
  const dir = join(FIXTURES, name);
  return Object.fromEntries(readdirSync(dir).filter((f) => f !== 'fixture.json').map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))]));
}

let rt: Runtime;
const tmp = mkdtempSync(join(tmpdir(), 'wasm-nlp-pytorch-'));
beforeAll(async () => {
  rt = await init();
});
afterAll(() => {
  rt?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

/** Every output the BERT classifier gives for TEXTS: hidden states, probabilities, embeddings. */
async function outputs(source: Parameters<typeof loadModel>[0]) {
  const model = await loadModel(source, { runtime: rt }) as TextEncoderModel;
  try {
    const out = model.forward(TEXTS);
    return {
      hidden: Array.from(out.lastHiddenState),
      probabilities: model.classify(TEXTS).map((r) => r.probabilities),
      embeddings: model.embed(TEXTS).map((e) => Array.from(e)),
    };
  } finally {
    model.dispose();
  }
}

describe('pytorch_model.bin folders', () => {
  test('every tensor of bert-pytorch/pytorch_model.bin equals model.safetensors\'s, bit for bit (strided views and an offset included)', async () => {
    const opened: { close(): void }[] = [];
    try {
      const pt = await openCheckpoint(modelFiles(join(FIXTURES, 'bert-pytorch')), opened, 'test');
      const st = await openCheckpoint(modelFiles(join(FIXTURES, 'bert')), opened, 'test');
      expect([...pt.byName.keys()].sort()).toEqual([...st.byName.keys()].sort());
      expect(new Set(pt.fileNames.values())).toEqual(new Set(['pytorch_model.bin']));
      for (const name of st.byName.keys()) {
        expect(pt.byName.get(name)!.info(name).shape, name).toEqual(st.byName.get(name)!.info(name).shape);
        // A copy of the safetensors values first: both files may hand out a reused read buffer.
        const want = st.float(name).slice();
        expect(pt.float(name, { transient: true }), name).toEqual(want);
      }
    } finally {
      for (const f of opened) f.close();
    }
  });

  test('loadModel on bert-pytorch equals loadModel on bert exactly (directory and memory), and agrees with PyTorch', async () => {
    const want = await outputs(join(FIXTURES, 'bert'));
    expect(await outputs(join(FIXTURES, 'bert-pytorch'))).toEqual(want);
    expect(await outputs({ files: folder('bert-pytorch') })).toEqual(want);
    // And the fixture's PyTorch reference, as the safetensors folder's own test checks.
    const model = await loadModel(join(FIXTURES, 'bert-pytorch'), { runtime: rt }) as TextEncoderModel;
    const texts = bert.inputs.encodings.map((e: { text: string; text_pair: string | null }) => (e.text_pair ? [e.text, e.text_pair] : e.text));
    const probabilities = bert.outputs.probabilities.data as number[];
    model.classify(texts).forEach((r, b) => ['negative', 'neutral', 'positive'].forEach((l, i) =>
      expect(Math.abs(r.probabilities[l]! - probabilities[b * 3 + i]!)).toBeLessThan(1e-5)));
    model.dispose();
  });

  test('the legacy format (torch < 1.6): bert-pytorch-legacy gives every tensor and every output of bert exactly (directory and memory)', async () => {
    const opened: { close(): void }[] = [];
    try {
      const pt = await openCheckpoint(modelFiles(join(FIXTURES, 'bert-pytorch-legacy')), opened, 'test');
      const st = await openCheckpoint(modelFiles(join(FIXTURES, 'bert')), opened, 'test');
      expect([...pt.byName.keys()].sort()).toEqual([...st.byName.keys()].sort());
      expect(parsePytorch(readFileSync(join(FIXTURES, 'bert-pytorch-legacy', 'pytorch_model.bin'))).format).toBe('legacy');
      for (const name of st.byName.keys()) {
        const want = st.float(name).slice();
        expect(pt.float(name, { transient: true }), name).toEqual(want);
      }
    } finally {
      for (const f of opened) f.close();
    }
    const want = await outputs(join(FIXTURES, 'bert'));
    expect(await outputs(join(FIXTURES, 'bert-pytorch-legacy'))).toEqual(want);
    expect(await outputs({ files: folder('bert-pytorch-legacy') })).toEqual(want);
  });

  test('a legacy file whose storage is cut short: the error names the file, the storage and the offset of its count', async () => {
    const files = folder('bert-pytorch-legacy');
    const bin = files['pytorch_model.bin']!;
    const pt = parsePytorch(bin);
    // The storage whose bytes come last in the file ends at the file's end.
    const last = pt.names[pt.names.length - 1]!;
    const { byteOffset } = pt.info(last);
    const e = await loadModel({ files: { ...files, 'pytorch_model.bin': bin.subarray(0, bin.length - 4) } }, { runtime: rt })
      .then(() => undefined, (x: unknown) => x) as FormatError;
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/^pytorch_model\.bin: pytorch: storage "\d+" is \d+ elements of F32 \(\d+ bytes\) from byte \d+, past the end of the file/);
    expect(e.byteOffset).toBe(byteOffset - 8);
  });

  test('F16 weights in two .bin shards (pytorch_model.bin.index.json) equal model-f16.safetensors exactly', async () => {
    const { 'model-f16.safetensors': f16, 'model-bf16.safetensors': _bf16, ...rest } = folder('bert');
    const st = { ...rest, 'model.safetensors': f16! };
    const want = await outputs({ files: st });
    expect(await outputs(join(FIXTURES, 'bert-pytorch-sharded'))).toEqual(want);
    // Not the F32 model's: the test tells the dtypes apart.
    expect((await outputs(join(FIXTURES, 'bert'))).hidden).not.toEqual(want.hidden);
    const opened: { close(): void }[] = [];
    const ck = await openCheckpoint(modelFiles(join(FIXTURES, 'bert-pytorch-sharded')), opened, 'test');
    expect(new Set(ck.fileNames.values())).toEqual(new Set(['pytorch_model-00001-of-00002.bin', 'pytorch_model-00002-of-00002.bin']));
    for (const f of opened) f.close();
  });

  test('safetensors is preferred: a folder with both never reads pytorch_model.bin (here a malicious one)', async () => {
    const evil = new Uint8Array(readFileSync(join(FIXTURES, 'pytorch', 'os-system.bin')));
    const both = { ...folder('bert'), 'pytorch_model.bin': evil };
    expect(await outputs({ files: both })).toEqual(await outputs(join(FIXTURES, 'bert')));
    // Alone, it is refused, naming the file and the global.
    const alone = { ...folder('bert-pytorch'), 'pytorch_model.bin': evil };
    const e = await loadModel({ files: alone }, { runtime: rt }).then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(FormatError);
    expect((e as FormatError).message).toMatch(/^pytorch_model\.bin: data\.pkl: the global posix\.system is not allowed/);
    expect((e as FormatError).byteOffset).toBe(Buffer.from(evil).indexOf('cposix\nsystem'));
  });

  test('a NaN weight: the error names the file, the tensor and the element\'s byte offset (strided view, from a directory)', async () => {
    const files = folder('bert-pytorch');
    const bin = files['pytorch_model.bin']!.slice();
    const name = 'bert.encoder.layer.0.attention.self.query.weight';
    const { byteOffset, shape } = parsePytorch(bin).info(name);
    // Stored transposed (stride [1, 48]): storage element 1 is row 1, column 0, element 48 of the row-major copy.
    expect(shape).toEqual([48, 48]);
    new DataView(bin.buffer).setFloat32(byteOffset + 1 * 4, NaN, true);
    const dir = join(tmp, 'nan');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    for (const [f, b] of Object.entries({ ...files, 'pytorch_model.bin': bin })) writeFileSync(join(dir, f), b);
    const used = rt.arena!.usedBytes;
    const e = await loadModel(dir, { runtime: rt }).then(() => undefined, (x: unknown) => x) as FormatError;
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(new RegExp(`^pytorch_model\\.bin: pytorch: element 48 of tensor "${name.replace(/\./g, '\\.')}" \\(F32\\) is NaN`));
    expect(e.byteOffset).toBe(byteOffset + 1 * 4);
    expect(rt.arena!.usedBytes).toBe(used);
  });

  test('a folder with no weights names every file it looked for', async () => {
    const { 'pytorch_model.bin': _, ...files } = folder('bert-pytorch');
    await expect(loadModel({ files }, { runtime: rt })).rejects.toThrow(
      /has neither model.safetensors nor model.safetensors.index.json, nor pytorch_model.bin or pytorch_model.bin.index.json/);
  });

  test('a shard index naming a tensor its .bin shard does not hold', async () => {
    const files = folder('bert-pytorch-sharded');
    const index = JSON.parse(new TextDecoder().decode(files['pytorch_model.bin.index.json']!));
    index.weight_map['classifier.bias'] = 'pytorch_model-00001-of-00002.bin';
    const text = JSON.stringify(index);
    const e = await loadModel({ files: { ...files, 'pytorch_model.bin.index.json': new TextEncoder().encode(text) } }, { runtime: rt })
      .then(() => undefined, (x: unknown) => x) as FormatError;
    expect(e.message).toMatch(/pytorch_model.bin.index.json puts classifier.bias in pytorch_model-00001-of-00002.bin, which does not hold it/);
    expect(e.byteOffset).toBe(text.indexOf('"classifier.bias"'));
  });
});
