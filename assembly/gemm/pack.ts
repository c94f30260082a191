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
    let p = 0;
    if (transB && cols == NR) {
      // Bᵀ's 8 rows of the panel, 4 steps of k at a time: two 4×4 transposes in registers.
      const r = at(b, j * ldb);
      const ld = <usize>ldb << 2;
      for (; p + 4 <= k; p += 4) {
        const src = at(r, p);
        const dst = at(panel, p * NR);
        transpose4(src, ld, dst);
        transpose4(src + 4 * ld, ld, dst + 16);
      }
    }
    for (; p < k; p++) {
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
 * Four rows of 4 floats at src (ld bytes apart) stored as four columns: float i of row q goes
 * to dst + i·NR + q, for q, i < 4 (the first or second half of four packed steps).
 */
@inline function transpose4(src: usize, ld: usize, dst: usize): void {
  const r0 = v128.load(src), r1 = v128.load(src + ld), r2 = v128.load(src + 2 * ld), r3 = v128.load(src + 3 * ld);
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(dst, i32x4.shuffle(t0, t2, 2, 3, 6, 7), NR * 4);
  v128.store(dst, i32x4.shuffle(t1, t3, 0, 1, 4, 5), 2 * NR * 4);
  v128.store(dst, i32x4.shuffle(t1, t3, 2, 3, 6, 7), 3 * NR * 4);
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
