import { rmsNormArgs } from '../args/rowops';
import type { Operand, RmsNormOptions } from '../types';

/** y = x / √(mean(x²) + eps) · gamma per row (no mean subtracted, no beta). Sums in f64. */
export function rmsNorm(x: Operand, options: RmsNormOptions): Float32Array {
  const { rows, cols, eps, X, gamma, out } = rmsNormArgs(x, options);
  const Y = out ?? new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let ss = 0;
    for (let j = 0; j < cols; j++) ss += X[o + j]! * X[o + j]!;
    const rstd = 1 / Math.sqrt(ss / cols + eps);
    for (let j = 0; j < cols; j++) Y[o + j] = X[o + j]! * rstd * (gamma ? gamma[j]! : 1);
  }
  return Y;
}
