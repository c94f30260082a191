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
    for (let q = 0; q < QNR; q++) {
      const col = j + q;
      // Column q's 4 bytes of a k-group: at 4q in the first 16 bytes, at 16 + 4(q − 4) after.
      const dst = panel + <usize>(q < 4 ? q << 2 : 16 + ((q - 4) << 2));
      let sum = 0;
      if (col < n) {
        const row = src + <usize>col * k;
        let p = 0;
        for (; p + 4 <= k; p += 4) {
          const w = load<u32>(row + p);
          store<u32>(dst + (<usize>p << 3), w);
          sum += <i32>(<i8>w) + <i32>(<i8>(w >> 8)) + <i32>(<i8>(w >> 16)) + <i32>(<i8>(w >> 24));
        }
        for (; p < kp; p++) {
          const w: i8 = p < k ? load<i8>(row + p) : 0;
          store<i8>(dst + ((<usize>p >> 2) << 5) + (p & 3), w);
          sum += <i32>w;
        }
      } else {
        for (let g = 0; g < kp; g += 4) store<u32>(dst + (<usize>g << 3), 0);
      }
      store<f32>(outScales + (<usize>col << 2), col < n ? load<f32>(scales + (<usize>col << 2)) : 0);
      store<i32>(outSums + (<usize>col << 2), sum);
    }
  }
}
