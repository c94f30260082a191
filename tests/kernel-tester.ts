// The one tester for every kernel: random inputs from a seeded generator, the JS twin as the
// reference, a stated tolerance per kernel, and the largest difference printed on failure.
import { expect } from 'vitest';
import { init, type Runtime } from '../src/index';
import type { BuildName } from '../src/wasm/builds';

/** Sizes that hit every SIMD tail: 1, below a vector, odd, just past 4·k and 8·k, large-ish. */
export const SIZES = [1, 3, 5, 17, 33, 127];

/** mulberry32: a small seeded PRNG, so every failure can be rerun. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(n: number, random: () => number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * random();
  return a;
}

/**
 * Asserts |got − want| ≤ bound[i] for every element, where bound is a number or one per
 * element. On failure the message names the case, the worst element and by how much it misses.
 */
export function expectClose(what: string, got: Float32Array, want: ArrayLike<number>, bound: number | ArrayLike<number>): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  let worst = -1, worstRatio = 0, maxDiff = 0;
  for (let i = 0; i < got.length; i++) {
    const diff = Math.abs(got[i]! - want[i]!);
    const b = typeof bound === 'number' ? bound : bound[i]!;
    const ratio = diff / b;
    if (diff > maxDiff || Number.isNaN(diff)) maxDiff = diff;
    if (!(ratio <= 1) && (worst < 0 || !(ratio <= worstRatio))) {
      worst = i;
      worstRatio = ratio;
    }
  }
  if (worst >= 0) {
    const b = typeof bound === 'number' ? bound : bound[worst]!;
    expect.fail(`${what}: element ${worst} is ${got[worst]}, reference ${want[worst]}, ` +
      `difference ${Math.abs(got[worst]! - want[worst]!)} over the bound ${b}; largest difference ${maxDiff}`);
  }
}

/** The builds this process can run: the relaxed ones only under --experimental-wasm-relaxed-simd. */
export function buildsHere(): { name: BuildName; options: Parameters<typeof init>[0] }[] {
  const relaxed = process.env.WASM_NLP_EXPECT_RELAXED === '1';
  const simd = relaxed ? 'relaxed' : 'baseline';
  return [
    { name: relaxed ? 'relaxed' : 'simd', options: { simd } },
    // Every problem split, however small, so that the thread split meets every tail.
    { name: relaxed ? 'relaxed-threads' : 'simd-threads', options: { simd, threads: 2, minParallelFlops: 0 } },
  ];
}

export async function runtimes(): Promise<{ name: BuildName; rt: Runtime }[]> {
  const out = [];
  for (const b of buildsHere()) {
    const rt = await init(b.options);
    expect(rt.features.build, 'the build init chose').toBe(b.name);
    out.push({ name: b.name, rt });
  }
  return out;
}
