// Semantic search as sentence-transformers' util.semantic_search: the k corpus vectors most
// cosine-similar to each query, best first. The corpus is normalised once into f32 matrices of
// chunkRows rows, each packed for the GEMM (kernels.packB, transposed: D → rows), so that a
// CorpusIndex built once answers many searches; each search is one GEMM per chunk (queries ×
// D times D × rows; one query is a GEMV) and a bounded heap per query (top-k.ts), not a sort.
//
// Which kernels: the runtime's (init(), the WASM SIMD builds) when given, else the pure-JS
// twins, so that semanticSearch stays synchronous and works without init(). Scores are the f32
// GEMM's: within ~1e-6 of the f64 cosine of cos-sim.ts (the tests measure it).
//
// Shape letters: Q queries, N corpus vectors, D dimensions, R rows of a chunk.
import { checkOptionNames } from '../io/option-names';
import { jsKernels } from '../kernels/js/index';
import type { Kernels, PackedMatrix } from '../kernels/types';
import type { Runtime } from '../runtime';
import { normalized, type Vector } from './cos-sim';
import { TopK, type Hit } from './top-k';

export type { Hit };

export interface CorpusIndexOptions {
  /** Whose kernels score: a runtime from init() (WASM SIMD), or by default the pure-JS twins. */
  runtime?: Runtime;
  /** Corpus vectors per packed chunk (default 8192): bounds the score matrix of a search to queryChunkSize × chunkRows floats. */
  chunkRows?: number;
}

export interface SemanticSearchOptions {
  /** Hits per query (default 10; fewer when the corpus is smaller). */
  topK?: number;
  /** With a plain array corpus: whose kernels score (as CorpusIndexOptions.runtime). A CorpusIndex uses its own. */
  runtime?: Runtime;
  /** Queries scored at once (default 100, sentence-transformers' query_chunk_size). */
  queryChunkSize?: number;
  /** With a plain array corpus: CorpusIndexOptions.chunkRows. */
  chunkRows?: number;
}

const ST = 'sentence-transformers';
const FOREIGN = {
  top_k: { tool: ST, ours: 'topK' },
  query_chunk_size: { tool: ST, ours: 'queryChunkSize' },
  corpus_chunk_size: { tool: ST, ours: 'chunkRows' },
  score_function: { tool: ST, note: 'the score is cosine similarity; for a dot product of unnormalised vectors there is no option' },
};

/** A packed chunk: corpus vectors start … start + R − 1, normalised, as a D × R matrix. */
interface Chunk {
  start: number;
  rows: number;
  packed: PackedMatrix;
}

/**
 * A corpus normalised and packed once for many searches. Vectors may be added in parts (as a
 * stream of embeddings comes); their corpusIds count from 0 in the order added. Holds WASM
 * memory with a runtime: dispose() gives it back.
 */
export class CorpusIndex {
  readonly runtime: Runtime | undefined;
  readonly chunkRows: number;
  private readonly kernels: Kernels;
  private readonly chunks: Chunk[] = [];
  /** Normalised vectors added but not packed yet (fewer than chunkRows). */
  private pending: Float32Array | undefined;
  private pendingRows = 0;
  private D: number | undefined;
  private count = 0;
  private disposed = false;

  constructor(corpus: readonly Vector[] = [], options: CorpusIndexOptions = {}) {
    checkOptionNames('CorpusIndex', options, ['runtime', 'chunkRows'], FOREIGN);
    const chunkRows = options.chunkRows ?? 8192;
    if (!Number.isSafeInteger(chunkRows) || chunkRows < 1) throw new Error(`CorpusIndex: option chunkRows must be an integer ≥ 1, got ${String(chunkRows)}`);
    if (options.runtime !== undefined && !isRuntime(options.runtime)) throw new Error('CorpusIndex: option runtime must be a runtime from init()');
    this.runtime = options.runtime;
    this.kernels = options.runtime?.kernels ?? jsKernels;
    this.chunkRows = chunkRows;
    this.add(corpus);
  }

  /** Vectors in the index. */
  get size(): number {
    return this.count;
  }

  /** Their dimension (undefined while empty). */
  get dim(): number | undefined {
    return this.D;
  }

  /** Appends vectors (corpusIds size, size + 1, …), normalised as util.normalize_embeddings does. */
  add(vectors: readonly Vector[]): this {
    this.live('add');
    if (!Array.isArray(vectors)) throw new Error('CorpusIndex.add: give an array of vectors (Float32Array or number[])');
    vectors.forEach((v: unknown, i) => {
      const id = this.count + i;
      if (!isVector(v)) throw new Error(`CorpusIndex: corpus vector ${id} is not a vector (a non-empty Float32Array or number[])`);
      const D = this.D ?? (vectors[0] as Vector).length;
      if (v.length !== D) throw new Error(`CorpusIndex: corpus vector ${id} has ${v.length} dimensions, the corpus ${D}`);
      for (let j = 0; j < D; j++) {
        if (!Number.isFinite(v[j])) throw new Error(`CorpusIndex: corpus vector ${id} has a non-finite element (${v[j]} at ${j})`);
      }
    });
    // Every vector was checked first: a bad one adds none of them.
    for (const v of vectors) {
      const D = (this.D ??= v.length);
      this.pending ??= new Float32Array(this.chunkRows * D);
      this.pending.set(normalized(v, `corpus vector ${this.count}`, 'CorpusIndex'), this.pendingRows * D);
      this.pendingRows++;
      this.count++;
      if (this.pendingRows === this.chunkRows) this.seal();
    }
    return this;
  }

  /**
   * For each query, the topK most similar corpus vectors, best first (ties by corpusId). A
   * single vector is one query: the answer is still a list of one list, as util.semantic_search's.
   */
  search(queries: Vector | readonly Vector[], options: { topK?: number; queryChunkSize?: number } = {}): Hit[][] {
    checkOptionNames('CorpusIndex.search', options, ['topK', 'queryChunkSize'], FOREIGN);
    return this.searchAs('CorpusIndex.search', queries, options);
  }

  /** search(), with messages naming `method`. */
  searchAs(method: string, queries: Vector | readonly Vector[], options: { topK?: number; queryChunkSize?: number }): Hit[][] {
    this.live(method);
    const { topK = 10, queryChunkSize = 100 } = options;
    if (!Number.isSafeInteger(topK) || topK < 1) throw new Error(`${method}: option topK must be an integer ≥ 1, got ${String(topK)}`);
    if (!Number.isSafeInteger(queryChunkSize) || queryChunkSize < 1) throw new Error(`${method}: option queryChunkSize must be an integer ≥ 1, got ${String(queryChunkSize)}`);
    const list = isVector(queries) ? [queries] : queries;
    if (!Array.isArray(list) || list.length === 0) throw new Error(`${method}: queries is empty; give a query vector or a non-empty array of them`);
    if (this.count === 0) throw new Error(`${method}: the corpus is empty; give at least one corpus vector`);
    const D = this.D!;
    list.forEach((q, i) => {
      if (!isVector(q)) throw new Error(`${method}: query ${i} is not a vector (Float32Array or number[])`);
      if (q.length !== D) throw new Error(`${method}: query ${i} has ${q.length} dimensions, the corpus ${D}`);
    });
    if (this.pendingRows > 0) this.seal();
    const k = Math.min(topK, this.count);
    const out: Hit[][] = [];
    for (let at = 0; at < list.length; at += queryChunkSize) {
      const Q = Math.min(queryChunkSize, list.length - at);
      const q = new Float32Array(Q * D);
      for (let i = 0; i < Q; i++) q.set(normalized(list[at + i]!, `query ${at + i}`, method), i * D);
      const best = Array.from({ length: Q }, () => new TopK(k));
      for (const c of this.chunks) {
        // Q × D times D × R: the cosine of every query with every vector of the chunk.
        const scores = this.kernels.matmul(q, c.packed, { m: Q });
        for (let i = 0; i < Q; i++) {
          const heap = best[i]!, row = i * c.rows;
          for (let r = 0; r < c.rows; r++) {
            const s = scores[row + r]!;
            if (s >= heap.threshold) heap.push(c.start + r, s);
          }
        }
      }
      for (const heap of best) out.push(heap.sorted());
    }
    return out;
  }

  /** Frees the packed matrices (WASM memory with a runtime); the index is unusable afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const c of this.chunks) c.packed.free();
    this.chunks.length = 0;
    this.pending = undefined;
  }

  /** Packs the pending vectors as a chunk. */
  private seal(): void {
    const D = this.D!, R = this.pendingRows;
    const rows = this.pending!.subarray(0, R * D);
    // Given R × D (a Linear weight's layout) with transB: packed as D × R, so C = Q·Bᵀ.
    const packed = this.kernels.packB(rows, { k: D, n: R, transB: true });
    this.chunks.push({ start: this.count - R, rows: R, packed });
    this.pending = undefined;
    this.pendingRows = 0;
  }

  private live(method: string): void {
    if (this.disposed) throw new Error(`${method}: this CorpusIndex was disposed`);
  }
}

/**
 * sentence-transformers' util.semantic_search: for each query, the topK corpus vectors with
 * the highest cosine similarity, as { corpusId, score } best first (equal scores by corpusId).
 * `corpus` is an array of vectors (normalised and packed for this call) or a CorpusIndex
 * (prepared once, reused). A single query vector gives a list of one list.
 */
export function semanticSearch(queries: Vector | readonly Vector[], corpus: readonly Vector[] | CorpusIndex, options: SemanticSearchOptions = {}): Hit[][] {
  const method = 'semanticSearch';
  checkOptionNames(method, options, ['topK', 'runtime', 'queryChunkSize', 'chunkRows'], FOREIGN);
  const { runtime, chunkRows, ...searchOptions } = options;
  if (corpus instanceof CorpusIndex) {
    if (runtime !== undefined && runtime !== corpus.runtime) throw new Error(`${method}: option runtime differs from the one the CorpusIndex was built with; leave it out`);
    if (chunkRows !== undefined) throw new Error(`${method}: option chunkRows is for an array corpus; the CorpusIndex has its own (${corpus.chunkRows})`);
    return corpus.searchAs(method, queries, searchOptions);
  }
  if (!Array.isArray(corpus) || corpus.length === 0) throw new Error(`${method}: the corpus is empty; give at least one corpus vector (or a CorpusIndex)`);
  const index = new CorpusIndex(corpus, { runtime, chunkRows });
  try {
    return index.searchAs(method, queries, searchOptions);
  } finally {
    index.dispose();
  }
}

/** A non-empty typed array or array of numbers. */
function isVector(x: unknown): x is Vector {
  const v = x as Vector;
  return (ArrayBuffer.isView(x) && !(x instanceof DataView) && v.length > 0) || (Array.isArray(x) && x.length > 0 && typeof x[0] === 'number');
}

function isRuntime(x: unknown): x is Runtime {
  return typeof x === 'object' && x !== null && typeof (x as Runtime).kernels?.matmul === 'function';
}
