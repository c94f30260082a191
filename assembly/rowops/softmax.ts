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
  for (let r = 0; r < rows; r++) {
    const seen = causal ? min(cols, max(0, r + causalShift + 1)) : cols;
    softmaxRow(at(x, r * cols), at(out, r * cols), cols, seen, scale, mask ? at(mask, r * maskStride) : 0);
  }
}

/** One row of `cols` floats, of which the first `seen` take part; x may equal y. */
export function softmaxRow(xr: usize, yr: usize, cols: i32, seen: i32, scale: f32, mr: usize): void {
  // Pass 1: the max of the scores scale·x + mask (not stored: pass 2 recomputes them for less
  // memory traffic). Two accumulators, so the max does not wait on itself.
  const vscale = f32x4.splat(scale);
  let m0 = f32x4.splat(-Infinity), m1 = m0;
  let j = 0;
  for (; j + 8 <= seen; j += 8) {
    m0 = f32x4.pmax(m0, score4(xr, mr, j, vscale)); // pmax: one instruction; a NaN still poisons the sum
    m1 = f32x4.pmax(m1, score4(xr, mr, j + 4, vscale));
  }
  if (j + 4 <= seen) {
    m0 = f32x4.pmax(m0, score4(xr, mr, j, vscale));
    j += 4;
  }
  let rmax = hmax(f32x4.pmax(m0, m1));
  for (; j < seen; j++) rmax = max(rmax, score(xr, mr, j, scale));
  if (rmax == -Infinity) {
    for (j = 0; j < cols; j++) store<f32>(at(yr, j), 0);
    return;
  }

  // Pass 2: exponentials into y, and their sum.
  const vrmax = f32x4.splat(rmax);
  let e0 = f32x4.splat(0), e1 = e0;
  for (j = 0; j + 8 <= seen; j += 8) {
    const a = exp4(f32x4.sub(score4(xr, mr, j, vscale), vrmax));
    const b = exp4(f32x4.sub(score4(xr, mr, j + 4, vscale), vrmax));
    v128.store(at(yr, j), a);
    v128.store(at(yr, j + 4), b);
    e0 = f32x4.add(e0, a);
    e1 = f32x4.add(e1, b);
  }
  if (j + 4 <= seen) {
    const a = exp4(f32x4.sub(score4(xr, mr, j, vscale), vrmax));
    v128.store(at(yr, j), a);
    e0 = f32x4.add(e0, a);
    j += 4;
  }
  let sum = hsum(f32x4.add(e0, e1));
  for (; j < seen; j++) {
    const e = f32x4.extract_lane(exp4(f32x4.splat(score(xr, mr, j, scale) - rmax)), 0);
    store<f32>(at(yr, j), e);
    sum += e;
  }

  // Pass 3: normalise; the columns past `seen` are 0.
  const inv = <f32>1 / sum;
  const vinv = f32x4.splat(inv);
  for (j = 0; j + 4 <= seen; j += 4) v128.store(at(yr, j), f32x4.mul(v128.load(at(yr, j)), vinv));
  for (; j < seen; j++) store<f32>(at(yr, j), load<f32>(at(yr, j)) * inv);
  for (; j < cols; j++) store<f32>(at(yr, j), 0);
}

@inline function score4(xr: usize, mr: usize, j: i32, vscale: v128): v128 {
  const s = f32x4.mul(v128.load(at(xr, j)), vscale);
  return mr ? f32x4.add(s, v128.load(at(mr, j))) : s;
}

@inline function score(xr: usize, mr: usize, j: i32, scale: f32): f32 {
  const s = load<f32>(at(xr, j)) * scale;
  return mr ? s + load<f32>(at(mr, j)) : s;
}
