// What this JavaScript engine can run, found by validating tiny modules rather than by
// sniffing versions: Node 20 validates relaxed SIMD only under --experimental-wasm-relaxed-simd,
// Chromium by default.

export interface Features {
  /** WebAssembly SIMD128. */
  simd: boolean;
  /** Relaxed SIMD (f32x4.relaxed_madd and friends). */
  relaxedSimd: boolean;
  /** SharedArrayBuffer, shared WebAssembly.Memory and (in browsers) cross-origin isolation. */
  sharedMemory: boolean;
  /** Why sharedMemory is false, if it is. */
  sharedMemoryMissing?: string;
  /**
   * The q8 kernels use the fused i32x4.relaxed_dot_i8x16_i7x16_add_s (one instruction with
   * AVX-VNNI). Detected: false on V8 before 11.4 (Node 20), which miscompiles it on x64 (the one
   * check here made by version: a probe would have to reproduce a register allocation). In a
   * runtime's features: the form init chose (InitOptions.integerDot).
   */
  fusedIntegerDot: boolean;
}

const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
// One function of type () -> v128.
const typeAndFunc = [0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00];
const f32Splat0 = [0x43, 0, 0, 0, 0, 0xfd, 0x13]; // f32.const 0; f32x4.splat

/** (func (result v128) (f32x4.splat (f32.const 0))) */
const simdProbe = new Uint8Array([...header, ...typeAndFunc, 0x0a, 0x0b, 0x01, 0x09, 0x00, ...f32Splat0, 0x0b]);

/** (func (result v128) (f32x4.relaxed_madd (splat 0) (splat 0) (splat 0))) */
const relaxedProbe = new Uint8Array([
  ...header, ...typeAndFunc, 0x0a, 0x1c, 0x01, 0x1a, 0x00,
  ...f32Splat0, ...f32Splat0, ...f32Splat0, 0xfd, 0x85, 0x02, 0x0b,
]);

function validates(bytes: Uint8Array<ArrayBuffer>): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

function sharedMemoryMissing(): string | undefined {
  // Isolation first: a browser hides SharedArrayBuffer from a page that is not isolated, and
  // the missing headers are what the user can fix.
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (g.crossOriginIsolated === false) return 'the page is not cross-origin isolated (COOP/COEP headers)';
  if (typeof SharedArrayBuffer === 'undefined') return 'SharedArrayBuffer is not available';
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch (e) {
    return `shared WebAssembly.Memory failed: ${(e as Error).message}`;
  }
  return undefined;
}

function v8Before(major: number, minor: number): boolean {
  const v = (globalThis as { process?: { versions?: { v8?: string } } }).process?.versions?.v8;
  if (typeof v !== 'string') return false;
  const [a, b] = v.split('.').map(Number);
  return a! < major || (a === major && b! < minor);
}

export function detectFeatures(): Features {
  const simd = validates(simdProbe);
  const missing = sharedMemoryMissing();
  return {
    simd,
    relaxedSimd: simd && validates(relaxedProbe),
    sharedMemory: missing === undefined,
    fusedIntegerDot: !v8Before(11, 4),
    ...(missing === undefined ? {} : { sharedMemoryMissing: missing }),
  };
}
