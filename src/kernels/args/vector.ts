// Argument checks of the elementwise and level-1 vector kernels, shared by both backends.
import { checkNumber, checkOperand, lengthOf } from '../check';
import type { Operand } from '../types';

/** The checked arguments of an elementwise op: `first` fixes the length, the others must match. */
export function elementwiseArgs(kernel: string, names: string[], xs: Operand[], out?: Operand) {
  const n = lengthOf(xs[0]!);
  const arrays = xs.map((x, i) => checkOperand(kernel, names[i]!, x, n, i ? `${names[0]}.length` : 'its length'));
  const O = out === undefined ? undefined : checkOperand(kernel, 'out', out, n, `${names[0]}.length`);
  return { n, arrays, out: O };
}

/** alpha·x's arguments, alpha rounded to f32 as the WASM kernel receives it. */
export function scaleArgs(alpha: number, x: Operand, out?: Operand) {
  const a = Math.fround(checkNumber('scale', 'alpha', alpha));
  const { n, arrays: [X], out: O } = elementwiseArgs('scale', ['x'], [x], out);
  return { alpha: a, n, X: X!, out: O };
}

/** y += alpha·x's arguments, alpha rounded to f32 as the WASM kernel receives it. */
export function axpyArgs(alpha: number, x: Operand, y: Operand) {
  const a = Math.fround(checkNumber('axpy', 'alpha', alpha));
  const { n, arrays: [X, Y] } = elementwiseArgs('axpy', ['x', 'y'], [x, y]);
  return { alpha: a, n, X: X!, Y: Y! };
}
