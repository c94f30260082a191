import { attentionArgs } from '../args/attention';
import type { AttentionOptions, Operand } from '../types';

/**
 * For each sequence b and head h: O = softmax(Q·Kᵀ·scale + bias_h + mask_b, causal)·V, in f64.
 * Query head h reads key/value head h / (heads / kvHeads); a window hides keys more than
 * window − 1 positions before the query's own.
 */
export function attention(q: Operand, k: Operand, v: Operand, options: AttentionOptions): Float32Array {
  const { batch, heads, kvHeads, tq, tk, dHead, window, scale, Q, K, V, mask, bias, causal, out } = attentionArgs(q, k, v, options);
  const width = heads * dHead, kvWidth = kvHeads * dHead, group = heads / kvHeads;
  const O = out ?? new Float32Array(batch * tq * width);
  const p = new Float64Array(tk);
  for (let b = 0; b < batch; b++) for (let h = 0; h < heads; h++) {
    for (let t = 0; t < tq; t++) {
      const seen = causal ? Math.min(tk, Math.max(0, t + tk - tq + 1)) : tk;
      const first = window > 0 ? Math.max(0, seen - window) : 0;
      const qRow = (b * tq + t) * width + h * dHead, kvCol = Math.floor(h / group) * dHead;
      const biasRow = (h * tq + t) * tk;
      let max = -Infinity;
      for (let j = first; j < seen; j++) {
        let s = 0;
        for (let d = 0; d < dHead; d++) s += Q[qRow + d]! * K[(b * tk + j) * kvWidth + kvCol + d]!;
        p[j] = s * scale + (bias ? bias[biasRow + j]! : 0) + (mask ? mask[b * tk + j]! : 0);
        if (p[j]! > max || Number.isNaN(p[j]!)) max = p[j]!;
      }
      let sum = 0;
      for (let j = first; j < seen; j++) sum += p[j] = max === -Infinity ? 0 : Math.exp(p[j]! - max);
      for (let d = 0; d < dHead; d++) {
        let o = 0;
        for (let j = first; j < seen; j++) o += p[j]! * V[(b * tk + j) * kvWidth + kvCol + d]!;
        O[qRow + d] = sum > 0 ? o / sum : 0;
      }
    }
  }
  return O;
}
