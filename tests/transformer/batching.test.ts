// embed / classify in batches (issue 14): the texts are sorted by token count, run batchSize at a
// time, and the results put back in input order. Each result must equal the text run alone
// (no padding at all) to 1e-6, whatever the batch size; the batches the model sees are checked
// (sizes, longest first); errors name the caller's index; embedStream yields the same vectors in
// order; and WASM memory stays bounded by one batch, not by the number of texts.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { init, type Runtime } from '../../src/index';
import { loadModel } from '../../src/transformer/load';
import type { TextEncoderModel } from '../../src/transformer/text-encoder';
import type { EncoderInput } from '../../src/transformer/encoder';

const FIXTURES = join(__dirname, '..', 'fixtures');
let rt: Runtime, bert: TextEncoderModel, mpnet: TextEncoderModel;

beforeAll(async () => {
  rt = await init();
  bert = await loadModel(join(FIXTURES, 'bert'), { runtime: rt }) as TextEncoderModel;
  mpnet = await loadModel(join(FIXTURES, 'mpnet-st'), { runtime: rt }) as TextEncoderModel;
});
afterAll(() => {
  bert.dispose();
  mpnet.dispose();
  rt.dispose();
});

// Mixed lengths, not sorted: 1 to 30 words, the longest in the middle.
const WORDS = 'the big red dog is not running today but she is very good and happy with the old cat in the house'.split(' ');
const TEXTS = [3, 17, 1, 8, 30, 5, 12, 2, 22, 9, 4].map((n, i) => Array.from({ length: n }, (_, j) => WORDS[(i * 7 + j) % WORDS.length]).join(' '));

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The batches the encoder is given: rows and padded length of each forward pass. */
function spyBatches(model: TextEncoderModel) {
  const spy = vi.spyOn(model.model, 'forward');
  return {
    shapes: () => spy.mock.calls.map(([input]: [EncoderInput]) => ({ B: input.inputIds.length, T: Math.max(...input.inputIds.map((ids) => ids.length)) })),
    restore: () => spy.mockRestore(),
  };
}

describe.each([['bert', () => bert], ['mpnet-st', () => mpnet]])('%s', (_, model) => {
  test.each([1, 3, 32])('embed with batchSize %i: each text as if run alone, in input order', (batchSize) => {
    const m = model();
    const alone = TEXTS.map((t) => m.embed(t)[0]!);
    const batched = m.embed(TEXTS, { batchSize });
    expect(batched).toHaveLength(TEXTS.length);
    batched.forEach((v, i) => expect(maxDiff(v, alone[i]!), `text ${i}`).toBeLessThan(1e-6));
    // Not the trivial case: texts differ from each other by far more than the tolerance.
    expect(maxDiff(alone[0]!, alone[1]!)).toBeGreaterThan(1e-2);
    const cls = m.embed(TEXTS, { batchSize, pooling: 'cls', normalize: false });
    cls.forEach((v, i) => expect(maxDiff(v, m.embed(TEXTS[i]!, { pooling: 'cls', normalize: false })[0]!)).toBeLessThan(1e-6));
  });
});

test('the model sees batches of batchSize, longest first, each padded to its own longest', () => {
  const lengths = TEXTS.map((t) => bert.tokenizer.encode(t).ids.length);
  const spy = spyBatches(bert);
  try {
    bert.embed(TEXTS, { batchSize: 3 });
    const sorted = [...lengths].sort((a, b) => b - a);
    expect(spy.shapes()).toEqual([0, 3, 6, 9].map((at) => ({ B: Math.min(3, TEXTS.length - at), T: sorted[at]! })));
  } finally {
    spy.restore();
  }
});

test.each([1, 3, 32])('classify with batchSize %i: each text\'s probabilities as if run alone, in input order', (batchSize) => {
  const alone = TEXTS.map((t) => bert.classify(t)[0]!);
  const batched = bert.classify(TEXTS, { batchSize });
  batched.forEach((c, i) => {
    expect(c.label).toBe(alone[i]!.label);
    for (const [label, p] of Object.entries(alone[i]!.probabilities)) expect(Math.abs(c.probabilities[label]! - p)).toBeLessThan(1e-6);
  });
  // [text, pair] inputs batch too.
  const pairs: [string, string][] = [[TEXTS[0]!, TEXTS[1]!], [TEXTS[2]!, TEXTS[3]!], [TEXTS[4]!, TEXTS[5]!]];
  const pairAlone = pairs.map((p) => bert.classify([p])[0]!.score);
  bert.classify(pairs, { batchSize: 2 }).forEach((c, i) => expect(Math.abs(c.score - pairAlone[i]!)).toBeLessThan(1e-6));
});

test('errors name the text\'s index in the caller\'s input, not in a sorted batch', () => {
  const long = Array.from({ length: 100 }, () => 'very').join(' ');
  const texts = [...TEXTS.slice(0, 5), long, ...TEXTS.slice(5)];
  expect(() => bert.embed(texts, { batchSize: 2 })).toThrow(/^embed: text 5 has 102 tokens, the model takes at most 64; pass truncation: 'truncate' to cut it$/);
  expect(() => bert.classify(texts, { batchSize: 2 })).toThrow(/^classify: text 5 has 102 tokens/);
  expect(() => bert.embed(['a', 7 as never])).toThrow(/^embed: text 1 must be a string/);
  for (const bad of [0, -1, 1.5, '3', Infinity]) {
    expect(() => bert.embed(TEXTS, { batchSize: bad as number })).toThrow(`embed: option batchSize must be an integer ≥ 1, got ${String(bad)}`);
    expect(() => bert.classify(TEXTS, { batchSize: bad as number })).toThrow(`classify: option batchSize must be an integer ≥ 1, got ${String(bad)}`);
  }
  expect(() => bert.embed(TEXTS, { batchsize: 3 } as never)).toThrow(/embed: unknown option batchsize \(did you mean batchSize\?\)/);
});

test('onTextError: a refused text is reported with its index and gives an empty result; the others are computed', () => {
  const long = Array.from({ length: 100 }, () => 'very').join(' ');
  const texts = [TEXTS[0]!, long, TEXTS[1]!, long, TEXTS[2]!];
  const seen: [string, number][] = [];
  const out = bert.embed(texts, { batchSize: 2, onTextError: (e, i) => void seen.push([e.message, i]) });
  expect(seen).toEqual([1, 3].map((i) => [`embed: text ${i} has 102 tokens, the model takes at most 64; pass truncation: 'truncate' to cut it`, i]));
  expect(out[1]).toEqual(new Float32Array(0));
  expect(out[3]).toEqual(new Float32Array(0));
  [0, 2, 4].forEach((i) => expect(maxDiff(out[i]!, bert.embed(texts[i]!)[0]!)).toBeLessThan(1e-6));
  const labels = bert.classify(texts, { onTextError: () => {} });
  expect(labels[1]).toBeNull();
  expect(labels[0]!.label).toBe(bert.classify(texts[0]!)[0]!.label);
  // With truncation: 'truncate' nothing is refused.
  expect(bert.embed(texts, { truncation: 'truncate', onTextError: () => { throw new Error('not called'); } })[1]).toHaveLength(48);
});

describe('embedStream', () => {
  async function collect(it: AsyncIterable<Float32Array>): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for await (const v of it) out.push(v);
    return out;
  }
  async function* slowly(texts: string[]) {
    for (const t of texts) {
      await new Promise((r) => setTimeout(r, 1));
      yield t;
    }
  }

  test.each([[1, undefined], [3, undefined], [3, 7], [32, 64]])('batchSize %i, window %s: embed\'s vectors in order, from an async or a plain iterable', async (batchSize, window) => {
    const want = TEXTS.map((t) => mpnet.embed(t)[0]!);
    for (const source of [slowly(TEXTS), TEXTS, new Set(TEXTS)]) {
      const got = await collect(mpnet.embedStream(source, { batchSize, window }));
      expect(got).toHaveLength(TEXTS.length);
      got.forEach((v, i) => expect(maxDiff(v, want[i]!)).toBeLessThan(1e-6));
    }
  });

  test('reads a window at a time: results come before the source ends, and the batches are the window\'s', async () => {
    let read = 0;
    async function* counted() {
      for (const t of TEXTS) {
        read++;
        yield t;
      }
    }
    const spy = spyBatches(bert);
    try {
      const it = bert.embedStream(counted(), { batchSize: 2, window: 4 })[Symbol.asyncIterator]();
      await it.next();
      expect(read).toBe(4);
      expect(spy.shapes().map((s) => s.B)).toEqual([2, 2]);
      let n = 1;
      while (!(await it.next()).done) n++;
      expect(n).toBe(TEXTS.length);
      expect(spy.shapes().map((s) => s.B)).toEqual([2, 2, 2, 2, 2, 1]);
    } finally {
      spy.restore();
    }
  });

  test('errors name the text\'s index in the stream; options are checked at the call', async () => {
    const long = Array.from({ length: 100 }, () => 'very').join(' ');
    const texts = [...TEXTS.slice(0, 7), long, ...TEXTS.slice(7)];
    await expect(collect(bert.embedStream(texts, { batchSize: 2, window: 3 }))).rejects.toThrow(/^embedStream: text 7 has 102 tokens/);
    const skipped: number[] = [];
    const got = await collect(bert.embedStream(texts, { window: 3, onTextError: (_, i) => void skipped.push(i) }));
    expect(skipped).toEqual([7]);
    expect(got.map((v) => v.length)).toEqual(texts.map((_, i) => (i === 7 ? 0 : 48)));
    expect(() => bert.embedStream(texts, { window: 0 })).toThrow('embedStream: option window must be an integer ≥ 1, got 0');
    expect(() => bert.embedStream(texts, { batchSize: 0 })).toThrow('embedStream: option batchSize must be an integer ≥ 1, got 0');
    expect(() => bert.embedStream(texts, { truncation: 'cut' as never })).toThrow("embedStream: option truncation must be 'error' or 'truncate', got cut");
    expect(() => bert.embedStream(42 as never)).toThrow('embedStream: texts must be an iterable or async iterable of strings');
    expect(await collect(bert.embedStream([]))).toEqual([]);
  });
});

test('WASM memory is bounded by one batch: many texts in small batches grow it far less than one big batch, and nothing leaks', async () => {
  const many = Array.from({ length: 400 }, (_, i) => TEXTS[i % TEXTS.length]!);
  const growth = async (batchSize: number) => {
    const own = await init({ simd: 'baseline' });
    const m = await loadModel(join(FIXTURES, 'bert'), { runtime: own }) as TextEncoderModel;
    try {
      const arena = own.arena!;
      const before = arena.memory.buffer.byteLength, used = arena.usedBytes;
      m.embed(many, { batchSize });
      m.classify(many, { batchSize });
      expect(arena.usedBytes).toBe(used);
      return arena.memory.buffer.byteLength - before;
    } finally {
      m.dispose();
      own.dispose();
    }
  };
  const small = await growth(8), big = await growth(400);
  // One batch of 400 × 30-odd tokens needs megabytes of activations; batches of 8, a fiftieth of that.
  expect(big).toBeGreaterThan(4 << 20);
  expect(small).toBeLessThan(big / 10);
});
