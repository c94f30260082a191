import { rotaryArgs } from '../args/rowops';
import type { Operand, RotaryOptions } from '../types';

/**
 * Rotary position embedding, in f64: in each head of row r, pair i of the first R columns is
 * rotated by the angle whose cos and sin are table[r·R + i] and table[r·R + R/2 + i]. The pair
 * is (i, i + R/2) (rotate_half) or (2i, 2i + 1) (interleaved); columns R…dHead−1 are copied.
 */
export function rotary(x: Operand, table: Operand, options: RotaryOptions): Float32Array {
  const { rows, heads, dHead, rotaryDim: R, interleaved, X, T, out } = rotaryArgs(x, table, options);
  const Y = out ?? new Float32Array(rows * heads * dHead);
  const half = R / 2;
  for (let r = 0; r < rows; r++) {
    for (let h = 0; h < heads; h++) {
      const o = (r * heads + h) * dHead;
      for (let i = 0; i < half; i++) {
        const c = T[r * R + i]!, s = T[r * R + half + i]!;
        const i1 = o + (interleaved ? 2 * i : i), i2 = o + (interleaved ? 2 * i + 1 : i + half);
        const x1 = X[i1]!, x2 = X[i2]!; // both read before either is written: out may be x
        Y[i1] = x1 * c - x2 * s;
        Y[i2] = x2 * c + x1 * s;
      }
      for (let j = R; j < dHead; j++) Y[o + j] = X[o + j]!;
    }
  }
  return Y;
}
