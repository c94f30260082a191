// Trained word vectors and the queries people run on them: nearest words and analogies.
//
// Every query is one matrix product against the unit-length copy of the vectors, packed once
// for the kernels: kernels.matmul(queries, packed, { m }) gives the cosine of m queries with
// every word (a GEMV for one query, a GEMM for a batch). Shape letters: count words, dim
// values each, m queries. The unit-length matrix and its packing are made at the first query
// and kept; invalidate() drops them when the vectors change (training), dispose() frees them.
import type { Kernels, PackedMatrix } from '../kernels/types';

export interface WordVectorsOptions {
  /** Corpus count per word, in the same (descending) order as the words. */
  counts?: readonly number[];
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
        if (i > 0 && c > counts[i - 1]!) {
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

  /**
   * The topN words nearest to a word (never itself) or to a vector, by cosine, best first.
   * Ties go to the more frequent word.
   */
  mostSimilar(wordOrVector: string | ArrayLike<number>, topN = 10, options: MostSimilarOptions = {}): Neighbour[] {
    checkCount('mostSimilar', 'topN', topN);
    const rows = this.restricted('mostSimilar', options.restrictVocab);
    const skip = new Set<number>();
    let query: Float32Array;
    if (typeof wordOrVector === 'string') {
      const i = this.rowOf(wordOrVector);
      skip.add(i);
      query = this.vectors.subarray(i * this.dim, (i + 1) * this.dim);
    } else {
      if (wordOrVector?.length !== this.dim) {
        throw new Error(`mostSimilar: the query vector has ${wordOrVector?.length} values, expected dim = ${this.dim}`);
      }
      query = Float32Array.from(wordOrVector);
    }
    for (const w of options.exclude ?? []) {
      const i = this.index(w);
      if (i >= 0) skip.add(i);
    }
    if (topN === 0) return [];
    const cos = this.cosines(query, 1, rows);
    return selectTop(cos, 0, rows, topN, skip.size ? (i) => skip.has(i) : undefined)
      .map((i) => ({ word: this.vocab[i]!, similarity: cos[i]! }));
  }

  /**
   * "a is to b as c is to ?": the words x best scoring b − a + c, never a, b or c. 'add' ranks by
   * cos(x, b̂ − â + ĉ) (gensim's most_similar(positive=[b, c], negative=[a])); 'mul' by
   * cos'(x,b)·cos'(x,c) / (cos'(x,a) + ε) with cos' = (1 + cos)/2 (gensim's most_similar_cosmul).
   */
  analogy(a: string, b: string, c: string, options: AnalogyOptions = {}): Neighbour[] {
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
