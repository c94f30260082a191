// exp(x) for four lanes, after XNNPACK's "rr2_p5" scheme: n = round(x/ln2) by adding a magic
// number whose low bits also carry the exponent bias, so 2^n is one shift of its bits; the
// reduced argument t = x − n·ln2 in two steps (ln2 split so that n·ln2_hi is exact); then
// e^t ≈ 1 + t·p(t) with a degree-5 minimax polynomial on [−ln2/2, ln2/2], folded as
// 2^n + (t·2^n)·p(t). Max relative error 2.1e-7 on [−87, 88] (tested: ≤ 1e-6 required).
// Below −87.336 (where 2^n would be subnormal) the result is 0; x is clamped at 88.376 above.
// A NaN in gives NaN out.
import { madd } from "../simd";

// The vector constants live in globals: V8 (11.x, x64) builds every v128.const inside a loop
// from general registers, 3-4 instructions each, where a global is one load. They are set by
// the module's start function, in every instance.
let V_HI = f32x4.splat(88.3762626647949);
let V_DENORM_CUTOFF = f32x4.splat(-87.3365402);
let V_LOG2E = f32x4.splat(1.44269502);
let V_MAGIC = f32x4.splat(12583039.0); // 1.5·2^23 + 127: rounds to an integer, carries the bias
let V_MINUS_LN2_HI = f32x4.splat(-0.693145752);
let V_MINUS_LN2_LO = f32x4.splat(-0.00000142860677);
let V_C5 = f32x4.splat(0.00828929059);
let V_C4 = f32x4.splat(0.0418978222);
let V_C3 = f32x4.splat(0.166676521);
let V_C2 = f32x4.splat(0.499991506);
let V_C1 = f32x4.splat(0.999999702);

@inline export function exp4(x: v128): v128 {
  // pmin is one instruction in V8 (minps); min with wasm's NaN and -0 rules is a long
  // sequence. A NaN x passes through unchanged.
  const xc = f32x4.pmin(x, V_HI);
  const vn = madd(xc, V_LOG2E, V_MAGIC);
  const s = i32x4.shl(vn, 23);
  const n = f32x4.sub(vn, V_MAGIC);
  let t = madd(n, V_MINUS_LN2_HI, xc);
  t = madd(n, V_MINUS_LN2_LO, t);
  let p = madd(V_C5, t, V_C4);
  p = madd(p, t, V_C3);
  p = madd(p, t, V_C2);
  p = madd(p, t, V_C1);
  const f = madd(f32x4.mul(t, s), p, s);
  return v128.andnot(f, f32x4.lt(x, V_DENORM_CUTOFF));
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
