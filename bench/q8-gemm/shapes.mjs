// What the q8 GEMM benchmark measures, shared by its Node processes and its Chromium page (so
// nothing here imports a Node module).

/** [m, k, n]: BERT-base's FFN up and down and its attention projections at sequence 128, and one token. */
export const SHAPES = [[128, 768, 3072], [128, 768, 768], [128, 3072, 768], [1, 768, 768]];
export const shapeName = ([m, k, n]) => `${m}×${k}×${n}`;

/** Engine keys in Node: wasm-nlp's q8 and f32 matmuls on its relaxed and plain SIMD builds, and ort-web's. */
export const ENGINES = ['q8-relaxed', 'q8-simd', 'f32-relaxed', 'f32-simd', 'ort-q8', 'ort-f32'];

export { fill, median } from '../numbers.mjs';

/** C = A·Bᵀ in float64 (A m×k, B n×k): what every engine's output is checked against. */
export function referenceMatmul(a, b, m, k, n) {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[j * k + p];
      c[i * n + j] = s;
    }
  }
  return c;
}

/** Largest |got − want| relative to the largest |want|: up to 1e-5 for f32, a few 1e-3 for int8. */
export function relativeError(got, want) {
  let d = 0, w = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    d = Number.isNaN(e) ? Infinity : Math.max(d, e);
    w = Math.max(w, Math.abs(want[i]));
  }
  return d / w;
}

/** The bound an engine's relative error must stay within before it is timed. */
export const errorBound = (dtype) => (dtype === 'q8' ? 0.03 : 1e-4);
