// The post-processing of the "fill-mask" task: the logits at each mask position → the most
// likely tokens and the text they make, as Hugging Face's FillMaskPipeline.postprocess (torch
// branch). tools/pipeline_reference.py holds the same code in Python.
import { checkInteger, checkLogits, isList, softmax } from './scores';

export interface FillMaskPrediction {
  score: number;
  /** The predicted token id. */
  token: number;
  /** decode([token]). */
  token_str: string;
  /** The input with this mask replaced by the token (padding removed), decoded. */
  sequence: string;
}

export interface FillMaskOptions {
  /** The encoded input, mask tokens included. */
  inputIds: readonly number[];
  /** V logits for each mask token of inputIds, in order. */
  maskLogits: readonly ArrayLike<number>[];
  maskTokenId: number;
  /** Tokens with this id are dropped before decoding the sequence (HF filters padding). */
  padTokenId?: number | null;
  /** Predictions per mask. Default 5; capped at the number of targets. */
  topK?: number;
  /** Only score these token ids (HF's targets once mapped to ids); duplicates count once. */
  targets?: readonly number[];
  /** The tokenizer's decode. Special tokens are skipped from the sequence when there is a single mask. */
  decode: (ids: number[], options: { skipSpecialTokens: boolean }) => string;
}

/**
 * The topK tokens for each mask, best first, as HF returns them: one list for a single mask, a
 * list per mask when there are several (each scored on its own: the other masks stay masks in
 * its `sequence`, which keeps special tokens so that they show).
 */
export function fillMask(options: FillMaskOptions): FillMaskPrediction[] | FillMaskPrediction[][] {
  const { inputIds, maskLogits, maskTokenId, decode } = options;
  const padTokenId = options.padTokenId ?? null;
  let topK = options.topK ?? 5;
  checkInteger('topK', topK, 1);
  checkInteger('maskTokenId', maskTokenId, 0);
  if (!isList(inputIds)) throw new Error('inputIds must be an array of token ids');
  if (typeof decode !== 'function') throw new Error('decode must be a function (ids, { skipSpecialTokens }) => string');
  const masked = inputIds.flatMap((id, i) => (id === maskTokenId ? [i] : []));
  if (masked.length === 0) throw new Error(`No mask_token (id ${maskTokenId}) found on the input`);
  if (!isList(maskLogits) || maskLogits.length !== masked.length) {
    throw new Error(`maskLogits must hold one row of V logits per mask token (${masked.length}), got ${isList(maskLogits) ? maskLogits.length : typeof maskLogits}`);
  }
  const V = maskLogits[0]?.length ?? 0;
  if (V < 1) throw new Error('maskLogits[0] is empty: expected V logits');
  maskLogits.forEach((row, m) => checkLogits(`maskLogits[${m}]`, row, V, 'V, as maskLogits[0]'));

  let targets: number[] | null = null;
  if (options.targets !== undefined) {
    if (!isList(options.targets)) throw new Error('targets must be an array of token ids');
    targets = [...new Set(options.targets)];
    if (targets.length === 0) throw new Error('At least one target must be provided when passed.');
    targets.forEach((t, i) => {
      if (!Number.isInteger(t) || t < 0 || t >= V) throw new Error(`targets[${i}] = ${String(t)} is not a token id (vocabulary of ${V})`);
    });
    topK = Math.min(topK, targets.length);
  }
  if (topK > V) throw new Error(`topK (${topK}) is larger than the vocabulary (${V})`);

  const single = masked.length === 1;
  const rows = masked.map((position, m) => {
    const probs = softmax(maskLogits[m]!);
    // Candidates: the whole vocabulary, or the targets (probabilities still from the full softmax).
    const ids = targets ?? Array.from({ length: V }, (_, i) => i);
    const best = ids.map((id, k) => ({ id, k, p: probs[id]! }))
      .sort((a, b) => b.p - a.p || a.k - b.k) // ties: lower index first (torch.topk leaves them open)
      .slice(0, topK);
    return best.map(({ id, p }) => {
      const tokens = inputIds.map((t, i) => (i === position ? id : t)).filter((t) => t !== padTokenId);
      return { score: p, token: id, token_str: decode([id], { skipSpecialTokens: false }), sequence: decode(tokens, { skipSpecialTokens: single }) };
    });
  });
  return single ? rows[0]! : rows;
}
