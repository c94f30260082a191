// The one kernel interface, implemented twice: by the WASM builds (kernels/wasm.ts) and by the
// pure-JS twins (kernels/js/), which are the readable reference and the fallback backend.
//
// Arrays are row-major f32. An operand is a plain Float32Array (the WASM backend copies it in
// and out) or a tensor (anything with a Float32Array `data`; a WASM-resident Tensor is used in
// place, without copying). Shape letters: m, k, n for matmul (A is m×k, B is k×n); rows, cols
// for row ops.

export interface TensorLike {
  readonly data: Float32Array;
}

export type Operand = Float32Array | TensorLike;

export interface MatmulOptions {
  m: number;
  k: number;
  n: number;
  /** B is given as n×k and C = A·Bᵀ. */
  transB?: boolean;
  /** n floats added to every row of C. */
  bias?: Operand;
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

export interface GeluOptions {
  /** 'none': x·Φ(x) with erf (BERT's "gelu"); 'tanh': GPT-2's "gelu_new". Default 'none'. */
  approximate?: 'none' | 'tanh';
  out?: Operand;
}

export interface OutOptions {
  out?: Operand;
}

export interface Kernels {
  /** C = A·B or A·Bᵀ, plus bias. */
  matmul(a: Operand, b: Operand, options: MatmulOptions): Float32Array;
  /** Row-wise softmax(scale·x + mask), numerically stable. A row with nothing visible is all 0. */
  softmax(x: Operand, options: SoftmaxOptions): Float32Array;
  /** Normalises each row to mean 0 and variance 1 (biased), then gamma·y + beta. */
  layerNorm(x: Operand, options: LayerNormOptions): Float32Array;
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
