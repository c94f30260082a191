// The GEMM micro-kernel: one MR×8 tile of C (MR = 6 relaxed, 5 plain, see tile.ts) over kc
// steps of k. Most of the time of every matmul is spent in this little function, so it stays
// a function of its own (Binaryen does not inline functions with loops; V8 ran an inlined
// version at half speed).
//
// a: the tile's first row of A (row-major, lda bytes between rows), read by broadcasting one
// float at a time. bp: kc×8 floats of packed B (pack.ts). c: the tile in C, ldc bytes per row.
// rows < MR are handled by aliasing the missing rows to the last one: they compute and store
// the same values again. init (tile.ts) says where the accumulators start: 0, the 8 floats of
// bias, or C itself (the next K block of the same tile); so every C element is summed in the
// one order bias + a₀b₀ + a₁b₁ + …, whatever the blocking or the threads.
import { madd } from "../simd";
import { INIT_BIAS, INIT_C, MR } from "./tile";

export function gemmTile(a: usize, lda: usize, rows: i32, bp: usize, kc: i32, c: usize, ldc: usize, init: i32, bias: usize): void {
  let a0 = a;
  let a1 = rows > 1 ? a0 + lda : a0;
  let a2 = rows > 2 ? a1 + lda : a1;
  let a3 = rows > 3 ? a2 + lda : a2;
  let a4 = rows > 4 ? a3 + lda : a3;
  let a5 = MR > 5 && rows > 5 ? a4 + lda : a4;
  const c0 = c;
  const c1 = rows > 1 ? c0 + ldc : c0;
  const c2 = rows > 2 ? c1 + ldc : c1;
  const c3 = rows > 3 ? c2 + ldc : c2;
  const c4 = rows > 4 ? c3 + ldc : c3;
  const c5 = MR > 5 && rows > 5 ? c4 + ldc : c4;

  let x00: v128, x01: v128, x10: v128, x11: v128, x20: v128, x21: v128;
  let x30: v128, x31: v128, x40: v128, x41: v128, x50: v128, x51: v128;
  if (init == INIT_C) {
    x00 = v128.load(c0); x01 = v128.load(c0, 16);
    x10 = v128.load(c1); x11 = v128.load(c1, 16);
    x20 = v128.load(c2); x21 = v128.load(c2, 16);
    x30 = v128.load(c3); x31 = v128.load(c3, 16);
    x40 = v128.load(c4); x41 = v128.load(c4, 16);
    if (MR > 5) { x50 = v128.load(c5); x51 = v128.load(c5, 16); } else { x50 = x40; x51 = x41; }
  } else {
    x00 = init == INIT_BIAS ? v128.load(bias) : f32x4.splat(0);
    x01 = init == INIT_BIAS ? v128.load(bias, 16) : f32x4.splat(0);
    x10 = x00; x11 = x01; x20 = x00; x21 = x01; x30 = x00; x31 = x01;
    x40 = x00; x41 = x01; x50 = x00; x51 = x01;
  }

  // Unrolled by 4, so the loads take constant offsets and the pointers move once per 4 steps.
  let b0: v128, b1: v128, av: v128;
  let p = 0;
  for (; p + 4 <= kc; p += 4) {
    b0 = v128.load(bp, 0); b1 = v128.load(bp, 16);
    av = v128.load32_splat(a0, 0); x00 = madd(av, b0, x00); x01 = madd(av, b1, x01);
    av = v128.load32_splat(a1, 0); x10 = madd(av, b0, x10); x11 = madd(av, b1, x11);
    av = v128.load32_splat(a2, 0); x20 = madd(av, b0, x20); x21 = madd(av, b1, x21);
    av = v128.load32_splat(a3, 0); x30 = madd(av, b0, x30); x31 = madd(av, b1, x31);
    av = v128.load32_splat(a4, 0); x40 = madd(av, b0, x40); x41 = madd(av, b1, x41);
    if (MR > 5) { av = v128.load32_splat(a5, 0); x50 = madd(av, b0, x50); x51 = madd(av, b1, x51); }
    b0 = v128.load(bp, 32); b1 = v128.load(bp, 48);
    av = v128.load32_splat(a0, 4); x00 = madd(av, b0, x00); x01 = madd(av, b1, x01);
    av = v128.load32_splat(a1, 4); x10 = madd(av, b0, x10); x11 = madd(av, b1, x11);
    av = v128.load32_splat(a2, 4); x20 = madd(av, b0, x20); x21 = madd(av, b1, x21);
    av = v128.load32_splat(a3, 4); x30 = madd(av, b0, x30); x31 = madd(av, b1, x31);
    av = v128.load32_splat(a4, 4); x40 = madd(av, b0, x40); x41 = madd(av, b1, x41);
    if (MR > 5) { av = v128.load32_splat(a5, 4); x50 = madd(av, b0, x50); x51 = madd(av, b1, x51); }
    b0 = v128.load(bp, 64); b1 = v128.load(bp, 80);
    av = v128.load32_splat(a0, 8); x00 = madd(av, b0, x00); x01 = madd(av, b1, x01);
    av = v128.load32_splat(a1, 8); x10 = madd(av, b0, x10); x11 = madd(av, b1, x11);
    av = v128.load32_splat(a2, 8); x20 = madd(av, b0, x20); x21 = madd(av, b1, x21);
    av = v128.load32_splat(a3, 8); x30 = madd(av, b0, x30); x31 = madd(av, b1, x31);
    av = v128.load32_splat(a4, 8); x40 = madd(av, b0, x40); x41 = madd(av, b1, x41);
    if (MR > 5) { av = v128.load32_splat(a5, 8); x50 = madd(av, b0, x50); x51 = madd(av, b1, x51); }
    b0 = v128.load(bp, 96); b1 = v128.load(bp, 112);
    av = v128.load32_splat(a0, 12); x00 = madd(av, b0, x00); x01 = madd(av, b1, x01);
    av = v128.load32_splat(a1, 12); x10 = madd(av, b0, x10); x11 = madd(av, b1, x11);
    av = v128.load32_splat(a2, 12); x20 = madd(av, b0, x20); x21 = madd(av, b1, x21);
    av = v128.load32_splat(a3, 12); x30 = madd(av, b0, x30); x31 = madd(av, b1, x31);
    av = v128.load32_splat(a4, 12); x40 = madd(av, b0, x40); x41 = madd(av, b1, x41);
    if (MR > 5) { av = v128.load32_splat(a5, 12); x50 = madd(av, b0, x50); x51 = madd(av, b1, x51); }
    a0 += 16; a1 += 16; a2 += 16; a3 += 16; a4 += 16; if (MR > 5) a5 += 16;
    bp += 128;
  }
  for (; p < kc; p++) {
    b0 = v128.load(bp, 0); b1 = v128.load(bp, 16);
    av = v128.load32_splat(a0, 0); x00 = madd(av, b0, x00); x01 = madd(av, b1, x01);
    av = v128.load32_splat(a1, 0); x10 = madd(av, b0, x10); x11 = madd(av, b1, x11);
    av = v128.load32_splat(a2, 0); x20 = madd(av, b0, x20); x21 = madd(av, b1, x21);
    av = v128.load32_splat(a3, 0); x30 = madd(av, b0, x30); x31 = madd(av, b1, x31);
    av = v128.load32_splat(a4, 0); x40 = madd(av, b0, x40); x41 = madd(av, b1, x41);
    if (MR > 5) { av = v128.load32_splat(a5, 0); x50 = madd(av, b0, x50); x51 = madd(av, b1, x51); }
    a0 += 4; a1 += 4; a2 += 4; a3 += 4; a4 += 4; if (MR > 5) a5 += 4;
    bp += 32;
  }

  // Last row first: an aliased row is stored again by the row it aliases, with equal values.
  if (MR > 5) { v128.store(c5, x50); v128.store(c5, x51, 16); }
  v128.store(c4, x40); v128.store(c4, x41, 16);
  v128.store(c3, x30); v128.store(c3, x31, 16);
  v128.store(c2, x20); v128.store(c2, x21, 16);
  v128.store(c1, x10); v128.store(c1, x11, 16);
  v128.store(c0, x00); v128.store(c0, x01, 16);
}
