// GELU, elementwise. Exact form: x·Φ(x) = ½x(1 + erf(x/√2)), with erf from Abramowitz & Stegun
// 7.1.26 (absolute error ≤ 1.5e-7). Tanh form (GPT-2, "gelu_new"):
// ½x(1 + tanh(√(2/π)(x + 0.044715x³))), with tanh(u) = 1 − 2/(e^{2u} + 1).
import { at, madd } from "../simd";
import { exp4 } from "./exp";

// Constants in globals, as in exp.ts: cheaper in V8 than v128.const inside loops.
let V_HALF = f32x4.splat(0.5);
let V_ONE = f32x4.splat(1);
let V_TWO = f32x4.splat(2);
let V_SIGN = i32x4.splat(0x80000000);
let V_RSQRT2 = f32x4.splat(0.7071067811865476);
let V_AS_P = f32x4.splat(0.3275911);
let V_AS_A5 = f32x4.splat(1.061405429);
let V_AS_A4 = f32x4.splat(-1.453152027);
let V_AS_A3 = f32x4.splat(1.421413741);
let V_AS_A2 = f32x4.splat(-0.284496736);
let V_AS_A1 = f32x4.splat(0.254829592);
let V_TANH_C = f32x4.splat(0.044715);
let V_SQRT_2_PI = f32x4.splat(0.7978845608028654);

@inline function erf4(x: v128): v128 {
  const sign = v128.and(x, V_SIGN);
  const z = f32x4.abs(x);
  const t = f32x4.div(V_ONE, madd(V_AS_P, z, V_ONE));
  let p = madd(V_AS_A5, t, V_AS_A4);
  p = madd(p, t, V_AS_A3);
  p = madd(p, t, V_AS_A2);
  p = madd(p, t, V_AS_A1);
  const e = exp4(f32x4.neg(f32x4.mul(z, z)));
  const y = f32x4.sub(V_ONE, f32x4.mul(f32x4.mul(p, t), e));
  return v128.or(y, sign);
}

@inline export function geluErf4(x: v128): v128 {
  const cdf = madd(erf4(f32x4.mul(x, V_RSQRT2)), V_HALF, V_HALF);
  return f32x4.mul(x, cdf);
}

@inline export function geluTanh4(x: v128): v128 {
  const x3 = f32x4.mul(f32x4.mul(x, x), x);
  const u = f32x4.mul(madd(x3, V_TANH_C, x), V_SQRT_2_PI);
  const e = exp4(f32x4.add(u, u));
  const th = f32x4.sub(V_ONE, f32x4.div(V_TWO, f32x4.add(e, V_ONE)));
  return f32x4.mul(f32x4.mul(x, V_HALF), f32x4.add(th, V_ONE));
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
