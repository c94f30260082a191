// Every WASM kernel against its JS twin, on every build this process can run, over shapes
// with every kind of SIMD tail. Tolerances are stated per kernel, with the reason.
import { beforeAll, describe, expect, test } from 'vitest';
import { jsKernels as js } from '../src/index';
import type { Runtime } from '../src/index';
import { expectClose, randomArray, rng, runtimes, SIZES } from './kernel-tester';

const U = 2 ** -24; // f32 unit roundoff

let builds: { name: string; rt: Runtime }[] = [];
beforeAll(async () => {
  builds = await runtimes();
});

describe.each(['first', 'second'])('kernels vs JS twins (%s build of this process)', (which) => {
  const wasm = () => builds[which === 'first' ? 0 : 1]!.rt.kernels;

  test('matmul: A·B and A·Bᵀ, with and without bias, every size triple', () => {
    // Bound: |Ĉ − C| ≤ k·u·Σ_p |A_ip·B_pj| + u·|C| holds for any summation order (Higham 3.1).
    const random = rng(1);
    for (const m of SIZES) for (const k of SIZES) for (const n of SIZES) {
      for (const transB of [false, true]) {
        const a = randomArray(m * k, random), b = randomArray(k * n, random);
        const bias = (m + k + n) % 2 ? randomArray(n, random) : undefined;
        const got = wasm().matmul(a, b, { m, k, n, transB, bias });
        const want = js.matmul(a, b, { m, k, n, transB, bias });
        const absA = a.map(Math.abs), absB = b.map(Math.abs);
        const mag = js.matmul(absA, absB, { m, k, n, transB, bias: bias?.map(Math.abs) });
        const bound = mag.map((v, i) => (k + 2) * U * v + U * Math.abs(want[i]!) + 1e-30);
        expectClose(`matmul m=${m} k=${k} n=${n} transB=${transB} bias=${!!bias}`, got, want, bound);
      }
    }
  });

  test('softmax: scale, broadcast and full masks, causal, fully masked rows', () => {
    // exp4 is within 2e-7 relative and the row sum in f32 adds a few u: measured 8.4e-7 at 768
    // columns. Scores near -1e4 (masks) carry 1e4·u absolute error in f32 before exp, so values
    // below 1e-9 are held to an absolute bound.
    const random = rng(2);
    for (const rows of SIZES) for (const cols of SIZES) {
      for (const variant of ['plain', 'scaled', 'mask-row', 'mask-full', 'causal']) {
        const x = randomArray(rows * cols, random, -8, 8);
        const options = {
          rows, cols,
          scale: variant === 'scaled' ? 0.125 : undefined,
          mask: variant === 'mask-row' ? maskOf(cols, random) : variant === 'mask-full' ? maskOf(rows * cols, random) : undefined,
          causal: variant === 'causal',
        };
        const got = wasm().softmax(x, options);
        const want = js.softmax(x, options);
        expectClose(`softmax ${rows}×${cols} ${variant}`, got, want, want.map((v) => 2e-6 * v + 1e-9));
        for (let r = 0; r < rows; r++) {
          const sum = got.subarray(r * cols, (r + 1) * cols).reduce((s, v) => s + v, 0);
          if (sum !== 0) expect(Math.abs(sum - 1), `softmax row ${r} sums to 1`).toBeLessThan(1e-5);
        }
      }
    }
    // A row whose every column is masked is 0, not NaN, on both backends.
    const masked = new Float32Array(5).fill(-Infinity);
    for (const k of [wasm(), js]) expect([...k.softmax(new Float32Array(5), { rows: 1, cols: 5, mask: masked })]).toEqual([0, 0, 0, 0, 0]);
  });

  test('layerNorm: with and without gamma/beta, large means', () => {
    // y = (x − mean)/σ: rounding x and the mean costs a few u·max|x| absolute, divided by the
    // row's σ. Bound per row: 8u·max|x|/σ + 1e-6 (measured at most a fifth of it).
    const random = rng(3);
    for (const rows of SIZES) for (const cols of SIZES) {
      for (const affine of [false, true]) {
        const x = randomArray(rows * cols, random, affine ? 90 : -1, affine ? 110 : 1);
        const options = {
          rows, cols, eps: 1e-5,
          gamma: affine ? randomArray(cols, random) : undefined,
          beta: affine ? randomArray(cols, random) : undefined,
        };
        const got = wasm().layerNorm(x, options);
        const want = js.layerNorm(x, options);
        expectClose(`layerNorm ${rows}×${cols} affine=${affine}`, got, want, layerNormBound(x, rows, cols));
      }
    }
  });

  test('gelu: erf and tanh forms on [-10, 10] and at every tail length', () => {
    // erf from A&S 7.1.26 is within 1.5e-7 absolute: |Δgelu| ≤ ½|x|·1.5e-7 + rounding.
    const random = rng(4);
    for (const approximate of ['none', 'tanh'] as const) {
      for (const n of [...SIZES, 4096]) {
        const x = randomArray(n, random, -10, 10);
        const got = wasm().gelu(x, { approximate });
        const want = js.gelu(x, { approximate });
        expectClose(`gelu ${approximate} n=${n}`, got, want, x.map((v) => 4e-7 * Math.max(1, Math.abs(v))));
      }
    }
  });

  test('exp: relative error within 1e-6 on [-87, 88], 0 below the f32 normal range', () => {
    const n = 200_001;
    const x = new Float32Array(n).map((_, i) => -87 + (175 * i) / (n - 1));
    const got = wasm().exp(x);
    const want = js.exp(x);
    expectClose('exp on [-87, 88]', got, want, want.map((v) => 1e-6 * v));
    expect([...wasm().exp(new Float32Array([-100, -Infinity, 0]))]).toEqual([0, 0, 1]);
    expect(Number.isNaN(wasm().exp(new Float32Array([NaN]))[0])).toBe(true);
  });

  test('add, scale, axpy: exact or one rounding apart', () => {
    const random = rng(5);
    for (const n of [...SIZES, 1000]) {
      const a = randomArray(n, random), b = randomArray(n, random);
      // One rounding each side: add and scale match to the bit.
      expect(wasm().add(a, b)).toEqual(js.add(a, b));
      expect(wasm().scale(0.3, a)).toEqual(js.scale(0.3, a));
      // axpy is one fused or two separate roundings: within 2u of the result's size.
      const y1 = b.slice(), y2 = b.slice();
      wasm().axpy(-0.7, a, y1);
      js.axpy(-0.7, a, y2);
      expectClose(`axpy n=${n}`, y1, y2, y2.map((v, i) => 2 * U * (Math.abs(v) + 0.7 * Math.abs(a[i]!)) + 1e-30));
    }
  });

  test('dot: within the summation bound', () => {
    const random = rng(6);
    for (const n of [...SIZES, 1000, 4099]) {
      const a = randomArray(n, random), b = randomArray(n, random);
      const mag = js.dot(a.map(Math.abs), b.map(Math.abs));
      expectClose(`dot n=${n}`, new Float32Array([wasm().dot(a, b)]), [js.dot(a, b)], (n + 1) * U * mag);
    }
  });
});

function layerNormBound(x: Float32Array, rows: number, cols: number): Float32Array {
  const bound = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * cols, (r + 1) * cols);
    const mean = row.reduce((s, v) => s + v, 0) / cols;
    const sigma = Math.sqrt(row.reduce((s, v) => s + (v - mean) ** 2, 0) / cols + 1e-5);
    const maxAbs = row.reduce((s, v) => Math.max(s, Math.abs(v)), 0);
    bound.fill(8 * U * maxAbs / sigma + 1e-6, r * cols, (r + 1) * cols);
  }
  return bound;
}

function maskOf(n: number, random: () => number): Float32Array {
  // Mostly 0, some large negatives, some -Infinity: the shapes of padding masks.
  return new Float32Array(n).map(() => {
    const r = random();
    return r < 0.15 ? -Infinity : r < 0.3 ? -1e4 * random() : 0;
  });
}
