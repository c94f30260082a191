// The layout of a word2vec training job's parameter block: the mirror of assembly/word2vec/params.ts
// (byte offsets; tests/word2vec/train.test.ts checks both agree by training the same chunk).
export const P = {
  TOKENS: 0, NTOKENS: 4, SYN0: 8, SYN1: 12, DIM: 16, STRIDE: 20, VOCAB: 24, WINDOW: 28, NEGATIVE: 32,
  MODEL: 36, LOSS: 40, KEEP: 44, ALIAS_PROB: 48, ALIAS: 52, CODES: 56, POINTS: 60, CODELEN: 64, MAXCODE: 68,
  TABLES: 72, SCRATCH: 76, SEED: 80, ALPHA_START: 84, ALPHA_END: 88, SUBSAMPLE: 92,
  WORDS_BEFORE: 96, WORDS_TOTAL: 104, OUT_LOSS: 112, OUT_WORDS: 120, OUT_EXAMPLES: 128, OUT_ALPHA: 136,
  SHARED_NEGATIVES: 144,
} as const;
export const PARAMS_BYTES = 152;
export const EXP_TABLE_SIZE = 1000;
export const MAX_EXP = 6;
/** Longest sentence a job holds: gensim's MAX_WORDS_IN_BATCH; longer ones are split. */
export const MAX_SENTENCE = 10000;

/** Floats of scratch one job needs: neu1 and neu1e, the sentence, the softmax scores, the shared negatives. */
export function scratchFloats(stride: number, vocabSize: number, negative: number): number {
  return 2 * stride + MAX_SENTENCE + vocabSize + negative;
}

/**
 * The sigmoid table of the C tool (σ at 1000 points over [−6, 6)) and, for the loss, log σ(x)
 * and log σ(−x) at the same points, all rounded to f32 as the kernel reads them.
 */
export function sigmoidTables(): Float32Array {
  const t = new Float32Array(3 * EXP_TABLE_SIZE);
  for (let i = 0; i < EXP_TABLE_SIZE; i++) {
    const x = (i / EXP_TABLE_SIZE * 2 - 1) * MAX_EXP;
    const e = Math.exp(x);
    t[i] = e / (e + 1);
    t[EXP_TABLE_SIZE + i] = -Math.log1p(Math.exp(-x)); // log σ(x)
    t[2 * EXP_TABLE_SIZE + i] = -Math.log1p(e); // log σ(−x)
  }
  return t;
}

/** mulberry32 seeded per chunk: a chunk's random numbers do not depend on which thread runs it. */
export function chunkSeed(seed: number, epoch: number, chunk: number): number {
  let h = (seed ^ Math.imul(epoch + 1, 0x9e3779b1) ^ Math.imul(chunk + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
