// Subword (fastText) training: the n-grams and their hash against hand-computed values, the
// kernel's update against a transcription of fastText's Model::update (fresh mean and immediate
// row updates for every pair), the WASM kernel against its JS twin on every model and loss,
// one-thread reproducibility, unknown words, the .bin and .vec files, and the option errors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, Word2Vec, type Runtime } from '../../src/index';
import { parseFastTextBin } from '../../src/io/fasttext-bin';
import type { Word2VecModelArrays } from '../../src/kernels/types';
import { sigmoidTables } from '../../src/kernels/word2vec-params';
import { resolveOptions } from '../../src/word2vec/options';
import { fnv1a, ngramBuckets, ngrams, subwordTable } from '../../src/word2vec/subword';
import { expectClose, rng } from '../kernel-tester';
import { morphologyCorpus } from './subword-corpus';

/** FNV-1a as fastText 0.9.2 computes it, written independently: BigInt, bytes as signed chars. */
function fnvReference(bytes: Uint8Array): number {
  let h = 2166136261n;
  for (const b of bytes) {
    const signed = BigInt.asUintN(32, BigInt(b >= 128 ? b - 256 : b));
    h = ((h ^ signed) * 16777619n) & 0xffffffffn;
  }
  return Number(h);
}

let wasm: Runtime, js: Runtime, dir: string;
beforeAll(async () => {
  wasm = await init({ simd: process.env.WASM_NLP_EXPECT_RELAXED === '1' ? 'relaxed' : 'baseline' });
  js = await init({ backend: 'js' });
  dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-subword-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('n-grams and their hash', () => {
  test('the n-grams of "where", as in the fastText paper, and of a word with multi-byte characters', () => {
    expect(ngrams('where', { minn: 3, maxn: 3 })).toEqual(['<wh', 'whe', 'her', 'ere', 're>']);
    // Characters, not bytes: "é" is 2 bytes; the lone "<" and ">" never count (minn 1).
    expect(ngrams('né', { minn: 1, maxn: 2 })).toEqual(['<n', 'n', 'né', 'é', 'é>']);
    expect(ngrams('</s>', { minn: 3, maxn: 6 })).toEqual([]);
    // 'where' with minn 3, maxn 6: 5 + 4 + 3 + 2 n-grams of "<where>" (7 characters).
    expect(ngramBuckets('where', { minn: 3, maxn: 6, bucket: 1000 })).toHaveLength(14);
  });

  test('FNV-1a: the published 32-bit value of "a", and sign-extended bytes above 0x7f', () => {
    expect(fnv1a(new TextEncoder().encode('a'))).toBe(0xe40c292c);
    expect(fnv1a(new TextEncoder().encode(''))).toBe(2166136261);
    for (const s of ['<wh', 'né>', 'über', '日本語', 'x'.repeat(40)]) {
      const b = new TextEncoder().encode(s);
      expect(fnv1a(b), s).toBe(fnvReference(b));
    }
    // Each n-gram's bucket is its hash modulo bucket, in ngrams()' order.
    const params = { minn: 2, maxn: 4, bucket: 97 };
    const want = ngrams('naïve', params).map((g) => fnvReference(new TextEncoder().encode(g)) % 97);
    expect(ngramBuckets('naïve', params)).toEqual(want);
  });

  test('the word table: each word its own row, then V + bucket of each n-gram', () => {
    const params = { minn: 3, maxn: 4, bucket: 50 };
    const t = subwordTable(['ab', 'xyz'], params);
    const rows = (w: string) => ngrams(w, params).map((g) => 2 + (fnvReference(new TextEncoder().encode(g)) % 50));
    expect(Array.from(t.offsets)).toEqual([0, 1 + rows('ab').length, 2 + rows('ab').length + rows('xyz').length]);
    expect(Array.from(t.rows)).toEqual([0, ...rows('ab'), 1, ...rows('xyz')]);
  });
});

describe('the kernel against fastText\'s update, transcribed', () => {
  // 3 words, 4 buckets, dim 5, the sentence [0, 1, 2] with window 1 (every center has its
  // neighbours), the full softmax (no random draws). fastText (Model::update) recomputes the
  // mean of the input rows for every pair and adds the pair's gradient to each row at once;
  // the kernel moves the mean by the gradient and adds the window's sum at the end: the same
  // numbers when no row repeats within a word, as here.
  const V = 3, bucket = 4, dim = 8, alpha = 0.2; // dim a multiple of 4: the rows need no padding
  const wordRows = [[0, 3, 5], [1, 4, 3, 6], [2, 5]];
  const random = rng(9);
  const syn0 = Float64Array.from({ length: (V + bucket) * dim }, () => random() - 0.5);
  const syn1 = Float64Array.from({ length: V * dim }, () => random() - 0.5);

  /** fastText's Model::update with the softmax loss, in f64: returns the loss. */
  function update(s0: Float64Array, s1: Float64Array, input: number[], target: number): number {
    const h = new Float64Array(dim);
    for (const r of input) for (let d = 0; d < dim; d++) h[d] = h[d]! + s0[r * dim + d]! / input.length;
    const scores = Array.from({ length: V }, (_, j) => h.reduce((s, x, d) => s + x * s1[j * dim + d]!, 0));
    const max = Math.max(...scores);
    const z = scores.reduce((s, x) => s + Math.exp(x - max), 0);
    const p = scores.map((x) => Math.exp(x - max) / z);
    const grad = new Float64Array(dim);
    for (let j = 0; j < V; j++) {
      const g = alpha * ((j === target ? 1 : 0) - p[j]!);
      for (let d = 0; d < dim; d++) {
        grad[d] = grad[d]! + g * s1[j * dim + d]!;
        s1[j * dim + d] = s1[j * dim + d]! + g * h[d]!;
      }
    }
    for (const r of input) for (let d = 0; d < dim; d++) s0[r * dim + d] = s0[r * dim + d]! + grad[d]!;
    return -Math.log(p[target]!);
  }

  function reference(cbow: boolean) {
    const s0 = syn0.slice(), s1 = syn1.slice();
    const sentence = [0, 1, 2];
    let loss = 0;
    for (let i = 0; i < 3; i++) {
      const context = [i - 1, i + 1].filter((j) => j >= 0 && j < 3).map((j) => sentence[j]!);
      if (cbow) loss += update(s0, s1, context.flatMap((c) => wordRows[c]!), sentence[i]!);
      else for (const c of context) loss += update(s0, s1, wordRows[sentence[i]!]!, c);
    }
    return { s0, s1, loss };
  }

  function run(runtime: Runtime, cbow: boolean) {
    const b = <D extends 'f32' | 'i32' | 'u32' | 'u8'>(dtype: D, n: number) => runtime.buffer(dtype, n);
    const offsets = b('i32', V + 1), rows = b('i32', 9);
    offsets.data.set([0, 3, 7, 9]);
    rows.data.set(wordRows.flat());
    const m: Word2VecModelArrays = {
      syn0: b('f32', (V + bucket) * dim), syn1: b('f32', V * dim), dim, stride: dim, vocab: V, window: 1, negative: 0, sharedNegatives: false,
      cbow, loss: 'softmax', keep: b('u32', V), subsample: false, aliasProb: b('u32', V), alias: b('i32', V),
      codes: b('u8', 1), points: b('i32', 1), codeLen: b('u8', V), maxCode: 0, tables: b('f32', 3000),
      alphaStart: alpha, alphaEnd: alpha, wordsTotal: 1e9, subwords: { offsets, rows },
    };
    m.syn0.data.set(syn0);
    m.syn1.data.set(syn1);
    m.tables.data.set(sigmoidTables());
    const tokens = b('i32', 4);
    tokens.data.set([0, 1, 2, -1]);
    const [r] = runtime.kernels.word2vecTrain(m, [{ tokens, length: 4, seed: 1, wordsBefore: 0 }]);
    return { s0: Float64Array.from(m.syn0.data), s1: Float64Array.from(m.syn1.data), result: r! };
  }

  test.each(['wasm', 'js'] as const)('%s: a subword table of the wrong shape is refused, the same way by both backends', (backend) => {
    const runtime = backend === 'wasm' ? wasm : js;
    const m = { vocab: 3, subwords: { offsets: runtime.buffer('i32', 3), rows: runtime.buffer('i32', 4) } } as unknown as Word2VecModelArrays;
    const tokens = runtime.buffer('i32', 1);
    expect(() => runtime.kernels.word2vecTrain(m, [{ tokens, length: 1, seed: 1, wordsBefore: 0 }]))
      .toThrow('word2vecTrain: subwords.offsets must hold vocab + 1 = 4 offsets, from 0 to at most subwords.rows.length = 4; got 3 offsets');
  });

  for (const backend of ['wasm', 'js'] as const) {
    for (const cbow of [false, true]) {
      test(`${backend}, ${cbow ? 'cbow' : 'skipgram'}: the rows, the output vectors and the loss of fastText's updates`, () => {
        const want = reference(cbow);
        const got = run(backend === 'wasm' ? wasm : js, cbow);
        expect(got.result.examples).toBe(cbow ? 3 : 4);
        expect(got.result.loss).toBeCloseTo(want.loss, 5);
        expectClose('syn0 (words and buckets)', Float32Array.from(got.s0), want.s0, 2e-6);
        expectClose('syn1', Float32Array.from(got.s1), want.s1, 2e-6);
        let moved = 0;
        for (let i = 0; i < syn0.length; i++) moved = Math.max(moved, Math.abs(want.s0[i]! - syn0[i]!));
        // The test means something only if the rows moved well beyond the tolerance.
        expect(moved).toBeGreaterThan(1e-2);
        // Bucket row 3 is shared by words 0 and 1; rows 4 and 6 belong to word 1 alone and got the same sum.
        expect(got.s0[4 * dim]! - syn0[4 * dim]!).toBeCloseTo(got.s0[6 * dim]! - syn0[6 * dim]!, 6);
      });
    }
  }
});

describe('Word2Vec.train with subwords: the WASM kernel against its JS twin', () => {
  const corpus = morphologyCorpus(300);
  const cases = [
    ...(['skipgram', 'cbow'] as const).flatMap((model) => (['ns', 'hs', 'softmax'] as const).map((loss) => ({ model, loss, sharedNegatives: false }))),
    { model: 'skipgram' as const, loss: 'ns' as const, sharedNegatives: true },
  ];
  for (const { model, loss, sharedNegatives } of cases) {
    test(`${model} with ${loss}${sharedNegatives ? ', shared negatives' : ''}: same loss and vectors after 2 epochs`, async () => {
      const options = { model, loss, sharedNegatives, dim: 19, window: 3, negative: 4, minCount: 1, epochs: 2, sample: 1e-2, seed: 7, minn: 2, maxn: 4, bucket: 301 };
      const a = await Word2Vec.train(corpus, { ...options, runtime: wasm });
      const b = await Word2Vec.train(corpus, { ...options, runtime: js });
      expect(a.vocab).toEqual(b.vocab);
      expect(a.subwords).toEqual({ minn: 2, maxn: 4, bucket: 301 });
      for (let e = 0; e < 2; e++) expect(Math.abs(a.lossPerEpoch[e]! / b.lossPerEpoch[e]! - 1)).toBeLessThan(1e-4);
      // f32 lanes in the kernel, f64 sums in the twin: the same run up to rounding.
      expectClose('word vectors, kernel against twin', a.vectors, b.vectors, 1e-3);
      // Unknown words go through the same rows.
      expectClose('an unknown word\'s vector', a.vector('kingdoms'), b.vector('kingdoms'), 1e-3);
    });
  }
});

describe('Word2Vec.train with subwords', () => {
  const corpus = morphologyCorpus(6000, 5);
  const options = { dim: 16, minCount: 1, epochs: 2, seed: 11, maxn: 5, bucket: 2000 };

  test('one thread and a seed: bitwise the same vectors, run after run and on the threaded build', async () => {
    const a = await Word2Vec.train(corpus, { ...options, runtime: wasm });
    const b = await Word2Vec.train(corpus, { ...options, runtime: wasm });
    expect(b.vectors).toEqual(a.vectors);
    expect(b.vector('kingdom')).toEqual(a.vector('kingdom'));
    const threaded = await init({ simd: process.env.WASM_NLP_EXPECT_RELAXED === '1' ? 'relaxed' : 'baseline', threads: 2 });
    try {
      const c = await Word2Vec.train(corpus, { ...options, threads: 1, runtime: threaded });
      expect(c.vectors).toEqual(a.vectors);
      // Two threads (Hogwild) learn the grammar too: rulers are nearer rulers than places.
      const d = await Word2Vec.train(corpus, { ...options, threads: 2, runtime: threaded });
      expect(d.similarity('king', 'queen')).toBeGreaterThan(d.similarity('king', 'river'));
    } finally {
      threaded.dispose();
    }
  });

  test('vector() of an unknown word is the f32 mean of its n-gram rows; of a known word, of its own row and its n-grams\'', async () => {
    const model = await Word2Vec.train(corpus, { ...options, runtime: wasm });
    const bin = parseFastTextBin(model.toBytes('fasttext'));
    const V = model.size, dim = 16;
    const meanOf = (rows: number[]) => {
      const acc = new Float32Array(dim);
      for (const r of rows) for (let d = 0; d < dim; d++) acc[d] = acc[d]! + bin.input[r * dim + d]!;
      const inv = Math.fround(1 / rows.length);
      for (let d = 0; d < dim; d++) acc[d] = acc[d]! * inv;
      return acc;
    };
    const gramRows = (w: string) => ngrams(w, { minn: 3, maxn: 5 }).map((g) => V + (fnvReference(new TextEncoder().encode(g)) % 2000));
    for (const w of ['kingdoms', 'princelings', 'ünder']) {
      expect(model.has(w)).toBe(false);
      expect(model.vector(w), w).toEqual(meanOf(gramRows(w)));
    }
    expect(model.vector('kings')).toEqual(meanOf([model.index('kings'), ...gramRows('kings')]));
    // An unknown word with no n-gram (none as long as minn once "<" and ">" are added) gets zeros, as in fastText.
    const short = await Word2Vec.train(corpus, { ...options, minn: 4, maxn: 4, runtime: wasm });
    expect(short.vector('a')).toEqual(new Float32Array(dim));
    // The n-grams carry meaning: an unseen plural is nearest its singular.
    expect(model.mostSimilar(model.vector('duchesss'), 1)[0]!.word).toMatch(/^duchess/);
  });

  test('.vec (text) holds the word vectors; the .bin loads back with the same vectors and n-gram rows', async () => {
    const model = await Word2Vec.train(corpus, { ...options, model: 'cbow', runtime: wasm });
    const vec = join(dir, 'model.vec'), bin = join(dir, 'model.bin');
    await model.save(vec, { format: 'text' });
    await model.save(bin, { format: 'fasttext' });
    const fromVec = await Word2Vec.load(vec, { runtime: wasm });
    expect(fromVec.vocab).toEqual(model.vocab);
    expect(fromVec.vectors).toEqual(model.vectors);
    const fromBin = await Word2Vec.load(bin, { runtime: wasm });
    expect(fromBin.vocab).toEqual(model.vocab);
    expect(fromBin.vectors).toEqual(model.vectors);
    expect(fromBin.subwords).toEqual({ minn: 3, maxn: 5, bucket: 2000 });
    expect(fromBin.vector('queendom')).toEqual(model.vector('queendom'));
    expect(fromBin.toBytes('fasttext')).toEqual(model.toBytes('fasttext'));
    const args = parseFastTextBin(fromBin.toBytes('fasttext')).args;
    expect(args).toMatchObject({ dim: 16, ws: 5, epoch: 2, minCount: 1, neg: 5, loss: 'ns', model: 'cbow', bucket: 2000, minn: 3, maxn: 5 });
  });

  test('option errors, before the corpus is read', async () => {
    const unreadable = { [Symbol.asyncIterator]() { throw new Error('the corpus was read'); } } as never;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ minn: 2 }, /option minn has no effect without subwords: set maxn > 0/],
      [{ bucket: 10 }, /option bucket has no effect without subwords/],
      [{ maxn: 2, minn: 3 }, /option minn \(3\) must not exceed maxn \(2\)/],
      [{ maxn: 6, bucket: 0 }, /option bucket must be an integer from 1 to/],
      [{ maxn: -1 }, /option maxn must be an integer from 0 to 64, got -1/],
      [{ maxn: 6, checkpointPath: join(dir, 'x.ckpt') }, /checkpointPath is not supported with subwords/],
    ];
    for (const [o, message] of cases) await expect(Word2Vec.train(unreadable, { ...o, runtime: wasm })).rejects.toThrow(message);
    // Subword models draw negatives per pair unless told (shared draws cost them much quality).
    expect(resolveOptions({ maxn: 6 }).sharedNegatives).toBe(false);
    expect(resolveOptions({ maxn: 6, sharedNegatives: true }).sharedNegatives).toBe(true);
    expect(resolveOptions({}).sharedNegatives).toBe(true);
    const plain = await Word2Vec.train(corpus, { dim: 8, minCount: 1, epochs: 1, runtime: wasm });
    expect(plain.subwords).toBeUndefined();
    expect(() => plain.vector('kingdoms')).toThrow(/not in the vocabulary/);
    expect(() => plain.toBytes('fasttext')).toThrow(/needs a subword model/);
  });
});
