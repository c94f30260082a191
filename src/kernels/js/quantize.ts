// The twin of the WASM row quantizer (assembly/quant/quantize.ts), operation for operation in
// f32, so both give the same integers: see kernels/quantize.ts for the format.
import { quantizeRowsArgs } from '../args/quantize';
import { roundHalfEven } from '../quantize';
import type { Operand, QuantizedRows, QuantizeRowsOptions } from '../types';

const f = Math.fround;

/** round(v), NaN as 0, clamped to [−255, 255] (as trunc_sat then a clamp in WASM) plus zp, into [0, 127]. */
function toLevel(v: number, zp: number): number {
  let t = roundHalfEven(v);
  if (Number.isNaN(t)) t = 0;
  t = Math.max(-255, Math.min(255, t));
  return Math.max(0, Math.min(127, t + zp));
}

/** One row of cols floats at X[x0…] into values[v0…]; returns [scale, zeroPoint]. */
export function quantizeRow(X: Float32Array, x0: number, cols: number, values: Uint8Array, v0: number): [number, number] {
  let lo = 0, hi = 0;
  for (let p = 0; p < cols; p++) {
    const v = X[x0 + p]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const range = f(hi - lo);
  const scale = range > 0 ? f(range / 127) : 1;
  const inv = f(1 / scale);
  const zp = toLevel(f(-lo * inv), 0);
  for (let p = 0; p < cols; p++) values[v0 + p] = toLevel(f(X[x0 + p]! * inv), zp);
  return [scale, zp];
}

export function quantizeRows(x: Operand, options: QuantizeRowsOptions): QuantizedRows {
  const { rows, cols, X } = quantizeRowsArgs(x, options);
  const values = new Uint8Array(rows * cols), scales = new Float32Array(rows), zeroPoints = new Int32Array(rows);
  for (let r = 0; r < rows; r++) [scales[r], zeroPoints[r]] = quantizeRow(X, r * cols, cols, values, r * cols);
  return { values, scales, zeroPoints };
}
