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
    // Bound: |Ĉ − C| ≤ (k+2)·u·Σ_p |A_ip·B_pj| + u·|C| for any summation order (Higham 3.1).
    const random = rng(1);
    for (const m of SIZES) for (const k of SIZES) for (const n of SIZES) {
      for (const transB of [false, true]) {
        const a = randomArray(m * k, random), b = randomArray(k * n, random);
        const bias = (m + k + n) % 2 ? randomArray(n, random) : undefined;
        const got = wasm().matmul(a, b, { m, k, n, transB, bias });
        const want = js.matmul(a, b, { m, k, n, transB, bias });
        expectClose(`matmul m=${m} k=${k} n=${n} transB=${transB} bias=${!!bias}`, got, want, matmulBound(a, b, m, k, n, transB, bias, want));
      }
    }
  });

  test('matmul: packed B, fused activations, every path (unpacked m < 4, GEMV m = 1, K blocks, threads)', () => {
    const random = rng(11);
    // [2, 4100, 150]: packB copies a plain Bᵀ into memory 56 rows at a time, so in three blocks, the last with a column tail.
    const shapes = [[1, 33, 17], [2, 5, 9], [3, 127, 33], [4, 17, 8], [7, 300, 21], [61, 513, 40], [128, 96, 264], [1, 768, 100], [2, 4100, 150]];
    for (const [m, k, n] of shapes) {
      for (const transB of [false, true]) {
        for (const activation of ['none', 'relu', 'gelu', 'gelu_tanh', 'silu'] as const) {
          const a = randomArray(m! * k!, random), b = randomArray(k! * n!, random), bias = randomArray(n!, random);
          const packed = wasm().packB(b, { k: k!, n: n!, transB });
          const plain = wasm().matmul(a, b, { m: m!, k, n, transB, bias, activation });
          const viaPack = wasm().matmul(a, packed, { m: m!, bias, activation });
          const want = js.matmul(a, b, { m: m!, k, n, transB, bias, activation });
          // The activations are 1-Lipschitz: the matmul bound holds after them, plus gelu's 4e-7·|x|.
          const bound = matmulBound(a, b, m!, k!, n!, transB, bias, want).map((v, i) => v + 4e-7 * Math.max(1, Math.abs(want[i]!)));
          const what = `matmul ${m}×${k}×${n} transB=${transB} ${activation}`;
          expectClose(`${what} (plain)`, plain, want, bound);
          expectClose(`${what} (packed)`, viaPack, want, bound);
          packed.free();
        }
      }
    }
    // A matrix packed by one backend is refused by the other; a freed one is refused too.
    const p = js.packB(new Float32Array(6), { k: 2, n: 3 });
    expect(() => wasm().matmul(new Float32Array(2), p, { m: 1 })).toThrow('matmul: b was packed by another runtime or backend');
    const q = wasm().packB(new Float32Array(6), { k: 2, n: 3 });
    q.free();
    expect(() => wasm().matmul(new Float32Array(2), q, { m: 1 })).toThrow('matmul: b was freed');
  });

  test('attention: heads, batches with padding masks, causal, cross-attention, single queries', () => {
    // Each output is a convex mix of V rows: error about (dHead + tk)·u·max|v| plus the softmax's 2e-6.
    const random = rng(12);
    const cases = [
      { batch: 1, heads: 1, tq: 1, tk: 1, dHead: 1 },
      { batch: 1, heads: 2, tq: 5, tk: 5, dHead: 3 },
      { batch: 2, heads: 3, tq: 17, tk: 17, dHead: 8, masked: true },
      { batch: 2, heads: 4, tq: 33, tk: 33, dHead: 16, causal: true, masked: true },
      { batch: 1, heads: 2, tq: 7, tk: 61, dHead: 5, causal: true },
      { batch: 3, heads: 2, tq: 1, tk: 40, dHead: 17, masked: true },
      { batch: 1, heads: 2, tq: 1, tk: 9, dHead: 4, causal: true },
      { batch: 2, heads: 12, tq: 70, tk: 127, dHead: 64, masked: true },
    ];
    for (const c of cases) {
      const width = c.heads * c.dHead;
      const q = randomArray(c.batch * c.tq * width, random, -2, 2);
      const kk = randomArray(c.batch * c.tk * width, random, -2, 2);
      const v = randomArray(c.batch * c.tk * width, random);
      // Padding: the last keys of each sequence hidden; one sequence keeps only its first key.
      const mask = c.masked ? new Float32Array(c.batch * c.tk).map((_, i) => (i % c.tk >= c.tk - (i < c.tk ? 0 : Math.floor(c.tk / 2)) || (i >= c.tk && i % c.tk > c.tk - 2 && c.tk > 2) ? -Infinity : 0)) : undefined;
      const options = { batch: c.batch, heads: c.heads, tq: c.tq, tk: c.tk, dHead: c.dHead, causal: c.causal, mask };
      const got = wasm().attention(q, kk, v, options);
      const want = js.attention(q, kk, v, options);
      expectClose(`attention ${JSON.stringify(c)}`, got, want, 2e-6 + (c.dHead + c.tk) * U * 4);
    }
  });

  test('addLayerNorm: the residual sum and the normalised rows', () => {
    const random = rng(13);
    for (const rows of [1, 5, 33]) for (const cols of [3, 17, 127, 768]) {
      const x = randomArray(rows * cols, random), r = randomArray(rows * cols, random, -3, 3);
      const gamma = randomArray(cols, random), beta = randomArray(cols, random);
      const sumGot = new Float32Array(rows * cols), sumWant = new Float32Array(rows * cols);
      const got = wasm().addLayerNorm(x, r, { rows, cols, gamma, beta, eps: 1e-12, sumOut: sumGot });
      const want = js.addLayerNorm(x, r, { rows, cols, gamma, beta, eps: 1e-12, sumOut: sumWant });
      expect(sumGot).toEqual(sumWant); // one f32 add each: bitwise
      expectClose(`addLayerNorm ${rows}×${cols}`, got, want, layerNormBound(sumWant, rows, cols));
      // Without sumOut, and against the unfused pair.
      const unfused = wasm().layerNorm(wasm().add(x, r), { rows, cols, gamma, beta, eps: 1e-12 });
      expect(wasm().addLayerNorm(x, r, { rows, cols, gamma, beta, eps: 1e-12 })).toEqual(unfused);
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

function matmulBound(a: Float32Array, b: Float32Array, m: number, k: number, n: number, transB: boolean,
  bias: Float32Array | undefined, want: Float32Array): Float32Array {
  const mag = js.matmul(a.map(Math.abs), b.map(Math.abs), { m, k, n, transB, bias: bias?.map(Math.abs) });
  return mag.map((v, i) => (k + 2) * U * v + U * Math.abs(want[i]!) + 1e-30);
}

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

describe('threads', () => {
  test('two threads give bitwise the results of one, for GEMM, GEMV, packing and attention', async () => {
    const [one, two] = builds.map((b) => b.rt);
    expect(one!.features.threads).toBe(1);
    expect(two!.features.threads).toBe(2);
    const random = rng(21);
    for (const [m, k, n] of [[128, 768, 264], [1, 2048, 768], [200, 300, 1001]]) {
      const a = randomArray(m! * k!, random), b = randomArray(k! * n!, random), bias = randomArray(n!, random);
      for (const transB of [false, true]) {
        const r1 = one!.kernels.matmul(a, b, { m: m!, k, n, transB, bias, activation: 'gelu' });
        const r2 = two!.kernels.matmul(a, b, { m: m!, k, n, transB, bias, activation: 'gelu' });
        expect(r2, `matmul ${m}×${k}×${n} transB=${transB}`).toEqual(r1);
      }
    }
    const q = randomArray(2 * 64 * 768, random), kv = randomArray(2 * 96 * 768, random);
    const options = { batch: 2, heads: 12, tq: 64, tk: 96, dHead: 64, causal: true };
    expect(two!.kernels.attention(q, kv, kv, options)).toEqual(one!.kernels.attention(q, kv, kv, options));
  });
});
