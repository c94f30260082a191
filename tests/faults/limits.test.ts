// Limits: a word2vec model or a transformer whose weights would not fit in WebAssembly memory
// (4 GiB at most: wasm32) is refused before any of it is allocated, with the bytes it needs;
// and a 100 MB line without a newline streams through the corpus reader and through training
// without ever being one JS string. (Sequences past maxPositions: tests/transformer.)
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, loadModel, sentences, Word2Vec, type Runtime } from '../../src/index';
import { LINE_CAP_CHARS, splitWhitespace } from '../../src/io/corpus';

const simd = process.env.WASM_NLP_EXPECT_RELAXED === '1' ? 'relaxed' : 'baseline';
let rt: Runtime, dir: string;
beforeAll(async () => {
  rt = await init({ simd });
  dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-limits-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('models past the memory limit', () => {
  test('word2vec: 3 words × dim 2e8 need 4.8e9 bytes of vectors; refused naming them, nothing allocated', async () => {
    const used = rt.arena!.usedBytes;
    // syn0 and syn1: (3 + 3) rows × 2e8 floats × 4 bytes; one job's scratch: 3 rows, a sentence of 10000, 3 scores, 5 negatives.
    await expect(Word2Vec.train('a b c', { dim: 200_000_000, minCount: 1, runtime: rt }))
      .rejects.toThrow('word2vec: 3 words × dim 200000000 need 4800000000 bytes for the input and output vectors (syn0, syn1) ' +
        "and 2400040032 for the training jobs' scratch, over the memory limit of 4294967296 bytes (wasm32 addresses 4 GiB)");
    // Hierarchical softmax has V − 1 output rows: (3 + 2) × 2.2e8 × 4 = 4.4e9.
    await expect(Word2Vec.train('a b c', { dim: 220_000_000, minCount: 1, loss: 'hs', runtime: rt }))
      .rejects.toThrow('need 4400000000 bytes');
    expect(rt.arena!.usedBytes).toBe(used);
  });

  test('word2vec: a runtime\'s own maxMemoryBytes is the limit, the vectors (rows padded to 4 floats) and the jobs\' scratch counted', async () => {
    const small = await init({ simd, maxMemoryBytes: 64 << 20 });
    // dim 2,999,999 pads to 3,000,000: 6 rows × 3e6 × 4 = 72e6 bytes, and one job's scratch
    // (3 rows of 3e6, a sentence of 10000, 3 words' scores, 5 negatives) 36,040,032: over 64 MiB.
    await expect(Word2Vec.train('a b c', { dim: 2_999_999, minCount: 1, runtime: small }))
      .rejects.toThrow(/need 72000000 bytes for the input and output vectors \(syn0, syn1\) and 36040032 for the training jobs' scratch, over the memory limit of 67108864 bytes; lower option dim/);
    // (6 + 3) rows of 1.5e6 floats, 54 MB: trains.
    const fits = await Word2Vec.train('a b c', { dim: 1_500_000, minCount: 1, epochs: 1, runtime: small });
    expect(fits.dim).toBe(1_500_000);
  });

  test('loadModel: a config whose f32 weights exceed 4 GiB is refused before any weight file is read', async () => {
    // BERT-like, 24 layers of d 2048, f 8192: 1.27e9 parameters, 5.1e9 bytes as f32.
    const config = {
      model_type: 'bert', hidden_size: 2048, intermediate_size: 8192, num_attention_heads: 16, num_hidden_layers: 24,
      vocab_size: 30522, max_position_embeddings: 512, type_vocab_size: 2, hidden_act: 'gelu', layer_norm_eps: 1e-12,
    };
    // Only config.json is there: without the check, the error would be the missing weights.
    const files = { 'config.json': JSON.stringify(config) };
    const d = 2048, f = 8192, layers = 24, V = 30522, P = 512;
    const parameters = (V + P + 2) * d + 2 * d + layers * (4 * d * d + 4 * d + 2 * d * f + f + d + 4 * d) + d * d + d;
    await expect(loadModel({ files }, { runtime: rt }))
      .rejects.toThrow(`loadModel: config.json describes ${parameters} parameters, which need ${parameters * 4} bytes as f32, ` +
        'over the memory limit of 4294967296 bytes (wasm32 addresses 4 GiB)');
  });
});

describe('a 100 MB line without a newline', () => {
  // 2,000,000 tokens of 49 characters and a space: 8 words, each 250,000 times, in a fixed order.
  const WORDS = Array.from({ length: 8 }, (_, i) => String.fromCharCode(97 + i).repeat(49));
  const TOKENS = 2_000_000;
  const LINE_BYTES = TOKENS * 50;
  let path: string;
  beforeAll(async () => {
    path = join(dir, 'line.txt');
    const out = createWriteStream(path);
    const block = Array.from({ length: 8000 }, (_, i) => WORDS[i % 8]).join(' ') + ' ';
    for (let i = 0; i < TOKENS / 8000; i++) if (!out.write(block)) await new Promise<void>((r) => out.once('drain', () => r()));
    await new Promise<void>((r) => out.end(() => r()));
  }, 120_000);

  // The default tokenizer, recording the longest text it is handed: the line must reach it in
  // pieces of at most the cap plus one 64 Ki slice (see corpus.ts), never as one string.
  let longest = 0;
  const tokenizer = (text: string) => {
    longest = Math.max(longest, text.length);
    return splitWhitespace(text);
  };

  /** Calls `body` while sampling RSS every few ms; returns how far RSS rose above its start. */
  async function peakRssGrowth(body: () => Promise<void>): Promise<number> {
    globalThis.gc?.();
    const start = process.memoryUsage.rss();
    let peak = start;
    const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 5);
    try {
      await body();
    } finally {
      clearInterval(timer);
    }
    return Math.max(peak, process.memoryUsage.rss()) - start;
  }

  test('the corpus reader: every token, in order, in sentences of 10000; peak RSS stays under the line size', async () => {
    let count = 0, wrong = -1;
    const growth = await peakRssGrowth(async () => {
      for await (const s of sentences({ path }, { tokenizer })) {
        if (s.length !== 10000 && wrong < 0) wrong = count;
        for (const t of s) {
          if (wrong < 0 && t !== WORDS[count % 8]) wrong = count;
          count++;
        }
      }
    });
    expect(wrong, `first wrong token or sentence at token ${wrong}`).toBe(-1);
    expect(count).toBe(TOKENS);
    expect(longest).toBeLessThanOrEqual(LINE_CAP_CHARS + 65536);
    // Measured here: +56 MiB at most (V8 collects the pieces when it likes); the line as one
    // string, plus its 2M tokens, would take well over its 100 MB.
    console.log(`100 MB line, corpus reader: peak RSS +${(growth / 2 ** 20).toFixed(1)} MiB`);
    expect(growth).toBeLessThan(LINE_BYTES * 0.75);
  }, 120_000);

  test('Word2Vec.train({ path }): counts every token; peak RSS stays under the line size', async () => {
    let model: Word2Vec | undefined;
    longest = 0;
    const growth = await peakRssGrowth(async () => {
      model = await Word2Vec.train({ path }, { dim: 8, window: 2, negative: 1, minCount: 1, epochs: 1, sample: 0, tokenizer, runtime: rt });
    });
    expect(longest).toBeGreaterThan(0);
    expect(longest).toBeLessThanOrEqual(LINE_CAP_CHARS + 65536);
    expect([...model!.vocab].sort()).toEqual(WORDS);
    expect(model!.counts).toEqual(WORDS.map(() => TOKENS / 8));
    console.log(`100 MB line, Word2Vec.train: peak RSS +${(growth / 2 ** 20).toFixed(1)} MiB`);
    expect(growth).toBeLessThan(LINE_BYTES * 0.75);
  }, 300_000);
});
