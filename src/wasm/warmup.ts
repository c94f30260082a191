// Runs every kernel on small data until V8 has had reason to tier it up from its baseline
// compiler (Liftoff) to the optimising one, so that a user's first real call is not slow.
import type { Arena } from './arena';
import type { KernelExports } from './builds';
import type { WorkerPool } from './pool';

// Measured on Node 20 (plain SIMD build): the first 128×768×768 matmul on packed weights takes
// 5.7 ms cold and 4.3 ms after these 40 rounds at 64×64 (steady state 3.6 ms; the rest is
// first-touch page faults), for about 12 ms more at init. The unpacked kernel before it went
// from 16 ms to 7 ms.
const ROUNDS = 40;
const SIDE = 64;

export function warmUp(k: KernelExports, arena: Arena, bothForms: boolean): void {
  const n = SIDE * SIDE;
  const blocks = [n, n, n, n, SIDE, k.gemmScratchFloats(), k.attentionScratchFloats(SIDE, 16), ...q8Floats()].map((f) => arena.alloc(f * 4));
  const [a, b, c, d, v, gemmScratch, attnScratch, qa, qs, qz, q8] = blocks as [number, number, number, number, number, number, number, number, number, number, number];
  const heap = arena.f32();
  for (let i = 0; i < n; i++) {
    heap[(a >>> 2) + i] = Math.sin(i);
    heap[(b >>> 2) + i] = Math.cos(i);
  }
  heap.fill(0.5, v >>> 2, (v >>> 2) + SIDE);
  for (let r = 0; r < ROUNDS; r++) {
    k.matmul(a, b, c, v, 3, SIDE, SIDE, r & 1);
    k.packB(b, SIDE, d, SIDE, SIDE, r & 1, 0, SIDE);
    k.gemm(a, SIDE, d, c, SIDE, v, SIDE, SIDE, SIDE, 0, SIDE, r & 3, gemmScratch);
    k.gemv(a, d, c, v, SIDE, SIDE, 0, SIDE, r & 3);
    // Every other pair of rounds with a score bias (one head, so d's SIDE² floats are its heads·tq·tk).
    const biased = (r & 2) !== 0;
    k.attention(a, b, b, c, biased ? 1 : 4, SIDE, SIDE, 16, SIDE, SIDE, SIDE, SIDE, 0.25, 0, biased ? d : 0, r & 1, 1, 0, 0, biased ? 1 : 4, attnScratch);
    k.softmax(a, c, SIDE, SIDE, 0.5, v, 0, r & 1, 0);
    k.layerNorm(a, v, v, c, SIDE, SIDE, 1e-5);
    k.addLayerNorm(a, b, v, v, c, d, SIDE, SIDE, 1e-5);
    k.rmsNorm(a, v, c, SIDE, SIDE, 1e-6);
    // SIDE rows of 4 heads × 16; b's first SIDE·16 floats as the cos/sin table; half the rounds partial (8 of 16).
    k.rotary(a, b, c, SIDE, 4, 16, r & 2 ? 8 : 16, r & 1);
    k.gelu(a, c, n, r & 1);
    k.exp(a, c, n);
    k.add(a, b, c, n);
    k.mul(a, b, c, n);
    k.dot(a, b, n);
    k.axpy(0.5, a, c, n);
    k.scale(0.5, a, c, n);
    // q8: b's bytes serve as int8 weights, v's halves as their scales.
    k.quantizeRows(a, SIDE, SIDE, SIDE, qa, 0, qs, qz, 1);
    k.packQ8(b, v, q8, SIDE, SIDE, 0, SIDE);
    // Both forms of the relaxed integer dot where either may be chosen (integer-dot.ts).
    const fused = bothForms ? r & 1 : 0;
    k.gemmQ8(qa, qs, qz, q8, c, SIDE, v, SIDE, SIDE, SIDE, 0, SIDE, r & 3, gemmScratch, fused);
    k.gemvQ8(qa, qs, qz, q8, c, v, SIDE, SIDE, 0, SIDE, r & 3, fused);
  }
  for (const p of blocks) arena.release(p);
}

/** Floats of the q8 blocks: quantized A (SIDE² bytes), its scales and zero points, a pack of SIDE×SIDE. */
function q8Floats(): number[] {
  return [SIDE * SIDE / 4, SIDE, SIDE, (SIDE * SIDE + 8 * SIDE) / 4];
}

/**
 * The same for the pool's workers, whose instances tier up on their own: every thread runs the
 * split kernels (GEMM, GEMV, packing, attention) on its own small block. Without it, the first
 * parallel GEMM of a benchmark ran at half the one-thread speed.
 */
export function warmUpWorkers(k: KernelExports, arena: Arena, pool: WorkerPool, bothForms: boolean): void {
  const n = SIDE * SIDE, threads = pool.threads;
  const perThread = [n, n, n, n, SIDE, k.gemmScratchFloats(), k.attentionScratchFloats(SIDE, 16), ...q8Floats()];
  const blocks = Array.from({ length: threads }, () => perThread.map((f) => arena.alloc(f * 4)));
  const heap = arena.f32();
  for (const [a, b] of blocks) {
    for (let i = 0; i < n; i++) {
      heap[(a! >>> 2) + i] = Math.sin(i);
      heap[(b! >>> 2) + i] = Math.cos(i);
    }
  }
  const jobs = (f: (t: number[]) => number[]) => blocks.map(f);
  for (let r = 0; r < ROUNDS; r++) {
    pool.run('packB', jobs(([, b, , d]) => [b!, SIDE, d!, SIDE, SIDE, r & 1, 0, SIDE]));
    pool.run('gemm', jobs(([a, , c, d, v, g]) => [a!, SIDE, d!, c!, SIDE, v!, SIDE, SIDE, SIDE, 0, SIDE, r & 3, g!]));
    pool.run('gemv', jobs(([a, , c, d, v]) => [a!, d!, c!, v!, SIDE, SIDE, 0, SIDE, r & 3]));
    const biased = (r & 2) !== 0;
    pool.run('attention', jobs(([a, b, c, d, , , s]) =>
      [a!, b!, b!, c!, biased ? 1 : 4, SIDE, SIDE, 16, SIDE, SIDE, SIDE, SIDE, 0.25, 0, biased ? d! : 0, r & 1, 1, 0, 0, biased ? 1 : 4, s!]));
    if (r === 0) for (const [a, , , , , , , qa, qs, qz] of blocks) k.quantizeRows(a!, SIDE, SIDE, SIDE, qa!, 0, qs!, qz!, 1);
    pool.run('packQ8', jobs(([, b, , , v, , , , , , q8]) => [b!, v!, q8!, SIDE, SIDE, 0, SIDE]));
    const fused = bothForms ? r & 1 : 0;
    pool.run('gemmQ8', jobs(([, , c, , v, g, , qa, qs, qz, q8]) => [qa!, qs!, qz!, q8!, c!, SIDE, v!, SIDE, SIDE, SIDE, 0, SIDE, r & 3, g!, fused]));
    pool.run('gemvQ8', jobs(([, , c, , v, , , qa, qs, qz, q8]) => [qa!, qs!, qz!, q8!, c!, v!, SIDE, SIDE, 0, SIDE, r & 3, fused]));
  }
  for (const block of blocks) for (const p of block) arena.release(p);
}
