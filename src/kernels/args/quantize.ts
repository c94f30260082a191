// Argument checks of quantizeRows (the q8 matmul's activation quantizer), shared by both backends.
import { checkDim, checkOperand, checkOptions } from '../check';
import type { Operand, QuantizeRowsOptions } from '../types';

export function quantizeRowsArgs(x: Operand, options: QuantizeRowsOptions) {
  checkOptions('quantizeRows', options);
  const rows = checkDim('quantizeRows', 'rows', options.rows);
  const cols = checkDim('quantizeRows', 'cols', options.cols);
  return { rows, cols, X: checkOperand('quantizeRows', 'x', x, rows * cols, 'rows·cols') };
}
