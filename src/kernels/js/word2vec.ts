// The pure-JS twin of assembly/word2vec/train.ts: the same algorithm, random numbers and
// order of updates, over plain typed arrays, readable top to bottom. It is the reference the
// kernel is tested against, the fallback backend, and the "plain JS" line of the benchmark.
// Sums are in f32 lanes in the kernel and in f64 here, so results agree closely, not bitwise.
import { word2vecJobArgs, word2vecModelArgs } from '../args/word2vec';
import type { Word2VecJob, Word2VecJobResult, Word2VecModelArrays } from '../types';
import { EXP_TABLE_SIZE, MAX_EXP, MAX_SENTENCE } from '../word2vec-params';

/** Runs the jobs one after the other (the twin has no threads). */
export function word2vecTrain(model: Word2VecModelArrays, jobs: Word2VecJob[]): Word2VecJobResult[] {
  word2vecJobArgs(jobs);
  word2vecModelArgs(model);
  return jobs.map((job) => trainChunk(model, job));
}

export function trainChunk(model: Word2VecModelArrays, job: Word2VecJob): Word2VecJobResult {
  const { stride, vocab, window, negative, cbow } = model;
  const syn0 = model.syn0.data, syn1 = model.syn1.data, tables = model.tables.data;
  const keep = model.keep.data, aliasProb = model.aliasProb.data, alias = model.alias.data;
  const codes = model.codes.data, points = model.points.data, codeLen = model.codeLen.data, maxCode = model.maxCode;
  const tokens = job.tokens.data.subarray(0, job.length);
  const f32 = Math.fround;
  let rng = job.seed >>> 0;
  const nextRandom = (): number => {
    rng = (rng + 0x6d2b79f5) >>> 0;
    let t = rng;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const sentence = new Int32Array(MAX_SENTENCE);
  const neu1 = new Float32Array(stride), neu1e = new Float32Array(stride), grad = new Float32Array(stride);
  const subOffsets = model.subwords?.offsets.data, subRows = model.subwords?.rows.data;
  const scores = new Float64Array(vocab);
  let loss = 0, examples = 0, words = 0, alpha = f32(model.alphaStart);

  const dot = (a: Float32Array, ai: number, b: Float32Array, bi: number): number => {
    let s = 0;
    for (let i = 0; i < stride; i++) s += a[ai + i]! * b[bi + i]!;
    return f32(s);
  };
  const axpy = (g: number, x: Float32Array, xi: number, y: Float32Array, yi: number): void => {
    for (let i = 0; i < stride; i++) y[yi + i] = g * x[xi + i]! + y[yi + i]!;
  };
  // As the kernel computes it, in f32: (f + 6) · (1000 / 12), truncated.
  const tableIndex = (f: number) => Math.trunc(f32(f32(f + MAX_EXP) * f32(EXP_TABLE_SIZE / MAX_EXP / 2)));

  /** Walker's alias method on integers: the high 32 bits of r·V pick a column, the low 32 bits choose. */
  const drawAlias = (): number => {
    const x = nextRandom() * vocab; // exact in f64 for vocabularies under 2^21 words
    const i = Math.floor(x / 2 ** 32);
    return x - i * 2 ** 32 < aliasProb[i]! ? i : alias[i]!;
  };

  /** One logistic example: h against output row t, label 1 (the target) or 0 (a negative). */
  function step(h: Float32Array, hi: number, t: number, label: number): void {
    const f = dot(h, hi, syn1, t * stride);
    let g: number;
    if (f > MAX_EXP) {
      g = f32((label - 1) * alpha);
      loss += label > 0 ? 0 : f;
    } else if (f < -MAX_EXP) {
      g = f32(label * alpha);
      loss += label > 0 ? -f : 0;
    } else {
      const k = tableIndex(f);
      g = f32(f32(label - tables[k]!) * alpha);
      loss -= tables[(label > 0 ? 1 : 2) * EXP_TABLE_SIZE + k]!;
    }
    examples++;
    axpy(g, syn1, t * stride, neu1e, 0);
    axpy(g, h, hi, syn1, t * stride);
  }

  const negatives = new Int32Array(negative);

  /** Trains hidden vector h (array + offset) to predict `target`; h's error accumulates in neu1e. */
  function predict(h: Float32Array, hi: number, target: number, shared: boolean): void {
    if (model.loss === 'ns') {
      step(h, hi, target, 1);
      for (let d = 0; d < negative; d++) {
        const t = shared ? negatives[d]! : drawAlias();
        if (t >= 0 && t !== target) step(h, hi, t, 0);
      }
    } else if (model.loss === 'hs') {
      for (let d = 0; d < codeLen[target]!; d++) {
        const node = points[target * maxCode + d]! * stride;
        const f = dot(h, hi, syn1, node);
        if (f <= -MAX_EXP || f >= MAX_EXP) continue;
        const code = codes[target * maxCode + d]!;
        const k = tableIndex(f);
        const g = f32(f32(1 - code - tables[k]!) * alpha);
        loss -= tables[(code > 0 ? 2 : 1) * EXP_TABLE_SIZE + k]!;
        examples++;
        axpy(g, syn1, node, neu1e, 0);
        axpy(g, h, hi, syn1, node);
      }
    } else {
      // Full softmax: ∂J/∂h = Σ_w P(w|h)·u_w − u_target, ∂J/∂u_w = (P(w|h) − [w = target])·h.
      let max = -Infinity;
      for (let j = 0; j < vocab; j++) max = Math.max(max, scores[j] = dot(h, hi, syn1, j * stride));
      let sum = 0;
      for (let j = 0; j < vocab; j++) sum += scores[j] = Math.exp(scores[j]! - max);
      loss -= Math.log(scores[target]! / sum);
      examples++;
      for (let j = 0; j < vocab; j++) {
        const g = f32(((j === target ? 1 : 0) - scores[j]! / sum) * alpha);
        axpy(g, syn1, j * stride, neu1e, 0);
        axpy(g, h, hi, syn1, j * stride);
      }
    }
  }

  let pos = 0;
  while (pos < tokens.length) {
    let len = 0, seen = 0;
    while (pos < tokens.length) {
      const w = tokens[pos++]!;
      if (w < 0) break;
      seen++;
      if (model.subsample && nextRandom() > keep[w]!) continue;
      if (len < MAX_SENTENCE) sentence[len++] = w;
    }
    const progress = (job.wordsBefore + words) / model.wordsTotal;
    alpha = f32(Math.max(model.alphaEnd, model.alphaStart - (model.alphaStart - model.alphaEnd) * progress));
    words += seen;

    for (let i = 0; i < len; i++) {
      const w = sentence[i]!;
      const b = nextRandom() % window;
      const lo = Math.max(0, i - window + b), hi = Math.min(len - 1, i + window - b);
      if (subOffsets && subRows) {
        if (cbow) {
          // fastText's cbow: the mean of every row of every context word predicts w; each row gets the gradient.
          let count = 0;
          neu1.fill(0);
          for (let j = lo; j <= hi; j++) {
            if (j === i) continue;
            const c = sentence[j]!;
            for (let r = subOffsets[c]!; r < subOffsets[c + 1]!; r++) axpy(1, syn0, subRows[r]! * stride, neu1, 0);
            count += subOffsets[c + 1]! - subOffsets[c]!;
          }
          if (count === 0) continue;
          const inv = f32(1 / count);
          for (let d = 0; d < stride; d++) neu1[d] = neu1[d]! * inv;
          neu1e.fill(0);
          predict(neu1, 0, w, false);
          for (let j = lo; j <= hi; j++) {
            if (j === i) continue;
            const c = sentence[j]!;
            for (let r = subOffsets[c]!; r < subOffsets[c + 1]!; r++) axpy(1, neu1e, 0, syn0, subRows[r]! * stride);
          }
        } else if (hi > lo) {
          // fastText's skipgram: the mean h of w's rows predicts each context word. h moves by each
          // pair's gradient, and w's rows get the window's summed gradient at the end (fastText
          // updates the rows after each pair and recomputes h: the same h unless a row repeats).
          const first = subOffsets[w]!, last = subOffsets[w + 1]!;
          neu1.fill(0);
          for (let r = first; r < last; r++) axpy(1, syn0, subRows[r]! * stride, neu1, 0);
          const inv = f32(1 / (last - first));
          for (let d = 0; d < stride; d++) neu1[d] = neu1[d]! * inv;
          grad.fill(0);
          const shared = model.sharedNegatives && model.loss === 'ns';
          if (shared) for (let d = 0; d < negative; d++) negatives[d] = drawAlias();
          for (let j = lo; j <= hi; j++) {
            if (j === i) continue;
            neu1e.fill(0);
            predict(neu1, 0, sentence[j]!, shared);
            axpy(1, neu1e, 0, neu1, 0);
            axpy(1, neu1e, 0, grad, 0);
          }
          for (let r = first; r < last; r++) axpy(1, grad, 0, syn0, subRows[r]! * stride);
        }
      } else if (cbow) {
        let count = 0;
        neu1.fill(0);
        for (let j = lo; j <= hi; j++) {
          if (j === i) continue;
          axpy(1, syn0, sentence[j]! * stride, neu1, 0);
          count++;
        }
        if (count === 0) continue;
        const inv = f32(1 / count);
        for (let d = 0; d < stride; d++) neu1[d] = neu1[d]! * inv;
        neu1e.fill(0);
        predict(neu1, 0, w, false);
        for (let j = lo; j <= hi; j++) if (j !== i) axpy(1, neu1e, 0, syn0, sentence[j]! * stride);
      } else {
        // Shared negatives: one draw per center word for all its context words (after pWord2Vec).
        const shared = model.sharedNegatives && model.loss === 'ns';
        if (shared) for (let d = 0; d < negative; d++) negatives[d] = drawAlias();
        for (let j = lo; j <= hi; j++) {
          if (j === i) continue;
          const row = sentence[j]! * stride;
          neu1e.fill(0);
          predict(syn0, row, w, shared);
          axpy(1, neu1e, 0, syn0, row);
        }
      }
    }
  }
  return { loss, words, examples, alpha };
}
