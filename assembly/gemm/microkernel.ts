// The GEMM micro-kernel: one 4×8 tile of C over kc steps of k. Most of the time of every matmul
// is spent in this little function, so it stays a function of its own (Binaryen does not
// inline functions with loops; V8 ran an inlined version at half speed).
//
// ap: 4 rows of A packed step-major (pack.ts: packA), so one pointer with constant offsets
// feeds all rows. bp: kc×8 floats of packed B. Per step: two B vectors, four broadcasts, eight
// multiply-adds (relaxed_madd in the relaxed build), two pointer increments.
//
// Why 4×8 (measured here, V8 11.3 on x64, 128×768×768): TurboFan hoists a step's broadcasts
// ahead of its multiply-adds, so a tile needs 2·MR accumulators + 2 + MR vector registers of
// the 15 it allocates. 4×8 fits: 59 GFLOPS relaxed (93% of the 63.5 GFLOPS FMA peak), 44 plain.
// 5×8 and 6×8 spilled accumulators in the loop: 35-39 GFLOPS either build; 3×8: 32 plain.
//
// c: the tile in C, ldc bytes per row. rows < 4 alias the missing rows of C to the last real
// one; packA repeated that row of A, so they store the same values again. init (tile.ts) says
// where the accumulators start: 0, the 8 floats of bias, or C itself (the next K block), so
// every C element is summed in the one order bias + a₀b₀ + a₁b₁ + …, whatever the blocking or
// the threads.
import { madd } from "../simd";
import { INIT_BIAS, INIT_C } from "./tile";

export function gemmTile(ap: usize, bp: usize, kc: i32, c: usize, ldc: usize, rows: i32, init: i32, bias: usize): void {
  const c0 = c;
  const c1 = rows > 1 ? c0 + ldc : c0;
  const c2 = rows > 2 ? c1 + ldc : c1;
  const c3 = rows > 3 ? c2 + ldc : c2;

  let x00: v128, x01: v128, x10: v128, x11: v128, x20: v128, x21: v128, x30: v128, x31: v128;
  if (init == INIT_C) {
    x00 = v128.load(c0); x01 = v128.load(c0, 16);
    x10 = v128.load(c1); x11 = v128.load(c1, 16);
    x20 = v128.load(c2); x21 = v128.load(c2, 16);
    x30 = v128.load(c3); x31 = v128.load(c3, 16);
  } else {
    x00 = init == INIT_BIAS ? v128.load(bias) : f32x4.splat(0);
    x01 = init == INIT_BIAS ? v128.load(bias, 16) : f32x4.splat(0);
    x10 = x00; x11 = x01; x20 = x00; x21 = x01; x30 = x00; x31 = x01;
  }

  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let av = v128.load32_splat(ap);
    x00 = madd(av, b0, x00); x01 = madd(av, b1, x01);
    av = v128.load32_splat(ap, 4);
    x10 = madd(av, b0, x10); x11 = madd(av, b1, x11);
    av = v128.load32_splat(ap, 8);
    x20 = madd(av, b0, x20); x21 = madd(av, b1, x21);
    av = v128.load32_splat(ap, 12);
    x30 = madd(av, b0, x30); x31 = madd(av, b1, x31);
    ap += 16;
    bp += 32;
  }

  v128.store(c3, x30); v128.store(c3, x31, 16);
  v128.store(c2, x20); v128.store(c2, x21, 16);
  v128.store(c1, x10); v128.store(c1, x11, 16);
  v128.store(c0, x00); v128.store(c0, x01, 16);
}
