// Row softmax: out[r, :] = softmax(scale · x[r, :] + mask[r, :]), each row stable by its max.
// mask: 0 for none, else additive, `maskStride` floats between rows (0 broadcasts one row).
// causal: row r sees columns j ≤ r + causalShift; the others get 0.
// A row with no finite score (all masked) is all zeros rather than NaN.
import { at, hmax, hsum } from "../simd";
import { exp4 } from "./exp";

export function softmax(
  x: usize, out: usize, rows: i32, cols: i32, scale: f32,
  mask: usize, maskStride: i32, causal: bool, causalShift: i32,
): void {
  const vscale = f32x4.splat(scale);
  for (let r = 0; r < rows; r++) {
    const xr = at(x, r * cols);
    const yr = at(out, r * cols);
    const mr = mask ? at(mask, r * maskStride) : 0;
    const seen = causal ? min(cols, max(0, r + causalShift + 1)) : cols;

    // Pass 1: scores into out, and their max.
    let vmax = f32x4.splat(-Infinity);
    let j = 0;
    for (; j + 4 <= seen; j += 4) {
      let s = f32x4.mul(v128.load(at(xr, j)), vscale);
      if (mask) s = f32x4.add(s, v128.load(at(mr, j)));
      v128.store(at(yr, j), s);
      vmax = f32x4.max(vmax, s);
    }
    let rmax = hmax(vmax);
    for (; j < seen; j++) {
      let s = load<f32>(at(xr, j)) * scale;
      if (mask) s += load<f32>(at(mr, j));
      store<f32>(at(yr, j), s);
      rmax = max(rmax, s);
    }
    for (j = seen; j < cols; j++) store<f32>(at(yr, j), 0);
    if (rmax == -Infinity) {
      for (j = 0; j < seen; j++) store<f32>(at(yr, j), 0);
      continue;
    }

    // Pass 2: exponentials and their sum.
    const vrmax = f32x4.splat(rmax);
    let vsum = f32x4.splat(0);
    for (j = 0; j + 4 <= seen; j += 4) {
      const e = exp4(f32x4.sub(v128.load(at(yr, j)), vrmax));
      v128.store(at(yr, j), e);
      vsum = f32x4.add(vsum, e);
    }
    let sum = hsum(vsum);
    for (; j < seen; j++) {
      const e = f32x4.extract_lane(exp4(f32x4.splat(load<f32>(at(yr, j)) - rmax)), 0);
      store<f32>(at(yr, j), e);
      sum += e;
    }

    // Pass 3: normalise.
    const vinv = f32x4.splat(1 / sum);
    for (j = 0; j + 4 <= seen; j += 4) v128.store(at(yr, j), f32x4.mul(v128.load(at(yr, j)), vinv));
    const inv = <f32>1 / sum;
    for (; j < seen; j++) store<f32>(at(yr, j), load<f32>(at(yr, j)) * inv);
  }
}
