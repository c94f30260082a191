// Which form of the int8 dot product the relaxed build's q8 kernels should take on this machine,
// found by timing both: i32x4.relaxed_dot_i8x16_i7x16_add_s is one vpdpbusd where the CPU has
// AVX-VNNI, but three instructions and a ones vector built at every call where it has not, and
// there the split form (a 16-bit dot, then a widening dot with ones held in a register) ran 1.25×
// faster (Chromium 156, AMD EPYC Zen 3: 87 against 69 G op/s at 128×768×3072). Both give the same
// integers, so the choice changes speed only. JavaScript cannot ask the CPU for VNNI.
import type { Arena } from './arena';
import type { KernelExports } from './builds';

const M = 128, K = 256, N = 256;
/** Calls of each form before timing, in case a compile is still pending. */
const WARM_CALLS = 4;
/**
 * Calls per timed round (about 2 ms optimised, well above a browser's coarsened 0.1 ms timer),
 * and rounds: V8 may still be optimising either form in the background when timing starts (a
 * browser tiers wasm up asynchronously), so the best round of each is compared.
 */
const TIMED_CALLS = 10;
const ROUNDS = 8;

/**
 * True when the fused form is at least as fast as the split one here. Called at a runtime's first
 * q8 matmul (not at init: a page that never runs q8 does not pay for it), after warmUp has run
 * both forms; about 20 ms.
 */
export function fusedIsFaster(k: KernelExports, arena: Arena): boolean {
  const qa = arena.alloc(M * K), scales = arena.alloc(4 * M), zeros = arena.alloc(4 * M);
  const w = arena.alloc(N * K), wScales = arena.alloc(4 * N), packed = arena.alloc(N * K + 8 * N);
  const c = arena.alloc(4 * M * N), scratch = arena.alloc(4 * k.gemmQ8ScratchFloats());
  try {
    const bytes = new Uint8Array(arena.buf as ArrayBuffer);
    for (let i = 0; i < M * K; i++) bytes[qa + i] = (i * 37) & 127;
    for (let i = 0; i < N * K; i++) bytes[w + i] = (i * 101) & 255;
    arena.f32().fill(0.01, wScales >>> 2, (wScales >>> 2) + N);
    arena.f32().fill(0.02, scales >>> 2, (scales >>> 2) + M);
    k.packQ8(w, wScales, packed, K, N, 0, N);
    const run = (fused: number, calls: number) => {
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) k.gemmQ8(qa, scales, zeros, packed, c, N, 0, M, K, N, 0, N, 0, scratch, fused);
      return performance.now() - t0;
    };
    run(1, WARM_CALLS);
    run(0, WARM_CALLS);
    // The best of each form over interleaved rounds is compared.
    const best = [Infinity, Infinity];
    for (let r = 0; r < ROUNDS; r++) for (const fused of [1, 0]) best[fused] = Math.min(best[fused]!, run(fused, TIMED_CALLS));
    return best[1]! <= best[0]!;
  } finally {
    for (const p of [qa, scales, zeros, w, wScales, packed, c, scratch]) arena.release(p);
  }
}
