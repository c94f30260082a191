// The four kernel builds (see asconfig.json), embedded as base64 by tools/build-wasm.mjs.
import * as binaries from '../../build/binaries';

export type BuildName = 'simd' | 'relaxed' | 'simd-threads' | 'relaxed-threads';

/** The kernels' exports: pointers are byte offsets into the arena's memory. */
export interface KernelExports {
  heapBase(): number;
  matmul(a: number, b: number, c: number, bias: number, m: number, k: number, n: number, transB: number): void;
  softmax(x: number, out: number, rows: number, cols: number, scale: number,
    mask: number, maskStride: number, causal: number, causalShift: number): void;
  layerNorm(x: number, gamma: number, beta: number, out: number, rows: number, cols: number, eps: number): void;
  gelu(x: number, out: number, n: number, tanhForm: number): void;
  exp(x: number, out: number, n: number): void;
  add(a: number, b: number, out: number, n: number): void;
  dot(a: number, b: number, n: number): number;
  axpy(alpha: number, x: number, y: number, n: number): void;
  scale(alpha: number, x: number, out: number, n: number): void;
}

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
