// RMSNorm over the last axis (Llama's LlamaRMSNorm, T5's T5LayerNorm):
//   out = x / sqrt(mean(x²) + eps) · gamma
// with no mean subtracted and no beta. gamma: 0 for none (1). One pass for the sum of squares,
// one to write; x may equal out.
import { at, hsum } from "../simd";

export function rmsNorm(x: usize, gamma: usize, out: usize, rows: i32, cols: i32, eps: f32): void {
  for (let r = 0; r < rows; r++) {
    const xr = at(x, r * cols), yr = at(out, r * cols);
    // Two accumulators, so an add does not wait on the one before it; mul then add rather than
    // madd, so both builds give the same bits (as layerNorm).
    let q0 = f32x4.splat(0), q1 = f32x4.splat(0);
    let j = 0;
    for (; j + 8 <= cols; j += 8) {
      const a = v128.load(at(xr, j)), b = v128.load(at(xr, j + 4));
      q0 = f32x4.add(q0, f32x4.mul(a, a));
      q1 = f32x4.add(q1, f32x4.mul(b, b));
    }
    if (j + 4 <= cols) {
      const a = v128.load(at(xr, j));
      q0 = f32x4.add(q0, f32x4.mul(a, a));
      j += 4;
    }
    let q = hsum(f32x4.add(q0, q1));
    for (; j < cols; j++) {
      const v = load<f32>(at(xr, j));
      q += v * v;
    }
    const rstd = <f32>1 / Mathf.sqrt(q / <f32>cols + eps);

    const vrstd = f32x4.splat(rstd);
    for (j = 0; j + 4 <= cols; j += 4) {
      let y = f32x4.mul(v128.load(at(xr, j)), vrstd);
      if (gamma) y = f32x4.mul(y, v128.load(at(gamma, j)));
      v128.store(at(yr, j), y);
    }
    for (; j < cols; j++) {
      let y = load<f32>(at(xr, j)) * rstd;
      if (gamma) y *= load<f32>(at(gamma, j));
      store<f32>(at(yr, j), y);
    }
  }
}
