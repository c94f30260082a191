// Sampling for text generation: Hugging Face's logits warpers for do_sample (TemperatureLogitsWarper,
// TopKLogitsWarper, TopPLogitsWarper, MinPLogitsWarper, in that order, after the processors of
// generation.ts: RepetitionPenaltyLogitsProcessor and the token rules), then a draw from the
// softmax with a seeded generator of our own, so that a seed gives the same tokens wherever the
// logits are the same.
//
// Everything here works in float64 on a row of V scores (−∞: removed). Transcribed from
// transformers 4.47 logits_process.py; tools/make_decoder_fixtures.py --sampling has the same
// processors in torch, and tests/transformer/sampling.test.ts compares the two on the fixtures.
//
// Reproducibility: the draw uses integer arithmetic and float64 sums in token order, so the same
// seed and the same logits give the same token in Node and in any browser. The logits themselves
// are identical, to the bit, only within one build (the SIMD or the relaxed-SIMD kernels) and one
// thread count; across builds they differ by rounding (about 1e-6), which changes a draw only
// when the uniform number falls that close to a boundary between two tokens' probability mass.
//
// Shape letters: V vocabulary.
import { softmax } from './scores';

/** The sampling settings of one generate() call, resolved (defaults filled in, checked). */
export interface SamplingSettings {
  /** Sample from the warped distribution (HF's do_sample); false: greedy or beam search. */
  doSample: boolean;
  /** Logits are divided by it before top-k/top-p/min-p (1: unchanged). */
  temperature: number;
  /** Keep the topK best tokens (ties with the k-th kept, as HF); 0: no limit. */
  topK: number;
  /** Keep the smallest set of best tokens whose probability reaches topP (1: all). */
  topP: number;
  /** Drop tokens less probable than minP times the best one's probability (undefined: off). */
  minP: number | undefined;
  /** Tokens already in the sequence (the prompt included): positive logits divided by it, negative ones multiplied (1: off). */
  repetitionPenalty: number;
}

/**
 * RepetitionPenaltyLogitsProcessor: each distinct token of `context` (the prompt and what was
 * generated) has its score divided by `penalty` when positive, multiplied when negative, so a
 * penalty above 1 makes every seen token less likely.
 */
export function applyRepetitionPenalty(scores: Float64Array, context: ArrayLike<number>, penalty: number): void {
  if (penalty === 1) return;
  const seen = new Set<number>();
  for (let i = 0; i < context.length; i++) {
    const t = context[i]!;
    if (seen.has(t) || t < 0 || t >= scores.length) continue;
    seen.add(t);
    const x = scores[t]!;
    scores[t] = x < 0 ? x * penalty : x / penalty;
  }
}

/**
 * The warpers do_sample adds, in HF's order: temperature, top-k, top-p, min-p (each keeps at least
 * `minTokensToKeep` tokens; HF uses 1, 2 with beams). `scores` is changed in place.
 */
export function warpScores(scores: Float64Array, s: SamplingSettings, minTokensToKeep = 1): void {
  const V = scores.length;
  if (s.temperature !== 1) for (let t = 0; t < V; t++) scores[t] = scores[t]! / s.temperature;
  if (s.topK > 0) topK(scores, Math.min(Math.max(s.topK, minTokensToKeep), V));
  if (s.topP < 1) topP(scores, s.topP, minTokensToKeep);
  if (s.minP !== undefined) minP(scores, s.minP, minTokensToKeep);
}

/** TopKLogitsWarper: every score below the k-th largest becomes −∞ (ties with it stay). */
function topK(scores: Float64Array, k: number): void {
  const kth = kthLargest(scores, k);
  for (let t = 0; t < scores.length; t++) if (scores[t]! < kth) scores[t] = -Infinity;
}

/** The k-th largest value (1-based) of x, by quickselect on a copy: O(V), not a sort of the vocabulary. */
function kthLargest(x: Float64Array, k: number): number {
  const a = Float64Array.from(x);
  let lo = 0, hi = a.length - 1;
  const want = k - 1; // the index it has in descending order
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) {
        const tmp = a[i]!; a[i] = a[j]!; a[j] = tmp;
        i++; j--;
      }
    }
    if (want <= j) hi = j;
    else if (want >= i) lo = i;
    else return a[want]!;
  }
  return a[want]!;
}

/** The finite tokens of a row sorted by score, ascending (HF sorts the whole row; −∞ ones have no mass either way). */
function finiteAscending(scores: Float64Array): number[] {
  const ids: number[] = [];
  for (let t = 0; t < scores.length; t++) if (scores[t]! > -Infinity) ids.push(t);
  return ids.sort((a, b) => scores[a]! - scores[b]! || a - b);
}

/**
 * TopPLogitsWarper: sorted ascending, a token is removed when the probability mass of it and the
 * tokens below it is ≤ 1 − topP; the best minTokensToKeep always stay. That mass is 1 − the mass
 * of the tokens above it, so a token stays exactly when the tokens above it hold less than topP.
 */
function topP(scores: Float64Array, p: number, minTokensToKeep: number): void {
  const probs = softmax(scores), V = scores.length;
  let candidates: number[] = [];
  // Only the best tokens need sorting (a sort of the whole vocabulary costs more than a decode
  // step at V 150 000): those above a bar, lowered until they hold p.
  for (let bar = 1e-3; ; bar /= 16) {
    candidates = [];
    let mass = 0;
    for (let t = 0; t < V; t++) {
      if (probs[t]! >= bar && probs[t]! > 0) {
        candidates.push(t);
        mass += probs[t]!;
      }
    }
    // Every token below the bar has at least this mass above it: removed, unless too few are kept.
    if (mass >= p && candidates.length >= minTokensToKeep || bar < 1e-300) break;
  }
  // The kept tokens are the best ones while those above hold less than p: find the last one's
  // probability on the sorted values (a typed-array sort), then keep every token at least as
  // probable (of tokens tied with it, HF's unstable sort may keep only some).
  const sorted = Float64Array.from(candidates, (t) => probs[t]!).sort();
  let above = 0, cutoff = Infinity;
  for (let i = sorted.length - 1, rank = 0; i >= 0; i--, rank++) {
    if (!(rank < minTokensToKeep || above < p)) break;
    cutoff = sorted[i]!;
    above += sorted[i]!;
  }
  for (let t = 0; t < V; t++) if (!(probs[t]! >= cutoff)) scores[t] = -Infinity;
}

/** MinPLogitsWarper: tokens whose probability is below minP × the best probability become −∞, the best minTokensToKeep kept. */
function minP(scores: Float64Array, m: number, minTokensToKeep: number): void {
  const probs = softmax(scores);
  let top = 0;
  for (let t = 0; t < probs.length; t++) top = Math.max(top, probs[t]!);
  const bar = m * top;
  // With one token to keep, the best is never below the bar (m ≤ 1): no sort needed.
  const kept = minTokensToKeep <= 1 ? [] : finiteAscending(scores).slice(-minTokensToKeep);
  const keep = new Set(kept);
  for (let t = 0; t < probs.length; t++) if (probs[t]! < bar && !keep.has(t)) scores[t] = -Infinity;
}

/**
 * xoshiro128** 1.1 (Blackman and Vigna), 32-bit integer arithmetic only, seeded through
 * splitmix32: the same seed gives the same numbers on every JavaScript engine.
 */
export class Xoshiro128 {
  private readonly s = new Uint32Array(4);

  /** seed: an integer in [0, 2^53); its high 32 bits are folded into the low ones before splitmix32. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`Xoshiro128: the seed must be an integer in [0, 2^53), got ${String(seed)}`);
    const lo = seed >>> 0, hi = Math.floor(seed / 4294967296) >>> 0;
    let x = (lo ^ Math.imul(hi, 0x85ebca6b)) >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      this.s[i] = (z ^ (z >>> 15)) >>> 0;
    }
    // All-zero is xoshiro's one fixed point; splitmix32 of four consecutive states never gives it, but be sure.
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
  }

  /** The next 32 random bits, as an unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2] = s[2]! ^ s[0]!;
    s[3] = s[3]! ^ s[1]!;
    s[1] = s[1]! ^ s[2]!;
    s[0] = s[0]! ^ s[3]!;
    s[2] = s[2]! ^ t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** A uniform number in [0, 1) with 53 random bits (27 from one output, 26 from the next). */
  nextFloat(): number {
    const a = this.nextU32() >>> 5, b = this.nextU32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A token drawn from probabilities (float64, any positive total): the first whose running sum,
 * in token order, exceeds u × the total. One nextFloat() per draw.
 */
export function drawToken(probs: Float64Array, rng: Xoshiro128): number {
  let total = 0;
  for (let t = 0; t < probs.length; t++) total += probs[t]!;
  const target = rng.nextFloat() * total;
  let cum = 0, last = -1;
  for (let t = 0; t < probs.length; t++) {
    const p = probs[t]!;
    if (!(p > 0)) continue;
    cum += p;
    last = t;
    if (target < cum) return t;
  }
  // Rounding left the target at the total: the last token with mass.
  if (last < 0) throw new Error('sampling: no token has any probability left');
  return last;
}

/** A seed for a call that gave none (not reproducible, by design). */
export function randomSeed(): number {
  const c = (globalThis as { crypto?: { getRandomValues?(a: Uint32Array): Uint32Array } }).crypto;
  if (c?.getRandomValues) {
    const a = c.getRandomValues(new Uint32Array(2));
    return (a[0]! & 0x1fffff) * 4294967296 + a[1]!;
  }
  return Math.floor(Math.random() * 9007199254740992);
}

/** @internal kthLargest, for the tests. */
export const kthLargestForTest = kthLargest;
