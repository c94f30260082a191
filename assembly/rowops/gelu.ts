// GELU, elementwise. Exact form: x·Φ(x) = ½x(1 + erf(x/√2)), with erf from Abramowitz & Stegun
// 7.1.26 (absolute error ≤ 1.5e-7). Tanh form (GPT-2, "gelu_new"):
// ½x(1 + tanh(√(2/π)(x + 0.044715x³))), with tanh(u) = 1 − 2/(e^{2u} + 1).
import { at, madd } from "../simd";
import { exp4 } from "./exp";

@inline function erf4(x: v128): v128 {
  const sign = v128.and(x, i32x4.splat(0x80000000));
  const z = f32x4.abs(x);
  const t = f32x4.div(f32x4.splat(1), madd(f32x4.splat(0.3275911), z, f32x4.splat(1)));
  let p = f32x4.splat(1.061405429);
  p = madd(p, t, f32x4.splat(-1.453152027));
  p = madd(p, t, f32x4.splat(1.421413741));
  p = madd(p, t, f32x4.splat(-0.284496736));
  p = madd(p, t, f32x4.splat(0.254829592));
  const e = exp4(f32x4.neg(f32x4.mul(z, z)));
  const y = f32x4.sub(f32x4.splat(1), f32x4.mul(f32x4.mul(p, t), e));
  return v128.or(y, sign);
}

@inline function geluErf4(x: v128): v128 {
  const cdf = madd(erf4(f32x4.mul(x, f32x4.splat(0.7071067811865476))), f32x4.splat(0.5), f32x4.splat(0.5));
  return f32x4.mul(x, cdf);
}

@inline function geluTanh4(x: v128): v128 {
  const x3 = f32x4.mul(f32x4.mul(x, x), x);
  const u = f32x4.mul(madd(x3, f32x4.splat(0.044715), x), f32x4.splat(0.7978845608028654));
  const e = exp4(f32x4.add(u, u));
  const th = f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(e, f32x4.splat(1))));
  return f32x4.mul(f32x4.mul(x, f32x4.splat(0.5)), f32x4.add(th, f32x4.splat(1)));
}

export function gelu(x: usize, out: usize, n: i32, tanhForm: bool): void {
  let i = 0;
  if (tanhForm) {
    for (; i + 4 <= n; i += 4) v128.store(at(out, i), geluTanh4(v128.load(at(x, i))));
    for (; i < n; i++) store<f32>(at(out, i), f32x4.extract_lane(geluTanh4(f32x4.splat(load<f32>(at(x, i)))), 0));
  } else {
    for (; i + 4 <= n; i += 4) v128.store(at(out, i), geluErf4(v128.load(at(x, i))));
    for (; i < n; i++) store<f32>(at(out, i), f32x4.extract_lane(geluErf4(f32x4.splat(load<f32>(at(x, i)))), 0));
  }
}
