// WordVectors queries on vector sets small enough to check by hand, and against a brute-force
// cosine in f64 on a random set, with the WASM kernels of this process and the JS twins.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, jsKernels, type Kernels, type Runtime } from '../../src/index';
import { WordVectors, selectTop } from '../../src/word2vec/vectors';
import { randomArray, rng } from '../kernel-tester';

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});
afterAll(() => rt.dispose());

/** Words and their vectors (one row each) as a WordVectors. */
function model(kernels: Kernels, rows: Record<string, number[]>): WordVectors {
  const words = Object.keys(rows);
  const dim = rows[words[0]!]!.length;
  return new WordVectors(words, Float32Array.from(words.flatMap((w) => rows[w]!)), dim, { kernels });
}

function cosine(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let xy = 0, xx = 0, yy = 0;
  for (let i = 0; i < x.length; i++) {
    xy += x[i]! * y[i]!;
    xx += x[i]! * x[i]!;
    yy += y[i]! * y[i]!;
  }
  return xy / ((Math.sqrt(xx) || 1) * (Math.sqrt(yy) || 1));
}

const SQRT1_2 = Math.SQRT1_2;

// man, woman = the gender axes; king and queen add a royal axis. Normalised, king − man + woman
// = (1/√2 − 1, 1, 1/√2), |·| = √(3 − √2) ≈ 1.25928; cos with queen (0, 1, 1)/√2 = (1 + 1/√2)/√2/1.25928 ≈ 0.95857.
const ROYALS = {
  man: [1, 0, 0, 0],
  woman: [0, 1, 0, 0],
  king: [1, 0, 1, 0],
  queen: [0, 1, 1, 0],
  apple: [0, 0, 0, 1],
  nothing: [0, 0, 0, 0],
};
const QUEEN_COS = (1 + SQRT1_2) * SQRT1_2 / Math.sqrt(3 - Math.SQRT2);

// 3CosAdd and 3CosMul disagree: a = e1, b = e2, c = e3. x sits almost on b (cos 0.995 with b,
// 0.0995 with c): add 1.0945, mul (1.995·1.0995/4)/(0.5 + 1e-6) = 1.0967. y is between b and c
// (cos 0.5 and 0.55): add 1.05, mul (1.5·1.55/4)/(0.5 + 1e-6) = 1.16250. So add → x, mul → y.
const Y3 = Math.sqrt(1 - 0.25 - 0.3025);
const SPLIT = {
  a: [1, 0, 0, 0],
  b: [0, 1, 0, 0],
  c: [0, 0, 1, 0],
  x: [0, 1, 0.1, 0],
  y: [0, 0.5, 0.55, Y3],
};

describe.each(['wasm', 'js'])('WordVectors (%s kernels)', (backend) => {
  const k = (): Kernels => (backend === 'wasm' ? rt.kernels : jsKernels);

  test('lookups: has, index, vector (a copy), similarity', () => {
    const m = model(k(), ROYALS);
    expect(m.vocab).toEqual(['man', 'woman', 'king', 'queen', 'apple', 'nothing']);
    expect(m.dim).toBe(4);
    expect(m.size).toBe(6);
    expect(m.has('king')).toBe(true);
    expect(m.has('King')).toBe(false);
    expect(m.index('queen')).toBe(3);
    expect(m.index('banana')).toBe(-1);
    const v = m.vector('king');
    expect([...v]).toEqual([1, 0, 1, 0]);
    v[0] = 99;
    expect(m.vector('king')[0]).toBe(1);
    expect(() => m.vector('banana')).toThrow('WordVectors: "banana" is not in the vocabulary');
    expect(m.similarity('king', 'queen')).toBeCloseTo(0.5, 12);
    expect(m.similarity('king', 'man')).toBeCloseTo(SQRT1_2, 12);
    expect(m.similarity('king', 'nothing')).toBe(0);
    expect(() => m.similarity('king', 'banana')).toThrow(/"banana"/);
  });

  test('mostSimilar: cosines by hand, the word itself and exclusions left out, topN, restrictVocab', () => {
    const m = model(k(), ROYALS);
    const near = m.mostSimilar('king');
    // cos(king, ·): man 1/√2, queen 1/2, woman, apple and nothing 0 (ties in vocabulary order).
    expect(near.map((n) => n.word)).toEqual(['man', 'queen', 'woman', 'apple', 'nothing']);
    expect(near[0]!.similarity).toBeCloseTo(SQRT1_2, 6);
    expect(near[1]!.similarity).toBeCloseTo(0.5, 6);
    expect(near.slice(2).every((n) => n.similarity === 0)).toBe(true);
    expect(m.mostSimilar('king', 2).map((n) => n.word)).toEqual(['man', 'queen']);
    expect(m.mostSimilar('king', 0)).toEqual([]);
    expect(m.mostSimilar('king', 2, { exclude: ['man', 'banana'] }).map((n) => n.word)).toEqual(['queen', 'woman']);
    // Only man, woman, king searched; king is the query.
    expect(m.mostSimilar('king', 10, { restrictVocab: 3 }).map((n) => n.word)).toEqual(['man', 'woman']);
    expect(m.mostSimilar('king', 10, { restrictVocab: 1000 }).length).toBe(5);
    // A vector query excludes nothing by itself.
    const byVector = m.mostSimilar([2, 0, 2, 0], 2);
    expect(byVector.map((n) => n.word)).toEqual(['king', 'man']);
    expect(byVector[0]!.similarity).toBeCloseTo(1, 6);
    expect(() => m.mostSimilar('banana')).toThrow(/"banana" is not in the vocabulary/);
    expect(() => m.mostSimilar([1, 2, 3])).toThrow('mostSimilar: the query vector has 3 values, expected dim = 4');
    expect(() => m.mostSimilar('king', -1)).toThrow('mostSimilar: topN must be a non-negative integer, got -1');
    expect(() => m.mostSimilar('king', 3, { restrictVocab: 0 })).toThrow(/option restrictVocab must be a positive integer, got 0/);
  });

  test('zero vectors give cosine 0, never NaN', () => {
    const m = model(k(), ROYALS);
    const fromZero = m.mostSimilar('nothing', 10);
    expect(fromZero.length).toBe(5);
    for (const n of fromZero) expect(n.similarity).toBe(0);
    // Ties go to the more frequent (earlier) word.
    expect(fromZero.map((n) => n.word)).toEqual(['man', 'woman', 'king', 'queen', 'apple']);
    const fromZeroVector = m.mostSimilar([0, 0, 0, 0], 3);
    expect(fromZeroVector.map((n) => n.similarity)).toEqual([0, 0, 0]);
    const cos = m.cosines(new Float32Array(8), 2);
    expect([...cos].every((c) => c === 0)).toBe(true);
  });

  test('analogy: king − man + woman = queen, by both methods, never a query word', () => {
    const m = model(k(), ROYALS);
    const [add] = m.analogy('man', 'king', 'woman');
    expect(add!.word).toBe('queen');
    expect(add!.similarity).toBeCloseTo(QUEEN_COS, 6);
    expect(add!.similarity).toBeCloseTo(0.95857, 5);
    const [mul] = m.analogy('man', 'king', 'woman', { method: 'mul' });
    expect(mul!.word).toBe('queen');
    // cos(queen, ·): king 1/2, woman 1/√2, man 0 → (1.5/2)(1.7071/2) / (1/2 + 1e-6).
    expect(mul!.similarity).toBeCloseTo((0.75 * (1 + SQRT1_2) / 2) / (0.5 + 1e-6), 5);
    const all = m.analogy('man', 'king', 'woman', { topN: 10 });
    expect(all.map((n) => n.word).sort()).toEqual(['apple', 'nothing', 'queen']);
    expect(m.analogy('man', 'king', 'woman', { topN: 10, restrictVocab: 4 }).map((n) => n.word)).toEqual(['queen']);
    expect(() => m.analogy('man', 'king', 'banana')).toThrow(/"banana"/);
    expect(() => m.analogy('man', 'king', 'woman', { method: 'sub' as never })).toThrow(/option method must be 'add' or 'mul'/);
  });

  test('3CosAdd and 3CosMul differ where one similarity dominates', () => {
    const m = model(k(), SPLIT);
    const add = m.analogy('a', 'b', 'c', { topN: 2 });
    const mul = m.analogy('a', 'b', 'c', { topN: 2, method: 'mul' });
    expect(add.map((n) => n.word)).toEqual(['x', 'y']);
    expect(mul.map((n) => n.word)).toEqual(['y', 'x']);
    // Brute force in f64: cos(x, b̂ − â + ĉ), and the 3CosMul formula.
    const q = [-1, 1, 1, 0];
    expect(add[0]!.similarity).toBeCloseTo(cosine(SPLIT.x, q), 6);
    expect(add[1]!.similarity).toBeCloseTo(cosine(SPLIT.y, q), 6);
    const cosMul = (w: number[]) => ((1 + cosine(w, SPLIT.b)) / 2) * ((1 + cosine(w, SPLIT.c)) / 2) / ((1 + cosine(w, SPLIT.a)) / 2 + 1e-6);
    expect(mul[0]!.similarity).toBeCloseTo(cosMul(SPLIT.y), 5);
    expect(mul[0]!.similarity).toBeCloseTo(1.1625, 4);
    expect(mul[1]!.similarity).toBeCloseTo(cosMul(SPLIT.x), 5);
  });

  test('mostSimilar and analogy agree with a brute-force cosine on 600 random words', () => {
    const random = rng(7);
    const count = 600, dim = 37;
    const words = Array.from({ length: count }, (_, i) => `w${i}`);
    const vectors = randomArray(count * dim, random);
    const m = new WordVectors(words, vectors, dim, { kernels: k() });
    const row = (i: number) => vectors.subarray(i * dim, (i + 1) * dim);
    for (const probe of [0, 17, 599]) {
      const got = m.mostSimilar(words[probe]!, 10);
      const want = words.map((w, i) => ({ w, s: cosine(row(probe), row(i)) }))
        .filter((_, i) => i !== probe).sort((a, b) => b.s - a.s).slice(0, 10);
      expect(got.length).toBe(10);
      got.forEach((n, r) => {
        // Each similarity is the word's true cosine, and the r-th best one.
        expect(Math.abs(n.similarity - cosine(row(probe), row(m.index(n.word))))).toBeLessThan(1e-5);
        expect(Math.abs(n.similarity - want[r]!.s)).toBeLessThan(1e-5);
      });
    }
    const q = new Float32Array(dim);
    for (let t = 0; t < dim; t++) q[t] = row(2)[t]! / Math.hypot(...row(2)) - row(1)[t]! / Math.hypot(...row(1)) + row(3)[t]! / Math.hypot(...row(3));
    const want = words.map((w, i) => ({ w, s: cosine(q, row(i)) })).filter((_, i) => i > 3 || i === 0).sort((a, b) => b.s - a.s);
    const got = m.analogy('w1', 'w2', 'w3', { topN: 5 });
    got.forEach((n, r) => expect(Math.abs(n.similarity - want[r]!.s)).toBeLessThan(1e-5));
  });

  test('invalidate() makes queries see changed vectors', () => {
    const m = model(k(), ROYALS);
    expect(m.mostSimilar('apple', 1)[0]!.similarity).toBe(0);
    m.vectors.set([1, 0, 0, 1], m.index('apple') * 4);
    // Still the cached unit matrix.
    expect(m.mostSimilar('king', 1)[0]!.word).toBe('man');
    m.invalidate();
    expect(m.mostSimilar('apple', 1)[0]).toEqual({ word: 'man', similarity: expect.closeTo(SQRT1_2, 6) });
    m.dispose();
  });

  test('constructor checks', () => {
    const f = new Float32Array(4);
    expect(() => new WordVectors(['a', 'b'], f, 3, { kernels: k() })).toThrow('WordVectors: vectors has 4 floats, expected words·dim = 2·3 = 6');
    expect(() => new WordVectors(['a', 'a'], f, 2, { kernels: k() })).toThrow('WordVectors: word 1 ("a") is a duplicate of word 0');
    expect(() => new WordVectors(['a', 'b'], f, 0, { kernels: k() })).toThrow('WordVectors: dim must be a positive integer, got 0');
    expect(() => new WordVectors(['a', 'b'], f, 2, {} as never)).toThrow(/option kernels is required/);
    expect(() => new WordVectors(['a', 'b'], f, 2, { kernels: k(), counts: [3] })).toThrow(/option counts must have one count per word \(2\), got 1/);
    expect(() => new WordVectors(['a', 'b'], f, 2, { kernels: k(), counts: [3, 5] })).toThrow(/descending count, but counts\[1\] = 5 > counts\[0\] = 3/);
    const m = new WordVectors(['a', 'b'], f, 2, { kernels: k(), counts: [5, 5] });
    expect(m.counts).toEqual([5, 5]);
  });
});

test('dispose() gives the packed matrix back to WASM memory', () => {
  const random = rng(3);
  const m = new WordVectors(Array.from({ length: 300 }, (_, i) => `w${i}`), randomArray(300 * 16, random), 16, { kernels: rt.kernels });
  const used = rt.arena!.usedBytes;
  m.mostSimilar('w0', 3);
  m.mostSimilar('w0', 3, { restrictVocab: 100 });
  expect(rt.arena!.usedBytes).toBeGreaterThan(used);
  m.dispose();
  expect(rt.arena!.usedBytes).toBe(used);
});

test('selectTop: the k best, best first, ties to the lower index, skips and NaN left out', () => {
  const s = [0.5, 0.9, NaN, 0.9, 0.1, 0.7, 0.95];
  expect(selectTop(s, 0, s.length, 3)).toEqual([6, 1, 3]);
  expect(selectTop(s, 0, s.length, 3, (i) => i === 6)).toEqual([1, 3, 5]);
  expect(selectTop(s, 0, s.length, 10)).toEqual([6, 1, 3, 5, 0, 4]);
  expect(selectTop(s, 4, 3, 2)).toEqual([2, 1]);
  expect(selectTop(s, 0, s.length, 0)).toEqual([]);
});
