// Trained word vectors and the queries people run on them: nearest words and analogies.
//
// Every query is one matrix product against the unit-length copy of the vectors, packed once
// for the kernels: kernels.matmul(queries, packed, { m }) gives the cosine of m queries with
// every word (a GEMV for one query, a GEMM for a batch). Shape letters: count words, dim
// values each, m queries. The unit-length matrix and its packing are made at the first query
// and kept; invalidate() drops them when the vectors change (training), dispose() frees them.
//
// The word-list queries (mostSimilar with positive and negative words, meanVector, nSimilarity,
// rankByCentrality, doesntMatch, distances, closerThan) follow gensim 4.2's KeyedVectors: the
// same arithmetic, the same defaults, so their answers compare with gensim's to float rounding.
import { checkOptionNames, type ForeignOption } from '../io/option-names';
import type { Kernels, PackedMatrix } from '../kernels/types';

export interface WordVectorsOptions {
  /** Corpus count per word, in the same (descending) order as the words. */
  counts?: readonly number[];
  /**
   * 'update': the words are in gensim's order after build_vocab(update=True) (continued
   * training): a model's words, then the words added, so counts may rise along the rows, and
   * restrictVocab keeps the first rows, as gensim's. Default 'count': descending counts, checked.
   */
  order?: 'count' | 'update';
  kernels: Kernels;
}

export interface Neighbour {
  word: string;
  /** Cosine similarity (3CosAdd), or the 3CosMul score for analogy(…, { method: 'mul' }). */
  similarity: number;
}

export interface MostSimilarOptions {
  /** Words never returned (the query word is never returned anyway). */
  exclude?: readonly string[];
  /** Search only the first restrictVocab (most frequent) words. */
  restrictVocab?: number;
}

/** A word, or a vector of dim values. */
export type WordKey = string | ArrayLike<number>;
/** A key, or a [key, weight] pair (gensim's (key, weight) tuples). */
export type WeightedKey = WordKey | readonly [WordKey, number];

/** gensim's most_similar(positive, negative, topn, restrict_vocab). */
export interface MostSimilarQuery extends MostSimilarOptions {
  /** Keys weighted +1 (unless a pair gives the weight): one key, or a list. */
  positive?: WeightedKey | readonly WeightedKey[];
  /** Keys weighted −1 (unless a pair gives the weight): one key, or a list. */
  negative?: WeightedKey | readonly WeightedKey[];
  /** Default 10. */
  topN?: number;
}

/** gensim's get_mean_vector options. */
export interface MeanVectorOptions {
  /** One weight per key (default 1 each); the sum is divided by Σ|weight|. */
  weights?: ArrayLike<number>;
  /** Scale each word's vector to unit length first (vectors given as keys never are). Default true. */
  preNormalize?: boolean;
  /** Scale the mean to unit length. Default false. */
  postNormalize?: boolean;
  /** Skip words not in the vocabulary (gensim's default); false refuses them. Default true. */
  ignoreMissing?: boolean;
}

/** For the word-list queries: gensim skips unknown words; a list with no known word is an error. */
export interface WordListOptions {
  /** Skip words not in the vocabulary (gensim's default); false refuses them. Default true. */
  ignoreMissing?: boolean;
}

export interface CentralityOptions extends WordListOptions {
  /** Rank the unit-length vectors (gensim's use_norm). Default true. */
  useNorm?: boolean;
}

export interface AnalogyOptions {
  /** 'add': 3CosAdd, cos(x, b − a + c). 'mul': 3CosMul (Levy & Goldberg 2014). Default 'add'. */
  method?: 'add' | 'mul';
  /** Default 1. */
  topN?: number;
  restrictVocab?: number;
}

/** 3CosMul's ε, as in gensim's most_similar_cosmul: keeps the division finite. */
export const COSMUL_EPSILON = 1e-6;

export class WordVectors {
  /** Words by row, most frequent first. */
  readonly vocab: readonly string[];
  readonly counts: readonly number[] | undefined;
  readonly dim: number;
  /** count×dim, row-major. Call invalidate() after changing it. */
  readonly vectors: Float32Array;
  readonly kernels: Kernels;
  private readonly rows: Map<string, number>;
  /** The vectors scaled to unit length (a zero vector stays zero), made at the first query. */
  private unit: Float32Array | undefined;
  /** Packed unit matrices by row count: the whole vocabulary, and the last restricted prefix. */
  private readonly packs = new Map<number, PackedMatrix>();

  constructor(words: readonly string[], vectors: Float32Array, dim: number, options: WordVectorsOptions) {
    if (!Array.isArray(words)) throw new Error('WordVectors: words must be an array of strings');
    if (!Number.isSafeInteger(dim) || dim < 1) throw new Error(`WordVectors: dim must be a positive integer, got ${String(dim)}`);
    if (!(vectors instanceof Float32Array)) throw new Error('WordVectors: vectors must be a Float32Array');
    if (vectors.length !== words.length * dim) {
      throw new Error(`WordVectors: vectors has ${vectors.length} floats, expected words·dim = ${words.length}·${dim} = ${words.length * dim}`);
    }
    const kernels = options?.kernels;
    if (typeof kernels?.matmul !== 'function' || typeof kernels.packB !== 'function') {
      throw new Error('WordVectors: option kernels is required (runtime.kernels or jsKernels)');
    }
    const rows = new Map<string, number>();
    words.forEach((w, i) => {
      if (typeof w !== 'string') throw new Error(`WordVectors: word ${i} must be a string, got ${typeof w}`);
      const first = rows.get(w);
      if (first !== undefined) throw new Error(`WordVectors: word ${i} ("${w}") is a duplicate of word ${first}`);
      rows.set(w, i);
    });
    const counts = options.counts;
    if (counts !== undefined) {
      if (!Array.isArray(counts) || counts.length !== words.length) {
        throw new Error(`WordVectors: option counts must have one count per word (${words.length}), got ${Array.isArray(counts) ? counts.length : typeof counts}`);
      }
      counts.forEach((c, i) => {
        if (!Number.isSafeInteger(c) || c < 0) throw new Error(`WordVectors: counts[${i}] must be a non-negative integer, got ${String(c)}`);
        // restrictVocab means "the most frequent words" only if rows are by descending count.
        if (options.order !== 'update' && i > 0 && c > counts[i - 1]!) {
          throw new Error(`WordVectors: words must be ordered by descending count, but counts[${i}] = ${c} > counts[${i - 1}] = ${counts[i - 1]}`);
        }
      });
    }
    this.vocab = Object.freeze([...words]);
    this.counts = counts && Object.freeze([...counts]);
    this.dim = dim;
    this.vectors = vectors;
    this.kernels = kernels;
    this.rows = rows;
  }

  /** Number of words. */
  get size(): number {
    return this.vocab.length;
  }

  has(word: string): boolean {
    return this.rows.has(word);
  }

  /** The word's row, or -1. */
  index(word: string): number {
    return this.rows.get(word) ?? -1;
  }

  /** A copy of the word's vector. */
  vector(word: string): Float32Array {
    const i = this.rowOf(word);
    return this.vectors.slice(i * this.dim, (i + 1) * this.dim);
  }

  /** Cosine similarity; 0 when either vector is zero. */
  similarity(a: string, b: string): number {
    const i = this.rowOf(a), j = this.rowOf(b);
    const v = this.vectors, d = this.dim;
    let ab = 0, aa = 0, bb = 0;
    for (let t = 0; t < d; t++) {
      const x = v[i * d + t]!, y = v[j * d + t]!;
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    return ab / ((Math.sqrt(aa) || 1) * (Math.sqrt(bb) || 1));
  }

  /** Cosine distance, 1 − similarity(a, b). */
  distance(a: string, b: string): number {
    return 1 - this.similarity(a, b);
  }

  /**
   * Cosine distances (1 − cosine) from a word or vector to `others`, or, when `others` is
   * omitted or empty, to every word of the vocabulary (itself included), in vocabulary order.
   */
  distances(wordOrVector: WordKey, others: readonly string[] = []): Float32Array {
    const query = this.keyVector('distances', wordOrVector, 'the query');
    if (!Array.isArray(others)) throw new Error('distances: others must be an array of words');
    if (others.length === 0) return this.cosines(query, 1).map((c) => 1 - c);
    const out = new Float32Array(others.length);
    others.forEach((w, n) => {
      const j = this.rowOf(w) * this.dim;
      let ab = 0, aa = 0, bb = 0;
      for (let t = 0; t < this.dim; t++) {
        const x = query[t]!, y = this.vectors[j + t]!;
        ab += x * y;
        aa += x * x;
        bb += y * y;
      }
      out[n] = 1 - ab / ((Math.sqrt(aa) || 1) * (Math.sqrt(bb) || 1));
    });
    return out;
  }

  /** The words closer to `a` than `b` is (by cosine), in vocabulary order, never `a` (gensim's closer_than). */
  closerThan(a: string, b: string): string[] {
    const ia = this.rowOf(a), ib = this.rowOf(b);
    const d = this.distances(a);
    const out: string[] = [];
    for (let i = 0; i < this.size; i++) if (i !== ia && d[i]! < d[ib]!) out.push(this.vocab[i]!);
    return out;
  }

  /** 1 + the number of words closer to `a` than `b` is (gensim's rank). */
  rank(a: string, b: string): number {
    return this.closerThan(a, b).length + 1;
  }

  /**
   * The topN words nearest to a word (never itself) or to a vector, by cosine, best first.
   * Ties go to the more frequent word.
   */
  mostSimilar(wordOrVector: string | ArrayLike<number>, topN?: number, options?: MostSimilarOptions): Neighbour[];
  /**
   * gensim's most_similar: the unit vectors of the positive words (weight +1) and the negative
   * ones (weight −1), and vectors as given, averaged (Σ weight·v / Σ|weight|) and scaled to unit
   * length; the topN words nearest to it by cosine, best first, never an input word.
   * `{ positive: ['king', 'woman'], negative: ['man'] }` is the analogy man : king :: woman : ?.
   */
  mostSimilar(query: MostSimilarQuery): Neighbour[];
  mostSimilar(first: string | ArrayLike<number> | MostSimilarQuery, ...rest: [number?, MostSimilarOptions?]): Neighbour[] {
    if (first !== null && typeof first === 'object' && typeof (first as ArrayLike<number>).length !== 'number') {
      if (rest.length > 0) throw new Error('mostSimilar: with a query object, give topN and the options inside it: mostSimilar({ positive, negative, topN })');
      const q = first as MostSimilarQuery;
      checkOptions('mostSimilar', q, ['positive', 'negative', 'topN', 'restrictVocab', 'exclude']);
      const keys: WordKey[] = [], weights: number[] = [];
      for (const [name, sign] of [['positive', 1], ['negative', -1]] as const) {
        for (const [key, weight] of this.weightedKeys(name, q[name], sign)) {
          keys.push(key);
          weights.push(weight);
        }
      }
      if (keys.length === 0) throw new Error('mostSimilar: give at least one positive or negative word');
      return this.nearest('mostSimilar', keys, weights, q.topN ?? 10, q);
    }
    const [topN = 10, options = {}] = rest;
    checkOptions('mostSimilar', options, ['exclude', 'restrictVocab']);
    const key = first as WordKey;
    if (typeof key !== 'string' && key?.length !== this.dim) {
      throw new Error(`mostSimilar: the query vector has ${key?.length} values, expected dim = ${this.dim}`);
    }
    return this.nearest('mostSimilar', [key], [1], topN, options);
  }

  /**
   * gensim's get_mean_vector: Σ weight·v / Σ|weight| over the keys, v a word's vector (unit
   * length with preNormalize, the default) or a vector given as a key (as given); scaled to unit
   * length with postNormalize. Unknown words are skipped unless ignoreMissing is false; unlike
   * gensim (which returns zeros), a list with no known word is an error.
   */
  meanVector(keys: readonly WordKey[], options: MeanVectorOptions = {}): Float32Array {
    checkOptions('meanVector', options, ['weights', 'preNormalize', 'postNormalize', 'ignoreMissing']);
    const { preNormalize = true, postNormalize = false, ignoreMissing = true } = options;
    checkBoolean('meanVector', 'preNormalize', preNormalize);
    checkBoolean('meanVector', 'postNormalize', postNormalize);
    checkBoolean('meanVector', 'ignoreMissing', ignoreMissing);
    if (!Array.isArray(keys)) throw new Error('meanVector: keys must be an array of words or vectors');
    let weights: number[];
    if (options.weights === undefined) {
      weights = keys.map(() => 1);
    } else {
      weights = Array.from(options.weights ?? []);
      if (weights.length !== keys.length) {
        throw new Error(`meanVector: option weights must have one weight per key (${keys.length}), got ${weights.length}`);
      }
      weights.forEach((w, i) => {
        if (typeof w !== 'number' || !Number.isFinite(w)) throw new Error(`meanVector: weights[${i}] must be a finite number, got ${String(w)}`);
      });
    }
    return this.mean('meanVector', keys, weights, preNormalize, postNormalize, ignoreMissing).mean;
  }

  /**
   * gensim's n_similarity: the cosine of the means of two lists of words. As gensim 4.2, the
   * means are of the vectors as they are (not scaled to unit length first), and unknown words
   * are skipped unless ignoreMissing is false.
   */
  nSimilarity(a: readonly WordKey[], b: readonly WordKey[], options: WordListOptions = {}): number {
    checkOptions('nSimilarity', options, ['ignoreMissing']);
    const { ignoreMissing = true } = options;
    checkBoolean('nSimilarity', 'ignoreMissing', ignoreMissing);
    for (const [name, list] of [['a', a], ['b', b]] as const) {
      if (!Array.isArray(list) || list.length === 0) throw new Error(`nSimilarity: ${name} must be a non-empty array of words`);
    }
    const ma = this.mean('nSimilarity', a, a.map(() => 1), false, false, ignoreMissing).mean;
    const mb = this.mean('nSimilarity', b, b.map(() => 1), false, false, ignoreMissing).mean;
    return cosine(ma, mb);
  }

  /**
   * gensim's rank_by_centrality: each word's vector (unit length with useNorm, the default)
   * dotted with the unit-length mean of them all, most central first. Ties are ordered as
   * gensim's sort of (similarity, word) pairs, reversed. Unknown words are skipped (as gensim)
   * unless ignoreMissing is false; repeated words stay repeated.
   */
  rankByCentrality(words: readonly string[], options: CentralityOptions = {}): Neighbour[] {
    checkOptions('rankByCentrality', options, ['useNorm', 'ignoreMissing']);
    const { useNorm = true, ignoreMissing = true } = options;
    checkBoolean('rankByCentrality', 'useNorm', useNorm);
    checkBoolean('rankByCentrality', 'ignoreMissing', ignoreMissing);
    if (!Array.isArray(words) || words.length === 0) throw new Error('rankByCentrality: words must be a non-empty array of words');
    words.forEach((w, i) => {
      if (typeof w !== 'string') throw new Error(`rankByCentrality: words[${i}] must be a word (a string), got ${typeof w}`);
    });
    const { mean, rows } = this.mean('rankByCentrality', words, words.map(() => 1), useNorm, true, ignoreMissing);
    const src = useNorm ? this.unitVectors() : this.vectors, d = this.dim;
    const ranked = rows.map((r) => {
      let s = 0;
      for (let t = 0; t < d; t++) s += src[r * d + t]! * mean[t]!;
      return { word: this.vocab[r]!, similarity: s };
    });
    return ranked.sort((x, y) => y.similarity - x.similarity || (x.word < y.word ? 1 : x.word > y.word ? -1 : 0));
  }

  /** gensim's doesnt_match: the word least similar to the mean of them all (rankByCentrality's last). */
  doesntMatch(words: readonly string[], options: WordListOptions = {}): string {
    checkOptions('doesntMatch', options, ['ignoreMissing']);
    return this.rankByCentrality(words, options).at(-1)!.word;
  }

  /**
   * "a is to b as c is to ?": the words x best scoring b − a + c, never a, b or c. 'add' ranks by
   * cos(x, b̂ − â + ĉ) (gensim's most_similar(positive=[b, c], negative=[a])); 'mul' by
   * cos'(x,b)·cos'(x,c) / (cos'(x,a) + ε) with cos' = (1 + cos)/2 (gensim's most_similar_cosmul).
   */
  analogy(a: string, b: string, c: string, options: AnalogyOptions = {}): Neighbour[] {
    checkOptions('analogy', options, ['method', 'topN', 'restrictVocab']);
    const method = options.method ?? 'add';
    if (method !== 'add' && method !== 'mul') throw new Error(`analogy: option method must be 'add' or 'mul', got ${String(method)}`);
    const topN = options.topN ?? 1;
    checkCount('analogy', 'option topN', topN);
    const rows = this.restricted('analogy', options.restrictVocab);
    const ia = this.rowOf(a), ib = this.rowOf(b), ic = this.rowOf(c);
    const skip = (i: number) => i === ia || i === ib || i === ic;
    if (topN === 0) return [];
    const scores = method === 'add' ? this.cosines(this.offsetQuery([ia, ib, ic]), 1, rows) : this.cosMulScores([ia, ib, ic], 1, rows);
    return selectTop(scores, 0, rows, topN, skip).map((i) => ({ word: this.vocab[i]!, similarity: scores[i]! }));
  }

  /**
   * Cosines of m query vectors (m×dim, any length, zero allowed) with the first `rows` words:
   * m×rows, row-major. One kernels.matmul call against the cached packed matrix.
   */
  cosines(queries: Float32Array, m: number, rows = this.size): Float32Array {
    if (!Number.isSafeInteger(m) || m < 0) throw new Error(`cosines: m must be a non-negative integer, got ${String(m)}`);
    if (!(queries instanceof Float32Array) || queries.length !== m * this.dim) {
      throw new Error(`cosines: queries must be a Float32Array of m·dim = ${m}·${this.dim} = ${m * this.dim} floats`);
    }
    if (!Number.isSafeInteger(rows) || rows < 0 || rows > this.size) {
      throw new Error(`cosines: rows must be an integer between 0 and ${this.size}, got ${String(rows)}`);
    }
    if (m === 0 || rows === 0) return new Float32Array(m * rows);
    const q = new Float32Array(m * this.dim);
    for (let i = 0; i < m; i++) normalizeRow(queries, q, i, this.dim);
    return this.kernels.matmul(q, this.packed(rows), { m });
  }

  /**
   * The unit-length b̂ − â + ĉ of each analogy [a, b, c, a, b, c, …] (word rows): m×dim. Its
   * length does not matter to cosines(); gensim divides by 3 and normalises, the same ranking.
   */
  offsetQuery(abc: ArrayLike<number>): Float32Array {
    const d = this.dim, m = abc.length / 3, u = this.unitVectors();
    const q = new Float32Array(m * d);
    for (let i = 0; i < m; i++) {
      const a = abc[3 * i]! * d, b = abc[3 * i + 1]! * d, c = abc[3 * i + 2]! * d;
      for (let t = 0; t < d; t++) q[i * d + t] = u[b + t]! - u[a + t]! + u[c + t]!;
    }
    return q;
  }

  /** 3CosMul scores of each analogy [a, b, c, …] (word rows) with the first `rows` words: m×rows. */
  cosMulScores(abc: ArrayLike<number>, m: number, rows: number): Float32Array {
    const d = this.dim, u = this.unitVectors();
    const q = new Float32Array(3 * m * d);
    for (let i = 0; i < 3 * m; i++) q.set(u.subarray(abc[i]! * d, (abc[i]! + 1) * d), i * d);
    // Rows 3i, 3i+1, 3i+2 of cos are the cosines with a, b and c of analogy i.
    const cos = this.cosines(q, 3 * m, rows);
    const scores = new Float32Array(m * rows);
    for (let i = 0; i < m; i++) {
      const ca = 3 * i * rows, cb = ca + rows, cc = cb + rows;
      for (let x = 0; x < rows; x++) {
        scores[i * rows + x] = ((1 + cos[cb + x]!) / 2) * ((1 + cos[cc + x]!) / 2) / ((1 + cos[ca + x]!) / 2 + COSMUL_EPSILON);
      }
    }
    return scores;
  }

  /** Drops the cached unit matrix and packings: call it after changing `vectors`. */
  invalidate(): void {
    this.unit = undefined;
    this.freePacks();
  }

  /** Frees the packed matrices (WASM memory). The next query packs again. */
  dispose(): void {
    this.freePacks();
  }

  private rowOf(word: string): number {
    const i = this.rows.get(word);
    if (i === undefined) throw new Error(`WordVectors: "${String(word)}" is not in the vocabulary`);
    return i;
  }

  /** The topN words nearest to the unit mean of weighted keys, never an input word nor an excluded one. */
  private nearest(method: string, keys: readonly WordKey[], weights: number[], topN: number, options: MostSimilarOptions): Neighbour[] {
    checkCount(method, 'topN', topN);
    const rows = this.restricted(method, options.restrictVocab);
    if (options.exclude !== undefined && !Array.isArray(options.exclude)) throw new Error(`${method}: option exclude must be an array of words`);
    const { mean, rows: inputs } = this.mean(method, keys, weights, true, true, false);
    const skip = new Set(inputs);
    for (const w of options.exclude ?? []) {
      const i = this.index(w);
      if (i >= 0) skip.add(i);
    }
    if (topN === 0) return [];
    const cos = this.cosines(mean, 1, rows);
    return selectTop(cos, 0, rows, topN, skip.size ? (i) => skip.has(i) : undefined)
      .map((i) => ({ word: this.vocab[i]!, similarity: cos[i]! }));
  }

  /**
   * gensim's get_mean_vector, in f64: Σ weight·v / Σ|weight|, v a word's row (unit length with
   * `pre`) or a vector key as given; unit length with `post`. Also the rows of the words used.
   */
  private mean(method: string, keys: readonly WordKey[], weights: readonly number[], pre: boolean, post: boolean,
    ignoreMissing: boolean): { mean: Float32Array; rows: number[] } {
    if (keys.length === 0) throw new Error(`${method}: cannot take the mean of no words`);
    const d = this.dim, sum = new Float64Array(d), rows: number[] = [], missing: string[] = [];
    const words = pre ? this.unitVectors() : this.vectors;
    let total = 0, used = 0;
    keys.forEach((key, n) => {
      const w = weights[n]!;
      if (typeof key === 'string') {
        const r = this.rows.get(key);
        if (r === undefined) {
          missing.push(key);
          return;
        }
        rows.push(r);
        for (let t = 0; t < d; t++) sum[t] = sum[t]! + w * words[r * d + t]!;
      } else {
        const v = this.keyVector(method, key, `key ${n}`);
        for (let t = 0; t < d; t++) sum[t] = sum[t]! + w * v[t]!;
      }
      total += Math.abs(w);
      used++;
    });
    if (missing.length > 0 && (!ignoreMissing || used === 0)) {
      const list = missing.map((w) => JSON.stringify(w)).join(', ');
      throw new Error(!ignoreMissing ? `${method}: ${list} ${missing.length === 1 ? 'is' : 'are'} not in the vocabulary`
        : `${method}: none of the words is in the vocabulary (${list})`);
    }
    if (total > 0) for (let t = 0; t < d; t++) sum[t] = sum[t]! / total;
    if (post) {
      const norm = Math.sqrt(sum.reduce((s, x) => s + x * x, 0));
      if (norm > 0) for (let t = 0; t < d; t++) sum[t] = sum[t]! / norm;
    }
    return { mean: Float32Array.from(sum), rows };
  }

  /** A key's vector: a word's row (a view) or a given vector of dim finite values (a copy). */
  private keyVector(method: string, key: WordKey, what: string): Float32Array {
    if (typeof key === 'string') {
      const i = this.rowOf(key);
      return this.vectors.subarray(i * this.dim, (i + 1) * this.dim);
    }
    if (key === null || typeof key !== 'object' || typeof key.length !== 'number') {
      throw new Error(`${method}: ${what} must be a word or a vector of ${this.dim} numbers, got ${key === null ? 'null' : typeof key}`);
    }
    if (key.length !== this.dim) throw new Error(`${method}: ${what} is a vector of ${key.length} values, expected dim = ${this.dim}`);
    const v = Float32Array.from(key);
    if (!v.every(Number.isFinite)) throw new Error(`${method}: ${what} has a value that is not a finite number`);
    return v;
  }

  /** positive or negative of a query as [key, weight] pairs: one key or a list, each maybe a [key, weight] pair. */
  private weightedKeys(name: string, value: MostSimilarQuery['positive'], sign: number): [WordKey, number][] {
    if (value === undefined) return [];
    const single = typeof value === 'string' || ArrayBuffer.isView(value) ||
      (Array.isArray(value) && value.length > 0 && value.every((x) => typeof x === 'number'));
    const list = single ? [value as WordKey] : value;
    if (!Array.isArray(list)) throw new Error(`mostSimilar: option ${name} must be a word, a vector, or a list of them, got ${typeof value}`);
    return list.map((item, i): [WordKey, number] => {
      if (Array.isArray(item) && item.length === 2 && typeof item[1] === 'number' && typeof item[0] !== 'number') {
        if (!Number.isFinite(item[1])) throw new Error(`mostSimilar: ${name}[${i}] has weight ${item[1]}, expected a finite number`);
        return [item[0] as WordKey, item[1]];
      }
      if (typeof item === 'string' || (item !== null && typeof item === 'object' && typeof (item as ArrayLike<number>).length === 'number')) {
        return [item as WordKey, sign];
      }
      throw new Error(`mostSimilar: ${name}[${i}] must be a word, a vector or a [word, weight] pair, got ${item === null ? 'null' : typeof item}`);
    });
  }

  /** The row count a restrictVocab option leaves (gensim slices, so more than the vocabulary is all of it). */
  private restricted(method: string, restrictVocab: number | undefined): number {
    if (restrictVocab === undefined) return this.size;
    if (!Number.isSafeInteger(restrictVocab) || restrictVocab < 1) {
      throw new Error(`${method}: option restrictVocab must be a positive integer, got ${String(restrictVocab)}`);
    }
    return Math.min(restrictVocab, this.size);
  }

  private unitVectors(): Float32Array {
    if (!this.unit) {
      const u = new Float32Array(this.vectors.length);
      for (let i = 0; i < this.size; i++) normalizeRow(this.vectors, u, i, this.dim);
      this.unit = u;
    }
    return this.unit;
  }

  private packed(rows: number): PackedMatrix {
    let p = this.packs.get(rows);
    if (!p) {
      // Keep the whole-vocabulary packing and one prefix (evaluation's restrictVocab): a
      // prefix packed on its own halves the work when it is half the vocabulary.
      for (const [n, old] of this.packs) {
        if (n !== this.size) {
          old.free();
          this.packs.delete(n);
        }
      }
      const unit = this.unitVectors().subarray(0, rows * this.dim);
      p = this.kernels.packB(unit, { k: this.dim, n: rows, transB: true });
      this.packs.set(rows, p);
    }
    return p;
  }

  private freePacks(): void {
    for (const p of this.packs.values()) p.free();
    this.packs.clear();
  }
}

/** Writes row i of x, scaled to unit length, into row i of out; a zero row stays zero (norm taken as 1). */
function normalizeRow(x: Float32Array, out: Float32Array, i: number, d: number): void {
  let s = 0;
  for (let t = 0; t < d; t++) s += x[i * d + t]! * x[i * d + t]!;
  const inv = 1 / (Math.sqrt(s) || 1);
  for (let t = 0; t < d; t++) out[i * d + t] = x[i * d + t]! * inv;
}

/** Cosine in f64; 0 when either vector is zero (gensim's unitvec leaves a zero vector zero). */
function cosine(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let xy = 0, xx = 0, yy = 0;
  for (let t = 0; t < x.length; t++) {
    xy += x[t]! * y[t]!;
    xx += x[t]! * x[t]!;
    yy += y[t]! * y[t]!;
  }
  return xy / ((Math.sqrt(xx) || 1) * (Math.sqrt(yy) || 1));
}

function checkBoolean(method: string, name: string, v: unknown): void {
  if (typeof v !== 'boolean') throw new Error(`${method}: option ${name} must be true or false, got ${String(v)}`);
}

/** gensim's names of the query options, for the error when one is given here. */
const GENSIM_NAMES: Readonly<Record<string, ForeignOption>> = {
  topn: { tool: 'gensim', ours: 'topN' },
  restrict_vocab: { tool: 'gensim', ours: 'restrictVocab' },
  pre_normalize: { tool: 'gensim', ours: 'preNormalize' },
  post_normalize: { tool: 'gensim', ours: 'postNormalize' },
  ignore_missing: { tool: 'gensim', ours: 'ignoreMissing' },
  use_norm: { tool: 'gensim', ours: 'useNorm' },
  case_insensitive: { tool: 'gensim', ours: 'caseInsensitive' },
  clip_start: { tool: 'gensim', note: 'search a prefix of the vocabulary with restrictVocab' },
  clip_end: { tool: 'gensim', note: 'search a prefix of the vocabulary with restrictVocab' },
  indexer: { tool: 'gensim', note: 'approximate indexers are not supported; the search is exact' },
  dummy4unknown: { tool: 'gensim', note: 'questions and pairs with an unknown word are skipped and counted in oovRatio' },
};

/**
 * Refuses an options object with a name `known` does not list: a misspelt option would otherwise
 * be ignored and give the default's answer. The message names close names and gensim's equivalents.
 */
export function checkOptions(method: string, options: unknown, known: readonly string[]): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${method}: options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  checkOptionNames(method, options, known, GENSIM_NAMES);
}

function checkCount(method: string, name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new Error(`${method}: ${name} must be a non-negative integer, got ${String(v)}`);
  }
}

/**
 * The indices of the k largest scores[offset + i], i < length, best first, skipping those
 * `skip` refuses and NaN. A min-heap of k: one pass, no sort of the whole vocabulary. Equal
 * scores go to the lower index (the more frequent word).
 */
export function selectTop(scores: ArrayLike<number>, offset: number, length: number, k: number, skip?: (i: number) => boolean): number[] {
  const heap: number[] = [];
  // a is worse than b: lower score, or the same score further down the vocabulary.
  const worse = (a: number, b: number) => {
    const sa = scores[offset + a]!, sb = scores[offset + b]!;
    return sa < sb || (sa === sb && a > b);
  };
  const down = (at: number) => {
    for (;;) {
      const l = 2 * at + 1, r = l + 1;
      let w = at;
      if (l < heap.length && worse(heap[l]!, heap[w]!)) w = l;
      if (r < heap.length && worse(heap[r]!, heap[w]!)) w = r;
      if (w === at) return;
      [heap[at], heap[w]] = [heap[w]!, heap[at]!];
      at = w;
    }
  };
  if (k <= 0) return [];
  for (let i = 0; i < length; i++) {
    const s = scores[offset + i]!;
    if (Number.isNaN(s)) continue;
    if (heap.length === k && !(s > scores[offset + heap[0]!]!)) continue;
    if (skip?.(i)) continue;
    if (heap.length < k) {
      heap.push(i);
      for (let at = heap.length - 1; at > 0;) {
        const parent = (at - 1) >> 1;
        if (!worse(heap[at]!, heap[parent]!)) break;
        [heap[at], heap[parent]] = [heap[parent]!, heap[at]!];
        at = parent;
      }
    } else {
      heap[0] = i;
      down(0);
    }
  }
  return heap.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
}
