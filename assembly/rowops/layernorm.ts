// LayerNorm over the last axis: out = (x − mean) / sqrt(var + eps) · gamma + beta, with the
// biased variance (as PyTorch). Two passes over the row: mean first, then the squared deviations,
// which stays accurate when the mean is large. gamma / beta: 0 for none (1 and 0).
import { at, hsum, madd } from "../simd";

export function layerNorm(x: usize, gamma: usize, beta: usize, out: usize, rows: i32, cols: i32, eps: f32): void {
  for (let r = 0; r < rows; r++) {
    const xr = at(x, r * cols);
    const yr = at(out, r * cols);

    let vs = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) vs = f32x4.add(vs, v128.load(at(xr, j)));
    let s = hsum(vs);
    for (; j < cols; j++) s += load<f32>(at(xr, j));
    const mean = s / <f32>cols;

    const vmean = f32x4.splat(mean);
    let vq = f32x4.splat(0);
    for (j = 0; j + 4 <= cols; j += 4) {
      const d = f32x4.sub(v128.load(at(xr, j)), vmean);
      vq = madd(d, d, vq);
    }
    let q = hsum(vq);
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
}
