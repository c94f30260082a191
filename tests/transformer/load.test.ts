// loadModel: Hugging Face folders from a directory, a URL (a local server) and memory, single
// and sharded safetensors, tokenization by tokenizer.json, and the embed/classify API against
// the PyTorch fixtures.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, type Runtime } from '../../src/index';
import { loadModel } from '../../src/transformer/load';
import type { TextEncoderModel } from '../../src/transformer/text-encoder';
import { serve } from '../browser/server';

const FIXTURES = join(__dirname, '..', 'fixtures');
const bert = JSON.parse(readFileSync(join(FIXTURES, 'bert', 'fixture.json'), 'utf8'));

let rt: Runtime;
let server: Awaited<ReturnType<typeof serve>>;
beforeAll(async () => {
  rt = await init();
  server = await serve(FIXTURES, {});
});
afterAll(() => server?.close());

function inMemory(name: string) {
  const dir = join(FIXTURES, name);
  return { files: Object.fromEntries(readdirSync(dir).map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))])) };
}

describe('loadModel', () => {
  const sources = {
    directory: () => join(FIXTURES, 'bert'),
    'sharded directory': () => join(FIXTURES, 'bert-sharded'),
    URL: () => `${server.url}/bert/`,
    memory: () => inMemory('bert'),
  };
  test.each(Object.keys(sources))('from a %s: the tokenizer\'s ids and the classifier\'s probabilities', async (kind) => {
    const model = await loadModel(sources[kind as keyof typeof sources](), { runtime: rt }) as TextEncoderModel;
    const texts = bert.inputs.encodings.map((e: { text: string; text_pair: string | null }) => (e.text_pair ? [e.text, e.text_pair] : e.text));
    const out = model.forward(texts);
    // The tokenizer reproduces the fixture's ids (pads aside).
    bert.inputs.encodings.forEach((e: { input_ids: number[] }, b: number) => {
      expect(Array.from({ length: e.input_ids.length }, (_, t) => out.attentionMask[b * out.T + t])).toEqual(e.input_ids.map(() => 1));
    });
    const results = model.classify(texts);
    const want = bert.outputs.probabilities.data as number[];
    results.forEach((r, b) => {
      const labels = ['negative', 'neutral', 'positive'];
      labels.forEach((l, i) => expect(Math.abs(r.probabilities[l]! - want[b * 3 + i]!)).toBeLessThan(1e-5));
      expect(r.label).toBe(bert.outputs.predicted_labels[b]);
    });
    const embeddings = model.embed(texts);
    const pooled = bert.outputs.mean_pooled_normalized.data as number[];
    embeddings.forEach((e, b) => e.forEach((x, j) => expect(Math.abs(x - pooled[b * 48 + j]!)).toBeLessThan(1e-5)));
    model.dispose();
  });

  test('texts past the model\'s positions are refused, or truncated when asked', async () => {
    const model = await loadModel(join(FIXTURES, 'bert'), { runtime: rt }) as TextEncoderModel;
    const long = Array.from({ length: 100 }, () => 'great').join(' ');
    expect(() => model.embed(long)).toThrow(/102 tokens, the model takes at most 64/);
    const out = model.forward(long, { truncation: 'truncate' });
    expect(out.T).toBe(64);
    // The truncated text keeps [CLS] first and [SEP] last, as the tokenizer would truncate it.
    const short = model.forward(Array.from({ length: 62 }, () => 'great').join(' '));
    expect(short.T).toBe(64);
    expect(Array.from(out.lastHiddenState)).toEqual(Array.from(short.lastHiddenState));
    expect(() => model.forward(long, { truncation: 'cut' as never })).toThrow(/option truncation/);
    model.dispose();
  });

  test("options are strict; transformers.js's names are said in ours", async () => {
    const dir = join(__dirname, '..', 'fixtures', 'bert');
    await expect(loadModel(dir, { cache_dir: '/tmp/models' } as never)).rejects.toThrow(
      "loadModel: unknown option cache_dir (transformers.js's name for cacheDir); write { cacheDir: '/tmp/models' }");
    await expect(loadModel(dir, { device: 'webgpu' } as never)).rejects.toThrow(/unknown option device \(transformers.js's; wasm-nlp runs on the CPU/);
    await expect(loadModel(dir, { threds: 2 } as never)).rejects.toThrow('loadModel: unknown option threds (did you mean threads?)');
  });

  test('missing files and unsupported families are named', async () => {
    await expect(loadModel({ files: {} }, { runtime: rt })).rejects.toThrow('loadModel: the in-memory files has no config.json');
    const files = inMemory('bert').files;
    delete files['model.safetensors'];
    await expect(loadModel({ files }, { runtime: rt })).rejects.toThrow(/neither model.safetensors nor model.safetensors.index.json/);
    await expect(loadModel(`${server.url}/nothing/`, { runtime: rt })).rejects.toThrow(/has no config.json/);
  });
});
