// Sentence embeddings from an encoder's token states, as sentence-transformers' Pooling module
// computes them (sentence_transformers/models/Pooling.py), over the real tokens of each
// sequence; several modes concatenate in this order, as there. Sums run in f64.
import type { EncoderOutput } from './encoder';

export type Pooling = 'cls' | 'mean' | 'max' | 'mean_sqrt_len' | 'weightedmean' | 'lasttoken';
export const POOLINGS: readonly Pooling[] = ['cls', 'mean', 'max', 'mean_sqrt_len', 'weightedmean', 'lasttoken'];

/** One vector per sequence: the modes' vectors side by side, L2-normalised when asked (eps 1e-12, as F.normalize). */
export function pool(output: EncoderOutput, D: number, pooling: Pooling | readonly Pooling[], normalize: boolean): Float32Array[] {
  const modes = typeof pooling === 'string' ? [pooling] : [...pooling];
  if (modes.length === 0) throw new Error('pool: give at least one pooling mode');
  for (const m of modes) if (!POOLINGS.includes(m)) throw new Error(`pool: pooling ${String(m)} is not one of ${POOLINGS.join(', ')}`);
  const { batch: B, T, lastHiddenState: h, attentionMask: keep } = output;
  const out: Float32Array[] = [];
  for (let b = 0; b < B; b++) {
    const v = new Float64Array(modes.length * D);
    const at = (t: number, j: number) => h[(b * T + t) * D + j]!;
    modes.forEach((mode, i) => {
      const o = i * D;
      if (mode === 'cls') {
        for (let j = 0; j < D; j++) v[o + j] = at(0, j);
      } else if (mode === 'lasttoken') {
        let last = 0;
        for (let t = 0; t < T; t++) if (keep[b * T + t]) last = t;
        for (let j = 0; j < D; j++) v[o + j] = at(last, j);
      } else if (mode === 'max') {
        // Padding set to −1e9 before the max, as there.
        for (let j = 0; j < D; j++) {
          let m = -Infinity;
          for (let t = 0; t < T; t++) m = Math.max(m, keep[b * T + t] ? at(t, j) : -1e9);
          v[o + j] = m;
        }
      } else {
        let weight = 0;
        for (let t = 0; t < T; t++) {
          if (!keep[b * T + t]) continue;
          const w = mode === 'weightedmean' ? t + 1 : 1;
          weight += w;
          for (let j = 0; j < D; j++) v[o + j] = v[o + j]! + w * at(t, j);
        }
        const divisor = mode === 'mean_sqrt_len' ? Math.sqrt(weight) : Math.max(weight, 1e-9);
        for (let j = 0; j < D; j++) v[o + j] = v[o + j]! / divisor;
      }
    });
    const norm = normalize ? Math.max(Math.hypot(...v), 1e-12) : 1;
    out.push(Float32Array.from(v, (x) => x / norm));
  }
  return out;
}
