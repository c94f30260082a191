import { erf } from './gelu';

/** One value through an activation (its code from args/matmul.ts's activationCode), in f64. */
export function activate(v: number, code: number): number {
  switch (code) {
    case 1: return v > 0 ? v : 0;
    case 2: return 0.5 * v * (1 + erf(v / Math.SQRT2));
    case 3: return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
    case 4: return v / (1 + Math.exp(-v));
    default: return v;
  }
}
