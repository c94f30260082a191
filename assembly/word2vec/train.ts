// word2vec training of one chunk of the corpus: skip-gram or CBOW, with negative sampling,
// hierarchical softmax or the full softmax, as in the C tool (word2vec.c) and gensim:
// subsampling with the shared formula, the reduced window (b = rand % window), alpha decaying
// linearly with the words of the whole schedule, and the sigmoid from a 1000-entry table over
// [−6, 6]. Threads run this on different chunks over the same shared vectors (Hogwild).
//
// Skip-gram, as the C tool: the input vector of each context word predicts the center word.
// The random numbers come from a seeded mulberry32 per chunk, so one thread is reproducible
// to the bit; src/kernels/js/word2vec.ts is the twin.
//
// Subwords (fastText's skipgram and cbow, when SUBWORD_OFFSETS is set): a word's input is the
// mean of several rows of syn0, its own and those of its character n-grams, and each of those
// rows gets the whole gradient (fastText's Model::update for sg and cbow). Skip-gram turns
// round, as fastText: the center word's rows predict each context word.
import {
  EXP_TABLE_SIZE, MAX_EXP, MAX_SENTENCE, P_ALIAS, P_ALIAS_PROB, P_ALPHA_END, P_ALPHA_START, P_CODELEN, P_CODES,
  P_DIM, P_KEEP, P_LOSS, P_MAXCODE, P_MODEL, P_NEGATIVE, P_NTOKENS, P_OUT_ALPHA, P_OUT_EXAMPLES, P_OUT_LOSS,
  P_OUT_WORDS, P_POINTS, P_SCRATCH, P_SEED, P_STRIDE, P_SUBSAMPLE, P_SYN0, P_SYN1, P_TABLES, P_TOKENS, P_VOCAB,
  P_SHARED_NEGATIVES, P_SUBWORD_OFFSETS, P_SUBWORD_ROWS, P_WINDOW, P_WORDS_BEFORE, P_WORDS_TOTAL, PARAMS_BYTES,
} from "../../build/assembly/word2vec-params"; // generated from ./params.json by tools/build-wasm.mjs
import { at, hsum, madd } from "../simd";
import { exp4 } from "../rowops/exp";

let rng: u32 = 0;

/** mulberry32: the next uniform u32 (the twin has the same function). */
@inline function nextRandom(): u32 {
  rng += 0x6D2B79F5;
  let t = rng;
  t = (t ^ (t >> 15)) * (t | 1);
  t ^= t + (t ^ (t >> 7)) * (t | 61);
  return t ^ (t >> 14);
}

// The job's fields, read once per call.
let syn0: usize = 0, syn1: usize = 0, stride: i32 = 0, vocab: i32 = 0, negative: i32 = 0;
let keep: usize = 0, aliasProb: usize = 0, alias: usize = 0, codes: usize = 0, points: usize = 0;
let codeLen: usize = 0, maxCode: i32 = 0, sigmoid: usize = 0, logSigPos: usize = 0, logSigNeg: usize = 0;
let neu1: usize = 0, neu1e: usize = 0, grad: usize = 0, scores: usize = 0, negatives: usize = 0;
let subOffsets: usize = 0, subRows: usize = 0;
let lossSum: f64 = 0, examples: f64 = 0;

export function w2vTrain(p: usize): void {
  trainChunk(p, load<usize>(p, P_SCRATCH));
}

/**
 * A work queue over `count` jobs (parameter blocks, one after the other from `params`): each
 * thread that calls this takes the next job from the shared counter at `next` (an i32, 0 at
 * the start) as soon as it has finished its previous one, so that a thread that drew cheaper
 * chunks is not left waiting for the others at a barrier after each chunk. Every job runs
 * once, on `scratch` (this thread's); one thread runs them in order, as w2vTrain one by one.
 */
export function w2vTrainQueue(params: usize, count: i32, next: usize, scratch: usize): void {
  for (;;) {
    let i: i32;
    if (ASC_FEATURE_THREADS) i = atomic.add<i32>(next, 1);
    else {
      i = load<i32>(next);
      store<i32>(next, i + 1);
    }
    if (i >= count) return;
    trainChunk(params + <usize>i * <usize>PARAMS_BYTES, scratch);
  }
}

function trainChunk(p: usize, scratch: usize): void {
  const tokens = load<usize>(p, P_TOKENS);
  const ntokens = load<i32>(p, P_NTOKENS);
  syn0 = load<usize>(p, P_SYN0);
  syn1 = load<usize>(p, P_SYN1);
  stride = load<i32>(p, P_STRIDE);
  vocab = load<i32>(p, P_VOCAB);
  negative = load<i32>(p, P_NEGATIVE);
  const window = load<i32>(p, P_WINDOW);
  const cbow = load<i32>(p, P_MODEL) == 1;
  const lossKind = load<i32>(p, P_LOSS);
  keep = load<usize>(p, P_KEEP);
  aliasProb = load<usize>(p, P_ALIAS_PROB);
  alias = load<usize>(p, P_ALIAS);
  codes = load<usize>(p, P_CODES);
  points = load<usize>(p, P_POINTS);
  codeLen = load<usize>(p, P_CODELEN);
  maxCode = load<i32>(p, P_MAXCODE);
  sigmoid = load<usize>(p, P_TABLES);
  logSigPos = at(sigmoid, EXP_TABLE_SIZE);
  logSigNeg = at(sigmoid, 2 * EXP_TABLE_SIZE);
  neu1 = scratch;
  neu1e = at(neu1, stride);
  grad = at(neu1e, stride);
  const sentence = at(grad, stride);
  scores = at(sentence, MAX_SENTENCE);
  negatives = at(scores, vocab);
  const shared = load<i32>(p, P_SHARED_NEGATIVES) != 0 && lossKind == 0 && !cbow;
  subOffsets = load<usize>(p, P_SUBWORD_OFFSETS);
  subRows = load<usize>(p, P_SUBWORD_ROWS);
  rng = load<u32>(p, P_SEED);
  const alphaStart = load<f32>(p, P_ALPHA_START);
  const alphaEnd = load<f32>(p, P_ALPHA_END);
  const subsample = load<i32>(p, P_SUBSAMPLE) != 0;
  const wordsBefore = load<f64>(p, P_WORDS_BEFORE);
  const wordsTotal = load<f64>(p, P_WORDS_TOTAL);

  lossSum = 0;
  examples = 0;
  let words: f64 = 0;
  let alpha = alphaStart;
  let pos = 0;
  while (pos < ntokens) {
    // One sentence: its words after subsampling (the removed ones leave no gap, as in the C tool).
    let len = 0;
    let seen = 0;
    while (pos < ntokens) {
      const w = load<i32>(at(tokens, pos++));
      if (w < 0) break;
      seen++;
      if (subsample) {
        const r = nextRandom();
        if (r > load<u32>(at(keep, w))) continue; // gensim: dropped when sample_int < draw
      }
      if (len < MAX_SENTENCE) store<i32>(at(sentence, len++), w);
    }
    const progress = (wordsBefore + words) / wordsTotal;
    alpha = <f32>max(<f64>alphaEnd, <f64>alphaStart - (<f64>alphaStart - <f64>alphaEnd) * progress);
    words += seen;

    for (let i = 0; i < len; i++) {
      const w = load<i32>(at(sentence, i));
      const b = <i32>(nextRandom() % <u32>window);
      const lo = max(0, i - window + b), hi = min(len - 1, i + window - b);
      if (subOffsets != 0) {
        if (cbow) cbowSubwords(sentence, i, lo, hi, w, alpha, lossKind);
        else skipgramSubwords(sentence, i, lo, hi, w, alpha, lossKind, shared);
      } else if (cbow) {
        // The mean of the context vectors predicts the center word; each context vector then
        // gets the whole error (gensim's cbow_mean = 1, as the C tool).
        let count = 0;
        zero(neu1);
        for (let j = lo; j <= hi; j++) {
          if (j == i) continue;
          addRow(row(syn0, load<i32>(at(sentence, j))), neu1);
          count++;
        }
        if (count == 0) continue;
        scaleRow(neu1, <f32>1 / <f32>count);
        zero(neu1e);
        predict(neu1, w, alpha, lossKind);
        for (let j = lo; j <= hi; j++) {
          if (j != i) addRow(neu1e, row(syn0, load<i32>(at(sentence, j))));
        }
      } else {
        // Shared negatives (after pWord2Vec): one draw for the whole window, so the few output
        // rows a center word touches stay in L1 across its context words.
        if (shared) drawNegatives(w);
        for (let j = lo; j <= hi; j++) {
          if (j == i) continue;
          const l1 = row(syn0, load<i32>(at(sentence, j)));
          zero(neu1e);
          if (shared) negativeSamplingShared(l1, w, alpha);
          else predict(l1, w, alpha, lossKind);
          addRow(neu1e, l1);
        }
      }
    }
  }
  store<f64>(p, lossSum, P_OUT_LOSS);
  store<f64>(p, words, P_OUT_WORDS);
  store<f64>(p, examples, P_OUT_EXAMPLES);
  store<f64>(p, <f64>alpha, P_OUT_ALPHA);
}

/** Trains the hidden vector h to predict `target`: the output vectors move, h's error goes to neu1e. */
@inline function predict(h: usize, target: i32, alpha: f32, lossKind: i32): void {
  if (lossKind == 0) negativeSampling(h, target, alpha);
  else if (lossKind == 1) hierarchical(h, target, alpha);
  else fullSoftmax(h, target, alpha);
}

function negativeSampling(h: usize, target: i32, alpha: f32): void {
  step(h, target, 1, alpha);
  for (let d = 0; d < negative; d++) {
    const t = drawAlias();
    if (t != target) step(h, t, 0, alpha);
  }
}

/**
 * Walker's alias method: the high 32 bits of r·V pick a column, the low 32 bits decide between
 * it and its alias (integers only, so the twin draws the same words).
 */
@inline function drawAlias(): i32 {
  const x = <u64>nextRandom() * <u64>vocab;
  const i = <i32>(x >> 32);
  return <u32>x < load<u32>(at(aliasProb, i)) ? i : load<i32>(at(alias, i));
}

/** One logistic example: h against output row t with label 1 (the target) or 0 (a negative). */
@inline function step(h: usize, t: i32, label: f32, alpha: f32): void {
  const l2 = row(syn1, t);
  const f = dotRow(h, l2);
  let g: f32;
  if (f > MAX_EXP) {
    g = (label - 1) * alpha;
    lossSum += label > 0 ? 0 : <f64>f;
  } else if (f < -MAX_EXP) {
    g = label * alpha;
    lossSum += label > 0 ? -<f64>f : 0;
  } else {
    const k = tableIndex(f);
    g = (label - load<f32>(at(sigmoid, k))) * alpha;
    lossSum -= <f64>load<f32>(at(label > 0 ? logSigPos : logSigNeg, k));
  }
  examples++;
  update(g, h, l2);
}

/** Draws `negative` words for a center word into the negatives scratch (−1 where the draw hit `target`). */
function drawNegatives(target: i32): void {
  for (let d = 0; d < negative; d++) {
    const t = drawAlias();
    store<i32>(at(negatives, d), t == target ? -1 : t);
  }
}

function negativeSamplingShared(h: usize, target: i32, alpha: f32): void {
  step(h, target, 1, alpha);
  for (let d = 0; d < negative; d++) {
    const t = load<i32>(at(negatives, d));
    if (t >= 0 && t != target) step(h, t, 0, alpha);
  }
}

/**
 * fastText's skipgram for one center word w: the mean h of w's rows predicts each context word
 * in turn. fastText adds each pair's gradient to every row of w at once and recomputes h from
 * the rows for the next pair; here h moves by the gradient instead (the same h, when no row
 * repeats in w's list) and the rows get the window's summed gradient once, at the end: one
 * pass over w's rows instead of two per pair.
 */
function skipgramSubwords(sentence: usize, i: i32, lo: i32, hi: i32, w: i32, alpha: f32, lossKind: i32, shared: bool): void {
  if (hi == lo) return;
  const first = load<i32>(at(subOffsets, w)), last = load<i32>(at(subOffsets, w + 1));
  zero(neu1);
  for (let r = first; r < last; r++) addRow(row(syn0, load<i32>(at(subRows, r))), neu1);
  scaleRow(neu1, <f32>1 / <f32>(last - first));
  zero(grad);
  // Shared negatives: drawn once for the center word; a draw equal to a pair's target is skipped.
  if (shared) drawNegatives(-1);
  for (let j = lo; j <= hi; j++) {
    if (j == i) continue;
    const c = load<i32>(at(sentence, j));
    zero(neu1e);
    if (shared) negativeSamplingShared(neu1, c, alpha);
    else predict(neu1, c, alpha, lossKind);
    addRow(neu1e, neu1);
    addRow(neu1e, grad);
  }
  for (let r = first; r < last; r++) addRow(grad, row(syn0, load<i32>(at(subRows, r))));
}

/** fastText's cbow: the mean of every row of every context word predicts w; each of those rows gets the gradient. */
function cbowSubwords(sentence: usize, i: i32, lo: i32, hi: i32, w: i32, alpha: f32, lossKind: i32): void {
  let count = 0;
  zero(neu1);
  for (let j = lo; j <= hi; j++) {
    if (j == i) continue;
    const c = load<i32>(at(sentence, j));
    const last = load<i32>(at(subOffsets, c + 1));
    for (let r = load<i32>(at(subOffsets, c)); r < last; r++) addRow(row(syn0, load<i32>(at(subRows, r))), neu1);
    count += last - load<i32>(at(subOffsets, c));
  }
  if (count == 0) return;
  scaleRow(neu1, <f32>1 / <f32>count);
  zero(neu1e);
  predict(neu1, w, alpha, lossKind);
  for (let j = lo; j <= hi; j++) {
    if (j == i) continue;
    const c = load<i32>(at(sentence, j));
    const last = load<i32>(at(subOffsets, c + 1));
    for (let r = load<i32>(at(subOffsets, c)); r < last; r++) addRow(neu1e, row(syn0, load<i32>(at(subRows, r))));
  }
}

function hierarchical(h: usize, target: i32, alpha: f32): void {
  const n = <i32>load<u8>(codeLen + <usize>target);
  for (let d = 0; d < n; d++) {
    const l2 = row(syn1, load<i32>(at(points, target * maxCode + d)));
    const f = dotRow(h, l2);
    // As the C tool: no update where the sigmoid is saturated.
    if (f <= -MAX_EXP || f >= MAX_EXP) continue;
    const code = <f32>load<u8>(codes + <usize>(target * maxCode + d));
    const k = tableIndex(f);
    const g = (<f32>1 - code - load<f32>(at(sigmoid, k))) * alpha;
    lossSum -= <f64>load<f32>(at(code > 0 ? logSigNeg : logSigPos, k));
    examples++;
    update(g, h, l2);
  }
}

/**
 * The full softmax over the vocabulary: P(w|h) = exp(u_w·h) / Σ exp(u_j·h). Gradients of
 * J = −log P(target|h): ∂J/∂h = Σ_w P(w|h)·u_w − u_target, ∂J/∂u_w = (P(w|h) − [w = target])·h.
 * O(V·dim) per example: for small vocabularies.
 */
function fullSoftmax(h: usize, target: i32, alpha: f32): void {
  let maxScore: f32 = -Infinity;
  for (let j = 0; j < vocab; j++) {
    const s = dotRow(h, row(syn1, j));
    store<f32>(at(scores, j), s);
    maxScore = max(maxScore, s);
  }
  const vmax = f32x4.splat(maxScore);
  let vsum = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= vocab; j += 4) {
    const e = exp4(f32x4.sub(v128.load(at(scores, j)), vmax));
    v128.store(at(scores, j), e);
    vsum = f32x4.add(vsum, e);
  }
  let sum = <f64>hsum(vsum);
  for (; j < vocab; j++) {
    const e = f32x4.extract_lane(exp4(f32x4.splat(load<f32>(at(scores, j)) - maxScore)), 0);
    store<f32>(at(scores, j), e);
    sum += e;
  }
  lossSum -= Math.log(<f64>load<f32>(at(scores, target)) / sum);
  examples++;
  const inv = <f32>(1 / sum);
  for (j = 0; j < vocab; j++) {
    const pj = load<f32>(at(scores, j)) * inv;
    const g = ((j == target ? <f32>1 : <f32>0) - pj) * alpha;
    update(g, h, row(syn1, j));
  }
}

@inline function tableIndex(f: f32): i32 {
  return <i32>((f + MAX_EXP) * (<f32>EXP_TABLE_SIZE / MAX_EXP / 2));
}

@inline function row(base: usize, i: i32): usize {
  return at(base, i * stride);
}

/** Σ a·b over a row (stride is a multiple of 4; the padding is 0). */
@inline function dotRow(a: usize, b: usize): f32 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= stride; i += 8) {
    s0 = madd(v128.load(at(a, i)), v128.load(at(b, i)), s0);
    s1 = madd(v128.load(at(a, i + 4)), v128.load(at(b, i + 4)), s1);
  }
  if (i < stride) s0 = madd(v128.load(at(a, i)), v128.load(at(b, i)), s0);
  return hsum(f32x4.add(s0, s1));
}

/** One example's step, in one pass over the output row: neu1e += g·l2 (the old l2), l2 += g·h. */
@inline function update(g: f32, h: usize, l2: usize): void {
  const vg = f32x4.splat(g);
  for (let i = 0; i < stride; i += 4) {
    const u = v128.load(at(l2, i));
    v128.store(at(neu1e, i), madd(vg, u, v128.load(at(neu1e, i))));
    v128.store(at(l2, i), madd(vg, v128.load(at(h, i)), u));
  }
}

@inline function addRow(x: usize, y: usize): void {
  for (let i = 0; i < stride; i += 4) v128.store(at(y, i), f32x4.add(v128.load(at(x, i)), v128.load(at(y, i))));
}

@inline function scaleRow(x: usize, s: f32): void {
  const vs = f32x4.splat(s);
  for (let i = 0; i < stride; i += 4) v128.store(at(x, i), f32x4.mul(v128.load(at(x, i)), vs));
}

@inline function zero(x: usize): void {
  for (let i = 0; i < stride; i += 4) v128.store(at(x, i), f32x4.splat(0));
}
