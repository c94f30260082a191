// The word2vec model people use: train it, query it (WordVectors), save and load it in the
// formats the C tool and gensim read, and checkpoint it to resume training.
import { init, type Runtime } from '../runtime';
import type { CorpusSource } from '../io/corpus';
import { detectWord2VecFormat, formatWord2Vec, parseWord2Vec } from '../io/word2vec-format';
import type { Kernels } from '../kernels/types';
import { checkpointBytes, isCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint';
import type { ProgressEvent, ResolvedOptions, TrainOptions } from './options';
import { trainWord2Vec, type TrainedWeights, type TrainingProgress } from './train';
import { WordVectors } from './vectors';
import type { Vocab } from './vocab';

declare const __BROWSER__: boolean;

export type SaveFormat = 'text' | 'binary' | 'checkpoint';

export interface LoadOptions {
  /** Runtime whose kernels answer queries (default: a new one). */
  runtime?: Runtime;
}

export interface ResumeOptions {
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
  checkpointPath?: string;
  runtime?: Runtime;
  tokenizer?: (line: string) => string[];
}

/** What training left besides the input vectors: enough to resume or checkpoint. */
interface TrainingState {
  vocab: Vocab;
  options: ResolvedOptions;
  syn1: Float32Array;
  progress: TrainingProgress;
}

export class Word2Vec extends WordVectors {
  /** Σ loss per epoch (f64), empty for a model loaded from vectors. */
  readonly lossPerEpoch: readonly number[];
  /** Corpus words per second of the training run, if this model was trained here. */
  readonly wordsPerSecond: number | undefined;
  private readonly state: TrainingState | undefined;

  private constructor(words: readonly string[], vectors: Float32Array, dim: number, kernels: Kernels,
    counts: readonly number[] | undefined, state?: TrainingState, wordsPerSecond?: number) {
    super(words, vectors, dim, { kernels, ...(counts ? { counts } : {}) });
    this.state = state;
    this.lossPerEpoch = state ? [...state.progress.lossPerEpoch] : [];
    this.wordsPerSecond = wordsPerSecond;
  }

  /** Trains on `corpus` (a string, lines or token arrays, a file { path }, a Blob or a stream). */
  static async train(corpus: CorpusSource, options: TrainOptions = {}): Promise<Word2Vec> {
    return Word2Vec.fromWeights(await trainWord2Vec(corpus, options), options.runtime);
  }

  /**
   * Continues an interrupted run from its checkpoint (a path, bytes, or a model from `load`)
   * on the same corpus. On one thread the result is the vectors of an uninterrupted run.
   */
  static async resume(corpus: CorpusSource, checkpoint: string | Uint8Array | Word2Vec, options: ResumeOptions = {}): Promise<Word2Vec> {
    let ck: Checkpoint;
    if (checkpoint instanceof Word2Vec) {
      if (!checkpoint.state) throw new Error('Word2Vec.resume: this model has no training state (it was loaded from vectors)');
      ck = { ...checkpoint.state, dim: checkpoint.dim, syn0: checkpoint.vectors };
    } else {
      ck = parseCheckpoint(typeof checkpoint === 'string' ? await readFile(checkpoint) : checkpoint);
    }
    const trainOptions: TrainOptions = { ...ck.options, ...options };
    const weights = await trainWord2Vec(corpus, trainOptions, { vocab: ck.vocab, syn0: ck.syn0, syn1: ck.syn1, progress: ck.progress });
    return Word2Vec.fromWeights(weights, options.runtime);
  }

  /** Loads word2vec text or binary vectors, a fastText .vec, or a checkpoint (detected from the bytes). */
  static async load(pathOrBytes: string | Uint8Array, options: LoadOptions = {}): Promise<Word2Vec> {
    const bytes = typeof pathOrBytes === 'string' ? await readFile(pathOrBytes) : pathOrBytes;
    if (!(bytes instanceof Uint8Array)) throw new Error('Word2Vec.load: give a file path (Node) or the file\'s bytes as a Uint8Array');
    const kernels = (options.runtime ?? await init()).kernels;
    if (isCheckpoint(bytes)) {
      const ck = parseCheckpoint(bytes);
      return new Word2Vec(ck.vocab.words, ck.syn0, ck.dim, kernels, Array.from(ck.vocab.counts),
        { vocab: ck.vocab, options: ck.options, syn1: ck.syn1, progress: ck.progress });
    }
    const data = parseWord2Vec(bytes, { format: detectWord2VecFormat(bytes) });
    return new Word2Vec(data.words, data.vectors, data.dim, kernels, undefined);
  }

  private static async fromWeights(w: TrainedWeights, runtime?: Runtime): Promise<Word2Vec> {
    const kernels = (runtime ?? await init()).kernels;
    return new Word2Vec(w.vocab.words, w.syn0, w.dim, kernels, Array.from(w.vocab.counts),
      { vocab: w.vocab, options: w.options, syn1: w.syn1, progress: w.progress }, w.wordsPerSecond);
  }

  /** The model as a file's bytes: word2vec text or binary (C tool, gensim), or a training checkpoint. */
  toBytes(format: SaveFormat = 'binary'): Uint8Array {
    if (format === 'checkpoint') {
      if (!this.state) throw new Error('Word2Vec.toBytes: a checkpoint needs the training state; this model was loaded from vectors');
      return checkpointBytes({ ...this.state, dim: this.dim, syn0: this.vectors });
    }
    if (format !== 'text' && format !== 'binary') throw new Error(`Word2Vec.toBytes: format must be 'text', 'binary' or 'checkpoint', got ${String(format)}`);
    return formatWord2Vec({ words: this.vocab, dim: this.dim, vectors: this.vectors }, format);
  }

  /** Writes the model to `path` atomically (a temporary file, then a rename). Node only. */
  async save(path: string, options: { format?: SaveFormat } = {}): Promise<void> {
    const bytes = this.toBytes(options.format ?? 'binary');
    const { writeFileAtomic } = await import('../io/atomic-write');
    await writeFileAtomic(path, bytes);
  }
}

async function readFile(path: string): Promise<Uint8Array> {
  if (__BROWSER__ || typeof process === 'undefined' || !process.versions?.node) {
    throw new Error('Word2Vec: file paths work in Node only; in a browser pass the file\'s bytes');
  }
  const fs = await import('node:fs/promises');
  return new Uint8Array(await fs.readFile(path));
}
