import { checkDim, checkNumber, checkOperand, checkOptions } from '../check';
import type { AttentionOptions, Operand } from '../types';

export function attentionArgs(q: Operand, k: Operand, v: Operand, options: AttentionOptions) {
  checkOptions('attention', options);
  const batch = options.batch === undefined ? 1 : checkDim('attention', 'batch', options.batch);
  const heads = checkDim('attention', 'heads', options.heads);
  const tq = checkDim('attention', 'tq', options.tq);
  const tk = options.tk === undefined ? tq : checkDim('attention', 'tk', options.tk);
  const dHead = checkDim('attention', 'dHead', options.dHead);
  const scale = Math.fround(options.scale === undefined ? 1 / Math.sqrt(dHead) : checkNumber('attention', 'option scale', options.scale));
  const width = heads * dHead;
  const Q = checkOperand('attention', 'q', q, batch * tq * width, 'batch·tq·heads·dHead');
  const K = checkOperand('attention', 'k', k, batch * tk * width, 'batch·tk·heads·dHead');
  const V = checkOperand('attention', 'v', v, batch * tk * width, 'batch·tk·heads·dHead');
  const mask = options.mask === undefined ? undefined : checkOperand('attention', 'mask', options.mask, batch * tk, 'batch·tk');
  const out = options.out === undefined ? undefined : checkOperand('attention', 'out', options.out, batch * tq * width, 'batch·tq·heads·dHead');
  return { batch, heads, tq, tk, dHead, scale, Q, K, V, mask, causal: options.causal === true, out };
}

/** For each sequence b and head h: O = softmax(Q·Kᵀ·scale + mask, causal)·V, in f64. */
export function attention(q: Operand, k: Operand, v: Operand, options: AttentionOptions): Float32Array {
  const { batch, heads, tq, tk, dHead, scale, Q, K, V, mask, causal, out } = attentionArgs(q, k, v, options);
  const width = heads * dHead;
  const O = out ?? new Float32Array(batch * tq * width);
  const p = new Float64Array(tk);
  for (let b = 0; b < batch; b++) for (let h = 0; h < heads; h++) {
    for (let t = 0; t < tq; t++) {
      const seen = causal ? Math.min(tk, Math.max(0, t + tk - tq + 1)) : tk;
      const qRow = (b * tq + t) * width + h * dHead;
      let max = -Infinity;
      for (let j = 0; j < seen; j++) {
        let s = 0;
        for (let d = 0; d < dHead; d++) s += Q[qRow + d]! * K[(b * tk + j) * width + h * dHead + d]!;
        p[j] = s * scale + (mask ? mask[b * tk + j]! : 0);
        if (p[j]! > max || Number.isNaN(p[j]!)) max = p[j]!;
      }
      let sum = 0;
      for (let j = 0; j < seen; j++) sum += p[j] = max === -Infinity ? 0 : Math.exp(p[j]! - max);
      for (let d = 0; d < dHead; d++) {
        let o = 0;
        for (let j = 0; j < seen; j++) o += p[j]! * V[(b * tk + j) * width + h * dHead + d]!;
        O[qRow + d] = sum > 0 ? o / sum : 0;
      }
    }
  }
  return O;
}
