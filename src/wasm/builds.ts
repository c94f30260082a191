// The four kernel builds (see asconfig.json), embedded as base64 by tools/build-wasm.mjs.
import * as binaries from '../../build/binaries';

export type BuildName = 'simd' | 'relaxed' | 'simd-threads' | 'relaxed-threads';

/** The kernels' exports: pointers are byte offsets into the arena's memory, strides in floats. */
export interface KernelExports {
  heapBase(): number;
  matmul(a: number, b: number, c: number, bias: number, m: number, k: number, n: number, transB: number): void;
  packB(b: number, ldb: number, out: number, k: number, n: number, transB: number, n0: number, n1: number): void;
  gemm(a: number, lda: number, bp: number, c: number, ldc: number, bias: number,
    m: number, k: number, n: number, n0: number, n1: number, act: number, scratch: number): void;
  gemmScratchFloats(): number;
  gemv(a: number, bp: number, c: number, bias: number, k: number, n: number, n0: number, n1: number, act: number): void;
  activate(c: number, ldc: number, rows: number, cols: number, act: number): void;
  softmax(x: number, out: number, rows: number, cols: number, scale: number,
    mask: number, maskStride: number, causal: number, causalShift: number): void;
  layerNorm(x: number, gamma: number, beta: number, out: number, rows: number, cols: number, eps: number): void;
  addLayerNorm(x: number, res: number, gamma: number, beta: number, out: number, sum: number,
    rows: number, cols: number, eps: number): void;
  rmsNorm(x: number, gamma: number, out: number, rows: number, cols: number, eps: number): void;
  rotary(x: number, table: number, out: number, rows: number, heads: number, dh: number, rd: number, interleaved: number): void;
  attention(q: number, k: number, v: number, out: number, heads: number, tq: number, tk: number, dh: number,
    ldq: number, ldk: number, ldv: number, ldo: number, scale: number, mask: number, bias: number, causal: number,
    group: number, window: number, u0: number, u1: number, scratch: number): void;
  attentionScratchFloats(tk: number, dh: number): number;
  gelu(x: number, out: number, n: number, tanhForm: number): void;
  w2vTrain(params: number): void;
  w2vTrainQueue(params: number, count: number, next: number, scratch: number): void;
  exp(x: number, out: number, n: number): void;
  add(a: number, b: number, out: number, n: number): void;
  mul(a: number, b: number, out: number, n: number): void;
  dot(a: number, b: number, n: number): number;
  axpy(alpha: number, x: number, y: number, n: number): void;
  scale(alpha: number, x: number, out: number, n: number): void;
  quantizeRows(x: number, ldx: number, rows: number, cols: number, out: number, ldo: number,
    scales: number, zeroPoints: number, grouped: number): void;
  quantizeWeightRows(w: number, out: number, scales: number, k: number, n0: number, n1: number): void;
  packQ8(src: number, scales: number, out: number, k: number, n: number, n0: number, n1: number): void;
  gemmQ8(aq: number, sa: number, za: number, bp: number, c: number, ldc: number, bias: number,
    m: number, k: number, n: number, n0: number, n1: number, act: number, scratch: number, fused: number): void;
  gemmQ8ScratchFloats(): number;
  gemvQ8(aq: number, sa: number, za: number, bp: number, c: number, bias: number, k: number, n: number, n0: number, n1: number, act: number, fused: number): void;
}

/** The exports a worker may be asked to run, by index (see pool.ts). */
export const PARALLEL_KERNELS = ['packB', 'gemm', 'gemv', 'attention', 'w2vTrain', 'quantizeWeightRows', 'packQ8', 'gemmQ8', 'gemvQ8', 'w2vTrainQueue'] as const;
export type ParallelKernel = (typeof PARALLEL_KERNELS)[number];

/**
 * The kernels that split a range (of columns, rows or attention units) and where each takes
 * it: the index of the range's start among its arguments, the end the next (pool.ts's chunks).
 */
export const RANGE_ARGUMENT = {
  packB: 6, gemm: 9, gemv: 6, attention: 18, quantizeWeightRows: 4, packQ8: 5, gemmQ8: 10, gemvQ8: 8,
} as const satisfies Partial<Record<ParallelKernel, number>>;
export type RangeKernel = keyof typeof RANGE_ARGUMENT;

const base64 = {
  simd: binaries.simd,
  relaxed: binaries.relaxed,
  'simd-threads': binaries.simdThreads,
  'relaxed-threads': binaries.relaxedThreads,
} satisfies Record<BuildName, string>;

export function isThreaded(build: BuildName): boolean {
  return build.endsWith('-threads');
}

export function buildBytes(build: BuildName): Uint8Array<ArrayBuffer> {
  const text = atob(base64[build]);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

export async function compileBuild(build: BuildName): Promise<WebAssembly.Module> {
  return WebAssembly.compile(buildBytes(build));
}

export async function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<KernelExports> {
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return instance.exports as unknown as KernelExports;
}
