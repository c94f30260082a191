// C[m×n] = act(dequantize(Aq · Bq) + bias) for the columns [n0, n1) of C (n0 a multiple of 8,
// so threads split the columns and every C element is computed by one thread); Aq quantized by
// quantize.ts (grouped) with its row scales sa and zero points za, Bq packed by pack.ts.
// Loops: M blocks whose quantized rows stay in L2, 8-column panels of B (8·Kp bytes, in L1),
// 4-row tiles over the whole of K (the int32 sums need no K blocking).
// scratch: QMR·QNR + QNR floats per thread (a tail tile and a tail bias). fused: 1 for the fused
// relaxed dot, 0 for the split one (microkernel.ts: dot4); the plain build ignores it.
import { activate } from "../gemm/epilogue";
import { at, extract } from "../simd";
import { dequantize, dot4, Fused, gemmQ8Tile, pairSums, Split } from "./microkernel";
import { colSumsOffset, QA_BLOCK_BYTES, QMR, QNR, roundUp4, scalesOffset } from "./tile";

export function gemmQ8(aq: usize, sa: usize, za: usize, bp: usize, c: usize, ldc: i32, bias: usize,
  m: i32, k: i32, n: i32, n0: i32, n1: i32, act: i32, scratch: usize, fused: i32): void {
  if (ASC_FEATURE_RELAXED_SIMD && fused) gemmQ8Of<Fused>(aq, sa, za, bp, c, ldc, bias, m, k, n, n0, n1, act, scratch);
  else gemmQ8Of<Split>(aq, sa, za, bp, c, ldc, bias, m, k, n, n0, n1, act, scratch);
}

function gemmQ8Of<D>(aq: usize, sa: usize, za: usize, bp: usize, c: usize, ldc: i32, bias: usize,
  m: i32, k: i32, n: i32, n0: i32, n1: i32, act: i32, scratch: usize): void {
  const kp = roundUp4(k), kg = kp >> 2;
  const scales = bp + scalesOffset(k, n), sums = bp + colSumsOffset(k, n);
  const mc = max(QMR, QA_BLOCK_BYTES / kp / QMR * QMR);
  const tile = scratch, tailBias = at(scratch, QMR * QNR);
  const ldcBytes = <usize>ldc << 2;
  for (let i0 = 0; i0 < m; i0 += mc) {
    const i1 = min(m, i0 + mc);
    for (let j = n0; j < n1; j += QNR) {
      const cols = min(QNR, n - j);
      const panel = bp + <usize>j * kp;
      const sw = at(scales, j), cs = sums + (<usize>j << 2);
      if (cols < QNR && bias) {
        for (let q = 0; q < QNR; q++) store<f32>(at(tailBias, q), q < cols ? load<f32>(at(bias, j + q)) : 0);
      }
      for (let i = i0; i < i1; i += QMR) {
        const rows = min(QMR, i1 - i);
        const ai = aq + <usize>i * kp;
        const ci = at(c, i * ldc + j);
        if (cols == QNR) {
          gemmQ8Tile<D>(ai, panel, kg, ci, ldcBytes, rows, at(sa, i), za + (<usize>i << 2), sw, cs, bias ? at(bias, j) : 0);
        } else {
          // The column tail goes through a full tile in scratch: C is never written past n.
          gemmQ8Tile<D>(ai, panel, kg, tile, QNR << 2, rows, at(sa, i), za + (<usize>i << 2), sw, cs, bias ? tailBias : 0);
          for (let r = 0; r < rows; r++) {
            for (let q = 0; q < cols; q++) store<f32>(at(ci, r * ldc + q), load<f32>(at(tile, r * QNR + q)));
          }
        }
        activate(ci, ldc, rows, cols, act);
      }
    }
  }
}

/** Floats of scratch one thread's gemmQ8 needs. */
export function gemmQ8ScratchFloats(): i32 {
  return QMR * QNR + QNR;
}

/**
 * One quantized row (m = 1, a decoder step; aq its kp bytes, sa and za its scale and zero
 * point) against packed B: columns [n0, n1) of c. Bound by reading B, a byte a weight: panels
 * are read side by side (four with the relaxed dot, two with the plain one's twice as many
 * accumulators), as sequential streams that keep more loads in flight than one. Integer sums
 * are exact, so the grouping does not change a result.
 */
export function gemvQ8(aq: usize, sa: usize, za: usize, bp: usize, c: usize, bias: usize, k: i32, n: i32, n0: i32, n1: i32, act: i32, fused: i32): void {
  if (ASC_FEATURE_RELAXED_SIMD && fused) gemvQ8Of<Fused>(aq, sa, za, bp, c, bias, k, n, n0, n1, act);
  else gemvQ8Of<Split>(aq, sa, za, bp, c, bias, k, n, n0, n1, act);
}

function gemvQ8Of<D>(aq: usize, sa: usize, za: usize, bp: usize, c: usize, bias: usize, k: i32, n: i32, n0: i32, n1: i32, act: i32): void {
  const kp = roundUp4(k), kg = kp >> 2;
  const scales = bp + scalesOffset(k, n), sums = bp + colSumsOffset(k, n);
  const scale = f32x4.splat(load<f32>(sa)), zp = i32x4.splat(load<i32>(za));
  const stride = <usize>QNR * kp;
  let j = n0;
  if (ASC_FEATURE_RELAXED_SIMD) {
    const ones = i16x8.splat(1);
    for (; j + 4 * QNR <= n1; j += 4 * QNR) {
      const p0 = bp + <usize>j * kp, p1 = p0 + stride, p2 = p1 + stride, p3 = p2 + stride;
      let s0 = i32x4.splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
      for (let g = 0; g < kg; g++) {
        const o = <usize>g << 5;
        const a = v128.load32_splat(aq + (<usize>g << 2));
        s0 = dot4<D>(v128.load(p0 + o), a, s0, ones);
        s1 = dot4<D>(v128.load(p0 + o, 16), a, s1, ones);
        s2 = dot4<D>(v128.load(p1 + o), a, s2, ones);
        s3 = dot4<D>(v128.load(p1 + o, 16), a, s3, ones);
        s4 = dot4<D>(v128.load(p2 + o), a, s4, ones);
        s5 = dot4<D>(v128.load(p2 + o, 16), a, s5, ones);
        s6 = dot4<D>(v128.load(p3 + o), a, s6, ones);
        s7 = dot4<D>(v128.load(p3 + o, 16), a, s7, ones);
      }
      storePanel(c, bias, j, n, s0, s1, zp, scale, scales, sums, act);
      storePanel(c, bias, j + QNR, n, s2, s3, zp, scale, scales, sums, act);
      storePanel(c, bias, j + 2 * QNR, n, s4, s5, zp, scale, scales, sums, act);
      storePanel(c, bias, j + 3 * QNR, n, s6, s7, zp, scale, scales, sums, act);
    }
    for (; j < n1; j += QNR) {
      const p0 = bp + <usize>j * kp;
      let s0 = i32x4.splat(0), s1 = s0;
      for (let g = 0; g < kg; g++) {
        const o = <usize>g << 5;
        const a = v128.load32_splat(aq + (<usize>g << 2));
        s0 = dot4<D>(v128.load(p0 + o), a, s0, ones);
        s1 = dot4<D>(v128.load(p0 + o, 16), a, s1, ones);
      }
      storePanel(c, bias, j, n, s0, s1, zp, scale, scales, sums, act);
    }
    return;
  }
  for (; j + 2 * QNR <= n1; j += 2 * QNR) {
    const p0 = bp + <usize>j * kp, p1 = p0 + stride;
    let l0 = i32x4.splat(0), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0, l3 = l0, h3 = l0;
    for (let g = 0; g < kg; g++) {
      const o = <usize>g << 5;
      const a = i16x8.extend_low_i8x16_u(v128.load32_splat(aq + (<usize>g << 2)));
      const b0 = v128.load(p0 + o), b1 = v128.load(p0 + o, 16), b2 = v128.load(p1 + o), b3 = v128.load(p1 + o, 16);
      l0 = i32x4.add(l0, i32x4.dot_i16x8_s(a, i16x8.extend_low_i8x16_s(b0)));
      h0 = i32x4.add(h0, i32x4.dot_i16x8_s(a, i16x8.extend_high_i8x16_s(b0)));
      l1 = i32x4.add(l1, i32x4.dot_i16x8_s(a, i16x8.extend_low_i8x16_s(b1)));
      h1 = i32x4.add(h1, i32x4.dot_i16x8_s(a, i16x8.extend_high_i8x16_s(b1)));
      l2 = i32x4.add(l2, i32x4.dot_i16x8_s(a, i16x8.extend_low_i8x16_s(b2)));
      h2 = i32x4.add(h2, i32x4.dot_i16x8_s(a, i16x8.extend_high_i8x16_s(b2)));
      l3 = i32x4.add(l3, i32x4.dot_i16x8_s(a, i16x8.extend_low_i8x16_s(b3)));
      h3 = i32x4.add(h3, i32x4.dot_i16x8_s(a, i16x8.extend_high_i8x16_s(b3)));
    }
    storePanel(c, bias, j, n, pairSums(l0, h0), pairSums(l1, h1), zp, scale, scales, sums, act);
    storePanel(c, bias, j + QNR, n, pairSums(l2, h2), pairSums(l3, h3), zp, scale, scales, sums, act);
  }
  for (; j < n1; j += QNR) {
    const p0 = bp + <usize>j * kp;
    let l0 = i32x4.splat(0), h0 = l0, l1 = l0, h1 = l0;
    for (let g = 0; g < kg; g++) {
      const o = <usize>g << 5;
      const a = i16x8.extend_low_i8x16_u(v128.load32_splat(aq + (<usize>g << 2)));
      const b0 = v128.load(p0 + o), b1 = v128.load(p0 + o, 16);
      l0 = i32x4.add(l0, i32x4.dot_i16x8_s(a, i16x8.extend_low_i8x16_s(b0)));
      h0 = i32x4.add(h0, i32x4.dot_i16x8_s(a, i16x8.extend_high_i8x16_s(b0)));
      l1 = i32x4.add(l1, i32x4.dot_i16x8_s(a, i16x8.extend_low_i8x16_s(b1)));
      h1 = i32x4.add(h1, i32x4.dot_i16x8_s(a, i16x8.extend_high_i8x16_s(b1)));
    }
    storePanel(c, bias, j, n, pairSums(l0, h0), pairSums(l1, h1), zp, scale, scales, sums, act);
  }
}

/** Columns [j, j + 8) of C from a panel's int32 sums (those up to n): dequantized, bias added, activated. */
// @ts-ignore: decorator
@inline function storePanel(c: usize, bias: usize, j: i32, n: i32, x0: v128, x1: v128, zp: v128, scale: v128, scales: usize, sums: usize, act: i32): void {
  const y0 = dequantize(x0, zp, v128.load(sums + (<usize>j << 2)), f32x4.mul(scale, v128.load(at(scales, j))));
  const y1 = dequantize(x1, zp, v128.load(sums + (<usize>j << 2), 16), f32x4.mul(scale, v128.load(at(scales, j + 4))));
  const cols = min(QNR, n - j);
  for (let q = 0; q < cols; q++) {
    let v = q < 4 ? extract(y0, q) : extract(y1, q - 4);
    if (bias) v += load<f32>(at(bias, j + q));
    store<f32>(at(c, j + q), v);
  }
  activate(at(c, j), n, 1, cols, act);
}
