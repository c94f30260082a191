// Runs every kernel on small data until V8 has had reason to tier it up from its baseline
// compiler (Liftoff) to the optimising one, so that a user's first real call is not slow.
import type { Arena } from './arena';
import type { KernelExports } from './builds';

// Measured on Node 20: 40 rounds at 64×64 bring the first 128×768×768 matmul from 16 ms (still
// in Liftoff) to 7 ms (steady state 6.5 ms), for about 5 ms more at init.
const ROUNDS = 40;
const SIDE = 64;

export function warmUp(k: KernelExports, arena: Arena): void {
  const n = SIDE * SIDE;
  const a = arena.alloc(n * 4), b = arena.alloc(n * 4), c = arena.alloc(n * 4), v = arena.alloc(SIDE * 4);
  const heap = arena.f32();
  for (let i = 0; i < n; i++) {
    heap[(a >>> 2) + i] = Math.sin(i);
    heap[(b >>> 2) + i] = Math.cos(i);
  }
  heap.fill(0.5, v >>> 2, (v >>> 2) + SIDE);
  for (let r = 0; r < ROUNDS; r++) {
    k.matmul(a, b, c, v, SIDE, SIDE, SIDE / 2, r & 1);
    k.softmax(a, c, SIDE, SIDE, 0.5, v, 0, r & 1, 0);
    k.layerNorm(a, v, v, c, SIDE, SIDE, 1e-5);
    k.gelu(a, c, n, r & 1);
    k.exp(a, c, n);
    k.add(a, b, c, n);
    k.dot(a, b, n);
    k.axpy(0.5, a, c, n);
    k.scale(0.5, a, c, n);
  }
  for (const p of [a, b, c, v]) arena.release(p);
}
