import { geluArgs } from '../args/rowops';
import type { GeluOptions, Operand } from '../types';
import { activate } from './activation';

/**
 * erf(x) to f64 precision: its Taylor series below |x| = 2.5, else the continued fraction of
 * erfc (Numerical Recipes' Lentz form, 6.2). JavaScript has no Math.erf.
 */
export function erf(x: number): number {
  const z = Math.abs(x);
  if (z < 2.5) {
    let term = z, sum = z;
    for (let n = 1; n < 100 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(z) = exp(-z²)/√π · 1/(z + 1/2/(z + 1/(z + 3/2/(z + …)))), as a modified Lentz evaluation.
  let f = z, c = z, d = 0;
  for (let i = 1; i < 200; i++) {
    const a = i / 2;
    d = z + a * d;
    d = 1 / d;
    c = z + a / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/** GELU: ½x(1 + erf(x/√2)), or ½x(1 + tanh(√(2/π)(x + 0.044715x³))). */
export function gelu(x: Operand, options?: GeluOptions): Float32Array {
  const { tanh, X, out } = geluArgs(x, options);
  const Y = out ?? new Float32Array(X.length);
  for (let i = 0; i < X.length; i++) Y[i] = activate(X[i]!, tanh ? 3 : 2);
  return Y;
}
