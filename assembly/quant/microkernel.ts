// The q8 GEMM micro-kernel: one 4×8 tile of C over the whole of K, in int32, then dequantized.
// Most of the time of a q8 matmul is spent here, so it stays a function of its own.
//
// Relaxed build: per k-group (4 values of k) two 16-byte loads of B (8 columns × 4 k), one
// 4-byte broadcast of each row of A, and eight dot4 (relaxed_dot_i8x16_i7x16), each summing 4
// products into each of 4 lanes. Its result is defined only when one operand's high bit is
// clear: A's bytes are 7-bit (quantize.ts clamps them to [0, 127]) and are always the second
// operand; B's int8 weights are the first. On x64 it becomes pmaddubsw, whose pairs of
// products then never saturate (2·127·128 < 2¹⁵), so the sums are exact on every engine.
// Plain build: the bytes widened to i16 and i32x4.dot_i16x8_s, each accumulator holding two
// columns' pair sums (a 4×4 half-tile at a time, to fit 16 vector registers), added at the end.
// Integer sums are exact either way: both builds and the JS twin give the same accumulators.
//
// ap: the tile's 4 rows of quantized A, grouped (tile.ts); bp: the panel, kg k-groups.
// c: the tile in C, ldc bytes per row; rows < 4 alias the missing rows of C to the last real
// one (their A, scale and zero point repeat it). sa, za: the 4 rows' scales and zero points;
// sw, sums: the 8 columns' scales and sums; bias: 8 floats or 0.
import { at } from "../simd";

export function gemmQ8Tile<D>(ap: usize, bp: usize, kg: i32, c: usize, ldc: usize, rows: i32,
  sa: usize, za: usize, sw: usize, sums: usize, bias: usize): void {
  const c0 = c;
  const c1 = rows > 1 ? c0 + ldc : c0;
  const c2 = rows > 2 ? c1 + ldc : c1;
  const c3 = rows > 3 ? c2 + ldc : c2;
  let x00 = i32x4.splat(0), x01 = i32x4.splat(0), x10 = i32x4.splat(0), x11 = i32x4.splat(0);
  let x20 = i32x4.splat(0), x21 = i32x4.splat(0), x30 = i32x4.splat(0), x31 = i32x4.splat(0);
  if (ASC_FEATURE_RELAXED_SIMD) {
    const ones = i16x8.splat(1);
    // Two k-groups an iteration: the loop's own instructions (counters, V8's interrupt check,
    // the ones vector it rematerializes) are paid half as often.
    let g = 0;
    for (; g + 2 <= kg; g += 2) {
      let b0 = v128.load(bp), b1 = v128.load(bp, 16);
      let a = v128.load32_splat(ap);
      x00 = dot4<D>(b0, a, x00, ones); x01 = dot4<D>(b1, a, x01, ones);
      a = v128.load32_splat(ap, 4);
      x10 = dot4<D>(b0, a, x10, ones); x11 = dot4<D>(b1, a, x11, ones);
      a = v128.load32_splat(ap, 8);
      x20 = dot4<D>(b0, a, x20, ones); x21 = dot4<D>(b1, a, x21, ones);
      a = v128.load32_splat(ap, 12);
      x30 = dot4<D>(b0, a, x30, ones); x31 = dot4<D>(b1, a, x31, ones);
      b0 = v128.load(bp, 32); b1 = v128.load(bp, 48);
      a = v128.load32_splat(ap, 16);
      x00 = dot4<D>(b0, a, x00, ones); x01 = dot4<D>(b1, a, x01, ones);
      a = v128.load32_splat(ap, 20);
      x10 = dot4<D>(b0, a, x10, ones); x11 = dot4<D>(b1, a, x11, ones);
      a = v128.load32_splat(ap, 24);
      x20 = dot4<D>(b0, a, x20, ones); x21 = dot4<D>(b1, a, x21, ones);
      a = v128.load32_splat(ap, 28);
      x30 = dot4<D>(b0, a, x30, ones); x31 = dot4<D>(b1, a, x31, ones);
      ap += 32;
      bp += 64;
    }
    if (g < kg) {
      const b0 = v128.load(bp), b1 = v128.load(bp, 16);
      let a = v128.load32_splat(ap);
      x00 = dot4<D>(b0, a, x00, ones); x01 = dot4<D>(b1, a, x01, ones);
      a = v128.load32_splat(ap, 4);
      x10 = dot4<D>(b0, a, x10, ones); x11 = dot4<D>(b1, a, x11, ones);
      a = v128.load32_splat(ap, 8);
      x20 = dot4<D>(b0, a, x20, ones); x21 = dot4<D>(b1, a, x21, ones);
      a = v128.load32_splat(ap, 12);
      x30 = dot4<D>(b0, a, x30, ones); x31 = dot4<D>(b1, a, x31, ones);
    }
  } else {
    // Two 4×4 halves: columns 0–3, then 4–7.
    for (let h = 0; h < 2; h++) {
      let l0 = i32x4.splat(0), h0 = i32x4.splat(0), l1 = i32x4.splat(0), h1 = i32x4.splat(0);
      let l2 = i32x4.splat(0), h2 = i32x4.splat(0), l3 = i32x4.splat(0), h3 = i32x4.splat(0);
      let a0 = ap, b0 = bp + (<usize>h << 4);
      for (let g = 0; g < kg; g++) {
        const b = v128.load(b0);
        const bl = i16x8.extend_low_i8x16_s(b), bh = i16x8.extend_high_i8x16_s(b);
        let a = i16x8.extend_low_i8x16_u(v128.load32_splat(a0));
        l0 = i32x4.add(l0, i32x4.dot_i16x8_s(a, bl)); h0 = i32x4.add(h0, i32x4.dot_i16x8_s(a, bh));
        a = i16x8.extend_low_i8x16_u(v128.load32_splat(a0, 4));
        l1 = i32x4.add(l1, i32x4.dot_i16x8_s(a, bl)); h1 = i32x4.add(h1, i32x4.dot_i16x8_s(a, bh));
        a = i16x8.extend_low_i8x16_u(v128.load32_splat(a0, 8));
        l2 = i32x4.add(l2, i32x4.dot_i16x8_s(a, bl)); h2 = i32x4.add(h2, i32x4.dot_i16x8_s(a, bh));
        a = i16x8.extend_low_i8x16_u(v128.load32_splat(a0, 12));
        l3 = i32x4.add(l3, i32x4.dot_i16x8_s(a, bl)); h3 = i32x4.add(h3, i32x4.dot_i16x8_s(a, bh));
        a0 += 16;
        b0 += 32;
      }
      if (h == 0) {
        x00 = pairSums(l0, h0); x10 = pairSums(l1, h1); x20 = pairSums(l2, h2); x30 = pairSums(l3, h3);
      } else {
        x01 = pairSums(l0, h0); x11 = pairSums(l1, h1); x21 = pairSums(l2, h2); x31 = pairSums(l3, h3);
      }
    }
  }
  const sw0 = v128.load(sw), sw1 = v128.load(sw, 16);
  const s0 = v128.load(sums), s1 = v128.load(sums, 16);
  storeRow(c3, x30, x31, at(sa, 3), za + 12, sw0, sw1, s0, s1, bias);
  storeRow(c2, x20, x21, at(sa, 2), za + 8, sw0, sw1, s0, s1, bias);
  storeRow(c1, x10, x11, at(sa, 1), za + 4, sw0, sw1, s0, s1, bias);
  storeRow(c0, x00, x01, at(sa, 0), za, sw0, sw1, s0, s1, bias);
}

/** dot4 with i32x4.relaxed_dot_i8x16_i7x16_add_s: one vpdpbusd where the CPU has AVX-VNNI. */
export type Fused = u8;
/**
 * dot4 as i16x8.relaxed_dot_i8x16_i7x16_s, then pairs widened by a dot with `ones` (i16x8.splat(1),
 * kept in a register by the caller) and added: for V8 11.3 (Node 20), which on x64 miscompiles
 * the fused form where an input dies at it (the ones vector it builds in a temporary register
 * overwrote an operand: wrong GEMV sums), and builds that vector anew at every call. The same
 * pmaddubsw + pmaddwd as the fused form without VNNI (extadd_pairwise reloaded its constant).
 */
export type Split = u16;

/**
 * acc + Σ of each lane's 4 products w·a (w int8, a 7-bit). D, Fused or Split, picks the
 * instruction at compile time (the runtime chooses: src/wasm/features.ts). Exact either way: a
 * pair of products is at most 2·127·128 < 2¹⁵, so pmaddubsw never saturates.
 */
// @ts-ignore: decorator
@inline export function dot4<D>(w: v128, a: v128, acc: v128, ones: v128): v128 {
  if (sizeof<D>() == 1) return i32x4.relaxed_dot_i8x16_i7x16_add_s(w, a, acc);
  return i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(w, a), ones));
}

/** [c0a, c0b, c1a, c1b] and [c2a, c2b, c3a, c3b] → [c0, c1, c2, c3]. */
// @ts-ignore: decorator
@inline export function pairSums(lo: v128, hi: v128): v128 {
  return i32x4.add(i32x4.shuffle(lo, hi, 0, 2, 4, 6), i32x4.shuffle(lo, hi, 1, 3, 5, 7));
}

/** One row's 8 accumulators dequantized, bias added, stored. */
// @ts-ignore: decorator
@inline function storeRow(c: usize, x0: v128, x1: v128, sa: usize, za: usize, sw0: v128, sw1: v128, s0: v128, s1: v128, bias: usize): void {
  const scale = f32x4.splat(load<f32>(sa)), zp = i32x4.splat(load<i32>(za));
  let y0 = dequantize(x0, zp, s0, f32x4.mul(scale, sw0));
  let y1 = dequantize(x1, zp, s1, f32x4.mul(scale, sw1));
  if (bias) {
    y0 = f32x4.add(y0, v128.load(bias));
    y1 = f32x4.add(y1, v128.load(bias, 16));
  }
  v128.store(c, y0);
  v128.store(c, y1, 16);
}

/** f32(acc − zp·Σq_w) · (scale_row·scale_col): one rounding per operation, as the JS twin. */
// @ts-ignore: decorator
@inline export function dequantize(acc: v128, zp: v128, sums: v128, scale: v128): v128 {
  return f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(acc, i32x4.mul(zp, sums))), scale);
}
