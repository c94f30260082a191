// Argument checks of word2vecTrain that hold for both backends (the WASM backend also requires
// its arrays to be resident in its own memory, which only it can tell).
import type { Word2VecJob, Word2VecModelArrays } from '../types';

/** Each job's length lies within its tokens. */
export function word2vecJobArgs(jobs: Word2VecJob[]): void {
  jobs.forEach((j, i) => {
    if (!Number.isInteger(j.length) || j.length < 0 || j.length > j.tokens.data.length) {
      throw new Error(`word2vecTrain: job ${i} length ${j.length} is outside its tokens`);
    }
  });
}

/**
 * The subword table's shape (O(1); the façade builds its contents): V + 1 offsets from 0, the
 * last within the rows. Row ids themselves are trusted, as word ids are.
 */
export function word2vecModelArgs(model: Word2VecModelArrays): void {
  const sub = model.subwords;
  if (!sub) return;
  const offsets = sub.offsets.data, rows = sub.rows.data;
  if (offsets.length < model.vocab + 1 || offsets[0] !== 0 || offsets[model.vocab]! > rows.length) {
    const got = offsets.length < model.vocab + 1 ? `${offsets.length} offsets` : `offsets from ${offsets[0]} to ${offsets[model.vocab]}`;
    throw new Error(`word2vecTrain: subwords.offsets must hold vocab + 1 = ${model.vocab + 1} offsets, from 0 to at most ` +
      `subwords.rows.length = ${rows.length}; got ${got}`);
  }
}
