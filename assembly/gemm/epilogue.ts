// What a fused GEMM does to each finished tile of C: nothing, ReLU, GELU (erf or tanh form,
// the same code as the standalone gelu kernel) or SiLU (x·σ(x), Marian's "swish").
import { at } from "../simd";
import { geluErf4, geluTanh4 } from "../rowops/gelu";
import { exp4 } from "../rowops/exp";

// @ts-ignore: decorator
@inline export const ACT_NONE: i32 = 0;
// @ts-ignore: decorator
@inline export const ACT_RELU: i32 = 1;
// @ts-ignore: decorator
@inline export const ACT_GELU: i32 = 2;
// @ts-ignore: decorator
@inline export const ACT_GELU_TANH: i32 = 3;
// @ts-ignore: decorator
@inline export const ACT_SILU: i32 = 4;

@inline function act4(v: v128, act: i32): v128 {
  if (act == ACT_RELU) return f32x4.max(v, f32x4.splat(0));
  if (act == ACT_GELU) return geluErf4(v);
  if (act == ACT_GELU_TANH) return geluTanh4(v);
  return f32x4.div(v, f32x4.add(f32x4.splat(1), exp4(f32x4.neg(v))));
}

/** Applies `act` to rows×cols floats of C at c (ldc floats per row). */
export function activate(c: usize, ldc: i32, rows: i32, cols: i32, act: i32): void {
  if (act == ACT_NONE) return;
  for (let r = 0; r < rows; r++) {
    const row = at(c, r * ldc);
    let j = 0;
    for (; j + 4 <= cols; j += 4) v128.store(at(row, j), act4(v128.load(at(row, j)), act));
    for (; j < cols; j++) store<f32>(at(row, j), f32x4.extract_lane(act4(f32x4.splat(load<f32>(at(row, j))), act), 0));
  }
}
