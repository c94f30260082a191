// C[m×n] = A[m×k] · B (+ bias[n]), all row-major. B is k×n, or n×k when transB (C = A·Bᵀ).
// bias: 0 for none. This is the straightforward SIMD version: one row of C at a time,
// sixteen columns in four registers, each A element broadcast against a row of B.
import { at, madd } from "../simd";
import { dot } from "../vector/blas1";

export function matmul(a: usize, b: usize, c: usize, bias: usize, m: i32, k: i32, n: i32, transB: bool): void {
  if (transB) matmulTransB(a, b, c, bias, m, k, n);
  else matmulRowB(a, b, c, bias, m, k, n);
}

@inline function biasOrZero(bias: usize, j: i32): v128 {
  return bias ? v128.load(at(bias, j)) : f32x4.splat(0);
}

function matmulRowB(a: usize, b: usize, c: usize, bias: usize, m: i32, k: i32, n: i32): void {
  for (let i = 0; i < m; i++) {
    const ai = at(a, i * k);
    const ci = at(c, i * n);
    let j = 0;
    for (; j + 16 <= n; j += 16) {
      let c0 = biasOrZero(bias, j), c1 = biasOrZero(bias, j + 4);
      let c2 = biasOrZero(bias, j + 8), c3 = biasOrZero(bias, j + 12);
      for (let p = 0; p < k; p++) {
        const av = v128.load32_splat(at(ai, p));
        const bp = at(b, p * n + j);
        c0 = madd(av, v128.load(bp), c0);
        c1 = madd(av, v128.load(bp, 16), c1);
        c2 = madd(av, v128.load(bp, 32), c2);
        c3 = madd(av, v128.load(bp, 48), c3);
      }
      v128.store(at(ci, j), c0);
      v128.store(at(ci, j + 4), c1);
      v128.store(at(ci, j + 8), c2);
      v128.store(at(ci, j + 12), c3);
    }
    for (; j + 4 <= n; j += 4) {
      let c0 = biasOrZero(bias, j);
      for (let p = 0; p < k; p++) c0 = madd(v128.load32_splat(at(ai, p)), v128.load(at(b, p * n + j)), c0);
      v128.store(at(ci, j), c0);
    }
    for (; j < n; j++) {
      let s: f32 = bias ? load<f32>(at(bias, j)) : 0;
      for (let p = 0; p < k; p++) s += load<f32>(at(ai, p)) * load<f32>(at(b, p * n + j));
      store<f32>(at(ci, j), s);
    }
  }
}

function matmulTransB(a: usize, b: usize, c: usize, bias: usize, m: i32, k: i32, n: i32): void {
  for (let i = 0; i < m; i++) {
    const ai = at(a, i * k);
    for (let j = 0; j < n; j++) {
      const s = dot(ai, at(b, j * k), k);
      store<f32>(at(c, i * n + j), bias ? s + load<f32>(at(bias, j)) : s);
    }
  }
}
