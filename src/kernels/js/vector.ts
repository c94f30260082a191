import { axpyArgs, elementwiseArgs, scaleArgs } from '../args/vector';
import type { Operand, OutOptions } from '../types';

export function exp(x: Operand, options: OutOptions = {}): Float32Array {
  const { n, arrays: [X], out } = elementwiseArgs('exp', ['x'], [x], options.out);
  const Y = out ?? new Float32Array(n);
  for (let i = 0; i < n; i++) Y[i] = Math.exp(X![i]!);
  return Y;
}

export function add(a: Operand, b: Operand, options: OutOptions = {}): Float32Array {
  const { n, arrays: [A, B], out } = elementwiseArgs('add', ['a', 'b'], [a, b], options.out);
  const Y = out ?? new Float32Array(n);
  for (let i = 0; i < n; i++) Y[i] = A![i]! + B![i]!;
  return Y;
}

export function mul(a: Operand, b: Operand, options: OutOptions = {}): Float32Array {
  const { n, arrays: [A, B], out } = elementwiseArgs('mul', ['a', 'b'], [a, b], options.out);
  const Y = out ?? new Float32Array(n);
  for (let i = 0; i < n; i++) Y[i] = A![i]! * B![i]!;
  return Y;
}

/** Σ a·b, summed in f64. */
export function dot(a: Operand, b: Operand): number {
  const { n, arrays: [A, B] } = elementwiseArgs('dot', ['a', 'b'], [a, b]);
  let s = 0;
  for (let i = 0; i < n; i++) s += A![i]! * B![i]!;
  return Math.fround(s);
}

/** y += alpha·x, alpha rounded to f32 as the WASM kernel receives it. */
export function axpy(alpha: number, x: Operand, y: Operand): Float32Array {
  const { alpha: a, n, X, Y } = axpyArgs(alpha, x, y);
  for (let i = 0; i < n; i++) Y[i] = a * X[i]! + Y[i]!;
  return Y;
}

/** alpha·x, alpha rounded to f32 as the WASM kernel receives it. */
export function scale(alpha: number, x: Operand, options: OutOptions = {}): Float32Array {
  const { alpha: a, n, X, out } = scaleArgs(alpha, x, options.out);
  const Y = out ?? new Float32Array(n);
  for (let i = 0; i < n; i++) Y[i] = a * X[i]!;
  return Y;
}
