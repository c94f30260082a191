// WordVectors queries on vector sets small enough to check by hand, against a brute-force
// cosine in f64 on a random set, and against gensim's KeyedVectors (Debian's gensim 4.2,
// required in CI: see tests/references.ts) on the same vectors, with the WASM kernels of this
// process and the JS twins.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, jsKernels, type Kernels, type Runtime } from '../../src/index';
import { formatWord2Vec } from '../../src/io/word2vec-format';
import { WordVectors, selectTop, type MeanVectorOptions, type MostSimilarQuery, type WordKey } from '../../src/word2vec/vectors';
import { gensimReference, PYTHON } from '../gensim';
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

  test('mostSimilar({ positive, negative }): gensim\'s arithmetic on unit vectors, by hand', () => {
    const m = model(k(), ROYALS);
    // Unit king + unit woman − unit man, over 3: the direction of b̂ − â + ĉ, so analogy's answer.
    const q = m.mostSimilar({ positive: ['king', 'woman'], negative: ['man'] });
    expect(q[0]!.word).toBe('queen');
    expect(q[0]!.similarity).toBeCloseTo(QUEEN_COS, 6);
    expect(q.map((n) => n.word).sort()).toEqual(['apple', 'nothing', 'queen']);
    expect(q).toEqual(m.analogy('man', 'king', 'woman', { topN: 10 }));
    expect(m.mostSimilar({ positive: ['king', 'woman'], negative: ['man'], topN: 1, restrictVocab: 4 }).map((n) => n.word)).toEqual(['queen']);
    expect(m.mostSimilar({ positive: ['king', 'woman'], negative: ['man'], exclude: ['queen'], topN: 1 })[0]!.word).toBe('apple');
    expect(m.mostSimilar({ positive: ['king'], topN: 0 })).toEqual([]);
    // One word alone, not in a list, is the mostSimilar(word) of before.
    expect(m.mostSimilar({ positive: 'king', topN: 3 })).toEqual(m.mostSimilar('king', 3));
    // Negative only: −man. cos 0 with woman, queen, apple, nothing (ties in vocabulary order), −1/√2 with king.
    const away = m.mostSimilar({ negative: 'man' });
    expect(away.map((n) => n.word)).toEqual(['woman', 'queen', 'apple', 'nothing', 'king']);
    expect(away[4]!.similarity).toBeCloseTo(-SQRT1_2, 6);
    // [word, weight] pairs: man + 3·woman ∝ (1, 3, 0, 0): cos with queen 3/√20, with king 1/√20.
    const weighted = m.mostSimilar({ positive: [['man', 1], ['woman', 3]], topN: 2 });
    expect(weighted.map((n) => n.word)).toEqual(['queen', 'king']);
    expect(weighted[0]!.similarity).toBeCloseTo(3 / Math.sqrt(20), 6);
    expect(weighted[1]!.similarity).toBeCloseTo(1 / Math.sqrt(20), 6);
    // A pair's weight is taken as given, in negative too (gensim): −(−3)·woman = +3·woman.
    expect(m.mostSimilar({ positive: 'man', negative: [['woman', 3]], topN: 2 })).toEqual(weighted);
    // A vector key is used as given and excludes nothing: e3 ties king and queen at 1/√2.
    const byVector = m.mostSimilar({ positive: [[0, 0, 1, 0]], topN: 2 });
    expect(byVector.map((n) => n.word)).toEqual(['king', 'queen']);
    expect(byVector[0]!.similarity).toBeCloseTo(SQRT1_2, 6);
    expect(m.mostSimilar({ positive: Float32Array.of(0, 0, 1, 0), topN: 2 })).toEqual(byVector);
    expect(m.mostSimilar({ positive: [Float32Array.of(0, 0, 5, 0), 'king'], topN: 1 })[0]!.word).toBe('queen');
  });

  test('mostSimilar: unknown words, bad keys and unknown options are errors', () => {
    const m = model(k(), ROYALS);
    expect(() => m.mostSimilar({ positive: ['king', 'banana'] })).toThrow('mostSimilar: "banana" is not in the vocabulary');
    expect(() => m.mostSimilar({ positive: ['kong', 'banana'] })).toThrow('mostSimilar: "kong", "banana" are not in the vocabulary');
    expect(() => m.mostSimilar({})).toThrow('mostSimilar: give at least one positive or negative word');
    expect(() => m.mostSimilar({ positive: [] })).toThrow('mostSimilar: give at least one positive or negative word');
    expect(() => m.mostSimilar({ positive: ['king', 2] as never })).toThrow('mostSimilar: positive[1] must be a word, a vector or a [word, weight] pair, got number');
    expect(() => m.mostSimilar({ positive: [['king', NaN]] })).toThrow('mostSimilar: positive[0] has weight NaN, expected a finite number');
    expect(() => m.mostSimilar({ positive: [[1, 2, 3]] })).toThrow('mostSimilar: key 0 is a vector of 3 values, expected dim = 4');
    expect(() => m.mostSimilar({ positive: [[1, NaN, 0, 0]] })).toThrow('mostSimilar: key 0 has a value that is not a finite number');
    expect(() => m.mostSimilar({ positive: ['king'], topN: -1 })).toThrow('mostSimilar: topN must be a non-negative integer, got -1');
    expect(() => (m.mostSimilar as (...args: unknown[]) => unknown).call(m, { positive: ['king'] }, 3)).toThrow(/with a query object, give topN and the options inside it/);
    expect(() => m.mostSimilar({ positive: ['king'], topn: 3 } as never))
      .toThrow('mostSimilar: unknown option topn (gensim\'s name for topN); write { topN: 3 }');
    expect(() => m.mostSimilar({ positive: ['king'], restrict_vocab: 3 } as never)).toThrow(/unknown option restrict_vocab \(gensim's name for restrictVocab\); write \{ restrictVocab: 3 \}/);
    expect(() => m.mostSimilar({ postive: ['king'] } as never)).toThrow('mostSimilar: unknown option postive (did you mean positive?)');
    expect(() => m.mostSimilar('king', 3, { topN: 2 } as never)).toThrow('mostSimilar: unknown option topN; the options are exclude, restrictVocab');
    expect(() => m.mostSimilar({ positive: ['king'], clip_end: 3 } as never))
      .toThrow("mostSimilar: unknown option clip_end (gensim's; search a prefix of the vocabulary with restrictVocab)");
    expect(() => m.mostSimilar('king', 3, 'x' as never)).toThrow('mostSimilar: options must be an object, got string');
    expect(() => m.analogy('man', 'king', 'woman', { topn: 2 } as never)).toThrow('analogy: unknown option topn (gensim\'s name for topN); write { topN: 2 }');
  });

  test('meanVector: gensim\'s get_mean_vector, by hand', () => {
    const m = model(k(), ROYALS);
    const r = SQRT1_2;
    const close = (got: Float32Array, want: number[]) => {
      expect(got).toBeInstanceOf(Float32Array);
      expect(got.length).toBe(want.length);
      want.forEach((w, t) => expect(got[t]).toBeCloseTo(w, 6));
    };
    // Unit king (r, 0, r, 0) and man (1, 0, 0, 0), averaged.
    close(m.meanVector(['king', 'man']), [(r + 1) / 2, 0, r / 2, 0]);
    close(m.meanVector(['king', 'man'], { preNormalize: false }), [1, 0, 0.5, 0]);
    close(m.meanVector(['king', 'man'], { preNormalize: false, postNormalize: true }), [2 / Math.sqrt(5), 0, 1 / Math.sqrt(5), 0]);
    // Σ weight·v / Σ|weight|: (king − 3·man) / 4.
    close(m.meanVector(['king', 'man'], { weights: [1, -3] }), [(r - 3) / 4, 0, r / 4, 0]);
    // A vector key is never normalised; an unknown word is skipped (gensim's ignore_missing).
    close(m.meanVector([[0, 2, 0, 0], 'man', 'banana']), [0.5, 1, 0, 0]);
    expect(() => m.meanVector(['man', 'banana'], { ignoreMissing: false })).toThrow('meanVector: "banana" is not in the vocabulary');
    // gensim returns zeros here: a silent wrong answer, so it is an error.
    expect(() => m.meanVector(['banana', 'kiwi'])).toThrow('meanVector: none of the words is in the vocabulary ("banana", "kiwi")');
    expect(() => m.meanVector([])).toThrow('meanVector: cannot take the mean of no words');
    expect(() => m.meanVector(['man'], { weights: [1, 2] })).toThrow('meanVector: option weights must have one weight per key (1), got 2');
    expect(() => m.meanVector(['man'], { weights: [Infinity] })).toThrow('meanVector: weights[0] must be a finite number, got Infinity');
    expect(() => m.meanVector(['man'], { postNormalise: true } as never)).toThrow('meanVector: unknown option postNormalise (did you mean postNormalize?)');
    expect(() => m.meanVector(['man'], { pre_normalize: false } as never)).toThrow('meanVector: unknown option pre_normalize (gensim\'s name for preNormalize); write { preNormalize: false }');
    expect(() => m.meanVector(['man'], { preNormalize: 0 } as never)).toThrow('meanVector: option preNormalize must be true or false, got 0');
  });

  test('nSimilarity: the cosine of the plain means (gensim 4.2), by hand', () => {
    // a = (2, 0), b = (0, 1), c = (1, 1): mean(a, b) = (1, 0.5), so cos with c = 1.5/(√1.25·√2). The
    // means of unit vectors would be (0.5, 0.5), cos 1: this tells the two apart.
    const m = new WordVectors(['a', 'b', 'c'], Float32Array.of(2, 0, 0, 1, 1, 1), 2, { kernels: k() });
    expect(m.nSimilarity(['a', 'b'], ['c'])).toBeCloseTo(1.5 / Math.sqrt(1.25 * 2), 6);
    expect(m.nSimilarity(['a'], ['c'])).toBeCloseTo(m.similarity('a', 'c'), 12);
    // Unknown words skipped, as gensim; refused with ignoreMissing: false; a list of none is an error.
    expect(m.nSimilarity(['a', 'b', 'zebra'], ['c'])).toBeCloseTo(1.5 / Math.sqrt(1.25 * 2), 6);
    expect(() => m.nSimilarity(['a', 'zebra'], ['c'], { ignoreMissing: false })).toThrow('nSimilarity: "zebra" is not in the vocabulary');
    expect(() => m.nSimilarity(['zebra'], ['c'])).toThrow('nSimilarity: none of the words is in the vocabulary ("zebra")');
    expect(() => m.nSimilarity([], ['c'])).toThrow('nSimilarity: a must be a non-empty array of words');
    expect(() => m.nSimilarity(['a'], 'c' as never)).toThrow('nSimilarity: b must be a non-empty array of words');
  });

  test('rankByCentrality and doesntMatch, by hand: ties ordered as gensim\'s sort', () => {
    const m = model(k(), ROYALS);
    // Unit vectors e1, e2, (e1+e3)/√2, (e2+e3)/√2 sum to s = (a, a, √2, 0) with a = 1 + 1/√2; man
    // and woman score a/|s|, king and queen (a + √2)/√2/|s|. gensim sorts (score, word) pairs
    // descending, so of equal scores the later word comes first.
    const a = 1 + SQRT1_2, norm = Math.sqrt(2 * a * a + 2);
    const ranked = m.rankByCentrality(['man', 'woman', 'king', 'queen']);
    expect(ranked.map((n) => n.word)).toEqual(['queen', 'king', 'woman', 'man']);
    expect(ranked[0]!.similarity).toBeCloseTo((a + Math.SQRT2) * SQRT1_2 / norm, 6);
    expect(ranked[3]!.similarity).toBeCloseTo(a / norm, 6);
    expect(m.doesntMatch(['man', 'woman', 'king', 'queen'])).toBe('man');
    // useNorm: false ranks the raw vectors against their unit mean (1, 1, 1, 0)/√3: 2/√3 and 1/√3.
    const raw = m.rankByCentrality(['man', 'woman', 'king', 'queen'], { useNorm: false });
    expect(raw.map((n) => [n.word, n.similarity])).toEqual([
      ['queen', expect.closeTo(2 / Math.sqrt(3), 6)], ['king', expect.closeTo(2 / Math.sqrt(3), 6)],
      ['woman', expect.closeTo(1 / Math.sqrt(3), 6)], ['man', expect.closeTo(1 / Math.sqrt(3), 6)],
    ]);
    // man, king, queen: s = (1 + r, r, 2r) with r = 1/√2; queen scores (r·r + r·2r)/|s| = 1.5/|s|, the lowest.
    const s = Math.hypot(1 + SQRT1_2, SQRT1_2, Math.SQRT2);
    const three = m.rankByCentrality(['man', 'king', 'queen', 'banana']);
    expect(three.map((n) => n.word)).toEqual(['king', 'man', 'queen']);
    expect(three[2]!.similarity).toBeCloseTo(1.5 / s, 6);
    expect(m.doesntMatch(['man', 'king', 'queen', 'banana'])).toBe('queen');
    // A repeated word stays repeated (gensim keeps the list as given).
    expect(m.rankByCentrality(['king', 'king', 'apple']).map((n) => n.word)).toEqual(['king', 'king', 'apple']);
    expect(() => m.doesntMatch(['man', 'banana'], { ignoreMissing: false })).toThrow('rankByCentrality: "banana" is not in the vocabulary');
    expect(() => m.doesntMatch(['banana'])).toThrow('rankByCentrality: none of the words is in the vocabulary ("banana")');
    expect(() => m.doesntMatch([])).toThrow('rankByCentrality: words must be a non-empty array of words');
    expect(() => m.rankByCentrality(['man', [1, 0, 0, 0]] as never)).toThrow('rankByCentrality: words[1] must be a word (a string), got object');
    expect(() => m.rankByCentrality(['man'], { use_norm: false } as never)).toThrow('rankByCentrality: unknown option use_norm (gensim\'s name for useNorm); write { useNorm: false }');
    expect(() => m.doesntMatch(['man'], { useNorm: false } as never)).toThrow('doesntMatch: unknown option useNorm; the options are ignoreMissing');
  });

  test('distance, distances, closerThan, rank: by hand', () => {
    const m = model(k(), ROYALS);
    expect(m.distance('king', 'queen')).toBeCloseTo(0.5, 12);
    // cos(king, ·): man 1/√2, woman 0, king 1, queen 1/2, apple 0, nothing 0 (zero vector).
    const all = m.distances('king');
    expect(all).toBeInstanceOf(Float32Array);
    [1 - SQRT1_2, 1, 0, 0.5, 1, 1].forEach((d, i) => expect(all[i]).toBeCloseTo(d, 6));
    expect([...m.distances('king', ['queen', 'man'])]).toEqual([expect.closeTo(0.5, 6), expect.closeTo(1 - SQRT1_2, 6)]);
    expect([...m.distances([0, 0, 3, 0], ['king'])]).toEqual([expect.closeTo(1 - SQRT1_2, 6)]);
    expect(m.closerThan('king', 'queen')).toEqual(['man']);
    expect(m.closerThan('king', 'woman')).toEqual(['man', 'queen']);
    expect(m.rank('king', 'queen')).toBe(2);
    expect(m.rank('king', 'man')).toBe(1);
    expect(() => m.distances('king', ['banana'])).toThrow('WordVectors: "banana" is not in the vocabulary');
    expect(() => m.closerThan('banana', 'king')).toThrow(/"banana"/);
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

// --- against gensim -----------------------------------------------------------------------

const gensim = gensimReference('vectors.test.ts: gensim KeyedVectors comparison');

/**
 * 6 clusters of 40 words (c{k}w{i}: the cluster's center + noise) and 160 fillers (f{i}), 24
 * values each, in a shuffled order so that restrictVocab cuts through the clusters.
 */
function clustered() {
  const random = rng(13);
  const dim = 24;
  const centers = Array.from({ length: 6 }, () => randomArray(dim, random));
  const words: string[] = [], rows: Float32Array[] = [];
  centers.forEach((c, k) => {
    for (let i = 0; i < 40; i++) {
      words.push(`c${k}w${i}`);
      // Lengths from 0.5 to 2: preNormalize and useNorm then change the answers.
      const scale = 0.5 + 1.5 * random();
      rows.push(c.map((x) => scale * (x + 0.6 * (2 * random() - 1))));
    }
  });
  for (let i = 0; i < 160; i++) {
    words.push(`f${i}`);
    rows.push(randomArray(dim, random));
  }
  for (let i = words.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [words[i], words[j]] = [words[j]!, words[i]!];
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  const vectors = new Float32Array(words.length * dim);
  rows.forEach((r, i) => vectors.set(r, i * dim));
  return { words, dim, vectors, probe: Array.from(randomArray(dim, random)) };
}

/** A key as JSON for the Python side: a word, { vector }, or [key, weight]. */
type JsonKey = string | { vector: number[] } | [string | { vector: number[] }, number];

const GENSIM_QUERIES = `
import sys, json
import numpy as np
from gensim.models import KeyedVectors
kv = KeyedVectors.load_word2vec_format(sys.argv[1], binary=True)
spec = json.load(open(sys.argv[2]))
def key(k):
    if isinstance(k, dict): return np.array(k['vector'], dtype=np.float32)
    if isinstance(k, list): return (key(k[0]), float(k[1]))
    return k
pairs = lambda r: [[w, float(s)] for w, s in r]
out = {
  'mostSimilar': [pairs(kv.most_similar(positive=[key(k) for k in q.get('positive', [])], negative=[key(k) for k in q.get('negative', [])],
                                        topn=q['topN'], restrict_vocab=q.get('restrictVocab'))) for q in spec['mostSimilar']],
  'doesntMatch': [kv.doesnt_match(ws) for ws in spec['doesntMatch']],
  'nSimilarity': [float(kv.n_similarity(a, b)) for a, b in spec['nSimilarity']],
  'meanVector': [kv.get_mean_vector([key(k) for k in m['keys']], weights=m.get('weights'), pre_normalize=m.get('preNormalize', True),
                                    post_normalize=m.get('postNormalize', False)).tolist() for m in spec['meanVector']],
  'rankByCentrality': [[[w, float(s)] for s, w in kv.rank_by_centrality(r['words'], use_norm=r.get('useNorm', True))] for r in spec['rankByCentrality']],
  'distances': [kv.distances(w, others).tolist() for w, others in spec['distances']],
  'closerThan': [kv.closer_than(a, b) for a, b in spec['closerThan']],
  'rank': [kv.rank(a, b) for a, b in spec['closerThan']],
  'similarity': [float(kv.similarity(a, b)) for a, b in spec['similarity']],
  'distance': [float(kv.distance(a, b)) for a, b in spec['similarity']],
}
print(json.dumps(out))
`;

describe('against gensim', () => {
  const v = { vector: [] as number[] };
  const SPEC = {
    mostSimilar: [
      { positive: ['c0w1', 'c1w2'], negative: ['c2w3'], topN: 10 },
      { positive: ['c3w0'], topN: 5, restrictVocab: 150 },
      { positive: [['c0w1', 2], 'c4w5'], negative: [['c5w1', -0.5]], topN: 8 },
      { positive: [v, 'c1w3'], topN: 6 },
      { negative: ['c2w2'], topN: 7 },
      { positive: ['c0w0', 'c0w1', 'c0w2'], negative: ['c1w0', 'c1w1'], topN: 50 },
    ] as { positive?: JsonKey[]; negative?: JsonKey[]; topN: number; restrictVocab?: number }[],
    doesntMatch: [['c0w1', 'c0w2', 'c0w3', 'c3w4'], ['c1w0', 'c1w5', 'f3', 'c1w9', 'nope'], ['c2w1', 'c2w2', 'c2w3', 'c2w4', 'c2w5']],
    nSimilarity: [[['c0w1', 'c0w2'], ['c0w3', 'c0w4', 'c0w5']], [['c1w1'], ['c2w2', 'f7']], [['c3w1', 'nope', 'c3w2'], ['c4w4']]],
    meanVector: [
      { keys: ['c0w1', 'c0w2', 'c3w3'] },
      { keys: ['c0w1', 'c1w1'], weights: [1, -2], postNormalize: true },
      { keys: ['c0w1', v, 'c2w2'], weights: [0.5, 1, -1], preNormalize: false },
      { keys: ['c0w1', 'nope', 'c1w1'] },
    ] as { keys: JsonKey[]; weights?: number[]; preNormalize?: boolean; postNormalize?: boolean }[],
    rankByCentrality: [
      { words: ['c0w0', 'c0w1', 'c0w2', 'c0w3', 'c0w4', 'c0w5', 'c4w0', 'f1'] },
      { words: ['c0w0', 'c0w1', 'c0w2', 'c0w3', 'c0w4', 'c0w5', 'c4w0', 'f1'], useNorm: false },
      { words: ['c1w1', 'c1w1', 'c1w2', 'nope', 'c3w3'] },
    ],
    distances: [['c0w1', ['c0w2', 'f3', 'c5w5']], ['c0w1', []]] as [string, string[]][],
    closerThan: [['c0w1', 'c0w7'], ['f10', 'c2w2']],
    similarity: [['c0w1', 'c0w2'], ['c0w1', 'f9']],
  };
  type Theirs = {
    mostSimilar: [string, number][][]; doesntMatch: string[]; nSimilarity: number[]; meanVector: number[][];
    rankByCentrality: [string, number][][]; distances: number[][]; closerThan: string[][]; rank: number[];
    similarity: number[]; distance: number[];
  };
  const data = clustered();
  v.vector = data.probe;
  let theirs: Theirs;

  beforeAll(() => {
    if (!gensim) return;
    const dir = mkdtempSync(join(tmpdir(), 'w2v-keyed-'));
    try {
      // Binary: the f32 values exactly, as ours.
      writeFileSync(join(dir, 'model.bin'), formatWord2Vec(data, 'binary'));
      writeFileSync(join(dir, 'spec.json'), JSON.stringify(SPEC));
      // stderr piped: gensim warns (as it should) about the words it skips.
      theirs = JSON.parse(execFileSync(PYTHON, ['-c', GENSIM_QUERIES, join(dir, 'model.bin'), join(dir, 'spec.json')],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as Theirs;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const key = (k: JsonKey): WordKey | [WordKey, number] =>
    typeof k === 'string' ? k : Array.isArray(k) ? [key(k[0]) as WordKey, k[1]] : Float32Array.from(k.vector);
  /** Same words in the same order, values to 1e-6. */
  const expectNeighbours = (ours: { word: string; similarity: number }[], want: [string, number][]) => {
    expect(ours.map((n) => n.word)).toEqual(want.map((w) => w[0]));
    ours.forEach((n, i) => expect(Math.abs(n.similarity - want[i]![1])).toBeLessThan(1e-6));
  };
  const expectValues = (ours: ArrayLike<number>, want: number[]) => {
    expect(ours.length).toBe(want.length);
    want.forEach((w, i) => expect(Math.abs(ours[i]! - w)).toBeLessThan(1e-6));
  };

  test.skipIf(!gensim).each(['wasm', 'js'])('most_similar, doesnt_match, n_similarity, get_mean_vector, rank_by_centrality, distances, closer_than (%s kernels)', (backend) => {
    const m = new WordVectors(data.words, data.vectors, data.dim, { kernels: backend === 'wasm' ? rt.kernels : jsKernels });
    SPEC.mostSimilar.forEach((q, i) => {
      const query: MostSimilarQuery = { topN: q.topN, ...(q.restrictVocab ? { restrictVocab: q.restrictVocab } : {}) };
      if (q.positive) query.positive = q.positive.map(key);
      if (q.negative) query.negative = q.negative.map(key);
      expectNeighbours(m.mostSimilar(query), theirs.mostSimilar[i]!);
    });
    // A real comparison: the queries' answers differ, and restrictVocab cut some words out.
    expect(new Set(theirs.mostSimilar.map((r) => r[0]![0])).size).toBe(SPEC.mostSimilar.length);
    expect(theirs.mostSimilar[1]!.every(([w]) => m.index(w) < 150)).toBe(true);
    expect(SPEC.doesntMatch.map((ws) => m.doesntMatch(ws))).toEqual(theirs.doesntMatch);
    expect(theirs.doesntMatch.slice(0, 2)).toEqual(['c3w4', 'f3']);
    expectValues(SPEC.nSimilarity.map(([a, b]) => m.nSimilarity(a!, b!)), theirs.nSimilarity);
    SPEC.meanVector.forEach((q, i) => {
      const options: MeanVectorOptions = {};
      if (q.weights) options.weights = q.weights;
      if (q.preNormalize !== undefined) options.preNormalize = q.preNormalize;
      if (q.postNormalize !== undefined) options.postNormalize = q.postNormalize;
      expectValues(m.meanVector(q.keys.map((k) => key(k) as WordKey), options), theirs.meanVector[i]!);
    });
    SPEC.rankByCentrality.forEach((q, i) => {
      expectNeighbours(m.rankByCentrality(q.words, q.useNorm === undefined ? {} : { useNorm: q.useNorm }), theirs.rankByCentrality[i]!);
    });
    // useNorm changes the order here (the vectors' lengths differ), so both are compared for real.
    expect(theirs.rankByCentrality[0]!.map((p) => p[0])).not.toEqual(theirs.rankByCentrality[1]!.map((p) => p[0]));
    SPEC.distances.forEach(([w, others], i) => expectValues(m.distances(w, others), theirs.distances[i]!));
    expect(theirs.distances[1]!.length).toBe(400);
    expect(SPEC.closerThan.map(([a, b]) => m.closerThan(a!, b!))).toEqual(theirs.closerThan);
    expect(SPEC.closerThan.map(([a, b]) => m.rank(a!, b!))).toEqual(theirs.rank);
    expect(theirs.rank[0]).toBeGreaterThan(3);
    expectValues(SPEC.similarity.map(([a, b]) => m.similarity(a!, b!)), theirs.similarity);
    expectValues(SPEC.similarity.map(([a, b]) => m.distance(a!, b!)), theirs.distance);
    m.dispose();
  });
});
