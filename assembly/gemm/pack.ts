// Packs B for the micro-kernel: panels of 8 columns, each panel k rows of 8 consecutive floats
// (zero past column n), panel j/8 at float offset j·k. B is k×n row-major, or n×k when transB
// (a PyTorch Linear weight, or the keys in attention), with ldb floats between its rows.
// Columns [n0, n1) only, n0 a multiple of 8, so threads can share the work.
import { at } from "../simd";
import { MR, NR } from "./tile";

export function packB(b: usize, ldb: i32, out: usize, k: i32, n: i32, transB: bool, n0: i32, n1: i32): void {
  for (let j = n0; j < n1; j += NR) {
    const panel = at(out, j * k);
    const cols = min(NR, n - j);
    if (!transB && cols == NR) {
      for (let p = 0; p < k; p++) {
        const src = at(b, p * ldb + j);
        v128.store(at(panel, p * NR), v128.load(src));
        v128.store(at(panel, p * NR), v128.load(src, 16), 16);
      }
      continue;
    }
    for (let p = 0; p < k; p++) {
      const dst = at(panel, p * NR);
      for (let q = 0; q < NR; q++) {
        let v: f32 = 0;
        if (q < cols) v = load<f32>(transB ? at(b, (j + q) * ldb + p) : at(b, p * ldb + j + q));
        store<f32>(at(dst, q), v);
      }
    }
  }
}

/**
 * Packs rows [0, m) × columns [0, kc) of A (lda floats per row) for the micro-kernel: groups of
 * MR rows, each step-major (kc steps of MR floats), the group at float offset g·MR·kc. A last
 * group short of MR rows repeats its last row, so the aliased rows of C get equal values.
 */
export function packA(a: usize, lda: i32, out: usize, m: i32, kc: i32): void {
  for (let i = 0; i < m; i += MR) {
    const group = at(out, i * kc);
    for (let r = 0; r < MR; r++) {
      const row = at(a, min(i + r, m - 1) * lda);
      for (let p = 0; p < kc; p++) store<f32>(at(group, p * MR + r), load<f32>(at(row, p)));
    }
  }
}
