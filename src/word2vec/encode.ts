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

/** Chunks from sentences of word ids (−1 for a word the vocabulary lacks). */
export async function* chunkSentences(sentences: AsyncIterable<ArrayLike<number>> | Iterable<ArrayLike<number>>): AsyncGenerator<Chunk> {
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
    for (let i = 0; i < sentence.length; i++) {
      const id = sentence[i]!;
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

/** Chunks from sentences of words, looked up in the vocabulary. */
export function encodeChunks(sentences: AsyncIterable<string[]>, vocab: Vocab): AsyncGenerator<Chunk> {
  return chunkSentences((async function* () {
    for await (const sentence of sentences) yield sentence.map((w) => vocab.index(w));
  })());
}

/**
 * Records the corpus as it streams past the vocabulary count, each word as a provisional id
 * (its first appearance), so that training need not read and tokenize the corpus again: once
 * the vocabulary is known, sentences() maps provisional ids to vocabulary ids in one pass.
 * Stops recording (and says so) past `limit` ids, for corpora too large to hold.
 */
export class CorpusRecorder {
  private readonly ids = new Map<string, number>();
  private stream = new Int32Array(1 << 20);
  private length = 0;
  private readonly limit: number;
  overflowed = false;

  constructor(limit: number) {
    this.limit = limit;
  }

  async *tee(sentences: AsyncIterable<string[]>): AsyncGenerator<string[]> {
    for await (const s of sentences) {
      if (!this.overflowed) this.record(s);
      yield s;
    }
  }

  private record(sentence: string[]): void {
    if (this.length + sentence.length + 1 > this.limit) {
      this.overflowed = true;
      this.stream = new Int32Array(0);
      return;
    }
    if (this.length + sentence.length + 1 > this.stream.length) {
      const grown = new Int32Array(Math.min(this.limit, Math.max(2 * this.stream.length, this.length + sentence.length + 1)));
      grown.set(this.stream.subarray(0, this.length));
      this.stream = grown;
    }
    for (const w of sentence) {
      let id = this.ids.get(w);
      if (id === undefined) this.ids.set(w, id = this.ids.size);
      this.stream[this.length++] = id;
    }
    this.stream[this.length++] = -1;
  }

  /** The recorded sentences as vocabulary ids (−1 for dropped words). */
  *sentences(vocab: Vocab): Generator<Int32Array> {
    const remap = new Int32Array(this.ids.size);
    for (const [w, id] of this.ids) remap[id] = vocab.index(w);
    let start = 0;
    for (let i = 0; i < this.length; i++) {
      if (this.stream[i] !== -1) continue;
      const s = this.stream.slice(start, i);
      for (let j = 0; j < s.length; j++) s[j] = remap[s[j]!]!;
      yield s;
      start = i + 1;
    }
  }
}
