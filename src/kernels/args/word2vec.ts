// Argument checks of word2vecTrain that hold for both backends (the WASM backend also requires
// its arrays to be resident in its own memory, which only it can tell).
import type { Word2VecJob } from '../types';

/** Each job's length lies within its tokens. */
export function word2vecJobArgs(jobs: Word2VecJob[]): void {
  jobs.forEach((j, i) => {
    if (!Number.isInteger(j.length) || j.length < 0 || j.length > j.tokens.data.length) {
      throw new Error(`word2vecTrain: job ${i} length ${j.length} is outside its tokens`);
    }
  });
}
