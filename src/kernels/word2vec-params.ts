// The word2vec training job's parameter block: its layout (P, PARAMS_BYTES) and the constants
// shared with the kernel come from assembly/word2vec/params.json through the generated
// build/word2vec-params.ts, the same source as the kernel's own offsets; the helpers below are
// the façade's.
import { EXP_TABLE_SIZE, MAX_EXP, MAX_SENTENCE } from '../../build/word2vec-params';

export { EXP_TABLE_SIZE, MAX_EXP, MAX_SENTENCE, P, PARAMS_BYTES } from '../../build/word2vec-params';

/** Floats of scratch one job needs: neu1, neu1e and grad, the sentence, the softmax scores, the shared negatives. */
export function scratchFloats(stride: number, vocabSize: number, negative: number): number {
  return 3 * stride + MAX_SENTENCE + vocabSize + negative;
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
