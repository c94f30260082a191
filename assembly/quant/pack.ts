// Packs int8 weights for the q8 micro-kernel (layout in tile.ts): src is n×k, row j the k
// weights of column j of C (a PyTorch Linear weight, out×in), scales n floats. Writes the
// panels of columns [n0, n1) (n0 a multiple of 8, so threads share the work) with their scales
// and column sums; columns past n are zeros with scale 0.
import { colSumsOffset, QNR, roundUp4, scalesOffset } from "./tile";

export function packQ8(src: usize, scales: usize, out: usize, k: i32, n: i32, n0: i32, n1: i32): void {
  const kp = roundUp4(k);
  const outScales = out + scalesOffset(k, n);
  const outSums = out + colSumsOffset(k, n);
  for (let j = n0; j < n1; j += QNR) {
    const panel = out + <usize>j * kp;
    const cols = min(QNR, n - j);
    let p = 0;
    if (cols == QNR) {
      // 16 bytes of k from each of the 8 rows: as 4 lanes of 4 bytes, two 4×4 transposes give
      // four k-groups of the panel. The column sums gather in one i32x4 per row.
      const row = src + <usize>j * k;
      let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
      let s4 = i32x4.splat(0), s5 = i32x4.splat(0), s6 = i32x4.splat(0), s7 = i32x4.splat(0);
      const ld = <usize>k;
      for (; p + 16 <= k; p += 16) {
        const r = row + p;
        const r0 = v128.load(r), r1 = v128.load(r + ld), r2 = v128.load(r + 2 * ld), r3 = v128.load(r + 3 * ld);
        const r4 = v128.load(r + 4 * ld), r5 = v128.load(r + 5 * ld), r6 = v128.load(r + 6 * ld), r7 = v128.load(r + 7 * ld);
        const dst = panel + (<usize>p << 3);
        transpose4(r0, r1, r2, r3, dst);
        transpose4(r4, r5, r6, r7, dst + 16);
        s0 = i32x4.add(s0, sum4(r0)); s1 = i32x4.add(s1, sum4(r1)); s2 = i32x4.add(s2, sum4(r2)); s3 = i32x4.add(s3, sum4(r3));
        s4 = i32x4.add(s4, sum4(r4)); s5 = i32x4.add(s5, sum4(r5)); s6 = i32x4.add(s6, sum4(r6)); s7 = i32x4.add(s7, sum4(r7));
      }
      storeSum(outSums, j, s0); storeSum(outSums, j + 1, s1); storeSum(outSums, j + 2, s2); storeSum(outSums, j + 3, s3);
      storeSum(outSums, j + 4, s4); storeSum(outSums, j + 5, s5); storeSum(outSums, j + 6, s6); storeSum(outSums, j + 7, s7);
    } else {
      for (let q = 0; q < QNR; q++) store<i32>(outSums + (<usize>(j + q) << 2), 0);
    }
    // The rest of K (and whole tail panels) a byte at a time; sums added to those above.
    for (let q = 0; q < QNR; q++) {
      const col = j + q;
      const dst = panel + <usize>(q < 4 ? q << 2 : 16 + ((q - 4) << 2));
      let sum = 0;
      for (let b = p; b < kp; b++) {
        const w: i8 = col < n && b < k ? load<i8>(src + <usize>col * k + b) : 0;
        store<i8>(dst + ((<usize>b >> 2) << 5) + (b & 3), w);
        sum += <i32>w;
      }
      const at = outSums + (<usize>col << 2);
      store<i32>(at, load<i32>(at) + sum);
      store<f32>(outScales + (<usize>col << 2), col < n ? load<f32>(scales + (<usize>col << 2)) : 0);
    }
  }
}

/** Rows a, b, c, d of four 4-byte lanes each, stored as four 16-byte k-groups 32 bytes apart. */
@inline function transpose4(a: v128, b: v128, c: v128, d: v128, dst: usize): void {
  const t0 = i32x4.shuffle(a, b, 0, 4, 1, 5), t1 = i32x4.shuffle(a, b, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(c, d, 0, 4, 1, 5), t3 = i32x4.shuffle(c, d, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(dst, i32x4.shuffle(t0, t2, 2, 3, 6, 7), 32);
  v128.store(dst, i32x4.shuffle(t1, t3, 0, 1, 4, 5), 64);
  v128.store(dst, i32x4.shuffle(t1, t3, 2, 3, 6, 7), 96);
}

/** The 16 int8 lanes summed into 4 i32 lanes. */
@inline function sum4(v: v128): v128 {
  return i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(v));
}

@inline function storeSum(sums: usize, col: i32, s: v128): void {
  const h = i32x4.add(s, i32x4.shuffle(s, s, 2, 3, 0, 1));
  store<i32>(sums + (<usize>col << 2), i32x4.extract_lane(h, 0) + i32x4.extract_lane(h, 1));
}
