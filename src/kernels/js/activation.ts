import type { Activation } from '../types';
import { erf } from './gelu';

export const ACTIVATIONS: readonly Activation[] = ['none', 'relu', 'gelu', 'gelu_tanh', 'silu'];

/** The activation's code in the WASM kernels (assembly/gemm/epilogue.ts). */
export function activationCode(kernel: string, act: unknown): number {
  const code = ACTIVATIONS.indexOf((act ?? 'none') as Activation);
  if (code < 0) throw new Error(`${kernel}: option activation must be one of ${ACTIVATIONS.join(', ')}, got ${String(act)}`);
  return code;
}

/** One value through an activation, in f64. */
export function activate(v: number, code: number): number {
  switch (code) {
    case 1: return v > 0 ? v : 0;
    case 2: return 0.5 * v * (1 + erf(v / Math.SQRT2));
    case 3: return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
    case 4: return v / (1 + Math.exp(-v));
    default: return v;
  }
}
