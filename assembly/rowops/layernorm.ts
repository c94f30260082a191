// LayerNorm over the last axis: out = (x − mean) / sqrt(var + eps) · gamma + beta, with the
// biased variance (as PyTorch). Two passes over the row: mean first, then the squared deviations,
// which stays accurate when the mean is large. gamma / beta: 0 for none (1 and 0).
// addLayerNorm fuses the residual add before it: s = x + r, out = LayerNorm(s), the row staying
// in L1 between the add and the norm.
import { at, hsum } from "../simd";

export function layerNorm(x: usize, gamma: usize, beta: usize, out: usize, rows: i32, cols: i32, eps: f32): void {
  for (let r = 0; r < rows; r++) {
    const xr = at(x, r * cols);
    normalizeRow(xr, gamma, beta, at(out, r * cols), cols, rowMean(xr, cols), eps);
  }
}

/**
 * s = x + res (kept in `sum` when sum ≠ 0, the new residual stream of a pre-LN block), then
 * out = LayerNorm(s), with exactly layerNorm's arithmetic. x, res, sum and out may coincide.
 */
export function addLayerNorm(x: usize, res: usize, gamma: usize, beta: usize, out: usize, sum: usize, rows: i32, cols: i32, eps: f32): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const sr = at(sum ? sum : out, o);
    let j = 0;
    for (; j + 4 <= cols; j += 4) v128.store(at(sr, j), f32x4.add(v128.load(at(x, o + j)), v128.load(at(res, o + j))));
    for (; j < cols; j++) store<f32>(at(sr, j), load<f32>(at(x, o + j)) + load<f32>(at(res, o + j)));
    normalizeRow(sr, gamma, beta, at(out, o), cols, rowMean(sr, cols), eps);
  }
}

/** The row's mean, with two accumulators: one chain of dependent adds would wait on the add latency. */
@inline function rowMean(xr: usize, cols: i32): f32 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  let j = 0;
  for (; j + 8 <= cols; j += 8) {
    s0 = f32x4.add(s0, v128.load(at(xr, j)));
    s1 = f32x4.add(s1, v128.load(at(xr, j + 4)));
  }
  if (j + 4 <= cols) {
    s0 = f32x4.add(s0, v128.load(at(xr, j)));
    j += 4;
  }
  let s = hsum(f32x4.add(s0, s1));
  for (; j < cols; j++) s += load<f32>(at(xr, j));
  return s / <f32>cols;
}

/** Second pass (variance about the known mean) and the affine write; xr may equal yr. */
@inline function normalizeRow(xr: usize, gamma: usize, beta: usize, yr: usize, cols: i32, mean: f32, eps: f32): void {
  const vmean = f32x4.splat(mean);
  let q0 = f32x4.splat(0), q1 = f32x4.splat(0);
  let j = 0;
  for (; j + 8 <= cols; j += 8) {
    const d0 = f32x4.sub(v128.load(at(xr, j)), vmean);
    const d1 = f32x4.sub(v128.load(at(xr, j + 4)), vmean);
    // mul then add, not madd: the same bits in both builds, and a chain of adds is shorter
    // than a chain of fused multiply-adds (relaxed layerNorm was 15% slower with madd).
    q0 = f32x4.add(q0, f32x4.mul(d0, d0));
    q1 = f32x4.add(q1, f32x4.mul(d1, d1));
  }
  if (j + 4 <= cols) {
    const d = f32x4.sub(v128.load(at(xr, j)), vmean);
    q0 = f32x4.add(q0, f32x4.mul(d, d));
    j += 4;
  }
  let q = hsum(f32x4.add(q0, q1));
  for (; j < cols; j++) {
    const d = load<f32>(at(xr, j)) - mean;
    q += d * d;
  }
  const rstd = <f32>1 / Mathf.sqrt(q / <f32>cols + eps);

  const vrstd = f32x4.splat(rstd);
  for (j = 0; j + 4 <= cols; j += 4) {
    let y = f32x4.mul(f32x4.sub(v128.load(at(xr, j)), vmean), vrstd);
    if (gamma) y = f32x4.mul(y, v128.load(at(gamma, j)));
    if (beta) y = f32x4.add(y, v128.load(at(beta, j)));
    v128.store(at(yr, j), y);
  }
  for (; j < cols; j++) {
    let y = (load<f32>(at(xr, j)) - mean) * rstd;
    if (gamma) y *= load<f32>(at(gamma, j));
    if (beta) y += load<f32>(at(beta, j));
    store<f32>(at(yr, j), y);
  }
}
