// The word2vec model people use: train it, query it (WordVectors), save and load it in the
// formats the C tool and gensim read, and checkpoint it to resume training.
import { init, type Runtime } from '../runtime';
import { corpusFingerprint, sentences, type CorpusFingerprint, type CorpusSource } from '../io/corpus';
import { checkOptionNames, type ForeignOption } from '../io/option-names';
import { checkOutputPath } from '../io/output-path';
import { detectWord2VecFormat, formatWord2Vec, parseWord2Vec } from '../io/word2vec-format';
import { isFastTextBin } from '../io/fasttext-bin';
import type { Kernels } from '../kernels/types';
import { checkpointBytes, CORPUS_FINGERPRINT, fingerprintOf, isCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint';
import { FOREIGN_TRAIN_OPTIONS, MODEL_OPTION_NAMES, modelOptions, resolveOptions, TRAIN_OPTION_NAMES, type ResolvedOptions, type TrainOptions } from './options';
import type { SubwordParams } from './subword';
import { fastTextBytes, fromFastTextBin, trainedFastText, type FastTextState } from './subword-model';
import { initVectors, trainWord2Vec, type StartState, type TrainedWeights, type TrainingProgress } from './train';
import { WordVectors } from './vectors';
import type { Vocab, VocabScan } from './vocab';

declare const __BROWSER__: boolean;

/** 'fasttext': fastText's .bin model (subword models, and models loaded from a .bin). */
export type SaveFormat = 'text' | 'binary' | 'checkpoint' | 'fasttext';

export interface LoadOptions {
  /** Runtime whose kernels answer queries (default: a new one). */
  runtime?: Runtime;
}

export interface SaveOptions {
  /** Default: from the path's extension (.bin binary, .txt and .vec text, .ckpt checkpoint); another extension needs it. */
  format?: SaveFormat;
}

/**
 * Resuming takes the run's options from its checkpoint. Of the model's options only epochs and
 * threads may change (and are reported to onResume); any other given must equal the
 * checkpoint's, or the resume is refused. Callbacks, the signal, the runtime, checkpointPath,
 * tokenizer and allowBinary are this call's.
 */
export interface ResumeOptions extends TrainOptions {
  /** Told where the run resumes and what changed, once everything is checked and before training. */
  onResume?: (info: ResumeInfo) => void;
}

export interface ResumeInfo {
  /** Epochs done, and chunks of the next one done. */
  epoch: number;
  chunk: number;
  /** Epochs of the resumed run. */
  epochs: number;
  /** Options that differ from the checkpoint's (epochs, threads). */
  changed: { option: string; from: unknown; to: unknown }[];
  /** The corpus the checkpoint was trained on, as it recorded it (absent in older checkpoints). */
  corpus: CorpusFingerprint | undefined;
}

/** The model's options that may change when a run resumes. */
export const RESUME_CHANGEABLE: readonly string[] = ['epochs', 'threads'];
const RESUME_OPTION_NAMES: readonly string[] = [...TRAIN_OPTION_NAMES, 'onResume'];

/**
 * Continued training of a trained model on more text, as gensim's build_vocab(more,
 * update=True) then train(more): the model's options are the defaults, and any may change but
 * dim, model, loss and the subword options (CONTINUE_FIXED). The learning rate falls from alpha
 * to minAlpha again over the new run, as gensim's train() with its start_alpha and end_alpha.
 */
export interface ContinueOptions extends TrainOptions {
  /**
   * Add the corpus's words that reach minCount, and its counts, with gensim 4.2's semantics
   * (prepare_vocab(update=True)): every word of the model keeps its id and vector and adds its
   * count in this corpus; a new word is appended, in first-seen order, with a fresh random vector.
   * Default false: the vocabulary and its counts stay, and the corpus's other words are skipped.
   */
  updateVocab?: boolean;
}

/** The options continued training cannot change: they shape the weights. */
export const CONTINUE_FIXED: readonly string[] = ['dim', 'model', 'loss', 'maxn', 'minn', 'bucket'];
const CONTINUE_OPTION_NAMES: readonly string[] = [...TRAIN_OPTION_NAMES, 'updateVocab'];
const GENSIM_TRAIN = "gensim's train()";
const FOREIGN_CONTINUE_OPTIONS: Readonly<Record<string, ForeignOption>> = {
  ...FOREIGN_TRAIN_OPTIONS,
  update: { tool: "gensim's build_vocab()", ours: 'updateVocab' },
  start_alpha: { tool: GENSIM_TRAIN, ours: 'alpha' },
  end_alpha: { tool: GENSIM_TRAIN, ours: 'minAlpha' },
  total_examples: { tool: GENSIM_TRAIN, note: 'the corpus is counted as it is read' },
  total_words: { tool: GENSIM_TRAIN, note: 'the corpus is counted as it is read' },
};

/** What training left besides the input vectors: enough to resume or checkpoint. */
interface TrainingState {
  vocab: Vocab;
  options: ResolvedOptions;
  syn1: Float32Array;
  progress: TrainingProgress;
  /** The corpus of a checkpoint loaded from a file (a run trained here has it on its options). */
  corpus?: CorpusFingerprint;
}

export class Word2Vec extends WordVectors {
  /** Σ loss per epoch (f64), empty for a model loaded from vectors. */
  readonly lossPerEpoch: readonly number[];
  /** Corpus words per second of the training run, if this model was trained here. */
  readonly wordsPerSecond: number | undefined;
  private readonly state: TrainingState | undefined;
  /** fastText's side: the n-gram rows (subword models) and what its .bin holds. */
  private readonly fastText: FastTextState | undefined;

  private constructor(words: readonly string[], vectors: Float32Array, dim: number, kernels: Kernels,
    counts: readonly number[] | undefined, state?: TrainingState, wordsPerSecond?: number, fastText?: FastTextState) {
    super(words, vectors, dim, { kernels, ...(counts ? { counts } : {}), ...(state?.vocab.order === 'update' ? { order: 'update' as const } : {}) });
    this.state = state;
    this.fastText = fastText;
    this.lossPerEpoch = state ? [...state.progress.lossPerEpoch] : [];
    this.wordsPerSecond = wordsPerSecond;
  }

  /**
   * Trains on `corpus` (a string, lines or token arrays, a file { path } plain or gzipped, '-'
   * for standard input, a Blob or a stream). The options, the checkpoint's folder and the
   * corpus's first MiB are checked before training starts.
   */
  static async train(corpus: CorpusSource, options: TrainOptions = {}): Promise<Word2Vec> {
    const o = resolveOptions(options);
    if (o.checkpointPath !== undefined) await checkOutputPath(o.checkpointPath, 'word2vec: option checkpointPath');
    // Recorded in checkpoints, so that a resume on another corpus can be refused.
    const fingerprint = await corpusFingerprint(corpus);
    const withFingerprint = { ...options, [CORPUS_FINGERPRINT]: fingerprint } as TrainOptions;
    return Word2Vec.fromWeights(await trainWord2Vec(corpus, withFingerprint), options.runtime);
  }

  /**
   * Continues an interrupted run from its checkpoint (a path, bytes, or a model from `load`)
   * on the same corpus. On one thread the result is the vectors of an uninterrupted run.
   */
  static async resume(corpus: CorpusSource, checkpoint: string | Uint8Array | Word2Vec, options: ResumeOptions = {}): Promise<Word2Vec> {
    if (typeof options !== 'object' || options === null) throw new Error('Word2Vec.resume: options must be an object');
    checkOptionNames('Word2Vec.resume', options, RESUME_OPTION_NAMES, FOREIGN_TRAIN_OPTIONS);
    let ck: Checkpoint;
    let from = 'the checkpoint';
    if (checkpoint instanceof Word2Vec && checkpoint.fastText) throw new Error('Word2Vec.resume: subword (fastText) models cannot be resumed yet');
    if (checkpoint instanceof Word2Vec) {
      if (!checkpoint.state) throw new Error('Word2Vec.resume: this model has no training state (it was loaded from vectors)');
      const corpusOfRun = checkpoint.state.corpus ?? fingerprintOf(checkpoint.state.options);
      ck = { ...checkpoint.state, dim: checkpoint.dim, syn0: checkpoint.vectors, ...(corpusOfRun ? { corpus: corpusOfRun } : {}) };
      from = 'the model';
    } else if (typeof checkpoint === 'string') {
      ck = parseCheckpoint(await readFile(checkpoint, 'Word2Vec.resume: checkpoint'));
      from = `the checkpoint ${checkpoint}`;
    } else {
      ck = parseCheckpoint(checkpoint);
    }
    const { onResume, ...given } = options;
    if (onResume !== undefined && typeof onResume !== 'function') throw new Error('Word2Vec.resume: option onResume must be a function');
    const trainOptions = resumeOptions(ck, given, from);
    const o = resolveOptions(trainOptions);
    if (o.checkpointPath !== undefined) await checkOutputPath(o.checkpointPath, 'Word2Vec.resume: option checkpointPath');
    const fingerprint = await corpusFingerprint(corpus);
    // A continued run's corpus is not the one its vocabulary counted: its fingerprint has its tokens.
    const tokens = ck.corpus?.tokens ?? ck.vocab.rawWordCount;
    checkSameCorpus(ck.corpus, fingerprint, tokens, from);
    onResume?.({
      epoch: ck.progress.epoch, chunk: ck.progress.chunk, epochs: o.epochs, corpus: ck.corpus,
      changed: RESUME_CHANGEABLE.filter((k) => o[k as keyof ResolvedOptions] !== ck.options[k as keyof ResolvedOptions])
        .map((k) => ({ option: k, from: ck.options[k as keyof ResolvedOptions], to: o[k as keyof ResolvedOptions] })),
    });
    // The corpus's tokens are counted as training reads it: a corpus that differs past its
    // first and last MiB (or that has no fingerprint: a stream) is caught at the end of a pass.
    const counted = countedCorpus(corpus, o, tokens, (read) => new Error(
      `Word2Vec.resume: ${from} was trained on another corpus: ${describeCorpus({ ...ck.corpus, name: ck.corpus?.name ?? 'its corpus', tokens })}; ` +
      `this one, ${fingerprint.name}, has ${count(read)} tokens`));
    const weights = await trainWord2Vec(counted, { ...trainOptions, [CORPUS_FINGERPRINT]: ck.corpus ?? fingerprint } as TrainOptions,
      { vocab: ck.vocab, syn0: ck.syn0, syn1: ck.syn1, progress: ck.progress });
    return Word2Vec.fromWeights(weights, options.runtime);
  }

  /**
   * Trains this model further on `corpus`, as gensim's `build_vocab(corpus, update=True)` then
   * `train(corpus)` with updateVocab, or `train(corpus)` alone without: see ContinueOptions.
   * Returns the continued model; this one is left as it is. Needs the output weights, so a
   * model trained here or loaded from a checkpoint, not one loaded from vectors.
   */
  async train(corpus: CorpusSource, options: ContinueOptions = {}): Promise<Word2Vec> {
    const where = 'Word2Vec.train';
    if (typeof options !== 'object' || options === null) throw new Error(`${where}: options must be an object`);
    checkOptionNames(where, options, CONTINUE_OPTION_NAMES, FOREIGN_CONTINUE_OPTIONS);
    if (this.fastText) throw new Error(`${where}: continued training of subword (fastText) models is not supported yet`);
    if (!this.state) {
      throw new Error(`${where}: this model was loaded from vectors, which hold only the input vectors; continued training ` +
        'needs the output weights too (gensim cannot train KeyedVectors either): continue from a checkpoint (.ckpt), or train anew');
    }
    const { updateVocab = false, ...given } = options;
    if (typeof updateVocab !== 'boolean') throw new Error(`${where}: option updateVocab must be true or false, got ${String(updateVocab)}`);
    const trained = this.state.options, asked = given as Record<string, unknown>;
    for (const k of CONTINUE_FIXED) {
      const was = trained[k as keyof ResolvedOptions];
      if (asked[k] !== undefined && asked[k] !== was) {
        throw new Error(`${where}: option ${k} is ${show(asked[k])}, but this model was trained with ${k} ${show(was)}; ` +
          `continued training cannot change ${CONTINUE_FIXED.join(', ')}`);
      }
    }
    if (!updateVocab) {
      for (const k of ['minCount', 'maxVocabSize']) {
        if (asked[k] !== undefined) throw new Error(`${where}: option ${k} applies to the words added with updateVocab: true; without it the vocabulary stays`);
      }
    }
    if (updateVocab && trained.loss === 'hs') {
      // gensim 4.2 builds a new Huffman tree from the updated counts and keeps the old output
      // rows by index, so each now serves another inner node (the old root's row among them):
      // the output layer is scrambled. Refused rather than copied.
      throw new Error(`${where}: updateVocab with loss 'hs' is not supported: new counts give a new Huffman tree, whose inner nodes ` +
        "the trained output rows do not match (gensim 4.2 reuses them by index, which scrambles them); continue without " +
        "updateVocab (the tree stays, new words are skipped), or train anew");
    }
    const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
    const trainOptions = { ...modelOptions(trained), ...defined } as TrainOptions;
    const o = resolveOptions(trainOptions);
    if (o.checkpointPath !== undefined) await checkOutputPath(o.checkpointPath, `${where}: option checkpointPath`);
    const fingerprint = await corpusFingerprint(corpus);
    const { vocab, syn1 } = this.state, dim = this.dim, vectors = this.vectors;

    const start = (scan: VocabScan): StartState => {
      const next = updateVocab ? vocab.update(scan, o.minCount) : vocab;
      const epochWords = next.wordsOf(scan);
      if (epochWords === 0) {
        throw new Error(`${where}: none of the corpus's ${count(scan.rawWordCount)} tokens is a word of the model` +
          (updateVocab ? ` or occurs minCount (${o.minCount}) times` : '; pass updateVocab: true to add its words'));
      }
      // The run's corpus is not the one the vocabulary counted: its checkpoint names its own tokens.
      fingerprint.tokens = scan.rawWordCount;
      const V0 = vocab.size, V = next.size;
      const syn0 = new Float32Array(V * dim);
      syn0.set(vectors);
      initVectors(syn0, V0, V, dim, dim, o.seed);
      // Output rows of new words start at 0, as gensim's update_weights; hs keeps its tree (no new words).
      const out = o.loss === 'hs' ? syn1 : new Float32Array(V * dim);
      if (out !== syn1) out.set(syn1);
      return { vocab: next, syn0, syn1: out, progress: { epoch: 0, chunk: 0, words: 0, lossPerEpoch: [], examplesPerEpoch: [], epochWords } };
    };
    const weights = await trainWord2Vec(corpus, { ...trainOptions, [CORPUS_FINGERPRINT]: fingerprint } as TrainOptions, undefined, start);
    return Word2Vec.fromWeights(weights, options.runtime);
  }

  /** Loads word2vec text or binary vectors, a fastText .vec or .bin model (with its n-grams), or a checkpoint (detected from the bytes). */
  static async load(pathOrBytes: string | Uint8Array, options: LoadOptions = {}): Promise<Word2Vec> {
    if (typeof options !== 'object' || options === null) throw new Error('Word2Vec.load: options must be an object');
    checkOptionNames('Word2Vec.load', options, ['runtime']);
    const bytes = typeof pathOrBytes === 'string' ? await readFile(pathOrBytes, 'Word2Vec.load:') : pathOrBytes;
    if (!(bytes instanceof Uint8Array)) throw new Error('Word2Vec.load: give a file path (Node) or the file\'s bytes as a Uint8Array');
    const kernels = (options.runtime ?? await init()).kernels;
    if (isFastTextBin(bytes)) {
      const m = fromFastTextBin(bytes);
      return new Word2Vec(m.words, m.vectors, m.dim, kernels, m.counts, undefined, undefined, m.state);
    }
    if (isCheckpoint(bytes)) {
      const ck = parseCheckpoint(bytes);
      return new Word2Vec(ck.vocab.words, ck.syn0, ck.dim, kernels, Array.from(ck.vocab.counts),
        { vocab: ck.vocab, options: ck.options, syn1: ck.syn1, progress: ck.progress, ...(ck.corpus ? { corpus: ck.corpus } : {}) });
    }
    const data = parseWord2Vec(bytes, { format: detectWord2VecFormat(bytes) });
    return new Word2Vec(data.words, data.vectors, data.dim, kernels, undefined);
  }

  private static async fromWeights(w: TrainedWeights, runtime?: Runtime): Promise<Word2Vec> {
    const kernels = (runtime ?? await init()).kernels;
    const state = { vocab: w.vocab, options: w.options, syn1: w.syn1, progress: w.progress };
    if (w.options.maxn > 0) {
      // syn0 holds the n-gram buckets too; the word vectors are fastText's means of each word's rows.
      const ft = trainedFastText(w.vocab.words, w.vocab.counts, w.vocab.rawWordCount, w.options, w.dim, w.syn0, w.syn1);
      return new Word2Vec(w.vocab.words, ft.vectors, w.dim, kernels, Array.from(w.vocab.counts), state, w.wordsPerSecond, ft.state);
    }
    return new Word2Vec(w.vocab.words, w.syn0, w.dim, kernels, Array.from(w.vocab.counts), state, w.wordsPerSecond);
  }

  /** The n-gram parameters of a subword (fastText) model, or undefined for plain word vectors. */
  get subwords(): SubwordParams | undefined {
    const p = this.fastText?.subwords?.params;
    return p && { ...p };
  }

  /**
   * A copy of the word's vector. A subword model answers for any word, as fastText's
   * getWordVector: a word outside the vocabulary gets the mean of its n-grams' rows (zeros when
   * it has none).
   */
  override vector(word: string): Float32Array {
    const sub = this.fastText?.subwords;
    if (!sub || this.has(word)) return super.vector(word);
    if (typeof word !== 'string') throw new Error(`Word2Vec.vector: word must be a string, got ${typeof word}`);
    return sub.vector(word, -1);
  }

  /** The model as a file's bytes: word2vec text or binary (C tool, gensim), or a training checkpoint. */
  toBytes(format: SaveFormat = 'binary'): Uint8Array {
    if (format === 'fasttext') {
      if (!this.fastText) throw new Error('Word2Vec.toBytes: format \'fasttext\' (.bin model) needs a subword model (train with maxn > 0) or one loaded from a fastText .bin');
      return fastTextBytes(this.vocab, this.fastText);
    }
    if (format === 'checkpoint' && this.fastText) throw new Error('Word2Vec.toBytes: checkpoints of subword (fastText) models are not supported yet; save format \'fasttext\'');
    if (format === 'checkpoint') {
      if (!this.state) throw new Error('Word2Vec.toBytes: a checkpoint needs the training state; this model was loaded from vectors');
      return checkpointBytes({ ...this.state, dim: this.dim, syn0: this.vectors });
    }
    if (format !== 'text' && format !== 'binary') throw new Error(`Word2Vec.toBytes: format must be 'text', 'binary', 'checkpoint' or 'fasttext', got ${String(format)}`);
    return formatWord2Vec({ words: this.vocab, dim: this.dim, vectors: this.vectors }, format);
  }

  /**
   * Writes the model to `path` atomically (a temporary file, then a rename). Node only. The
   * format is the extension's unless given: .bin binary (fastText's .bin for a subword model),
   * .txt and .vec text, .ckpt checkpoint; another extension needs { format }.
   */
  async save(path: string, options: SaveOptions = {}): Promise<void> {
    if (typeof options !== 'object' || options === null) throw new Error('Word2Vec.save: options must be an object');
    checkOptionNames('Word2Vec.save', options, ['format']);
    if (typeof path !== 'string' || path === '') throw new Error(`Word2Vec.save: path must be a file path, got ${JSON.stringify(path) ?? String(path)}`);
    const format = options.format ?? formatOfPath(path, this.fastText !== undefined);
    if (format === undefined) {
      throw new Error(`Word2Vec.save: cannot tell the format of ${path} from its extension: ` +
        "name it .bin (binary), .txt or .vec (text) or .ckpt (checkpoint), or pass { format: 'binary' | 'text' | 'checkpoint' }");
    }
    const bytes = this.toBytes(format);
    const { writeFileAtomic } = await import('../io/atomic-write');
    await writeFileAtomic(path, bytes);
  }
}

/**
 * The format a file's extension says: .bin binary (fastText's .bin for a subword model), .txt
 * and .vec text, .ckpt checkpoint; undefined for any other. The CLI's choice too.
 */
export function formatOfPath(path: string, subword = false): SaveFormat | undefined {
  const ext = /\.([^./\\]+)$/.exec(path)?.[1]?.toLowerCase();
  if (ext === 'bin') return subword ? 'fasttext' : 'binary';
  if (ext === 'txt' || ext === 'vec') return 'text';
  if (ext === 'ckpt') return 'checkpoint';
  return undefined;
}

/** The options of a resumed run: the checkpoint's, with the changes allowed (see ResumeOptions). */
function resumeOptions(ck: Checkpoint, given: TrainOptions, from: string): TrainOptions {
  const trained = ck.options as unknown as Record<string, unknown>, asked = given as Record<string, unknown>;
  const out: Record<string, unknown> = { ...modelOptions(ck.options) };
  for (const k of MODEL_OPTION_NAMES) {
    if (asked[k] === undefined || asked[k] === trained[k]) continue;
    if (!RESUME_CHANGEABLE.includes(k)) {
      throw new Error(`Word2Vec.resume: option ${k} is ${show(asked[k])}, but ${from} was trained with ${k} ${show(trained[k])}; ` +
        `it cannot change when a run resumes (only ${RESUME_CHANGEABLE.join(' and ')} can)`);
    }
    out[k] = asked[k];
  }
  for (const k of TRAIN_OPTION_NAMES) if (!(MODEL_OPTION_NAMES as readonly string[]).includes(k) && asked[k] !== undefined) out[k] = asked[k];
  const epochs = out['epochs'] as number, { epoch, chunk } = ck.progress;
  if (Number.isInteger(epochs) && (epochs < epoch || (epochs === epoch && chunk > 0))) {
    throw new Error(`Word2Vec.resume: option epochs is ${epochs}, but ${from} has trained ${epoch} epoch${epoch === 1 ? '' : 's'}` +
      `${chunk > 0 ? ` and part of the next` : ''} already`);
  }
  return out as TrainOptions;
}

/** Refuses a corpus whose size or first or last MiB differ from the checkpoint's, naming both. */
function checkSameCorpus(recorded: CorpusFingerprint | undefined, now: CorpusFingerprint, tokens: number, from: string): void {
  if (recorded?.bytes === undefined || now.bytes === undefined) return; // a stream: its tokens are counted as it is read
  if (recorded.bytes === now.bytes && recorded.head === now.head && recorded.tail === now.tail) return;
  throw new Error(`Word2Vec.resume: ${from} was trained on another corpus: ${describeCorpus({ tokens, ...recorded })}; ` +
    `this one is ${describeCorpus(now)}`);
}

function describeCorpus(c: CorpusFingerprint): string {
  const facts = [
    ...(c.bytes !== undefined ? [`${count(c.bytes)} bytes`] : []),
    ...(c.tokens !== undefined ? [`${count(c.tokens)} tokens`] : []),
    ...(c.head !== undefined ? [`first MiB ${c.head}`] : []),
    ...(c.tail !== undefined && c.bytes !== undefined && c.bytes > 1 << 20 ? [`last MiB ${c.tail}`] : []),
  ];
  return facts.length ? `${c.name} (${facts.join(', ')})` : c.name;
}

const count = (n: number) => n.toLocaleString('en-US');

function show(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : String(v);
}

/**
 * The corpus as token arrays, its tokens counted on each full pass: a count that differs from
 * the checkpoint's corpus ends the resume with `mismatch`. Token arrays pass through
 * trainWord2Vec's reader unchanged, so training sees what it would have read itself.
 */
function countedCorpus(corpus: CorpusSource, o: ResolvedOptions, expected: number, mismatch: (tokens: number) => Error): AsyncIterable<string[]> {
  return {
    async *[Symbol.asyncIterator]() {
      let tokens = 0;
      for await (const s of sentences(corpus, { ...(o.tokenizer ? { tokenizer: o.tokenizer } : {}), ...(o.allowBinary ? { allowBinary: true } : {}) })) {
        tokens += s.length;
        yield s;
      }
      if (tokens !== expected) throw mismatch(tokens);
    },
  };
}

async function readFile(path: string, what: string): Promise<Uint8Array> {
  if (__BROWSER__ || typeof process === 'undefined' || !process.versions?.node) {
    throw new Error('Word2Vec: file paths work in Node only; in a browser pass the file\'s bytes');
  }
  const fs = await import('node:fs/promises');
  try {
    return new Uint8Array(await fs.readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${what} ${path} does not exist`);
    if (code === 'EISDIR') throw new Error(`${what} ${path} is a folder, not a file`);
    throw e;
  }
}
