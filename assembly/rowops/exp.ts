// exp(x) for four lanes: x = n·ln2 + r with |r| ≤ ln2/2, exp(r) by Cephes' degree-6 polynomial
// (expf.c), then 2^n built in the exponent bits. Max relative error about 2e-7 on [-87.3, 88.3].
// Below -87.33 (where 2^n would be subnormal) the result is 0; above 88.37 it is clamped.
// NaN in gives NaN out.
import { madd } from "../simd";

// @ts-ignore: decorator
@inline const EXP_HI: f32 = 88.3762626647949;
// @ts-ignore: decorator
@inline const EXP_LO: f32 = -87.3365447505531;

@inline export function exp4(x: v128): v128 {
  const underflow = f32x4.lt(x, f32x4.splat(EXP_LO));
  x = f32x4.min(f32x4.max(x, f32x4.splat(EXP_LO)), f32x4.splat(EXP_HI));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  // ln2 split in a part exact in f32 and a correction, so r keeps its low bits.
  let r = madd(n, f32x4.splat(-0.693359375), x);
  r = madd(n, f32x4.splat(2.12194440e-4), r);
  let p = f32x4.splat(1.9875691500e-4);
  p = madd(p, r, f32x4.splat(1.3981999507e-3));
  p = madd(p, r, f32x4.splat(8.3334519073e-3));
  p = madd(p, r, f32x4.splat(4.1665795894e-2));
  p = madd(p, r, f32x4.splat(1.6666665459e-1));
  p = madd(p, r, f32x4.splat(5.0000001201e-1));
  const r2 = f32x4.mul(r, r);
  const er = f32x4.add(madd(p, r2, r), f32x4.splat(1.0));
  const pow2n = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(er, pow2n), underflow);
}

/** out[i] = exp(x[i]) for n floats. Exported so the tests can measure exp4's error. */
export function exp(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), exp4(v128.load(x + (<usize>i << 2))));
  // The tail goes through the same lanes, so every element gets the same rounding.
  for (; i < n; i++) {
    store<f32>(out + (<usize>i << 2), f32x4.extract_lane(exp4(f32x4.splat(load<f32>(x + (<usize>i << 2)))), 0));
  }
}
