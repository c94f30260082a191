// cosSim and semanticSearch (issue 14) against hand-computed values and a plain f64 reference
// on random data: the same ids in the same order, scores within 1e-6, on the runtime's WASM
// GEMM and on the JS twins; ties by corpusId, across chunks; a CorpusIndex built in parts and
// reused; and the errors, each naming the argument.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, type Runtime } from '../../src/index';
import { cosSim, CorpusIndex, semanticSearch, type Hit } from '../../src/search/index';

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});
afterAll(() => rt.dispose());

/** Deterministic uniform numbers in [-1, 1). */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}
const vectors = (n: number, D: number, seed: number) => {
  const r = random(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: D }, r));
};

/** The reference: every cosine in f64, a full sort by score then id, the first k. */
function reference(queries: Float32Array[], corpus: Float32Array[], k: number): Hit[][] {
  const norm = (v: Float32Array) => Math.max(Math.hypot(...v), 1e-12);
  const corpusNorms = corpus.map(norm);
  return queries.map((q) => corpus
    .map((c, corpusId) => {
      let s = 0;
      for (let j = 0; j < q.length; j++) s += q[j]! * c[j]!;
      return { corpusId, score: s / (norm(q) * corpusNorms[corpusId]!) };
    })
    .sort((a, b) => b.score - a.score || a.corpusId - b.corpusId)
    .slice(0, k));
}

describe('cosSim', () => {
  test('hand-computed: two vectors give a number', () => {
    expect(cosSim([1, 0], [1, 1])).toBeCloseTo(Math.SQRT1_2, 15);
    expect(cosSim(new Float32Array([3, 4]), [4, 3])).toBeCloseTo(24 / 25, 15);
    expect(cosSim([1, 2, 3], [-2, -4, -6])).toBeCloseTo(-1, 15);
    expect(cosSim([0, 0], [1, 2])).toBe(0); // F.normalize's eps: a zero vector stays zero
  });

  test('arrays of vectors give util.cos_sim\'s matrix, as Float32Array rows', () => {
    const m = cosSim([[1, 0], [0, 2]], [[3, 4], [1, 0], [0, -1]]);
    expect(m).toHaveLength(2);
    expect(Array.from(m[0]!)).toEqual(Array.from(Float32Array.of(0.6, 1, 0)));
    expect(Array.from(m[1]!)).toEqual(Array.from(Float32Array.of(0.8, 0, -1)));
    // One vector against many: one row.
    expect(cosSim([1, 0], [[1, 0], [0, 1]]).map((r) => Array.from(r))).toEqual([[1, 0]]);
  });

  test('errors name the argument', () => {
    expect(() => cosSim([1, 2], [1, 2, 3])).toThrow('cosSim: b has 3 dimensions, a has 2');
    expect(() => cosSim([[1, 2], [1, 2]], [[1, 2], [1]])).toThrow('cosSim: b[1] has 1 dimensions, a[0] has 2');
    expect(() => cosSim([], [1])).toThrow('cosSim: a is an empty vector');
    expect(() => cosSim([1], [] as number[][])).toThrow('cosSim: b is an empty vector');
    expect(() => cosSim([1, NaN], [1, 1])).toThrow('cosSim: a has a non-finite element (NaN at 1)');
    expect(() => cosSim('ab' as never, [1])).toThrow('cosSim: a must be a vector');
  });
});

describe('semanticSearch', () => {
  test('hand-computed: scores and order', () => {
    const corpus = [[1, 0], [0, 1], [1, 1], [-1, 0], [3, 4]];
    // Query [1, 0]: cosines 1, 0, 1/√2, -1, 0.6.
    const [hits] = semanticSearch([1, 0], corpus, { topK: 3 });
    expect(hits!.map((h) => h.corpusId)).toEqual([0, 2, 4]);
    expect(hits![0]!.score).toBeCloseTo(1, 6);
    expect(hits![1]!.score).toBeCloseTo(Math.SQRT1_2, 6);
    expect(hits![2]!.score).toBeCloseTo(0.6, 6);
    // topK over the corpus size: every vector, the last the opposite one.
    const all = semanticSearch([[1, 0], [0, 1]], corpus, { topK: 50 });
    expect(all.map((list) => list.map((h) => h.corpusId))).toEqual([[0, 2, 4, 1, 3], [1, 4, 2, 0, 3]]);
  });

  describe.each([['the runtime\'s WASM GEMM', () => rt], ['the JS twins', () => undefined]])('on %s', (_, runtime) => {
    test.each([[1, 10], [7, 10], [130, 3], [5, 1000]])('random data, %i queries, top %i: the f64 reference\'s ids, scores within 1e-6', (Q, topK) => {
      // D 33 and chunks of 256 (the last one partial): SIMD tails and the merge across chunks.
      const corpus = vectors(1000, 33, 1), queries = vectors(Q, 33, 2);
      const want = reference(queries, corpus, topK);
      const got = semanticSearch(queries, corpus, { topK, runtime: runtime(), chunkRows: 256, queryChunkSize: 64 });
      expect(got).toHaveLength(Q);
      got.forEach((hits, i) => {
        expect(hits.map((h) => h.corpusId)).toEqual(want[i]!.map((h) => h.corpusId));
        hits.forEach((h, r) => expect(Math.abs(h.score - want[i]![r]!.score)).toBeLessThan(1e-6));
      });
    });

    test('ties are ordered by corpusId, within and across chunks, and topK keeps the lowest ids', () => {
      const D = 16, base = vectors(50, D, 3), v = vectors(1, D, 4)[0]!;
      // The same direction at ids 45, 3, 30, 12 (scaled by powers of 2: the same after normalising).
      const corpus = [...base];
      for (const [id, s] of [[45, 1], [3, 2], [30, 4], [12, 0.5]] as const) corpus[id] = v.map((x) => x * s);
      const [hits] = semanticSearch([v], corpus, { topK: 3, runtime: runtime(), chunkRows: 8 });
      expect(hits!.map((h) => h.corpusId)).toEqual([3, 12, 30]);
      expect(new Set(hits!.map((h) => h.score)).size).toBe(1);
      expect(hits![0]!.score).toBeCloseTo(1, 6);
    });

    test('a CorpusIndex built in parts answers as the whole array, again and again; dispose ends it', () => {
      const corpus = vectors(300, 20, 5), queries = vectors(4, 20, 6);
      const index = new CorpusIndex(corpus.slice(0, 100), { runtime: runtime(), chunkRows: 64 });
      index.add(corpus.slice(100, 250)).add(corpus.slice(250));
      expect(index.size).toBe(300);
      expect(index.dim).toBe(20);
      const want = semanticSearch(queries, corpus, { topK: 5, runtime: runtime() });
      expect(semanticSearch(queries, index, { topK: 5 })).toEqual(want);
      expect(index.search(queries, { topK: 5 })).toEqual(want);
      // Added after a search: the new vectors are found too.
      index.add([queries[0]!.map((x) => -x), queries[0]!]);
      expect(index.search(queries[0]!, { topK: 1 })).toEqual([[{ corpusId: 301, score: expect.closeTo(1, 6) }]]);
      index.dispose();
      expect(() => index.search(queries)).toThrow('CorpusIndex.search: this CorpusIndex was disposed');
    });
  });

  test('the top k of random data by the runtime and by the twins agree', () => {
    const corpus = vectors(500, 40, 7), queries = vectors(3, 40, 8);
    const wasm = semanticSearch(queries, corpus, { runtime: rt }), js = semanticSearch(queries, corpus);
    expect(wasm.map((l) => l.map((h) => h.corpusId))).toEqual(js.map((l) => l.map((h) => h.corpusId)));
  });

  test('errors name the argument', () => {
    const corpus = [[1, 0, 0], [0, 1, 0]];
    expect(() => semanticSearch([], corpus)).toThrow('semanticSearch: queries is empty; give a query vector or a non-empty array of them');
    expect(() => semanticSearch([[1, 0, 0]], [])).toThrow('semanticSearch: the corpus is empty');
    expect(() => semanticSearch([[1, 0, 0]], new CorpusIndex())).toThrow('semanticSearch: the corpus is empty');
    expect(() => semanticSearch([[1, 0, 0], [1, 0]], corpus)).toThrow('semanticSearch: query 1 has 2 dimensions, the corpus 3');
    expect(() => semanticSearch([1, 0, 0], [[1, 0, 0], [1, 0]])).toThrow('CorpusIndex: corpus vector 1 has 2 dimensions, the corpus 3');
    expect(() => semanticSearch([1, 0, 0], [[1, 0, 0], 'x' as never])).toThrow('CorpusIndex: corpus vector 1 is not a vector');
    expect(() => semanticSearch([1, 0, 0], [[1, 0, Infinity]])).toThrow('CorpusIndex: corpus vector 0 has a non-finite element (Infinity at 2)');
    expect(() => semanticSearch([NaN, 0, 0], corpus)).toThrow('semanticSearch: query 0 has a non-finite element');
    for (const bad of [0, -2, 1.5, '3']) {
      expect(() => semanticSearch([1, 0, 0], corpus, { topK: bad as number })).toThrow(`semanticSearch: option topK must be an integer ≥ 1, got ${String(bad)}`);
    }
    expect(() => semanticSearch([1, 0, 0], corpus, { top_k: 3 } as never)).toThrow("semanticSearch: unknown option top_k (sentence-transformers's name for topK); write { topK: 3 }");
    const index = new CorpusIndex(corpus, { runtime: rt });
    expect(() => semanticSearch([1, 0, 0], index, { runtime: undefined, chunkRows: 4 })).toThrow('semanticSearch: option chunkRows is for an array corpus');
    // A bad vector in add() adds none of the others.
    expect(() => index.add([[0, 0, 1], [0, NaN, 0]])).toThrow('CorpusIndex: corpus vector 3 has a non-finite element (NaN at 1)');
    expect(index.size).toBe(2);
    index.dispose();
    const js = new CorpusIndex(corpus);
    expect(() => semanticSearch([1, 0, 0], js, { runtime: rt })).toThrow('semanticSearch: option runtime differs from the one the CorpusIndex was built with');
    expect(() => new CorpusIndex(corpus, { chunkRows: 0 })).toThrow('CorpusIndex: option chunkRows must be an integer ≥ 1, got 0');
  });
});
