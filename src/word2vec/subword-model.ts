// The fastText side of a Word2Vec model: what a subword model keeps besides its word vectors
// (the input matrix with the n-gram buckets, for unknown words and for the .bin), and the
// conversions between a trained model, fastText's .bin and the word vectors people query.
import { formatFastTextBin, parseFastTextBin, type FastTextArgs } from '../io/fasttext-bin';
import type { ResolvedOptions } from './options';
import { SubwordVectors } from './subword';

/** What a fastText .bin holds besides the words: written back unchanged by fastTextBytes. */
export interface FastTextState {
  args: FastTextArgs;
  counts: number[];
  ntokens: number;
  /** (V + bucket) × dim. */
  input: Float32Array;
  /** fastText's output matrix, V × dim (with hs: the inner nodes in fastText's sign, a zero row last). */
  output: Float32Array;
  /** The n-gram side, when the model has n-grams (maxn > 0). */
  subwords?: SubwordVectors;
}

/**
 * A model trained here with subwords: its word vectors (fastText's getWordVector of each word)
 * and its fastText state. syn0 is the (V + bucket) × dim input matrix, syn1 the output rows.
 */
export function trainedFastText(words: readonly string[], counts: ArrayLike<number>, ntokens: number, o: ResolvedOptions,
  dim: number, syn0: Float32Array, syn1: Float32Array): { vectors: Float32Array; state: FastTextState } {
  const V = words.length;
  const subwords = new SubwordVectors(syn0, V, dim, { minn: o.minn, maxn: o.maxn, bucket: o.bucket });
  const args: FastTextArgs = {
    dim, ws: o.window, epoch: o.epochs, minCount: o.minCount, neg: o.negative, wordNgrams: 1, loss: o.loss,
    model: o.model, bucket: o.bucket, minn: o.minn, maxn: o.maxn, lrUpdateRate: 100, t: o.sample,
  };
  return { vectors: subwords.wordVectors(words), state: { args, counts: Array.from(counts), ntokens, input: syn0, output: fastTextOutput(syn1, o.loss, V, dim), subwords } };
}

/**
 * Our output rows in fastText's layout: V rows. With hierarchical softmax both build the same
 * Huffman tree (the C tool's, from the same counts), but our node rows predict the branch
 * 1 − code (the C tool's convention) where fastText's predict `code`: σ(−x) = 1 − σ(x), so the
 * rows change sign. fastText keeps V rows for V − 1 inner nodes: the last stays zero.
 */
function fastTextOutput(syn1: Float32Array, loss: string, V: number, dim: number): Float32Array {
  if (loss !== 'hs') return syn1;
  const out = new Float32Array(V * dim);
  const n = Math.min(syn1.length, (V - 1) * dim);
  for (let i = 0; i < n; i++) out[i] = -syn1[i]!;
  return out;
}

/** A fastText .bin as word vectors: its words, their counts and getWordVector of each, and its state. */
export function fromFastTextBin(bytes: Uint8Array): { words: string[]; counts: number[]; vectors: Float32Array; dim: number; state: FastTextState } {
  const bin = parseFastTextBin(bytes);
  const { args, nwords } = bin;
  if (args.model === 'supervised' || bin.nlabels > 0) {
    throw new Error(`Word2Vec.load: this fastText .bin is a supervised classifier (${bin.nlabels} labels), not word vectors`);
  }
  const dim = args.dim;
  const words = bin.words.slice(0, nwords), counts = bin.counts.slice(0, nwords);
  const state: FastTextState = { args, counts, ntokens: bin.ntokens, input: bin.input, output: bin.output };
  let vectors: Float32Array;
  if (args.maxn > 0) {
    if (args.bucket < 1) throw new Error(`Word2Vec.load: this fastText .bin has maxn ${args.maxn} but bucket 0 (field bucket)`);
    state.subwords = new SubwordVectors(bin.input, nwords, dim, { minn: args.minn, maxn: args.maxn, bucket: args.bucket });
    vectors = state.subwords.wordVectors(words);
  } else {
    vectors = bin.input.slice(0, nwords * dim); // each word's mean of one row: the row
  }
  return { words, counts, vectors, dim, state };
}

/** The .bin bytes of a model with a fastText state. */
export function fastTextBytes(words: readonly string[], state: FastTextState): Uint8Array {
  return formatFastTextBin({ args: state.args, words: [...words], counts: state.counts, ntokens: state.ntokens, input: state.input, output: state.output });
}
