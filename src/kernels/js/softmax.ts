import { softmaxArgs } from '../args/rowops';
import type { Operand, SoftmaxOptions } from '../types';

/** out[r,:] = softmax(scale·x[r,:] + mask), with the row's max subtracted first. */
export function softmax(x: Operand, options: SoftmaxOptions): Float32Array {
  const { rows, cols, scale, X, mask, maskStride, causal, out } = softmaxArgs(x, options);
  const Y = out ?? new Float32Array(rows * cols);
  const t = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const seen = causal ? Math.min(cols, Math.max(0, r + cols - rows + 1)) : cols;
    let max = -Infinity;
    for (let j = 0; j < seen; j++) {
      t[j] = scale * X[r * cols + j]! + (mask ? mask[r * maskStride + j]! : 0);
      if (t[j]! > max || Number.isNaN(t[j]!)) max = t[j]!;
    }
    let sum = 0;
    for (let j = 0; j < seen; j++) {
      t[j] = max === -Infinity ? 0 : Math.exp(t[j]! - max);
      sum += t[j]!;
    }
    for (let j = 0; j < cols; j++) Y[r * cols + j] = j < seen && sum > 0 ? t[j]! / sum : 0;
  }
  return Y;
}
