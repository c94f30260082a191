// The post-processing of the "question-answering" task: start/end logits of each window of
// (question, context) → answer spans in the context, step for step as Hugging Face's
// QuestionAnsweringPipeline (postprocess, select_starts_ends, decode_spans, get_indices,
// get_answer) with a fast tokenizer padding on the right (question first, context = sequence 1).
// tools/pipeline_reference.py holds the same code in Python.
import type { Encoding } from '../tokenizer/encoding';
import { checkInteger, checkLogits, isList, softmax } from './scores';

export interface QuestionAnswer {
  /** The span's probability (start × end), summed over the spans that gave the same text. */
  score: number;
  /** [start, end) of the answer in the context, in UTF-16 units. */
  start: number;
  end: number;
  answer: string;
}

export interface QuestionAnsweringOptions {
  context: string;
  /** The encodings of (question, context) windows, as the tokenizer's overflow with stride gives them; sequence 1 is the context. */
  windows: readonly Encoding[];
  /** One array of T start logits per window. */
  startLogits: readonly ArrayLike<number>[];
  /** One array of T end logits per window. */
  endLogits: readonly ArrayLike<number>[];
  /**
   * The tokenizer's cls_token_id ([CLS], <s>), or null when it has none. HF leaves this token
   * out of the mask, so it takes part in the softmax (models point at it for "no answer").
   */
  clsTokenId: number | null;
  /** Answers returned. Default 1. */
  topK?: number;
  /** Longest answer in tokens. Default 15. */
  maxAnswerLength?: number;
  /** Add the empty answer with the lowest "no answer" score of the windows. Default false. */
  handleImpossibleAnswer?: boolean;
  /** Widen each span to whole words (via wordIds). Default true. */
  alignToWords?: boolean;
}

/** HF's start value of the smallest "no answer" score: larger than any probability. */
const NO_NULL_SCORE = 1000000;
/** What HF puts in place of the logits of tokens that cannot be in the answer. */
const MASKED = -10000;

/**
 * The best answers across windows, best first (at most topK; HF returns the single answer
 * unwrapped when there is one, this always returns an array). Per window: logits of tokens
 * outside the context (but the CLS token) become -10000, start and end logits get a softmax
 * each, span (s, e) scores start[s] × end[e] for s ≤ e < s + maxAnswerLength; the best
 * topK × 2 + 10 spans (topK without word alignment) of context tokens are mapped to the text.
 * Spans whose text matches (ignoring case) an answer already found add their score to it.
 */
export function extractAnswers(options: QuestionAnsweringOptions): QuestionAnswer[] {
  const { context, windows, startLogits, endLogits } = options;
  const topK = options.topK ?? 1;
  const maxAnswerLength = options.maxAnswerLength ?? 15;
  const handleImpossibleAnswer = options.handleImpossibleAnswer ?? false;
  const alignToWords = options.alignToWords ?? true;
  const clsTokenId = options.clsTokenId;
  if (typeof context !== 'string') throw new Error(`context must be a string, got ${typeof context}`);
  if (!Number.isInteger(topK) || topK < 1) throw new Error(`top_k parameter should be >= 1 (got ${String(topK)})`);
  if (!Number.isInteger(maxAnswerLength) || maxAnswerLength < 1) throw new Error(`max_answer_len parameter should be >= 1 (got ${String(maxAnswerLength)})`);
  if (clsTokenId !== null && !Number.isInteger(clsTokenId)) throw new Error(`clsTokenId must be a token id or null, got ${String(clsTokenId)}`);
  if (!isList(windows) || windows.length === 0) throw new Error('windows must hold at least one Encoding of (question, context)');
  if (!isList(startLogits) || startLogits.length !== windows.length) throw new Error(`startLogits must hold one array per window (${windows.length}), got ${isList(startLogits) ? startLogits.length : typeof startLogits}`);
  if (!isList(endLogits) || endLogits.length !== windows.length) throw new Error(`endLogits must hold one array per window (${windows.length}), got ${isList(endLogits) ? endLogits.length : typeof endLogits}`);

  // HF over-fetches when aligning to words: several token spans can widen to the same words.
  const preTopK = alignToWords ? topK * 2 + 10 : topK;
  let minNullScore = NO_NULL_SCORE;
  const answers: QuestionAnswer[] = [];
  windows.forEach((enc, w) => {
    const T = checkWindow(enc, w, context);
    checkLogits(`startLogits[${w}]`, startLogits[w], T, 'T, the window\'s tokens');
    checkLogits(`endLogits[${w}]`, endLogits[w], T, 'T, the window\'s tokens');
    // p_mask: 1 for tokens that cannot be in the answer (not the context), but the CLS token.
    const desired = enc.sequenceIds.map((s, i) => s === 1 || (clsTokenId !== null && enc.ids[i] === clsTokenId));
    const start = maskedSoftmax(startLogits[w]!, desired);
    const end = maskedSoftmax(endLogits[w]!, desired);
    if (handleImpossibleAnswer) minNullScore = Math.min(minNullScore, start[0]! * end[0]!);
    start[0] = end[0] = 0; // the first token (CLS) is never an answer span
    for (const [s, e, score] of decodeSpans(start, end, preTopK, maxAnswerLength, desired)) {
      const [a, b] = answerRange(enc, s, e, alignToWords);
      const target = context.slice(a, b).toLowerCase();
      const same = answers.find((x) => x.answer.toLowerCase() === target);
      if (same) same.score += score;
      else answers.push({ score, start: a, end: b, answer: context.slice(a, b) });
    }
  });
  if (handleImpossibleAnswer) answers.push({ score: minNullScore, start: 0, end: 0, answer: '' });
  return answers.sort((x, y) => y.score - x.score).slice(0, topK); // stable, as Python's sorted
}

/** Checks one window's arrays and that its context offsets lie in the context; returns T. */
function checkWindow(enc: Encoding, w: number, context: string): number {
  if (enc === null || typeof enc !== 'object' || !isList(enc.ids)) throw new Error(`windows[${w}] must be an Encoding`);
  const T = enc.ids.length;
  for (const field of ['sequenceIds', 'wordIds', 'offsets'] as const) {
    if (!isList(enc[field]) || enc[field].length !== T) {
      throw new Error(`windows[${w}].${field} must have one entry per token (${T}), got ${isList(enc[field]) ? enc[field].length : typeof enc[field]}`);
    }
  }
  if (T === 0) throw new Error(`windows[${w}] has no tokens`);
  enc.offsets.forEach(([a, b], i) => {
    if (enc.sequenceIds[i] === 1 && !(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && a <= b && b <= context.length)) {
      throw new Error(`windows[${w}].offsets[${i}] = [${String(a)}, ${String(b)}] is not a range of the context (length ${context.length})`);
    }
  });
  return T;
}

/** select_starts_ends: masked logits → probabilities (-10000 for undesired tokens, then a max-subtracted softmax). */
function maskedSoftmax(logits: ArrayLike<number>, desired: boolean[]): Float64Array {
  return softmax(Float64Array.from(desired, (d, i) => (d ? logits[i]! : MASKED)));
}

/**
 * decode_spans: the k best cells of the T × T matrix start[s] × end[e] kept to 0 ≤ e − s <
 * maxAnswerLength (zero elsewhere), best first, then only those whose start and end are
 * desired tokens. Ties go to the smaller flat index s × T + e (numpy's argpartition leaves
 * their order open); zero cells enter only when fewer than k cells are positive, as in HF.
 */
function decodeSpans(start: Float64Array, end: Float64Array, k: number, maxAnswerLength: number, desired: boolean[]): [number, number, number][] {
  const T = start.length;
  const cells: [number, number, number][] = [];
  for (let s = 0; s < T; s++) {
    if (start[s] === 0) continue;
    for (let e = s; e < Math.min(T, s + maxAnswerLength); e++) {
      const score = start[s]! * end[e]!;
      if (score > 0) cells.push([s, e, score]);
    }
  }
  cells.sort((a, b) => b[2] - a[2] || a[0] * T + a[1] - (b[0] * T + b[1]));
  const best = cells.slice(0, k);
  for (let flat = 0; best.length < k && flat < T * T; flat++) {
    const s = Math.floor(flat / T);
    const e = flat % T;
    const inBand = e >= s && e - s < maxAnswerLength;
    if (!inBand || start[s]! * end[e]! === 0) best.push([s, e, 0]);
  }
  // HF tests membership with np.isin(x, mask.nonzero()) on a 1 × T mask: the row indices (all 0)
  // join the column indices, so token 0 passes whenever any token is desired.
  const anyDesired = desired.some((d) => d);
  const ok = (i: number) => desired[i] || (i === 0 && anyDesired);
  return best.filter(([s, e]) => ok(s) && ok(e));
}

/** get_indices: the span's [start, end) in the context, widened to whole words when aligning. */
function answerRange(enc: Encoding, s: number, e: number, alignToWords: boolean): [number, number] {
  if (alignToWords) {
    const a = wordToChars(enc, tokenToWord(enc, s));
    const b = wordToChars(enc, tokenToWord(enc, e));
    // HF falls back to the token offsets when a token has no word (special tokens) or the word is not in the context.
    if (a !== null && b !== null) return [a[0], b[1]];
  }
  return [enc.offsets[s]![0], enc.offsets[e]![1]];
}

/** tokenizers' Encoding.token_to_word: the token's word, null for tokens outside both sequences. */
function tokenToWord(enc: Encoding, token: number): number | null {
  return enc.sequenceIds[token] === null ? null : enc.wordIds[token] ?? null;
}

/**
 * tokenizers' Encoding.word_to_chars(word, sequence_index=1): from the first to the last token of
 * that word among the context's tokens of this window (scanning stops at the first later word).
 */
function wordToChars(enc: Encoding, word: number | null): [number, number] | null {
  if (word === null) return null;
  const first = enc.sequenceIds.indexOf(1);
  if (first < 0) return null;
  const last = enc.sequenceIds.lastIndexOf(1);
  let a = -1;
  let b = -1;
  for (let i = first; i <= last; i++) {
    const wi = enc.wordIds[i] ?? null;
    if (wi !== null && wi > word) break;
    if (wi === word) {
      if (a < 0) a = i;
      b = i;
    }
  }
  return a < 0 ? null : [enc.offsets[a]![0], enc.offsets[b]![1]];
}

export interface QaWindowParams {
  /** Tokens per window, question and special tokens included. */
  maxSeqLen: number;
  /** Tokens of context shared by consecutive windows (the tokenizer's overflow stride). */
  docStride: number;
}

/**
 * The window sizes HF's question-answering preprocess uses: max_seq_len = min(model max length,
 * 384) and doc_stride = min(max_seq_len / 2 rounded down, 128) unless given. The tokenizer then
 * truncates "only_second" (the context) to max_seq_len with that stride, without padding.
 */
export function qaWindowParams(options: { modelMaxLength: number; maxSeqLen?: number; docStride?: number }): QaWindowParams {
  const { modelMaxLength } = options;
  checkInteger('modelMaxLength', modelMaxLength, 1);
  const maxSeqLen = options.maxSeqLen ?? Math.min(modelMaxLength, 384);
  checkInteger('maxSeqLen', maxSeqLen, 1);
  const docStride = options.docStride ?? Math.min(Math.floor(maxSeqLen / 2), 128);
  checkInteger('docStride', docStride, 0);
  if (docStride > maxSeqLen) throw new Error(`\`doc_stride\` (${docStride}) is larger than \`max_seq_len\` (${maxSeqLen})`);
  return { maxSeqLen, docStride };
}
