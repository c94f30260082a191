// Argument checks of attention, shared by the WASM backend and the JS twin.
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
  const kvHeads = options.kvHeads === undefined ? heads : checkDim('attention', 'kvHeads', options.kvHeads);
  if (heads % kvHeads !== 0) throw new Error(`attention: option kvHeads (${kvHeads}) must divide heads (${heads})`);
  let window = 0;
  if (options.window !== undefined) {
    window = checkDim('attention', 'window', options.window);
    if (options.causal !== true) throw new Error('attention: option window needs causal: true (a sliding window looks back from each query)');
  }
  const width = heads * dHead, kvWidth = kvHeads * dHead;
  const Q = checkOperand('attention', 'q', q, batch * tq * width, 'batch·tq·heads·dHead');
  const K = checkOperand('attention', 'k', k, batch * tk * kvWidth, 'batch·tk·kvHeads·dHead');
  const V = checkOperand('attention', 'v', v, batch * tk * kvWidth, 'batch·tk·kvHeads·dHead');
  const mask = options.mask === undefined ? undefined : checkOperand('attention', 'mask', options.mask, batch * tk, 'batch·tk');
  // One bias for every sequence of the batch: it depends on positions, not on the tokens.
  const bias = options.bias === undefined ? undefined : checkOperand('attention', 'bias', options.bias, heads * tq * tk, 'heads·tq·tk');
  const out = options.out === undefined ? undefined : checkOperand('attention', 'out', options.out, batch * tq * width, 'batch·tq·heads·dHead');
  return { batch, heads, kvHeads, tq, tk, dHead, window, scale, Q, K, V, mask, bias, causal: options.causal === true, out };
}
