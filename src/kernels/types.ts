// The one kernel interface, implemented twice: by the WASM builds (kernels/wasm.ts) and by the
// pure-JS twins (kernels/js/), which are the readable reference and the fallback backend.
//
// Arrays are row-major f32. An operand is a plain Float32Array (the WASM backend copies it in
// and out) or a tensor (anything with a Float32Array `data`; a WASM-resident Tensor is used in
// place, without copying). Shape letters: m, k, n for matmul (A is m×k, B is k×n); rows, cols
// for row ops; batch, heads, tq, tk, dHead for attention.

export interface TensorLike {
  readonly data: Float32Array;
}

export type Operand = Float32Array | TensorLike;

/** What a fused matmul applies after the bias. */
export type Activation = 'none' | 'relu' | 'gelu' | 'gelu_tanh';

/** B prepared once for many matmuls (a layer's weights): from kernels.packB, for that backend only. */
export interface PackedMatrix {
  /** Rows of B as used in C = A·B (the inner dimension). */
  readonly k: number;
  /** Columns of C. */
  readonly n: number;
  /** Gives the memory back; the matrix is unusable afterwards. */
  free(): void;
}

export interface PackOptions {
  k: number;
  n: number;
  /** B is given as n×k (a PyTorch Linear weight), for C = A·Bᵀ. */
  transB?: boolean;
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
  /** Query t sees keys j ≤ t + (tk − tq). */
  causal?: boolean;
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

export interface Kernels {
  /** C = act(A·B + bias), or A·Bᵀ; B plain or packed. */
  matmul(a: Operand, b: Operand | PackedMatrix, options: MatmulOptions): Float32Array;
  /** Prepares B for repeated matmuls (weights packed once at load). */
  packB(b: Operand, options: PackOptions): PackedMatrix;
  /**
   * Multi-head attention softmax(Q·Kᵀ·scale + mask)·V. Q and out are (batch·tq)×(heads·dHead),
   * K and V (batch·tk)×(heads·dHead), every head side by side in each row.
   */
  attention(q: Operand, k: Operand, v: Operand, options: AttentionOptions): Float32Array;
  /** Row-wise softmax(scale·x + mask), numerically stable. A row with nothing visible is all 0. */
  softmax(x: Operand, options: SoftmaxOptions): Float32Array;
  /** Normalises each row to mean 0 and variance 1 (biased), then gamma·y + beta. */
  layerNorm(x: Operand, options: LayerNormOptions): Float32Array;
  /** layerNorm(x + residual), with x + residual also written to sumOut when given. */
  addLayerNorm(x: Operand, residual: Operand, options: AddLayerNormOptions): Float32Array;
  gelu(x: Operand, options?: GeluOptions): Float32Array;
  /** Elementwise e^x. */
  exp(x: Operand, options?: OutOptions): Float32Array;
  /** a + b */
  add(a: Operand, b: Operand, options?: OutOptions): Float32Array;
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
