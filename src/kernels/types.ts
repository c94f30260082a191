// The one kernel interface, implemented twice: by the WASM builds (kernels/wasm.ts) and by the
// pure-JS twins (kernels/js/), which are the readable reference and the fallback backend.
//
// Arrays are row-major f32. An operand is a plain Float32Array (the WASM backend copies it in
// and out) or a tensor (anything with a Float32Array `data`; a WASM-resident Tensor is used in
// place, without copying). Shape letters: m, k, n for matmul (A is m×k, B is k×n); rows, cols
// for row ops; batch, heads, tq, tk, dHead for attention and rotary.

export interface TensorLike {
  readonly data: Float32Array;
}

export type Operand = Float32Array | TensorLike;

/** What a fused matmul applies after the bias. */
export type Activation = 'none' | 'relu' | 'gelu' | 'gelu_tanh' | 'silu';

/**
 * How a packed B is stored. 'q8': int8 with one f32 scale per column of C (per output channel),
 * and every matmul quantizes the rows of A on the fly to 7-bit unsigned integers with one scale
 * and zero point per row (see kernels/quantize.ts), accumulating in int32.
 */
export type PackedDtype = 'f32' | 'q8';

/** B prepared once for many matmuls (a layer's weights): from kernels.packB, for that backend only. */
export interface PackedMatrix {
  /** Rows of B as used in C = A·B (the inner dimension). */
  readonly k: number;
  /** Columns of C. */
  readonly n: number;
  readonly dtype: PackedDtype;
  /** Gives the memory back; the matrix is unusable afterwards. */
  free(): void;
}

export interface PackOptions {
  k: number;
  n: number;
  /** B is given as n×k (a PyTorch Linear weight), for C = A·Bᵀ. */
  transB?: boolean;
  /** Default 'f32'; 'q8' quantizes B per column of C (quantizeWeights) before packing. */
  dtype?: PackedDtype;
}

/**
 * Weights already quantized to int8 (by quantizeWeights, or read from a quantized checkpoint):
 * `values` is n×k, row j the weights of column j of C (a PyTorch Linear's out×in layout), and
 * column j's real weights are values[j·k + p] · scales[j].
 */
export interface QuantizedWeights {
  values: Int8Array;
  scales: Float32Array;
}

export interface QuantizeRowsOptions {
  rows: number;
  cols: number;
}

/**
 * Rows of x quantized for the q8 matmul: values[r·cols + p] = clamp(round(x/scale) + zeroPoint,
 * 0, 127), so x ≈ scale·(value − zeroPoint). The range of each row is widened to include 0.
 */
export interface QuantizedRows {
  values: Uint8Array;
  scales: Float32Array;
  zeroPoints: Int32Array;
}

export interface MatmulOptions {
  m: number;
  /** Inner dimension; may be left out with a packed B. */
  k?: number;
  /** Columns of C; may be left out with a packed B. */
  n?: number;
  /** B is given as n×k and C = A·Bᵀ (not with a packed B: that was said at packing). */
  transB?: boolean;
  /** n floats added to every row of C. */
  bias?: Operand;
  /** Applied to every element after the bias. Default 'none'. */
  activation?: Activation;
  /** m·n floats to write C into. */
  out?: Operand;
}

export interface SoftmaxOptions {
  rows: number;
  cols: number;
  /** Multiplies x before the mask is added (attention's 1/√dHead). Default 1. */
  scale?: number;
  /** Additive mask: cols floats (the same for every row) or rows·cols. Use -Infinity to hide. */
  mask?: Operand;
  /** Row r sees only columns j ≤ r + (cols − rows); the others come out 0. */
  causal?: boolean;
  out?: Operand;
}

export interface LayerNormOptions {
  rows: number;
  cols: number;
  /** cols floats; default 1. */
  gamma?: Operand;
  /** cols floats; default 0. */
  beta?: Operand;
  /** Default 1e-5 (PyTorch's). */
  eps?: number;
  out?: Operand;
}

export interface AddLayerNormOptions extends LayerNormOptions {
  /** Receives x + residual, the residual stream of a pre-LN block. */
  sumOut?: Operand;
}

/** RMSNorm (Llama's LlamaRMSNorm, T5's T5LayerNorm): no mean subtracted, no beta. */
export interface RmsNormOptions {
  rows: number;
  cols: number;
  /** cols floats; default 1. */
  gamma?: Operand;
  /** Default 1e-6 (Llama's and T5's). */
  eps?: number;
  out?: Operand;
}

export interface RotaryOptions {
  /** Rows of x (positions, over every sequence of the batch), each heads·dHead floats. */
  rows: number;
  heads: number;
  dHead: number;
  /** Leading columns of each head that rotate (R): even, at most dHead; default dHead. The rest are copied. */
  rotaryDim?: number;
  /**
   * false (default): Llama/GPT-NeoX "rotate_half", column i pairs with i + R/2. true: GPT-J,
   * columns 2i and 2i+1 pair.
   */
  interleaved?: boolean;
  /** rows·heads·dHead floats; may be x itself. */
  out?: Operand;
}

export interface AttentionOptions {
  /** Sequences in the batch (default 1). */
  batch?: number;
  heads: number;
  /** Query positions per sequence. */
  tq: number;
  /** Key/value positions per sequence (default tq). */
  tk?: number;
  dHead: number;
  /** Default 1/√dHead. */
  scale?: number;
  /** Additive mask on keys: batch·tk floats (0 to keep, -Infinity or a large negative to hide). */
  mask?: Operand;
  /**
   * Additive score bias, heads·tq·tk floats: bias[(h·tq + i)·tk + j] is added to query i's score
   * for key j in head h, after the scale and before the mask, the same for every sequence of the
   * batch (T5's and MPNet's relative position bias).
   */
  bias?: Operand;
  /** Query t sees keys j ≤ t + (tk − tq). */
  causal?: boolean;
  /**
   * Key/value heads (grouped-query attention; default heads): K and V are
   * (batch·tk)×(kvHeads·dHead), and query head h reads key/value head h / (heads / kvHeads).
   * Must divide heads.
   */
  kvHeads?: number;
  /**
   * With causal: query t sees only the `window` keys t + (tk − tq) − window < j ≤ t + (tk − tq)
   * (Mistral's sliding window). Default: all earlier keys.
   */
  window?: number;
  out?: Operand;
}

export interface GeluOptions {
  /** 'none': x·Φ(x) with erf (BERT's "gelu"); 'tanh': GPT-2's "gelu_new". Default 'none'. */
  approximate?: 'none' | 'tanh';
  out?: Operand;
}

export interface OutOptions {
  out?: Operand;
}

/** An array a kernel reads in place: a buffer from runtime.buffer() (WASM-resident for the WASM backend). */
export interface Resident<T> {
  readonly data: T;
}

/** What every word2vec training job of one model shares (see assembly/word2vec/train.ts). */
export interface Word2VecModelArrays {
  /** Input vectors, vocab rows of `stride` floats (dim rounded up to 4, the padding 0). */
  syn0: Resident<Float32Array>;
  /** Output vectors: vocab rows (ns, softmax) or vocab − 1 inner nodes (hs). */
  syn1: Resident<Float32Array>;
  dim: number;
  stride: number;
  vocab: number;
  window: number;
  negative: number;
  /** Skip-gram with 'ns': one draw of negatives per center word, shared by its context words. */
  sharedNegatives: boolean;
  cbow: boolean;
  loss: 'ns' | 'hs' | 'softmax';
  /** Per word: kept by subsampling when a random u32 is below this. */
  keep: Resident<Uint32Array>;
  subsample: boolean;
  /** Walker's alias table for negatives: u32 thresholds and aliases. */
  aliasProb: Resident<Uint32Array>;
  alias: Resident<Int32Array>;
  /** Huffman codes and inner-node points, vocab × maxCode, and code lengths (hs). */
  codes: Resident<Uint8Array>;
  points: Resident<Int32Array>;
  codeLen: Resident<Uint8Array>;
  maxCode: number;
  /** σ(x), log σ(x) and log σ(−x) at 1000 points over [−6, 6). */
  tables: Resident<Float32Array>;
  alphaStart: number;
  alphaEnd: number;
  /** Words of the whole schedule (epochs × corpus words): alpha reaches alphaEnd there. */
  wordsTotal: number;
  /**
   * Subwords (fastText): word w's input rows are rows[offsets[w] .. offsets[w + 1]) of syn0 (its
   * own row, then those of its character n-grams); syn0 then has V + bucket rows.
   */
  subwords?: { offsets: Resident<Int32Array>; rows: Resident<Int32Array> };
}

/** One thread's chunk: word ids with −1 ending each sentence. */
export interface Word2VecJob {
  tokens: Resident<Int32Array>;
  length: number;
  seed: number;
  /** Words of the schedule done before this chunk (for alpha). */
  wordsBefore: number;
}

export interface Word2VecJobResult {
  /** Σ of the example losses (f64). */
  loss: number;
  /** Corpus words read (before subsampling). */
  words: number;
  examples: number;
  /** Alpha at the last sentence. */
  alpha: number;
}

export interface Kernels {
  /**
   * Trains word2vec on one chunk per job, the jobs in parallel on the worker pool (Hogwild:
   * they update the same vectors without locks), each thread taking the next job as it
   * finishes one (a work queue). On one thread the jobs run in order, and the result is
   * reproducible.
   */
  word2vecTrain(model: Word2VecModelArrays, jobs: Word2VecJob[]): Word2VecJobResult[];
  /** C = act(A·B + bias), or A·Bᵀ; B plain or packed. */
  matmul(a: Operand, b: Operand | PackedMatrix, options: MatmulOptions): Float32Array;
  /** Prepares B for repeated matmuls (weights packed once at load). */
  packB(b: Operand, options: PackOptions): PackedMatrix;
  /** Packs int8 weights that are already quantized (a q8 checkpoint's): a 'q8' PackedMatrix. */
  packQ8(w: QuantizedWeights, options: { k: number; n: number }): PackedMatrix;
  /**
   * Weights quantized as a 'q8' pack does (int8, one scale per column of C): b is k×n, or n×k
   * with transB. For embedding tables (a row each) and tools.
   */
  quantizeWeights(b: Operand, options: { k: number; n: number; transB?: boolean }): QuantizedWeights;
  /** The activation quantization every q8 matmul applies to A, exposed for tests and tools. */
  quantizeRows(x: Operand, options: QuantizeRowsOptions): QuantizedRows;
  /**
   * Multi-head attention softmax(Q·Kᵀ·scale + bias + mask)·V. Q and out are (batch·tq)×(heads·dHead),
   * K and V (batch·tk)×(heads·dHead), every head side by side in each row.
   */
  attention(q: Operand, k: Operand, v: Operand, options: AttentionOptions): Float32Array;
  /** Row-wise softmax(scale·x + mask), numerically stable. A row with nothing visible is all 0. */
  softmax(x: Operand, options: SoftmaxOptions): Float32Array;
  /** Normalises each row to mean 0 and variance 1 (biased), then gamma·y + beta. */
  layerNorm(x: Operand, options: LayerNormOptions): Float32Array;
  /** layerNorm(x + residual), with x + residual also written to sumOut when given. */
  addLayerNorm(x: Operand, residual: Operand, options: AddLayerNormOptions): Float32Array;
  /** Each row divided by its root mean square, √(mean(x²) + eps), then times gamma. */
  rmsNorm(x: Operand, options: RmsNormOptions): Float32Array;
  /**
   * Rotary position embedding on each head of each row of x (rows × heads·dHead). table is
   * rows × R floats (R = rotaryDim): row r is [cos_0 … cos_{R/2−1}, sin_0 … sin_{R/2−1}] for that
   * row's position. Each pair (x1, x2) becomes (x1·cos_i − x2·sin_i, x2·cos_i + x1·sin_i);
   * columns R…dHead−1 are copied.
   */
  rotary(x: Operand, table: Operand, options: RotaryOptions): Float32Array;
  gelu(x: Operand, options?: GeluOptions): Float32Array;
  /** Elementwise e^x. */
  exp(x: Operand, options?: OutOptions): Float32Array;
  /** a + b */
  add(a: Operand, b: Operand, options?: OutOptions): Float32Array;
  /** a·b elementwise (a gated FFN's gate ⊙ up). */
  mul(a: Operand, b: Operand, options?: OutOptions): Float32Array;
  /** Σ a·b */
  dot(a: Operand, b: Operand): number;
  /** y += alpha·x, in place; returns y. */
  axpy(alpha: number, x: Operand, y: Operand): Float32Array;
  /** alpha·x */
  scale(alpha: number, x: Operand, options?: OutOptions): Float32Array;
}

export function dataOf(x: Operand): Float32Array {
  return x instanceof Float32Array ? x : x.data;
}
