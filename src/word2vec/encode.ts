// The corpus as the kernels read it: chunks of word ids, −1 ending each sentence, words the
// vocabulary lacks dropped. Chunk boundaries depend only on the corpus, never on the number of
// threads, so each chunk's random seed (its index) makes one-thread runs reproducible.
import type { Vocab } from './vocab';

/** Corpus words per chunk: small enough for fine progress, large enough to amortise a batch. */
export const CHUNK_WORDS = 1 << 16;

export interface Chunk {
  ids: Int32Array;
  /** Corpus words in it (its ids ≥ 0). */
  words: number;
}

export async function* encodeChunks(sentences: AsyncIterable<string[]>, vocab: Vocab): AsyncGenerator<Chunk> {
  let buffer = new Int32Array(CHUNK_WORDS + 1024);
  let length = 0, words = 0;
  for await (const sentence of sentences) {
    if (length + sentence.length + 1 > buffer.length) {
      // Only a sentence longer than a chunk gets here with an empty buffer: grow for it.
      if (length === 0) buffer = new Int32Array(sentence.length + 1);
      else {
        yield { ids: buffer.slice(0, length), words };
        length = 0;
        words = 0;
      }
    }
    const start = length;
    for (const token of sentence) {
      const id = vocab.index(token);
      if (id >= 0) buffer[length++] = id;
    }
    if (length === start) continue;
    words += length - start;
    buffer[length++] = -1;
    if (words >= CHUNK_WORDS) {
      yield { ids: buffer.slice(0, length), words };
      length = 0;
      words = 0;
    }
  }
  if (length > 0) yield { ids: buffer.slice(0, length), words };
}
