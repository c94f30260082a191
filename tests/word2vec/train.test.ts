// word2vec training: the WASM kernel against its JS twin on every model and loss, the full
// softmax against a numerical gradient, reproducibility, resuming from a checkpoint, progress,
// cancellation and the option errors.
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, jsKernels, Word2Vec, type Runtime } from '../../src/index';
import type { Kernels, Word2VecModelArrays } from '../../src/kernels/types';
import { sigmoidTables } from '../../src/kernels/word2vec-params';
import { rng } from '../kernel-tester';

/** A corpus from a tiny grammar: word classes that share contexts, so training has structure to find. */
function syntheticCorpus(sentences: number, seed = 1): string {
  const random = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  const subjects = ['king', 'queen', 'man', 'woman', 'boy', 'girl', 'prince', 'princess'];
  const verbs = ['rules', 'sees', 'loves', 'finds', 'keeps', 'visits'];
  const objects = ['castle', 'city', 'garden', 'river', 'forest', 'house', 'tower', 'village'];
  const lines: string[] = [];
  for (let i = 0; i < sentences; i++) {
    const n = 2 + Math.floor(random() * 3);
    const words: string[] = [];
    for (let j = 0; j < n; j++) words.push('the', pick(subjects), pick(verbs), 'the', pick(objects), random() < 0.3 ? 'and' : 'then');
    lines.push(words.join(' '));
  }
  return lines.join('\n');
}

let wasm: Runtime, js: Runtime, dir: string;
beforeAll(async () => {
  wasm = await init({ simd: process.env.WASM_NLP_EXPECT_RELAXED === '1' ? 'relaxed' : 'baseline' });
  js = await init({ backend: 'js' });
  dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-w2v-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the training kernel against its JS twin', () => {
  // Short, so that rounding differences have little room to grow: SGD on a 27-word vocabulary
  // amplifies them epoch after epoch.
  const corpus = syntheticCorpus(400);
  const cases = [
    ...(['skipgram', 'cbow'] as const).flatMap((model) => (['ns', 'hs', 'softmax'] as const).map((loss) => ({ model, loss, sharedNegatives: false }))),
    { model: 'skipgram' as const, loss: 'ns' as const, sharedNegatives: true },
  ];
  for (const { model, loss, sharedNegatives } of cases) {
    test(`${model} with ${loss}${sharedNegatives ? ', shared negatives' : ''}: same loss and vectors after 2 epochs`, async () => {
      const options = { model, loss, dim: 19, window: 3, negative: 4, minCount: 1, epochs: 2, sample: 1e-2, seed: 7, sharedNegatives };
      const a = await Word2Vec.train(corpus, { ...options, runtime: wasm });
      const b = await Word2Vec.train(corpus, { ...options, runtime: js });
      expect(a.vocab).toEqual(b.vocab);
      // f32 lanes in the kernel, f64 sums in the twin: the same run up to rounding.
      for (let e = 0; e < 2; e++) expect(Math.abs(a.lossPerEpoch[e]! / b.lossPerEpoch[e]! - 1)).toBeLessThan(1e-4);
      let maxDiff = 0;
      for (let i = 0; i < a.vectors.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.vectors[i]! - b.vectors[i]!));
      expect(maxDiff, 'largest difference between kernel and twin vectors').toBeLessThan(1e-3);
      // And training found the grammar: a subject is nearer another subject than an object.
      expect(a.similarity('king', 'queen')).toBeGreaterThan(a.similarity('king', 'river'));
    });
  }
});

describe('full softmax: the update is −alpha times the textbook gradient', () => {
  // V = 5 words, dim 4, the sentence [0, 1] with window 1: context 1 predicts 0, then context 0
  // predicts 1 (skip-gram takes the context's input vector). Each step must move v and U by
  // −alpha·∂J/∂(v, U) of J = −log softmax(U·v)[target], computed here by central differences.
  const V = 5, dim = 4, alpha = 1e-3;
  const random = rng(3);
  const syn0 = Float64Array.from({ length: V * dim }, () => random() - 0.5);
  const syn1 = Float64Array.from({ length: V * dim }, () => random() - 0.5);

  function loss(s0: Float64Array, s1: Float64Array, input: number, target: number): number {
    const scores = Array.from({ length: V }, (_, j) => {
      let s = 0;
      for (let d = 0; d < dim; d++) s += s1[j * dim + d]! * s0[input * dim + d]!;
      return s;
    });
    const max = Math.max(...scores);
    const z = scores.reduce((acc, s) => acc + Math.exp(s - max), 0);
    return -(scores[target]! - max - Math.log(z));
  }

  function step(s0: Float64Array, s1: Float64Array, input: number, target: number): void {
    const h = 1e-6;
    const grad = (x: Float64Array, i: number) => {
      const keep = x[i]!;
      x[i] = keep + h;
      const up = loss(s0, s1, input, target);
      x[i] = keep - h;
      const down = loss(s0, s1, input, target);
      x[i] = keep;
      return (up - down) / (2 * h);
    };
    const g0 = Array.from({ length: dim }, (_, d) => grad(s0, input * dim + d));
    const g1 = Array.from({ length: V * dim }, (_, i) => grad(s1, i));
    for (let d = 0; d < dim; d++) s0[input * dim + d] = s0[input * dim + d]! - alpha * g0[d]!;
    for (let i = 0; i < V * dim; i++) s1[i] = s1[i]! - alpha * g1[i]!;
  }

  async function run(kernels: Kernels, runtime: Runtime) {
    const buffer = <D extends 'f32' | 'i32' | 'u32' | 'u8'>(dtype: D, n: number) => runtime.buffer(dtype, n);
    const m: Word2VecModelArrays = {
      syn0: buffer('f32', V * dim), syn1: buffer('f32', V * dim), dim, stride: dim, vocab: V, window: 1, negative: 0, sharedNegatives: false,
      cbow: false, loss: 'softmax', keep: buffer('u32', V), subsample: false, aliasProb: buffer('u32', V), alias: buffer('i32', V),
      codes: buffer('u8', 1), points: buffer('i32', 1), codeLen: buffer('u8', V), maxCode: 0, tables: buffer('f32', 3000),
      alphaStart: alpha, alphaEnd: alpha, wordsTotal: 1e9,
    };
    m.syn0.data.set(syn0);
    m.syn1.data.set(syn1);
    m.tables.data.set(sigmoidTables());
    const tokens = buffer('i32', 3);
    tokens.data.set([0, 1, -1]);
    const [r] = kernels.word2vecTrain(m, [{ tokens, length: 3, seed: 1, wordsBefore: 0 }]);
    return { syn0: Float64Array.from(m.syn0.data), syn1: Float64Array.from(m.syn1.data), result: r! };
  }

  test.each(['wasm', 'js'])('%s', async (which) => {
    const runtime = which === 'wasm' ? wasm : js;
    const got = await run(runtime.kernels, runtime);
    const s0 = syn0.slice(), s1 = syn1.slice();
    const expectedLoss = loss(s0, s1, 1, 0);
    step(s0, s1, 1, 0);
    const secondLoss = loss(s0, s1, 0, 1);
    step(s0, s1, 0, 1);
    expect(got.result.examples).toBe(2);
    expect(got.result.loss).toBeCloseTo(expectedLoss + secondLoss, 5);
    // Compare the moves, scaled by 1/alpha: the gradients themselves, to f32 precision.
    for (let i = 0; i < V * dim; i++) {
      expect(Math.abs((got.syn0[i]! - syn0[i]!) - (s0[i]! - syn0[i]!)) / alpha).toBeLessThan(2e-4);
      expect(Math.abs((got.syn1[i]! - syn1[i]!) - (s1[i]! - syn1[i]!)) / alpha).toBeLessThan(2e-4);
    }
  });
});

describe('several jobs in one call: the work queue', () => {
  // Job j trains only on words 4j to 4j + 3, with no negatives (the positive example alone)
  // and no subsampling, so the jobs touch disjoint rows of syn0 and syn1: whichever thread
  // takes a job, and in whatever order, the vectors are those of the jobs run one by one, to
  // the bit. A job trained twice, or skipped, or with another job's seed, would change them.
  const JOBS = 9, PER = 4, V = JOBS * PER, dim = 8;
  async function model(runtime: Runtime) {
    const buffer = <D extends 'f32' | 'i32' | 'u32' | 'u8'>(dtype: D, n: number) => runtime.buffer(dtype, n);
    const m: Word2VecModelArrays = {
      syn0: buffer('f32', V * dim), syn1: buffer('f32', V * dim), dim, stride: dim, vocab: V, window: 2, negative: 0, sharedNegatives: false,
      cbow: false, loss: 'ns', keep: buffer('u32', V), subsample: false, aliasProb: buffer('u32', V), alias: buffer('i32', V),
      codes: buffer('u8', 1), points: buffer('i32', 1), codeLen: buffer('u8', V), maxCode: 0, tables: buffer('f32', 3000),
      alphaStart: 0.05, alphaEnd: 0.0001, wordsTotal: JOBS * 3000,
    };
    const random = rng(21);
    m.syn0.data.set(Float32Array.from({ length: V * dim }, () => (random() - 0.5) / dim));
    m.tables.data.set(sigmoidTables());
    // Chunks of unequal length (500 to 2900 words), so the threads finish them at different times.
    const jobs = Array.from({ length: JOBS }, (_, j) => {
      const ids: number[] = [];
      const words = 500 + 300 * ((j * 5) % JOBS);
      for (let w = 0; w < words; w++) {
        ids.push(PER * j + Math.floor(random() * PER));
        if (w % 10 === 9) ids.push(-1);
      }
      ids.push(-1);
      const tokens = buffer('i32', ids.length);
      tokens.data.set(ids);
      return { tokens, length: ids.length, seed: 100 + j, wordsBefore: 0, words };
    });
    let before = 0;
    for (const job of jobs) {
      job.wordsBefore = before;
      before += job.words;
    }
    return { m, jobs };
  }
  const simd = process.env.WASM_NLP_EXPECT_RELAXED === '1' ? 'relaxed' : 'baseline';

  test('one call on two threads, one call on one thread, and one call per job agree bitwise', async () => {
    const threaded = await init({ simd, threads: 2 });
    try {
      expect(threaded.features.threads).toBe(2);
      const one = await model(wasm), queued = await model(wasm), parallel = await model(threaded);
      const alone = one.jobs.map((j) => wasm.kernels.word2vecTrain(one.m, [j])[0]!);
      const inOrder = wasm.kernels.word2vecTrain(queued.m, queued.jobs);
      const onTwo = threaded.kernels.word2vecTrain(parallel.m, parallel.jobs);
      for (const [name, r, m] of [['one thread, one call', inOrder, queued.m], ['two threads', onTwo, parallel.m]] as const) {
        expect(r, name).toEqual(alone);
        expect(Array.from(m.syn0.data), `${name}: syn0`).toEqual(Array.from(one.m.syn0.data));
        expect(Array.from(m.syn1.data), `${name}: syn1`).toEqual(Array.from(one.m.syn1.data));
      }
      // Every job ran on its own words, and trained.
      expect(alone.map((r) => r.words)).toEqual(one.jobs.map((j) => j.words));
      expect(alone.every((r) => r.examples > 0 && r.loss > 0)).toBe(true);
      expect(Array.from(one.m.syn1.data).every((x) => x !== 0)).toBe(true);
    } finally {
      threaded.dispose();
    }
  });
});

describe('Word2Vec.train', () => {
  const corpus = syntheticCorpus(12000, 5); // about 5 chunks of 2^16 words

  test('one thread and a seed: bitwise the same vectors twice; progress reaches 1', async () => {
    const events: number[] = [];
    const options = { dim: 16, minCount: 1, epochs: 2, seed: 11, runtime: wasm, onProgress: (e: { fraction: number }) => events.push(e.fraction) };
    const a = await Word2Vec.train(corpus, options);
    const b = await Word2Vec.train(corpus, { ...options, onProgress: undefined });
    expect(b.vectors).toEqual(a.vectors);
    expect(a.lossPerEpoch).toHaveLength(2);
    expect(a.lossPerEpoch.every((l) => l > 0 && Number.isFinite(l))).toBe(true);
    expect(events.length).toBeGreaterThan(4);
    expect(events.every((f, i) => i === 0 || f >= events[i - 1]!)).toBe(true);
    expect(events.at(-1)).toBeCloseTo(1, 10);
  });

  test('two threads (Hogwild) train to the same quality', async () => {
    const model = await Word2Vec.train(corpus, { dim: 16, minCount: 1, epochs: 2, threads: 2 });
    expect(model.similarity('king', 'queen')).toBeGreaterThan(model.similarity('king', 'river'));
  });

  test('an abort leaves a checkpoint; resuming it gives the uninterrupted run\'s vectors', async () => {
    const options = { dim: 12, minCount: 1, epochs: 2, seed: 3, runtime: wasm };
    const full = await Word2Vec.train(corpus, options);
    const path = join(dir, 'run.ckpt');
    const controller = new AbortController();
    let batches = 0;
    await expect(Word2Vec.train(corpus, {
      ...options, signal: controller.signal, checkpointPath: path,
      onProgress: () => { if (++batches === 3) controller.abort(); },
    })).rejects.toThrow(/abort/i);
    expect(existsSync(path)).toBe(true);
    const resumed = await Word2Vec.resume(corpus, path, { runtime: wasm });
    expect(resumed.vectors).toEqual(full.vectors);
    expect(resumed.lossPerEpoch[1]).toBe(full.lossPerEpoch[1]);
    // The checkpoint also loads as a model, and saves back to the same bytes.
    const loaded = await Word2Vec.load(path, { runtime: wasm });
    expect(loaded.toBytes('checkpoint')).toEqual(new Uint8Array(readFileSync(path)));
  });

  test('save and load: word2vec text and binary round trip', async () => {
    const model = await Word2Vec.train(corpus, { dim: 10, minCount: 1, epochs: 1, runtime: wasm });
    for (const format of ['text', 'binary'] as const) {
      const path = join(dir, `vectors.${format}`);
      await model.save(path, { format });
      const back = await Word2Vec.load(path, { runtime: wasm });
      expect(back.vocab).toEqual(model.vocab);
      expect(back.vectors).toEqual(model.vectors);
    }
  });

  test('bad input is refused before anything is read or allocated', async () => {
    await expect(Word2Vec.train('', { runtime: wasm })).rejects.toThrow('word2vec: the corpus is empty');
    await expect(Word2Vec.train('a b c', { runtime: wasm })).rejects.toThrow(/minCount 5/);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ dim: 0 }, /option dim must be an integer ≥ 1, got 0/],
      [{ window: 0 }, /option window must be an integer ≥ 1, got 0/],
      [{ negative: -1 }, /option negative must be an integer ≥ 0, got -1/],
      [{ sample: -1 }, /option sample must be a number ≥ 0, got -1/],
      [{ alpha: 0 }, /option alpha must be a number > 0, got 0/],
      [{ epochs: 1.5 }, /option epochs must be an integer ≥ 1, got 1.5/],
      [{ threads: 1e6 }, /option threads must be an integer from 1 to 256, got 1000000/],
      [{ model: 'glove' }, /option model/],
      [{ loss: 'nce' }, /option loss/],
    ];
    // A corpus that throws if read: the options are checked first.
    const unreadable = { [Symbol.asyncIterator]() { throw new Error('the corpus was read'); } };
    for (const [options, message] of cases) {
      await expect(Word2Vec.train(unreadable as never, { ...options, runtime: wasm })).rejects.toThrow(message);
    }
  });
});
