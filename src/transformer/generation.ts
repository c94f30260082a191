// Greedy search and beam search over any model that can feed tokens and return the next
// logits: Hugging Face's generate() rules, model-agnostic. Beam search follows transformers
// 4.35–4.46 (GenerationMixin._beam_search with BeamSearchScorer and BeamHypotheses) step by
// step; tools/make_transformer_fixtures.py (marian_beam) is the same algorithm in torch.
//
// Lengths: a finished hypothesis is scored sum_logprobs / generated ** lengthPenalty, where
// `generated` counts the tokens after the prompt, the EOS included (HF's generated_len =
// cur_len − decoder_prompt_len; for an encoder-decoder the prompt is the start token, so this
// equals the hypothesis length with the start token and without the EOS, which releases before
// 4.35 used). A beam still open at maxLength counts its tokens after the prompt.
import type { TransformerConfig } from './config';
import { applyRepetitionPenalty } from './sampling';
import { argmax } from './scores';

/** What a model gives the search: a stepper over rows with a cache of what each row has seen. */
export interface StepDecoder {
  /** Feeds each row its new tokens (the same count for every row, the first at position `pos`); returns the logits after each row's last one (rows × vocab). */
  next(tokens: number[][], pos: number): Float32Array;
  /** Row r continues from the cached state (the first `length` positions) of row from[r]: beam search reorders beams. */
  reorder(from: number[], length: number): void;
}

/** The logits processors HF's generation config turns on, as data. */
export interface TokenRules {
  vocabSize: number;
  /** The EOS token (what beam search appends to a finished hypothesis that has room: HF's eos_token_id[0]). */
  eos: number | undefined;
  /** Every token that ends a sequence: eos and the others of an eos_token_id list (Llama 3's). */
  stops: ReadonlySet<number>;
  /** ForcedBOSTokenLogitsProcessor: only this token at length 1 (the first after a one-token prompt). */
  forcedBos: number | undefined;
  /** ForcedEOSTokenLogitsProcessor: only this token at length maxLength − 1 (it wins over forcedBos). */
  forcedEos: number | undefined;
  /** What finished rows are continued and padded with. */
  pad: number;
  /** NoBadWordsLogitsProcessor with single-token bad words (Marian: the pad token). */
  suppressed: ReadonlySet<number>;
  /** MinLengthLogitsProcessor: no EOS before this many tokens (prompt included); 0 for none. */
  minLength: number;
  /** RepetitionPenaltyLogitsProcessor (greedy search and sampling; beam search refuses it): 1 or undefined for none. */
  repetitionPenalty?: number;
}

/**
 * The rules a model's config sets (HF's generation config): its EOS, forced BOS and EOS, pad and
 * suppressed tokens. The EOS is never suppressed: HF's NoBadWordsLogitsProcessor drops it from
 * the bad words (a config whose pad is its EOS would otherwise never end a sequence).
 */
export function tokenRules(c: TransformerConfig, minLength: number): TokenRules {
  const stops = new Set(c.eosTokenId === undefined ? [] : [c.eosTokenId, ...(c.moreEosTokenIds ?? [])]);
  return {
    vocabSize: c.vocabSize, eos: c.eosTokenId, stops, forcedBos: c.forcedBosTokenId, forcedEos: c.forcedEosTokenId, pad: c.padTokenId,
    suppressed: new Set((c.suppressTokenIds ?? []).filter((t) => !stops.has(t))), minLength,
  };
}

/** What a caller of generate() may set (Hugging Face's names in camelCase). */
export interface GenerateOptions {
  /** Longest output, the prompt (or decoder start token) included (HF's max_length; default 128; at most the model's maxPositions, to which it is lowered). */
  maxLength?: number;
  /** No EOS before this many tokens, the prompt included (HF's min_length; default 0). */
  minLength?: number;
  /** 1 (the default) is greedy search. */
  numBeams?: number;
  /** Hypotheses are scored log-prob / length ** lengthPenalty (default 1). */
  lengthPenalty?: number;
  /** Default false (HF's default). */
  earlyStopping?: boolean | 'never';
  /** How many of each sequence's best hypotheses to return, ≤ numBeams (default 1). */
  numReturnSequences?: number;
  /**
   * Beam search: take the log-softmax again after the rules removed tokens (suppressed, bad
   * words, EOS before minLength), so that each step's probabilities sum to 1 over the tokens
   * allowed (HF's renormalize_logits; default false). Greedy search picks the same either way.
   */
  renormalizeLogits?: boolean;
}

/** The options with their defaults, checked; maxLength is lowered to the model's positions. */
/** The options generate() reads. */
export const GENERATE_OPTIONS = ['maxLength', 'minLength', 'numBeams', 'lengthPenalty', 'earlyStopping', 'numReturnSequences', 'renormalizeLogits'] as const;

export function searchOptions(o: GenerateOptions, maxPositions: number, where: string): SearchOptions & { minLength: number } {
  const r = {
    maxLength: o.maxLength ?? 128, minLength: o.minLength ?? 0, numBeams: o.numBeams ?? 1, lengthPenalty: o.lengthPenalty ?? 1,
    earlyStopping: o.earlyStopping ?? false, numReturnSequences: o.numReturnSequences ?? 1, renormalizeLogits: o.renormalizeLogits ?? false,
  };
  checkSearchOptions(r, where);
  if (!Number.isInteger(r.minLength) || r.minLength < 0) throw new Error(`${where}: option minLength must be an integer ≥ 0, got ${String(r.minLength)}`);
  return { ...r, maxLength: Math.min(r.maxLength, maxPositions) };
}

export interface SearchOptions {
  /** Longest output, the prompt included (HF's max_length). */
  maxLength: number;
  numBeams: number;
  lengthPenalty: number;
  /** true: stop a sequence once numBeams hypotheses are finished; false: HF's heuristic; 'never': only when no open beam can do better. */
  earlyStopping: boolean | 'never';
  numReturnSequences: number;
  renormalizeLogits: boolean;
}

export interface SearchResult {
  /** batch × numReturnSequences rows (best first within a sequence), padded to one length as HF pads them. */
  sequences: number[][];
  /** Each row's length-penalised log-probability (beam search only). */
  scores: number[] | undefined;
}

function checkSearchOptions(o: SearchOptions, where: string): void {
  const bad = (name: string, want: string, got: unknown) => new Error(`${where}: option ${name} must be ${want}, got ${String(got)}`);
  if (!Number.isInteger(o.maxLength) || o.maxLength < 2) throw bad('maxLength', 'an integer ≥ 2', o.maxLength);
  if (!Number.isInteger(o.numBeams) || o.numBeams < 1) throw bad('numBeams', 'an integer ≥ 1', o.numBeams);
  if (typeof o.lengthPenalty !== 'number' || !Number.isFinite(o.lengthPenalty)) throw bad('lengthPenalty', 'a finite number', o.lengthPenalty);
  if (o.earlyStopping !== true && o.earlyStopping !== false && o.earlyStopping !== 'never') throw bad('earlyStopping', "true, false or 'never'", o.earlyStopping);
  if (!Number.isInteger(o.numReturnSequences) || o.numReturnSequences < 1 || o.numReturnSequences > o.numBeams) {
    throw bad('numReturnSequences', `an integer from 1 to numBeams (${o.numBeams})`, o.numReturnSequences);
  }
  if (o.renormalizeLogits !== true && o.renormalizeLogits !== false) throw bad('renormalizeLogits', 'true or false', o.renormalizeLogits);
}

/** The one token the rules allow at length curLen, if they force one (HF applies forced EOS after forced BOS). */
function forcedToken(rules: TokenRules, curLen: number, maxLength: number): number | undefined {
  if (curLen === maxLength - 1 && rules.forcedEos !== undefined) return rules.forcedEos;
  if (curLen === 1 && rules.forcedBos !== undefined) return rules.forcedBos;
  return undefined;
}

/**
 * The processed scores of one row, as HF's logits processors leave them for a sequence `seq`
 * (the prompt included) of curLen tokens: its logits with the repetition penalty on the tokens of
 * seq, the suppressed tokens and (before minLength) the EOS at −∞, or only a forced token, into
 * `out`. Sampling warps these further (sampling.ts).
 */
export function processScores(logits: Float32Array, out: Float64Array, seq: readonly number[], maxLength: number, rules: TokenRules): void {
  const curLen = seq.length;
  const forced = forcedToken(rules, curLen, maxLength);
  if (forced !== undefined) {
    out.fill(-Infinity);
    out[forced] = 0;
    return;
  }
  out.set(logits);
  applyRepetitionPenalty(out, seq, rules.repetitionPenalty ?? 1);
  for (const t of rules.suppressed) out[t] = -Infinity;
  if (curLen < rules.minLength) for (const t of rules.stops) out[t] = -Infinity;
}

/** HF's greedy search: the best processed token each step; finished rows continue with pad. */
export function greedySearch(decoder: StepDecoder, prompts: number[][], rules: TokenRules, maxLength: number): number[][] {
  const V = rules.vocabSize, seqs = prompts.map((p) => [...p]), done = prompts.map(() => false);
  const row = new Float64Array(V);
  let logits = decoder.next(prompts, 0);
  for (;;) {
    const T = seqs[0]!.length;
    seqs.forEach((seq, b) => {
      if (done[b]) return void seq.push(rules.pad);
      processScores(logits.subarray(b * V, (b + 1) * V), row, seq, maxLength, rules);
      const best = argmax(row);
      seq.push(best);
      if (rules.stops.has(best)) done[b] = true;
    });
    if (done.every(Boolean) || T + 1 >= maxLength) return seqs;
    logits = decoder.next(seqs.map((s) => [s[T]!]), T);
  }
}

/** BeamHypotheses: the numBeams best finished hypotheses of one sequence. */
class Hypotheses {
  readonly beams: { score: number; tokens: number[] }[] = [];
  private worst = 1e9;

  constructor(private readonly o: SearchOptions, private readonly promptLength: number) {}

  add(tokens: number[], sumLogprobs: number, generated: number): void {
    const score = sumLogprobs / generated ** this.o.lengthPenalty;
    if (this.beams.length < this.o.numBeams || score > this.worst) {
      this.beams.push({ score, tokens });
      if (this.beams.length > this.o.numBeams) {
        // Drop the worst; the next worst becomes the bar (HF sorts (score, index) pairs).
        const order = this.beams.map((h, i) => [h.score, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        this.beams.splice(order[0]![1], 1);
        this.worst = order[1]![0];
      } else {
        this.worst = Math.min(score, this.worst);
      }
    }
  }

  /** Can no open beam beat the worst kept hypothesis? (curLen: the length the newest scores were computed for.) */
  isDone(bestSumLogprobs: number, curLen: number): boolean {
    if (this.beams.length < this.o.numBeams) return false;
    if (this.o.earlyStopping === true) return true;
    const lp = this.o.lengthPenalty;
    // 'never' with a positive penalty: the longest possible beam has the best attainable score.
    const len = this.o.earlyStopping === 'never' && lp > 0 ? this.o.maxLength : curLen;
    return this.worst >= bestSumLogprobs / (len - this.promptLength) ** lp;
  }
}

/** log Σ exp(x) of one row of logits (float64), over the tokens not banned when `banned` is given. */
function logSumExp(x: Float32Array, banned?: Uint8Array): number {
  let max = -Infinity;
  for (let t = 0; t < x.length; t++) if (x[t]! > max && !banned?.[t]) max = x[t]!;
  let sum = 0;
  for (let t = 0; t < x.length; t++) if (!banned?.[t]) sum += Math.exp(x[t]! - max);
  return max + Math.log(sum);
}

/** The k best (score, flat index) of a sequence's beams × vocab scores, best first (ties: lower index first). */
class TopK {
  readonly scores: number[] = [];
  readonly index: number[] = [];
  /** What a score must beat to get in once the list is full. */
  floor = -Infinity;
  constructor(private readonly k: number) {}

  get full(): boolean {
    return this.scores.length === this.k;
  }

  offer(score: number, index: number): void {
    if (this.full && !(score > this.floor)) return;
    let at = this.scores.length;
    while (at > 0 && score > this.scores[at - 1]!) at--;
    this.scores.splice(at, 0, score);
    this.index.splice(at, 0, index);
    if (this.scores.length > this.k) { this.scores.pop(); this.index.pop(); }
    if (this.full) this.floor = this.scores[this.k - 1]!;
  }
}

/**
 * Offers beam j's candidates to the top-2N: log-softmax(logits) + the beam's score for every
 * token the rules allow at this length (only a forced token, at 0 + the beam's score, when one
 * is); with `renormalize`, the log-softmax over the allowed tokens only.
 */
function offerBeam(top: TopK, logits: Float32Array, beamScore: number, j: number, banned: Uint8Array, forced: number | undefined, renormalize: boolean): void {
  const V = logits.length;
  if (forced !== undefined) return top.offer(beamScore, j * V + forced);
  const base = beamScore - logSumExp(logits, renormalize ? banned : undefined);
  for (let t = 0; t < V; t++) {
    const score = logits[t]! + base;
    if ((!top.full || score > top.floor) && !banned[t]) top.offer(score, j * V + t);
  }
}

/**
 * HF's beam search for a batch of prompts (all of one length): numBeams rows per prompt, each
 * step the top 2·numBeams of (log-prob + beam score) over beams × vocab; an EOS among the
 * first numBeams candidates becomes a finished hypothesis, the others continue in order; a
 * sequence whose hypotheses cannot improve is done and its rows are fed pad; at maxLength the
 * open beams join the hypotheses. Returns the numReturnSequences best of each sequence.
 */
export function beamSearch(decoder: StepDecoder, prompts: number[][], rules: TokenRules, o: SearchOptions): SearchResult {
  if ((rules.repetitionPenalty ?? 1) !== 1) throw new Error('generate: option repetitionPenalty is not supported with beam search (numBeams > 1)');
  const V = rules.vocabSize, N = o.numBeams, B = prompts.length, P = prompts[0]!.length;
  let seqs = prompts.flatMap((p) => Array.from({ length: N }, () => [...p]));
  // Only beam 0 is live at first, so the first step does not pick N copies of one token.
  let beamScores: number[] = seqs.map((_, r) => (r % N === 0 ? 0 : -1e9));
  const hyps = prompts.map(() => new Hypotheses(o, P));
  const done = prompts.map(() => false);
  const banned = new Uint8Array(V);
  for (const t of rules.suppressed) banned[t] = 1;
  let logits = decoder.next(seqs, 0);
  for (;;) {
    const T = seqs[0]!.length;
    const from: number[] = [], tokens: number[] = [], scores: number[] = [];
    for (let b = 0; b < B; b++) {
      if (done[b]) {
        // HF points every row of a finished sequence at row 0; keeping its own rows gives the same output.
        for (let j = 0; j < N; j++) { from.push(b * N + j); tokens.push(rules.pad); scores.push(0); }
        continue;
      }
      const top = new TopK(2 * N);
      const forced = forcedToken(rules, T, o.maxLength);
      for (const t of rules.stops) banned[t] = T < rules.minLength ? 1 : 0;
      for (let j = 0; j < N; j++) {
        const r = b * N + j;
        offerBeam(top, logits.subarray(r * V, (r + 1) * V), beamScores[r]!, j, banned, forced, o.renormalizeLogits);
      }
      let kept = 0;
      for (let rank = 0; rank < top.scores.length && kept < N; rank++) {
        const r = b * N + Math.floor(top.index[rank]! / V), token = top.index[rank]! % V, score = top.scores[rank]!;
        if (rules.stops.has(token)) {
          if (rank < N) hyps[b]!.add(seqs[r]!, score, T + 1 - P);
          continue;
        }
        from.push(r); tokens.push(token); scores.push(score);
        kept++;
      }
      // Fewer than N allowed tokens (a forced token, a tiny vocabulary): the other beams are
      // dead (score −∞), as HF's −∞ candidates are; they never beat a finished hypothesis.
      for (; kept < N; kept++) { from.push(b * N); tokens.push(rules.pad); scores.push(-Infinity); }
      done[b] = hyps[b]!.isDone(top.scores[0]!, T + 1);
    }
    seqs = from.map((r, i) => [...seqs[r]!, tokens[i]!]);
    beamScores = scores;
    if (done.every(Boolean) || T + 1 >= o.maxLength) break;
    decoder.reorder(from, T);
    logits = decoder.next(tokens.map((t) => [t]), T);
  }
  return finalize(seqs, beamScores, hyps, done, rules, o, P);
}

/** BeamSearchScorer.finalize: open beams join the hypotheses; the best come out, EOS appended where it fits, padded. */
function finalize(seqs: number[][], beamScores: number[], hyps: Hypotheses[], done: boolean[], rules: TokenRules, o: SearchOptions, promptLength: number): SearchResult {
  const N = o.numBeams;
  hyps.forEach((h, b) => {
    if (done[b]) return;
    for (let j = 0; j < N; j++) h.add(seqs[b * N + j]!, beamScores[b * N + j]!, seqs[b * N + j]!.length - promptLength);
  });
  const best: { score: number; tokens: number[] }[] = [];
  for (const h of hyps) {
    // HF sorts ascending (stable) and pops from the end: among equal scores the later one first.
    const sorted = h.beams.map((x, i) => ({ x, i })).sort((a, b) => a.x.score - b.x.score || a.i - b.i).map((e) => e.x);
    for (let j = 0; j < o.numReturnSequences; j++) best.push(sorted.pop()!);
  }
  const width = Math.min(Math.max(...best.map((h) => h.tokens.length)) + 1, o.maxLength);
  const sequences = best.map(({ tokens }) => {
    const out = tokens.length < width ? [...tokens, rules.eos ?? rules.pad] : [...tokens];
    while (out.length < width) out.push(rules.pad);
    return out;
  });
  return { sequences, scores: best.map((h) => h.score) };
}
