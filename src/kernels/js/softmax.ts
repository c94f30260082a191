import { checkDim, checkNumber, checkOperand, checkOptions, lengthOf } from '../check';
import type { Operand, SoftmaxOptions } from '../types';

export function softmaxArgs(x: Operand, options: SoftmaxOptions) {
  checkOptions('softmax', options);
  const rows = checkDim('softmax', 'rows', options.rows);
  const cols = checkDim('softmax', 'cols', options.cols);
  const scale = Math.fround(options.scale === undefined ? 1 : checkNumber('softmax', 'option scale', options.scale));
  const X = checkOperand('softmax', 'x', x, rows * cols, 'rows·cols');
  let mask: Float32Array | undefined;
  let maskStride = 0;
  if (options.mask !== undefined) {
    maskStride = lengthOf(options.mask) === rows * cols && rows !== 1 ? cols : 0;
    mask = checkOperand('softmax', 'mask', options.mask, maskStride ? rows * cols : cols, maskStride ? 'rows·cols' : 'cols');
  }
  const out = options.out === undefined ? undefined : checkOperand('softmax', 'out', options.out, rows * cols, 'rows·cols');
  return { rows, cols, scale, X, mask, maskStride, causal: options.causal === true, out };
}

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
