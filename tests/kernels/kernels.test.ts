// Every WASM kernel against its JS twin, on every build this process can run, over shapes
// with every kind of SIMD tail. Tolerances are stated per kernel, with the reason.
import { beforeAll, describe, expect, test } from 'vitest';
import { init, jsKernels as js } from '../../src/index';
import type { Runtime } from '../../src/index';
import { buildsHere, expectClose, randomArray, rng, runtimes, SIZES } from '../kernel-tester';

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

  test('attention: a score bias per head (relative positions), with masks, causal and tk ≠ tq', () => {
    // As above: the bias only shifts scores (here within ±2), adding a few u·|bias| to each.
    const random = rng(14);
    const cases = [
      { batch: 1, heads: 1, tq: 1, tk: 1, dHead: 1 },
      { batch: 2, heads: 3, tq: 5, tk: 5, dHead: 7, masked: true },
      { batch: 1, heads: 2, tq: 17, tk: 17, dHead: 8, causal: true },
      { batch: 2, heads: 2, tq: 7, tk: 61, dHead: 5, causal: true, masked: true },
      { batch: 3, heads: 4, tq: 1, tk: 40, dHead: 17, masked: true },
      { batch: 1, heads: 2, tq: 66, tk: 33, dHead: 16 },
      { batch: 2, heads: 12, tq: 64, tk: 64, dHead: 64, causal: true, masked: true },
    ];
    for (const c of cases) {
      const width = c.heads * c.dHead;
      const q = randomArray(c.batch * c.tq * width, random, -2, 2);
      const kk = randomArray(c.batch * c.tk * width, random, -2, 2);
      const v = randomArray(c.batch * c.tk * width, random);
      const bias = randomArray(c.heads * c.tq * c.tk, random, -2, 2);
      // The first sequence hides its last key, the others their first (never all keys).
      const mask = c.masked ? new Float32Array(c.batch * c.tk).map((_, i) => (c.tk > 1 && i % c.tk === (i < c.tk ? c.tk - 1 : 0) ? -Infinity : 0)) : undefined;
      const options = { batch: c.batch, heads: c.heads, tq: c.tq, tk: c.tk, dHead: c.dHead, causal: c.causal, mask, bias };
      const got = wasm().attention(q, kk, v, options);
      const want = js.attention(q, kk, v, options);
      expectClose(`attention with bias ${JSON.stringify(c)}`, got, want, 2e-6 + (c.dHead + c.tk) * U * 4 + 4 * U * 2);
      // The bias is not ignored: without it the result moves by far more than the bound.
      const without = js.attention(q, kk, v, { ...options, bias: undefined });
      if (c.tk > 1) expect(Math.max(...want.map((w, i) => Math.abs(w - without[i]!))), `bias matters ${JSON.stringify(c)}`).toBeGreaterThan(1e-3);
    }
  });

  test('attention: grouped-query (kvHeads < heads) and a sliding window, against the twin and against repeated K/V', () => {
    // Bound as for plain attention. The reference for kvHeads is the twin given K and V with each
    // key/value head repeated heads/kvHeads times (Hugging Face's repeat_kv); for the window, a mask
    // (one query at a time) hiding the keys before it.
    const random = rng(15);
    const cases = [
      { batch: 1, heads: 4, kvHeads: 2, tq: 5, tk: 5, dHead: 3, causal: true },
      { batch: 2, heads: 6, kvHeads: 2, tq: 17, tk: 17, dHead: 8, causal: true, masked: true },
      { batch: 2, heads: 4, kvHeads: 1, tq: 1, tk: 40, dHead: 17, causal: true },
      { batch: 1, heads: 4, kvHeads: 4, tq: 7, tk: 61, dHead: 5, causal: true, window: 9 },
      { batch: 2, heads: 4, kvHeads: 2, tq: 70, tk: 70, dHead: 16, causal: true, window: 16, masked: true },
      { batch: 1, heads: 3, kvHeads: 1, tq: 1, tk: 33, dHead: 8, causal: true, window: 5 },
      { batch: 1, heads: 2, kvHeads: 2, tq: 3, tk: 3, dHead: 4, causal: true, window: 10 },
    ];
    for (const c of cases) {
      const group = c.heads / c.kvHeads, kvWidth = c.kvHeads * c.dHead, width = c.heads * c.dHead;
      const q = randomArray(c.batch * c.tq * width, random, -2, 2);
      const kk = randomArray(c.batch * c.tk * kvWidth, random, -2, 2);
      const v = randomArray(c.batch * c.tk * kvWidth, random);
      const mask = c.masked ? new Float32Array(c.batch * c.tk).map((_, i) => (i % c.tk === 3 ? -Infinity : 0)) : undefined;
      const options = { batch: c.batch, heads: c.heads, kvHeads: c.kvHeads, tq: c.tq, tk: c.tk, dHead: c.dHead, causal: c.causal, window: c.window, mask };
      const got = wasm().attention(q, kk, v, options);
      const want = js.attention(q, kk, v, options);
      const bound = 2e-6 + (c.dHead + c.tk) * U * 4;
      expectClose(`attention ${JSON.stringify(c)}`, got, want, bound);
      // repeat_kv: head h of the repeated K is head h / group of the grouped one.
      const repeat = (x: Float32Array) => {
        const out = new Float32Array(c.batch * c.tk * width);
        for (let r = 0; r < c.batch * c.tk; r++) for (let h = 0; h < c.heads; h++) {
          out.set(x.subarray(r * kvWidth + Math.floor(h / group) * c.dHead, r * kvWidth + Math.floor(h / group) * c.dHead + c.dHead), r * width + h * c.dHead);
        }
        return out;
      };
      const K = repeat(kk), V = repeat(v);
      if (c.window === undefined) {
        expectClose(`attention ${JSON.stringify(c)} vs repeated K/V`, got, js.attention(q, K, V, { ...options, kvHeads: undefined }), bound);
        continue;
      }
      // The window as a mask, one query row at a time (tq = 1 over the keys it may see).
      const wantRows = new Float32Array(got.length);
      for (let b = 0; b < c.batch; b++) for (let t = 0; t < c.tq; t++) {
        const seen = t + c.tk - c.tq + 1;
        const m = new Float32Array(seen).map((_, j) => (j <= seen - 1 - c.window ? -Infinity : (mask?.[b * c.tk + j] ?? 0)));
        const row = js.attention(q.subarray((b * c.tq + t) * width, (b * c.tq + t + 1) * width), K.subarray(b * c.tk * width, (b * c.tk + seen) * width),
          V.subarray(b * c.tk * width, (b * c.tk + seen) * width), { heads: c.heads, tq: 1, tk: seen, dHead: c.dHead, mask: m });
        wantRows.set(row, (b * c.tq + t) * width);
      }
      expectClose(`attention ${JSON.stringify(c)} vs a window mask`, got, wantRows, bound);
      const unwindowed = js.attention(q, kk, v, { ...options, window: undefined });
      if (c.window < c.tk) expect(Math.max(...want.map((w, i) => Math.abs(w - unwindowed[i]!))), 'the window matters').toBeGreaterThan(1e-3);
    }
    expect(() => wasm().attention(new Float32Array(12), new Float32Array(12), new Float32Array(12), { heads: 3, kvHeads: 2, tq: 1, dHead: 4 }))
      .toThrow('attention: option kvHeads (2) must divide heads (3)');
    expect(() => js.attention(new Float32Array(8), new Float32Array(8), new Float32Array(8), { heads: 2, kvHeads: 1, tq: 1, dHead: 4 }))
      .toThrow('attention: k has 8 floats, expected batch·tk·kvHeads·dHead = 4');
    expect(() => js.attention(new Float32Array(8), new Float32Array(8), new Float32Array(8), { heads: 2, tq: 1, dHead: 4, window: 2 }))
      .toThrow('attention: option window needs causal: true');
  });

  test('attention bias, worked by hand: scores 0, bias [0, ln 3] weighs the two keys 1/4 and 3/4', () => {
    // q = 0 makes every score 0, so softmax(bias + mask) alone picks the mix of v's rows (4, 0) and (0, 8).
    const v = new Float32Array([4, 0, 0, 8]), ln3 = Math.log(3);
    for (const k of [wasm(), js]) {
      // One query (the decoder-step path) and tk ≠ tq.
      const one = k.attention(new Float32Array(2), new Float32Array(4), v, { heads: 1, tq: 1, tk: 2, dHead: 2, bias: new Float32Array([0, ln3]) });
      expectClose('tq=1', one, [1, 6], 1e-6);
      // Two queries, each its own bias row; causal hides key 1 from query 0; a mask hides key 1 of the second sequence.
      const bias = new Float32Array([0, ln3, ln3, 0]);
      const two = k.attention(new Float32Array(8), new Float32Array(8), new Float32Array([...v, ...v]),
        { batch: 2, heads: 1, tq: 2, tk: 2, dHead: 2, bias, mask: new Float32Array([0, 0, 0, -Infinity]) });
      expectClose('tq=2 with a mask', two, [1, 6, 3, 2, 4, 0, 4, 0], 1e-6);
      const causal = k.attention(new Float32Array(4), new Float32Array(4), v, { heads: 1, tq: 2, tk: 2, dHead: 2, bias, causal: true });
      expectClose('tq=2 causal', causal, [4, 0, 3, 2], 1e-6);
    }
  });

  test('rmsNorm: with and without gamma, large and tiny rows, in place', () => {
    // Σx² of positive terms is within (cols−1)u relative in any order (Higham 3.1), the square
    // root halves that, and the mean, eps, sqrt, divide and two multiplies add a rounding each:
    // within (cols/2 + 6)·u of |y| (the twin rounds once more, inside that).
    const random = rng(15);
    for (const rows of SIZES) for (const cols of [...SIZES, 768]) {
      for (const variant of ['plain', 'gamma', 'large', 'tiny']) {
        const [lo, hi] = variant === 'large' ? [-3e3, 3e3] : variant === 'tiny' ? [-1e-4, 1e-4] : [-1, 1];
        const x = randomArray(rows * cols, random, lo, hi);
        const options = { rows, cols, gamma: variant === 'plain' ? undefined : randomArray(cols, random), eps: variant === 'tiny' ? 1e-9 : undefined };
        const got = wasm().rmsNorm(x, options);
        const want = js.rmsNorm(x, options);
        expectClose(`rmsNorm ${rows}×${cols} ${variant}`, got, want, want.map((w) => (cols / 2 + 6) * U * Math.abs(w) + 1e-30));
        const inPlace = x.slice();
        expect(wasm().rmsNorm(inPlace, { ...options, out: inPlace }), `rmsNorm ${rows}×${cols} in place`).toEqual(got);
      }
    }
  });

  test('rmsNorm, worked by hand and against torch (LlamaRMSNorm)', () => {
    for (const k of [wasm(), js]) {
      // mean(3², 4²) = 12.5: y = (3, 4)/√12.5 = (0.848528137, 1.131370850), times gamma (2, 0.5).
      // Bounds: the f32 result's half ulp (6e-8 at 1.1) plus the kernel's few u.
      expectClose('[3, 4]', k.rmsNorm(new Float32Array([3, 4]), { rows: 1, cols: 2, eps: 0 }), [0.848528137, 1.13137085], 2e-7);
      expectClose('[3, 4]·gamma', k.rmsNorm(new Float32Array([3, 4]), { rows: 1, cols: 2, eps: 0, gamma: new Float32Array([2, 0.5]) }), [1.697056275, 0.565685425], 3e-7);
      // A row of ±1 has rms 1 and is its own output; a zero row stays 0 (eps keeps 1/rms finite).
      expect([...k.rmsNorm(new Float32Array([1, -1, 1, -1]), { rows: 1, cols: 4, eps: 0 })]).toEqual([1, -1, 1, -1]);
      expect([...k.rmsNorm(new Float32Array(5), { rows: 1, cols: 5 })]).toEqual([0, 0, 0, 0, 0]);
      // LlamaRMSNorm's formula in torch 1.13, f64, computed once with /usr/bin/python3:
      //   x = torch.tensor([((7*i) % 11 - 5)/4 for i in range(10)], dtype=torch.float64).view(2, 5)
      //   g = torch.tensor([0.5 + 0.25*j for j in range(5)], dtype=torch.float64)
      //   print(g * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6)))
      // Bound: the kernel's (cols/2 + 6)u of |y| ≤ 2 is under 1e-6.
      const x = sevens(10), gamma = new Float32Array(5).map((_, j) => 0.5 + 0.25 * j);
      expectClose('torch LlamaRMSNorm', k.rmsNorm(x, { rows: 2, cols: 5, gamma }),
        [-0.727777644, 0.436666586, -0.582222115, 1.81944411, 0.436666586, -0.47434127, 0.948682539, 0, -1.58113757, 1.42302381], 1e-6);
    }
  });

  test('rotary: rotate_half and interleaved, partial rotaryDim, every tail, in place', () => {
    // Each output is x1·c − x2·s (or x2·c + x1·s): two products and a sum, a rounding each in
    // f32, against one rounding of the twin's f64: within 3u·(|x1·c| + |x2·s|). Copied columns exact.
    const random = rng(16);
    for (const [rows, heads, dHead] of [[1, 1, 2], [3, 2, 6], [2, 3, 7], [5, 3, 8], [17, 2, 10], [4, 4, 16], [33, 2, 34], [7, 12, 64]]) {
      // Full, nearly full and about half: half-widths with and without a vector tail, and 0.
      const dims = new Set([dHead!, dHead! - 1, dHead! - 2, 2 * Math.floor(dHead! / 4)].filter((d) => d >= 0 && d % 2 === 0));
      for (const rotaryDim of dims) {
        for (const interleaved of [false, true]) {
          const x = randomArray(rows! * heads! * dHead!, random, -3, 3);
          const table = angleTable(rows!, rotaryDim, random);
          const options = { rows: rows!, heads: heads!, dHead: dHead!, rotaryDim, interleaved };
          const what = `rotary ${rows}×${heads}×${dHead} R=${rotaryDim} interleaved=${interleaved}`;
          const got = wasm().rotary(x, table, options);
          const want = js.rotary(x, table, options);
          expectClose(what, got, want, rotaryBound(x, table, options));
          const inPlace = x.slice();
          expect(wasm().rotary(inPlace, table, { ...options, out: inPlace }), `${what} in place`).toEqual(got);
          const twinInPlace = x.slice();
          expect(js.rotary(twinInPlace, table, { ...options, out: twinInPlace }), `${what} twin in place`).toEqual(want);
        }
      }
    }
  });

  test('rotary, worked by hand and against torch (Llama rotate_half, GPT-J rotate_every_two)', () => {
    // One head x = (1, 2, 3, 4); angle 0 has cos 0, sin 1; angle 1 has cos 0.6, sin 0.8.
    // rotate_half pairs (1, 3) and (2, 4): (1·0 − 3·1, 2·0.6 − 4·0.8, 3·0 + 1·1, 4·0.6 + 2·0.8) = (−3, −2, 1, 4).
    // Interleaved pairs (1, 2) and (3, 4): (1·0 − 2·1, 2·0 + 1·1, 3·0.6 − 4·0.8, 4·0.6 + 3·0.8) = (−2, 1, −1.4, 4.8).
    // With dHead 6 and rotaryDim 4, columns 4 and 5 (5, 6) are copied.
    const table = new Float32Array([0, 0.6, 1, 0.8]);
    for (const k of [wasm(), js]) {
      expectClose('rotate_half', k.rotary(new Float32Array([1, 2, 3, 4]), table, { rows: 1, heads: 1, dHead: 4 }), [-3, -2, 1, 4], 1e-6);
      expectClose('interleaved', k.rotary(new Float32Array([1, 2, 3, 4]), table, { rows: 1, heads: 1, dHead: 4, interleaved: true }), [-2, 1, -1.4, 4.8], 1e-6);
      expectClose('partial', k.rotary(new Float32Array([1, 2, 3, 4, 5, 6]), table, { rows: 1, heads: 1, dHead: 6, rotaryDim: 4 }), [-3, -2, 1, 4, 5, 6], 1e-6);

      // Hugging Face's formulas (modeling_llama.py, modeling_gptj.py) in torch 1.13, f64, computed
      // once with /usr/bin/python3 (3 rows at positions 0, 1, 5 × 2 heads × dHead 6, rotaryDim 4):
      //   f64 = torch.float64; x = torch.tensor([((7*i) % 11 - 5)/4 for i in range(36)], dtype=f64).view(3, 2, 6)
      //   inv_freq = 1.0 / (10000 ** (torch.arange(0, 4, 2, dtype=f64) / 4))
      //   freqs = torch.outer(torch.tensor([0., 1., 5.], dtype=f64), inv_freq)
      //   cos, sin = freqs.cos().float().double(), freqs.sin().float().double()   # the f32 table
      //   rot, pas = x[..., :4], x[..., 4:]
      //   rotate_half = lambda t: torch.cat((-t[..., 2:], t[..., :2]), -1)
      //   rotate_every_two = lambda t: torch.stack((-t[..., 1::2], t[..., ::2]), -1).flatten(-2)
      //   c2, s2 = torch.cat((cos, cos), -1)[:, None], torch.cat((sin, sin), -1)[:, None]
      //   ci, si = cos.repeat_interleave(2, -1)[:, None], sin.repeat_interleave(2, -1)[:, None]
      //   print(torch.cat((rot * c2 + rotate_half(rot) * s2, pas), -1).flatten())       # rotate_half
      //   print(torch.cat((rot * ci + rotate_every_two(rot) * si, pas), -1).flatten())  # interleaved
      // Bound: the kernel's 3u·(|x1·c| + |x2·s|) with |x| ≤ 1.25 is under 1e-6.
      const positions = [0, 1, 5], R = 4;
      const rope = new Float32Array(positions.length * R);
      positions.forEach((p, r) => {
        for (let i = 0; i < R / 2; i++) {
          const theta = p / 10000 ** ((2 * i) / R);
          rope[r * R + i] = Math.cos(theta);
          rope[r * R + R / 2 + i] = Math.sin(theta);
        }
      });
      const x = sevens(36), options = { rows: 3, heads: 2, dHead: 6, rotaryDim: 4 };
      expectClose('torch rotate_half', k.rotary(x, rope, options), [
        -1.25, 0.5, -0.5, 1.25, 0.25, -0.75, 1, 0, -1, 0.75, -0.25, -1.25, -0.781687558, -0.502474954, 1.09611332, 0.244987581, -0.75, 1,
        -0.631103218, -0.997450033, 0.405226707, -0.259987331, -1.25, 0.5, 0.0978999734, 1.28592221, 0.550377697, -0.686588741, 1, 0,
        -0.523393273, 0.811536663, 0.888008744, -1.21095346, 0.5, -0.5], 1e-6);
      expectClose('torch rotate_every_two', k.rotary(x, rope, { ...options, interleaved: true }), [
        -1.25, 0.5, -0.5, 1.25, 0.25, -0.75, 1, 0, -1, 0.75, -0.25, -1.25, 0.690886617, 0.15058434, 1.24743753, 0.262487289, -0.75, 1,
        0.841470957, -0.540302277, 0.752462452, -0.242487623, -1.25, 0.5, 1.05682427, 0.834039897, 0.287171944, -0.73656791, 1, 0,
        0.43553102, 1.17167094, -0.187213606, -1.26093263, 0.5, -0.5], 1e-6);
    }
  });

  test('bad arguments of rmsNorm, mul, rotary, attention bias and word2vecTrain: the same error from both backends', () => {
    const f = (n: number) => new Float32Array(n);
    for (const k of [wasm(), js]) {
      expect(() => k.rmsNorm(f(6), { rows: 2, cols: 3, gamma: f(2) })).toThrow('rmsNorm: gamma has 2 floats, expected cols = 3');
      expect(() => k.rmsNorm(f(5), { rows: 2, cols: 3 })).toThrow('rmsNorm: x has 5 floats, expected rows·cols = 6');
      expect(() => k.rmsNorm(f(6), { rows: 2, cols: 3, eps: -1 })).toThrow('rmsNorm: option eps must be ≥ 0, got -1');
      expect(() => k.rmsNorm(f(6), { rows: 2, cols: 3, eps: NaN })).toThrow('rmsNorm: option eps must be a finite number, got NaN');
      expect(() => k.rmsNorm(f(6), { rows: -2, cols: 3 })).toThrow('rmsNorm: option rows must be a non-negative integer, got -2');
      expect(() => k.rmsNorm(f(6), undefined as never)).toThrow('rmsNorm: options object is required');
      expect(() => k.rmsNorm(f(6), { rows: 2, cols: 3, out: f(5) })).toThrow('rmsNorm: out has 5 floats, expected rows·cols = 6');

      expect(() => k.mul(f(3), f(4))).toThrow('mul: b has 4 floats, expected a.length = 3');
      expect(() => k.mul(f(3), f(3), { out: f(2) })).toThrow('mul: out has 2 floats, expected a.length = 3');
      expect(() => k.mul([1, 2] as never, f(2))).toThrow('mul: a must be a Float32Array or a tensor, got Array');

      const x = f(2 * 3 * 8);
      expect(() => k.rotary(x, f(16), { rows: 2, heads: 3, dHead: 8, rotaryDim: 5 })).toThrow('rotary: option rotaryDim must be even and at most dHead = 8, got 5');
      expect(() => k.rotary(x, f(20), { rows: 2, heads: 3, dHead: 8, rotaryDim: 10 })).toThrow('rotary: option rotaryDim must be even and at most dHead = 8, got 10');
      expect(() => k.rotary(x, f(15), { rows: 2, heads: 3, dHead: 8 })).toThrow('rotary: table has 15 floats, expected rows·rotaryDim = 16');
      expect(() => k.rotary(x, f(8), { rows: 2, heads: 3, dHead: 8, rotaryDim: 4 })).not.toThrow();
      expect(() => k.rotary(f(47), f(16), { rows: 2, heads: 3, dHead: 8 })).toThrow('rotary: x has 47 floats, expected rows·heads·dHead = 48');
      expect(() => k.rotary(x, f(16), { rows: 2, heads: 3.5, dHead: 8 })).toThrow('rotary: option heads must be a non-negative integer, got 3.5');
      expect(() => k.rotary(x, f(16), { rows: 2, heads: 3, dHead: 8, out: f(40) })).toThrow('rotary: out has 40 floats, expected rows·heads·dHead = 48');
      const shared = f(64);
      expect(() => k.rotary(shared.subarray(0, 48), f(16), { rows: 2, heads: 3, dHead: 8, out: shared.subarray(8, 56) })).toThrow('rotary: out must be x itself or not overlap it');
      expect(() => k.rotary(x, shared.subarray(40, 56), { rows: 2, heads: 3, dHead: 8, out: shared.subarray(0, 48) })).toThrow('rotary: out must not overlap table');

      const qkv = f(2 * 3 * 2 * 4); // batch 2, tq = tk = 3, heads 2, dHead 4
      expect(() => k.attention(qkv, qkv, qkv, { batch: 2, heads: 2, tq: 3, dHead: 4, bias: f(2 * 3 * 3 * 2) }))
        .toThrow('attention: bias has 36 floats, expected heads·tq·tk = 18');
      expect(() => k.attention(f(2 * 1 * 8), qkv, qkv, { batch: 2, heads: 2, tq: 1, tk: 3, dHead: 4, bias: f(18) }))
        .toThrow('attention: bias has 18 floats, expected heads·tq·tk = 6');

      const job = { tokens: { data: new Int32Array(2) }, length: 5, seed: 1, wordsBefore: 0 };
      expect(() => k.word2vecTrain({} as never, [job])).toThrow('word2vecTrain: job 0 length 5 is outside its tokens');
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

  test('add, mul, scale, axpy: exact or one rounding apart', () => {
    const random = rng(5);
    for (const n of [...SIZES, 1000]) {
      const a = randomArray(n, random), b = randomArray(n, random);
      // One rounding each side: add, mul and scale match to the bit.
      expect(wasm().add(a, b)).toEqual(js.add(a, b));
      expect(wasm().mul(a, b)).toEqual(js.mul(a, b));
      const inPlace = a.slice();
      expect(wasm().mul(inPlace, b, { out: inPlace })).toEqual(js.mul(a, b));
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

/** x_i = ((7i) % 11 − 5)/4: small, exact in f32, and easy to write in Python. */
function sevens(n: number): Float32Array {
  return new Float32Array(n).map((_, i) => ((7 * i) % 11 - 5) / 4);
}

/** A rotary table of random angles: rows × R, cos then sin of each angle. */
function angleTable(rows: number, R: number, random: () => number): Float32Array {
  const t = new Float32Array(rows * R);
  for (let r = 0; r < rows; r++) for (let i = 0; i < R / 2; i++) {
    const theta = 50 * (random() - 0.5);
    t[r * R + i] = Math.cos(theta);
    t[r * R + R / 2 + i] = Math.sin(theta);
  }
  return t;
}

/** 3u·(|x1·c| + |x2·s|) for each rotated output; a tiny bound (so exact) for copied columns. */
function rotaryBound(x: Float32Array, table: Float32Array, o: { rows: number; heads: number; dHead: number; rotaryDim: number; interleaved: boolean }): Float32Array {
  const bound = new Float32Array(x.length).fill(1e-30), R = o.rotaryDim, half = R / 2;
  for (let r = 0; r < o.rows; r++) for (let h = 0; h < o.heads; h++) {
    const base = (r * o.heads + h) * o.dHead;
    for (let i = 0; i < half; i++) {
      const i1 = base + (o.interleaved ? 2 * i : i), i2 = base + (o.interleaved ? 2 * i + 1 : i + half);
      const c = Math.abs(table[r * R + i]!), s = Math.abs(table[r * R + half + i]!);
      const a1 = Math.abs(x[i1]!), a2 = Math.abs(x[i2]!);
      bound[i1] = 3 * U * (a1 * c + a2 * s) + 1e-30;
      bound[i2] = 3 * U * (a2 * c + a1 * s) + 1e-30;
    }
  }
  return bound;
}

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
  test('two threads give bitwise the results of one, for GEMM, GEMV, packing and attention (with and without bias)', async () => {
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
    const bias = randomArray(12 * 64 * 96, random, -2, 2);
    expect(two!.kernels.attention(q, kv, kv, { ...options, bias }), 'attention with bias').toEqual(one!.kernels.attention(q, kv, kv, { ...options, bias }));
  });

  test('four threads on work of fewer chunks than threads (2 attention units, a GEMV of 2 column groups) give the one-thread bits', async () => {
    const one = builds[0]!.rt;
    const four = await init({ ...buildsHere()[1]!.options, threads: 4 });
    try {
      expect(four.features.threads).toBe(4);
      const random = rng(22);
      for (const [batch, heads] of [[1, 2], [2, 1], [1, 3]]) {
        const width = heads! * 32, q = randomArray(batch! * 64 * width, random), kv = randomArray(batch! * 64 * width, random);
        const options = { batch: batch!, heads: heads!, tq: 64, tk: 64, dHead: 32 };
        // Repeated: a thread given no scratch of its own would write over another's only now and then.
        for (let r = 0; r < 20; r++) expect(four.kernels.attention(q, kv, kv, options), `attention ${batch}×${heads} run ${r}`).toEqual(one.kernels.attention(q, kv, kv, options));
      }
      const a = randomArray(512, random), b = randomArray(512 * 64, random);
      expect(four.kernels.matmul(a, b, { m: 1, k: 512, n: 64 })).toEqual(one.kernels.matmul(a, b, { m: 1, k: 512, n: 64 }));
    } finally {
      four.dispose();
    }
  });
});
