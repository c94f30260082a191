// The q8 kernels (row quantization, int8 packing, int8 GEMM and GEMV) against their JS twins
// on every build this process can run, and the quantized result against the exact f32 product
// within a bound derived from the scales.
import { beforeAll, describe, expect, test } from 'vitest';
import { init, jsKernels as js } from '../../src/index';
import type { Runtime } from '../../src/index';
import { quantizeWeights } from '../../src/kernels/quantize';
import { expectClose, randomArray, rng, runtimes, SIZES } from '../kernel-tester';

const U = 2 ** -24;

let builds: { name: string; rt: Runtime }[] = [];
beforeAll(async () => {
  builds = await runtimes();
});

/** Shapes for every path: the GEMV (m = 1), row tails (m mod 4), column tails (n mod 8), K not a multiple of 4 or 16, M blocks. */
const SHAPES = [[1, 1, 1], [1, 5, 3], [1, 33, 17], [2, 5, 9], [3, 127, 33], [4, 8, 8], [5, 16, 16], [7, 300, 21], [61, 513, 40],
  [128, 96, 264], [1, 768, 100], [70, 3072, 24], [2, 4100, 150]];

describe.each(['first', 'second'])('q8 kernels vs JS twins (%s build of this process)', (which) => {
  const wasm = () => builds[which === 'first' ? 0 : 1]!.rt.kernels;

  test('quantizeRows: the same bytes, scales and zero points as the twin; rows of every sign and tail', () => {
    const random = rng(31);
    for (const rows of SIZES) for (const cols of [...SIZES, 768]) {
      for (const [lo, hi] of [[-1, 1], [0.5, 3], [-4, -0.1], [-0.17, 10]]) {
        const x = randomArray(rows * cols, random, lo, hi);
        const got = wasm().quantizeRows(x, { rows, cols }), want = js.quantizeRows(x, { rows, cols });
        const what = `quantizeRows ${rows}×${cols} in [${lo}, ${hi}]`;
        expect(got.values, what).toEqual(want.values);
        expect(got.scales, what).toEqual(want.scales);
        expect(got.zeroPoints, what).toEqual(want.zeroPoints);
        // Every byte is 7-bit (the relaxed dot's condition), and dequantizes within half a step.
        for (let r = 0; r < rows; r++) {
          const s = want.scales[r]!, z = want.zeroPoints[r]!;
          for (let p = 0; p < cols; p++) {
            const q = want.values[r * cols + p]!;
            expect(q).toBeLessThanOrEqual(127);
            expect(Math.abs(s * (q - z) - x[r * cols + p]!)).toBeLessThanOrEqual(0.5 * s * (1 + 1e-5) + 1e-30);
          }
        }
      }
    }
    // Zeros: scale 1, zero point 0, all bytes 0; NaN becomes the zero point on both backends.
    for (const k of [wasm(), js]) {
      expect(k.quantizeRows(new Float32Array(6), { rows: 2, cols: 3 })).toEqual({ values: new Uint8Array(6), scales: new Float32Array([1, 1]), zeroPoints: new Int32Array(2) });
    }
    const withNaN = new Float32Array([-1, NaN, 1, 0.5]);
    expect(wasm().quantizeRows(withNaN, { rows: 1, cols: 4 })).toEqual(js.quantizeRows(withNaN, { rows: 1, cols: 4 }));
  });

  test('matmul on a q8 pack: bitwise the twin without an activation, within 1e-6 relative with one; every path', () => {
    const random = rng(32);
    for (const [m, k, n] of SHAPES) {
      for (const transB of [false, true]) {
        for (const activation of ['none', 'relu', 'gelu', 'gelu_tanh', 'silu'] as const) {
          if (activation !== 'none' && activation !== 'gelu' && k! > 600) continue;
          const a = randomArray(m! * k!, random, -2, 2), b = randomArray(k! * n!, random);
          const bias = (m! + n!) % 2 ? randomArray(n!, random) : undefined;
          const pw = wasm().packB(b, { k: k!, n: n!, transB, dtype: 'q8' }), pj = js.packB(b, { k: k!, n: n!, transB, dtype: 'q8' });
          expect(pw.dtype).toBe('q8');
          const got = wasm().matmul(a, pw, { m: m!, bias, activation });
          const want = js.matmul(a, pj, { m: m!, bias, activation });
          const what = `q8 matmul ${m}×${k}×${n} transB=${transB} ${activation} bias=${!!bias}`;
          // The integer sums are exact and the dequantization is the same f32 operations: equal
          // to the bit. The activations round differently (f64 in the twin, f32 SIMD here).
          if (activation === 'none') expect(got, what).toEqual(want);
          else expectClose(what, got, want, want.map((v) => 4e-7 * Math.max(1, Math.abs(v))));
          pw.free();
        }
      }
    }
  });

  test('quantizeWeights: the same int8 values and scales as the twin, both layouts', () => {
    const random = rng(36);
    for (const [k, n] of [[1, 1], [5, 3], [17, 9], [768, 40], [33, 300]]) {
      for (const transB of [false, true]) {
        const b = randomArray(k! * n!, random, -0.3, 0.2);
        if (n! > 2) b.fill(0, 0, transB ? k! : 0); // a channel of zeros (transB: the first row)
        const got = wasm().quantizeWeights(b, { k: k!, n: n!, transB }), want = js.quantizeWeights(b, { k: k!, n: n!, transB });
        expect(got.values, `quantizeWeights ${k}×${n} transB=${transB}`).toEqual(want.values);
        expect(got.scales, `quantizeWeights ${k}×${n} transB=${transB}`).toEqual(want.scales);
      }
    }
    // float32's extremes: a row near its largest value, a row too small for a finite 1/scale
    // (weights 0, scale 1), a row of zeros. Scales stay positive with 127·scale finite.
    const extremes = new Float32Array([3.4028234e38, -3e38, 1, 1e-40, -3e-39, 2e-45, 0, 0, 0, 1, 2, -0.5]);
    const got = wasm().quantizeWeights(extremes, { k: 3, n: 4, transB: true }), want = js.quantizeWeights(extremes, { k: 3, n: 4, transB: true });
    expect(got).toEqual(want);
    expect(Array.from(want.values)).toEqual([127, -112, 0, 0, 0, 0, 0, 0, 0, 64, 127, -32]);
    expect(Array.from(want.scales.subarray(1, 3))).toEqual([1, 1]);
    for (const s of want.scales) expect(s > 0 && Number.isFinite(Math.fround(127 * s))).toBe(true);
  });

  test('packQ8 of already-quantized weights equals packB with dtype q8; bad arrays are refused', () => {
    const random = rng(33);
    const [m, k, n] = [9, 70, 19];
    const a = randomArray(m * k, random), b = randomArray(n * k, random);
    const w = quantizeWeights(b, k, n, true);
    const viaPack = wasm().packB(b, { k, n, transB: true, dtype: 'q8' }), viaQ8 = wasm().packQ8(w, { k, n });
    expect(wasm().matmul(a, viaQ8, { m })).toEqual(wasm().matmul(a, viaPack, { m }));
    expect(() => wasm().packQ8({ values: w.values, scales: w.scales.subarray(1) }, { k, n })).toThrow('packQ8: scales has 18 entries, expected n = 19');
    expect(() => wasm().packQ8({ values: w.values.subarray(1), scales: w.scales }, { k, n })).toThrow('packQ8: values has 1329 entries, expected n·k = 1330');
    const zero = w.scales.slice();
    zero[3] = 0;
    expect(() => wasm().packQ8({ values: w.values, scales: zero }, { k, n })).toThrow('packQ8: scale 3 is 0; scales must be positive and finite');
    expect(() => wasm().packB(b, { k, n, transB: true, dtype: 'int4' as 'q8' })).toThrow('packB: option dtype must be one of f32, q8, got int4');
  });
});

describe('q8 accuracy and threads', () => {
  test('the q8 product is within the bound its scales give of the exact f32 product', () => {
    // With A ≈ sa·(qa − za) (error ≤ sa/2 a value) and B ≈ sw·qw (≤ sw/2), the product's error
    // is at most ½·sw_j·Σ_p|Â_ip| + ½·sa_i·Σ_p|B_pj| (the cross term is inside the first), plus
    // f32 rounding of the result: a few u·Σ|Â||B̂|.
    const random = rng(34);
    const { rt } = builds[0]!;
    for (const [m, k, n] of [[1, 768, 64], [37, 300, 45], [128, 768, 96]]) {
      const a = randomArray(m! * k!, random, -3, 1), b = randomArray(n! * k!, random, -0.1, 0.1);
      const got = rt.kernels.matmul(a, rt.kernels.packB(b, { k: k!, n: n!, transB: true, dtype: 'q8' }), { m: m! });
      const exact = js.matmul(a, b, { m: m!, k, n, transB: true });
      const qa = js.quantizeRows(a, { rows: m!, cols: k! }), w = quantizeWeights(b, k!, n!, true);
      const bound = new Float32Array(m! * n!);
      let worstShare = 0;
      for (let i = 0; i < m!; i++) {
        let sumA = 0;
        for (let p = 0; p < k!; p++) sumA += Math.abs(qa.scales[i]! * (qa.values[i * k! + p]! - qa.zeroPoints[i]!));
        for (let j = 0; j < n!; j++) {
          let sumB = 0;
          for (let p = 0; p < k!; p++) sumB += Math.abs(b[j * k! + p]!);
          bound[i * n! + j] = 0.5 * w.scales[j]! * sumA + 0.5 * qa.scales[i]! * sumB + 8 * U * sumA * sumB;
          worstShare = Math.max(worstShare, Math.abs(got[i * n! + j]! - exact[i * n! + j]!) / bound[i * n! + j]!);
        }
      }
      expectClose(`q8 vs exact ${m}×${k}×${n}`, got, exact, bound);
      // The bound is not vacuous: random errors use a fair share of it.
      expect(worstShare).toBeGreaterThan(0.02);
    }
  });

  test('two threads give bitwise the q8 results of one (GEMM, GEMV, packing)', () => {
    const [one, two] = builds.map((b) => b.rt);
    const random = rng(35);
    for (const [m, k, n] of [[128, 768, 264], [1, 2048, 768], [200, 300, 1001]]) {
      const a = randomArray(m! * k!, random), b = randomArray(k! * n!, random), bias = randomArray(n!, random);
      const r1 = one!.kernels.matmul(a, one!.kernels.packB(b, { k: k!, n: n!, transB: true, dtype: 'q8' }), { m: m!, bias, activation: 'gelu' });
      const r2 = two!.kernels.matmul(a, two!.kernels.packB(b, { k: k!, n: n!, transB: true, dtype: 'q8' }), { m: m!, bias, activation: 'gelu' });
      expect(r2, `q8 matmul ${m}×${k}×${n}`).toEqual(r1);
    }
  });
});

describe('the integer dot of the relaxed build', () => {
  test('integerDot: split and the default give the same bits; fused is refused where V8 miscompiles it; bad values and unknown options are errors', async () => {
    const relaxed = process.env.WASM_NLP_EXPECT_RELAXED === '1';
    const simd = relaxed ? 'relaxed' as const : 'baseline' as const;
    const [major, minor] = process.versions.v8.split('.').map(Number);
    const oldV8 = major! < 11 || (major === 11 && minor! < 4);
    const random = rng(37);
    const a = randomArray(9 * 300, random), b = randomArray(300 * 70, random);
    const results = [];
    for (const integerDot of ['auto', 'split'] as const) {
      const rt = await init({ simd, integerDot });
      expect(rt.features.fusedIntegerDot).toBe(integerDot === 'auto' && !oldV8);
      for (const m of [9, 1]) results.push(rt.kernels.matmul(a.subarray(0, m * 300), rt.kernels.packB(b, { k: 300, n: 70, dtype: 'q8' }), { m }));
      rt.dispose();
    }
    expect(results[2]).toEqual(results[0]);
    expect(results[3]).toEqual(results[1]);
    if (oldV8) {
      await expect(init({ simd, integerDot: 'fused' })).rejects.toThrow("init: option integerDot 'fused' is refused on this engine: V8 before 11.4 (Node 20)");
    }
    await expect(init({ integerDot: 'vnni' as 'fused' })).rejects.toThrow("init: option integerDot must be 'auto', 'fused' or 'split', got vnni");
    await expect(init({ thread: 2 } as object)).rejects.toThrow('init: unknown option thread (known: backend, simd, threads, maxMemoryBytes, minParallelFlops, warmUp, integerDot)');
  });
});
