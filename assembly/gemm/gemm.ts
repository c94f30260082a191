// C[m×n] = act(A[m×k] · B + bias) with B packed (pack.ts), for the columns [n0, n1) of C;
// n0 a multiple of 8, so threads split the columns and each C element is computed by one
// thread, in the same order as on one thread. A and C are row-major with lda and ldc floats
// between rows (a head's slice of a wider matrix, in attention); bias: 0 or n floats.
// scratch: gemmScratchFloats() floats, per thread (a tail tile, then packed A).
//
// Loops: K blocks of KC (a B panel, KC×8, stays in L1), M blocks of MC rows (A packed once per
// block, MC×KC in L2), 8-column panels of B, MR-row tiles.
import { activate } from "./epilogue";
import { gemmTile } from "./microkernel";
import { packA } from "./pack";
import { INIT_BIAS, INIT_C, INIT_ZERO, KC, MC, MR, NR } from "./tile";
import { at, extract, madd } from "../simd";

export function gemm(a: usize, lda: i32, bp: usize, c: usize, ldc: i32, bias: usize, m: i32, k: i32, n: i32, n0: i32, n1: i32, act: i32, scratch: usize): void {
  if (k == 0) {
    fillBias(c, ldc, bias, m, n, n0, n1);
    for (let j = n0; j < n1; j += NR) activate(at(c, j), ldc, m, min(NR, n - j), act);
    return;
  }
  const tile = scratch;
  const ap = at(scratch, MR * NR);
  const ldcBytes = <usize>ldc << 2;
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = min(KC, k - k0);
    const last = k0 + kc >= k;
    const init = k0 > 0 ? INIT_C : bias ? INIT_BIAS : INIT_ZERO;
    for (let i0 = 0; i0 < m; i0 += MC) {
      const mc = min(MC, m - i0);
      packA(at(a, i0 * lda + k0), lda, ap, mc, kc);
      for (let j = n0; j < n1; j += NR) {
        const cols = min(NR, n - j);
        const panel = at(bp, j * k + k0 * NR);
        for (let i = 0; i < mc; i += MR) {
          const rows = min(MR, mc - i);
          const ai = at(ap, i * kc);
          const ci = at(c, (i0 + i) * ldc + j);
          if (cols == NR) {
            gemmTile(ai, panel, kc, ci, ldcBytes, rows, init, at(bias, j));
          } else {
            // The column tail goes through a full tile in scratch, so the kernel never reads
            // or writes past column n.
            for (let r = 0; r < rows; r++) {
              for (let q = 0; q < NR; q++) {
                let v: f32 = 0;
                if (q < cols) v = init == INIT_C ? load<f32>(at(ci, r * ldc + q)) : init == INIT_BIAS ? load<f32>(at(bias, j + q)) : 0;
                store<f32>(at(tile, r * NR + q), v);
              }
            }
            gemmTile(ai, panel, kc, tile, NR << 2, rows, INIT_C, 0);
            for (let r = 0; r < rows; r++) {
              for (let q = 0; q < cols; q++) store<f32>(at(ci, r * ldc + q), load<f32>(at(tile, r * NR + q)));
            }
          }
          if (last) activate(ci, ldc, rows, cols, act);
        }
      }
    }
  }
}

/** Floats of scratch one thread's gemm needs: a tail tile and one packed block of A. */
export function gemmScratchFloats(): i32 {
  return MR * NR + MC * KC;
}

/**
 * One row of A (m = 1, a decoder step) against packed B: C = act(a·B + bias), columns [n0, n1).
 * Bound by reading B once. Four panels are read side by side: four sequential streams keep more
 * loads in flight than one (1.4× the GB/s of one stream on an AMD EPYC core). Every column is
 * one chain of adds in step order, whichever path computes it, so results do not depend on
 * the thread split.
 */
export function gemv(a: usize, bp: usize, c: usize, bias: usize, k: i32, n: i32, n0: i32, n1: i32, act: i32): void {
  let j = n0;
  for (; j + 4 * NR <= min(n1, n); j += 4 * NR) {
    gemvPanels4(a, at(bp, j * k), at(c, j), bias ? at(bias, j) : 0, k);
    activate(at(c, j), n, 1, 4 * NR, act);
  }
  for (; j < n1; j += NR) {
    gemvPanel(a, at(bp, j * k), c, bias, k, n, j);
    activate(at(c, j), n, 1, min(NR, n - j), act);
  }
}

/** Four full panels (32 columns of C, bias 0 or their 32 floats). */
@inline function gemvPanels4(a: usize, panel: usize, c: usize, bias: usize, k: i32): void {
  const stride = <usize>k * NR * 4;
  const p0 = panel, p1 = panel + stride, p2 = panel + 2 * stride, p3 = panel + 3 * stride;
  let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  if (bias) {
    s0 = v128.load(bias); s1 = v128.load(bias, 16); s2 = v128.load(bias, 32); s3 = v128.load(bias, 48);
    s4 = v128.load(bias, 64); s5 = v128.load(bias, 80); s6 = v128.load(bias, 96); s7 = v128.load(bias, 112);
  }
  for (let p = 0; p < k; p++) {
    const o = <usize>p * NR * 4;
    const x = v128.load32_splat(at(a, p));
    s0 = madd(x, v128.load(p0 + o), s0);
    s1 = madd(x, v128.load(p0 + o, 16), s1);
    s2 = madd(x, v128.load(p1 + o), s2);
    s3 = madd(x, v128.load(p1 + o, 16), s3);
    s4 = madd(x, v128.load(p2 + o), s4);
    s5 = madd(x, v128.load(p2 + o, 16), s5);
    s6 = madd(x, v128.load(p3 + o), s6);
    s7 = madd(x, v128.load(p3 + o, 16), s7);
  }
  v128.store(c, s0); v128.store(c, s1, 16); v128.store(c, s2, 32); v128.store(c, s3, 48);
  v128.store(c, s4, 64); v128.store(c, s5, 80); v128.store(c, s6, 96); v128.store(c, s7, 112);
}

/** One panel, columns [j, j + 8) of C, the last possibly short of 8 (its zero-padded floats not stored). */
@inline function gemvPanel(a: usize, panel: usize, c: usize, bias: usize, k: i32, n: i32, j: i32): void {
  let s0 = bias && j + 4 <= n ? v128.load(at(bias, j)) : f32x4.splat(0);
  let s1 = bias && j + 8 <= n ? v128.load(at(bias, j + 4)) : f32x4.splat(0);
  for (let p = 0; p < k; p++) {
    const x = v128.load32_splat(at(a, p));
    s0 = madd(x, v128.load(at(panel, p * NR)), s0);
    s1 = madd(x, v128.load(at(panel, p * NR), 16), s1);
  }
  const cols = min(NR, n - j);
  if (cols == NR) {
    v128.store(at(c, j), s0);
    v128.store(at(c, j + 4), s1);
    return;
  }
  // Lanes one by one, the bias added here since it was not loaded past column n.
  for (let q = 0; q < cols; q++) {
    let v = q < 4 ? extract(s0, q) : extract(s1, q - 4);
    if (bias && ((q < 4 && j + 4 > n) || (q >= 4 && j + 8 > n))) v += load<f32>(at(bias, j + q));
    store<f32>(at(c, j + q), v);
  }
}

function fillBias(c: usize, ldc: i32, bias: usize, m: i32, n: i32, n0: i32, n1: i32): void {
  const end = min(n1, n);
  for (let i = 0; i < m; i++) for (let j = n0; j < end; j++) store<f32>(at(c, i * ldc + j), bias ? load<f32>(at(bias, j)) : 0);
}
