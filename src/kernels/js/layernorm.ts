import { addLayerNormArgs, layerNormArgs } from '../args/rowops';
import type { AddLayerNormOptions, LayerNormOptions, Operand } from '../types';

/** y = (x − mean) / √(var + eps) · gamma + beta per row, var biased (÷ cols). Sums in f64. */
export function layerNorm(x: Operand, options: LayerNormOptions): Float32Array {
  const { rows, cols, eps, X, gamma, beta, out } = layerNormArgs(x, options);
  const Y = out ?? new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let mean = 0;
    for (let j = 0; j < cols; j++) mean += X[o + j]!;
    mean /= cols;
    let v = 0;
    for (let j = 0; j < cols; j++) v += (X[o + j]! - mean) ** 2;
    const rstd = 1 / Math.sqrt(v / cols + eps);
    for (let j = 0; j < cols; j++) {
      Y[o + j] = (X[o + j]! - mean) * rstd * (gamma ? gamma[j]! : 1) + (beta ? beta[j]! : 0);
    }
  }
  return Y;
}

/** s = x + residual (rounded to f32, kept in sumOut if given), then layerNorm(s). */
export function addLayerNorm(x: Operand, residual: Operand, options: AddLayerNormOptions): Float32Array {
  const { rows, cols, eps, X, R, gamma, beta, out, sumOut } = addLayerNormArgs(x, residual, options);
  const S = sumOut ?? new Float32Array(rows * cols);
  for (let i = 0; i < rows * cols; i++) S[i] = X[i]! + R[i]!;
  return layerNorm(S, { rows, cols, eps, gamma, beta, out: out ?? new Float32Array(rows * cols) });
}
