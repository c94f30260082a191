// Training: count the vocabulary, lay the model out where the kernels read it, then run the
// epochs in batches of chunks that the threads take from a work queue (Hogwild over shared
// memory, as the C tool's -threads), with progress, cancellation and a resumable checkpoint.
import { init, type RuntimeBuffer } from '../runtime';
import { sentences, type CorpusSource } from '../io/corpus';
import type { Word2VecJob, Word2VecModelArrays } from '../kernels/types';
import { chunkSeed, scratchFloats, sigmoidTables } from '../kernels/word2vec-params';
import { WASM32_LIMIT_BYTES } from '../wasm/arena';
import { checkpointBytes } from './checkpoint';
import { chunkSentences, CorpusRecorder, encodeChunks, type Chunk } from './encode';
import { resolveOptions, type ResolvedOptions, type TrainOptions } from './options';
import { initSubwordRows, subwordTable } from './subword';
import { Vocab, type VocabScan } from './vocab';
import { yieldToEventLoop } from '../event-loop';

/** Where training stopped: enough, with the weights, to resume it exactly. */
export interface TrainingProgress {
  /** Epochs fully done. */
  epoch: number;
  /** Chunks of the current epoch done. */
  chunk: number;
  /** Corpus words of the current epoch done. */
  words: number;
  /** Σ loss of each finished epoch, and of the current one so far. */
  lossPerEpoch: number[];
  examplesPerEpoch: number[];
  /**
   * Corpus words per epoch, when not the vocabulary's totalWords: a continued run
   * (Word2Vec#train) trains on another corpus than the one its counts came from.
   */
  epochWords?: number;
}

/** A model in training: what a checkpoint holds. */
export interface ModelState {
  vocab: Vocab;
  options: ResolvedOptions;
  dim: number;
  /** Input vectors, vocab × dim; with subwords (options.maxn > 0), (vocab + bucket) × dim, the n-gram rows last. */
  syn0: Float32Array;
  /** Output vectors (negative sampling, softmax: vocab rows; hs: vocab − 1 inner nodes) × dim. */
  syn1: Float32Array;
  progress: TrainingProgress;
}

export interface TrainedWeights extends ModelState {
  /** Corpus words per second over the whole run. */
  wordsPerSecond: number;
  seconds: number;
}

/** Where a run starts from: a checkpoint's state (resume), or a trained model's (continued training). */
export type StartState = Omit<ModelState, 'options' | 'dim'>;

/** Chunks each thread takes, on average, per batch when training on several threads. */
const CHUNKS_PER_THREAD = 2;

/** Encoded corpora up to this many ids stay in memory after the first epoch instead of being re-read. */
const CACHE_IDS = 1 << 27;

/**
 * Trains from scratch; or resumes from `resume`; or, with `continueFrom`, continues a trained
 * model on this corpus: the corpus is counted (and recorded for the first epoch) as for a new
 * vocabulary, and continueFrom turns the counts into the run's start (vocabulary, weights).
 */
export async function trainWord2Vec(corpus: CorpusSource, trainOptions: TrainOptions = {},
  resume?: StartState, continueFrom?: (scan: VocabScan) => StartState): Promise<TrainedWeights> {
  const o = resolveOptions(trainOptions);
  const read = () => sentences(corpus, { ...(o.tokenizer ? { tokenizer: o.tokenizer } : {}), ...(o.allowBinary ? { allowBinary: true } : {}) });
  // The vocabulary count also records the corpus (as provisional ids), so that the first epoch
  // need not read and tokenize it again; a corpus too large to record is read again instead.
  const recorder = resume ? undefined : new CorpusRecorder(CACHE_IDS);
  const scanOptions = { maxVocabSize: o.maxVocabSize, signal: o.signal };
  const start = resume ?? (continueFrom && continueFrom(await Vocab.scan(recorder!.tee(read()), scanOptions)));
  const vocab = start?.vocab ?? await Vocab.build(recorder!.tee(read()), { minCount: o.minCount, ...scanOptions });
  const epochWords = start?.progress.epochWords ?? vocab.totalWords;
  const V = vocab.size, dim = o.dim, stride = Math.ceil(dim / 4) * 4;
  const outputRows = o.loss === 'hs' ? Math.max(V - 1, 1) : V;
  // Subwords (fastText): the n-gram buckets' rows follow the words' in the input matrix.
  const subwords = o.maxn > 0;
  const inputRows = subwords ? V + o.bucket : V;
  checkModelFits(V, inputRows, outputRows, dim, stride, o.threads * scratchFloats(stride, V, o.negative) * 4, o.runtime?.arena?.limitBytes ?? WASM32_LIMIT_BYTES);

  const runtime = o.runtime ?? await init({ threads: o.threads });
  const ownRuntime = !o.runtime;
  const threads = Math.min(o.threads, runtime.features.threads);
  // Chunks per kernel call. The threads take them from a work queue, so a batch of several
  // chunks per thread leaves one wait at its end for the slowest thread, instead of one after
  // each chunk (chunks of equal words differ in cost: subsampling, sentence lengths). One
  // thread takes one chunk at a time, as before, for the finest abort and progress.
  const batchChunks = threads === 1 ? 1 : threads * CHUNKS_PER_THREAD;
  const buffers: RuntimeBuffer<never>[] = [];
  const buffer = <D extends 'f32' | 'i32' | 'u32' | 'u8'>(dtype: D, n: number) => {
    const b = runtime.buffer(dtype, Math.max(n, 1));
    buffers.push(b as unknown as RuntimeBuffer<never>);
    return b;
  };
  try {
    const syn0 = buffer('f32', inputRows * stride), syn1 = buffer('f32', outputRows * stride);
    if (start) {
      copyRows(start.syn0, dim, syn0.data, stride);
      copyRows(start.syn1, dim, syn1.data, stride);
    } else if (subwords) {
      initSubwordRows(syn0.data, inputRows, dim, stride, o.seed);
    } else {
      initVectors(syn0.data, 0, V, dim, stride, o.seed);
    }
    const keep = buffer('u32', V);
    keep.data.set(vocab.keepThresholds(o.sample));
    const aliasProb = buffer('u32', V), alias = buffer('i32', V);
    if (o.loss === 'ns') {
      const table = vocab.negativeSamplingTable(o.nsExponent);
      for (let i = 0; i < V; i++) aliasProb.data[i] = Math.min(0xffffffff, Math.floor(table.prob[i]! * 2 ** 32));
      alias.data.set(table.alias);
    }
    const tree = o.loss === 'hs' ? vocab.huffman() : { codes: new Uint8Array(0), points: new Int32Array(0), lengths: new Uint8Array(0), maxCodeLength: 0 };
    const codes = buffer('u8', tree.codes.length), points = buffer('i32', tree.points.length), codeLen = buffer('u8', V);
    codes.data.set(tree.codes);
    points.data.set(tree.points);
    if (o.loss === 'hs') codeLen.data.set(tree.lengths);
    const tables = buffer('f32', 3000);
    tables.data.set(sigmoidTables());
    let subwordArrays: Word2VecModelArrays['subwords'];
    if (subwords) {
      const table = subwordTable(vocab.words, o);
      const offsets = buffer('i32', V + 1), rows = buffer('i32', table.rows.length);
      offsets.data.set(table.offsets);
      rows.data.set(table.rows);
      subwordArrays = { offsets, rows };
    }
    const tokenBuffers: RuntimeBuffer<'i32'>[] = [];

    const model: Word2VecModelArrays = {
      syn0, syn1, dim, stride, vocab: V, window: o.window, negative: o.negative, sharedNegatives: o.sharedNegatives, cbow: o.model === 'cbow', loss: o.loss,
      keep, subsample: o.sample > 0, aliasProb, alias, codes, points, codeLen, maxCode: tree.maxCodeLength, tables,
      alphaStart: o.alpha, alphaEnd: o.minAlpha, wordsTotal: o.epochs * epochWords,
      ...(subwordArrays ? { subwords: subwordArrays } : {}),
    };
    const progress: TrainingProgress = start
      ? structuredClone(start.progress)
      : { epoch: 0, chunk: 0, words: 0, lossPerEpoch: [], examplesPerEpoch: [] };

    const started = performance.now();
    let wordsTrained = 0, alpha = o.alpha;
    // The loss can stay finite while the vectors overflow (seen with negative sampling at
    // alpha 1e30: a finite loss, every vector NaN), so the vectors themselves are checked, at
    // the end of each epoch (a pass over them costs little next to an epoch) and before a
    // checkpoint is written.
    const checkFinite = (e: number) => {
      for (const [name, rows] of [['input', syn0], ['output', syn1]] as const) {
        const at = firstNonFinite(rows.data);
        if (at >= 0) {
          throw new Error(`word2vec: training diverged in epoch ${e + 1}: ${name} vector ${Math.floor(at / stride)} holds ` +
            `${rows.data[at]} at learning rate ${alpha}; lower option alpha`);
        }
      }
    };
    let cache: Chunk[] | undefined = [];
    let cachedIds = 0;
    for (; progress.epoch < o.epochs; progress.epoch++, progress.chunk = 0, progress.words = 0) {
      const e = progress.epoch;
      progress.lossPerEpoch[e] ??= 0;
      progress.examplesPerEpoch[e] ??= 0;
      // No signal for the reader: an abort is seen between batches, where a checkpoint is consistent.
      const recorded = recorder && !recorder.overflowed;
      const chunks = cache && e > (start?.progress.epoch ?? 0) ? cache
        : recorded ? chunkSentences(recorder.sentences(vocab)) : encodeChunks(read(), vocab);
      const fillCache = cache !== undefined && chunks !== cache;
      if (fillCache) cache = [];
      let index = 0;
      let batch: { chunk: Chunk; index: number; wordsBefore: number }[] = [];
      let wordsQueued = progress.words;
      const runBatch = async () => {
        if (o.signal?.aborted) {
          checkFinite(e);
          if (o.checkpointPath) await writeCheckpoint(o.checkpointPath, { vocab, options: o, dim, syn0: compact(syn0.data, inputRows, dim, stride), syn1: compact(syn1.data, outputRows, dim, stride), progress });
          throw o.signal.reason ?? new DOMException('word2vec training was aborted', 'AbortError');
        }
        while (tokenBuffers.length < batch.length) tokenBuffers.push(buffer('i32', 1 << 17));
        const jobs: Word2VecJob[] = batch.map((b, t) => {
          if (tokenBuffers[t]!.data.length < b.chunk.ids.length) {
            tokenBuffers[t]!.free();
            tokenBuffers[t] = buffer('i32', b.chunk.ids.length);
          }
          tokenBuffers[t]!.data.set(b.chunk.ids);
          return { tokens: tokenBuffers[t]!, length: b.chunk.ids.length, seed: chunkSeed(o.seed, e, b.index), wordsBefore: b.wordsBefore };
        });
        const results = runtime.kernels.word2vecTrain(model, jobs);
        for (const r of results) {
          progress.lossPerEpoch[e] = progress.lossPerEpoch[e]! + r.loss;
          progress.examplesPerEpoch[e] = progress.examplesPerEpoch[e]! + r.examples;
          progress.words += r.words;
          wordsTrained += r.words;
          alpha = r.alpha;
          if (!Number.isFinite(r.loss)) {
            throw new Error(`word2vec: training diverged in epoch ${e + 1} (loss ${r.loss}) at learning rate ${r.alpha}; lower option alpha`);
          }
        }
        progress.chunk += batch.length;
        batch = [];
        const seconds = (performance.now() - started) / 1000;
        o.onProgress?.({
          epoch: e + 1, epochs: o.epochs, fraction: (e * epochWords + progress.words) / (o.epochs * epochWords),
          wordsPerSecond: wordsTrained / Math.max(seconds, 1e-9), alpha, loss: progress.lossPerEpoch[e]!, examples: progress.examplesPerEpoch[e]!,
        });
        await yieldToEventLoop();
      };
      for await (const chunk of chunks) {
        if (fillCache && cache) {
          cachedIds += chunk.ids.length;
          if (cachedIds <= CACHE_IDS) cache.push(chunk);
          else cache = undefined;
        }
        if (index++ < progress.chunk) continue; // resuming: chunks done before the checkpoint
        batch.push({ chunk, index: index - 1, wordsBefore: e * epochWords + wordsQueued });
        wordsQueued += chunk.words;
        if (batch.length === batchChunks) await runBatch();
      }
      if (batch.length) await runBatch();
      checkFinite(e);
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      vocab, options: o, dim,
      syn0: compact(syn0.data, inputRows, dim, stride), syn1: compact(syn1.data, outputRows, dim, stride),
      progress, wordsPerSecond: wordsTrained / seconds, seconds,
    };
  } finally {
    for (const b of buffers) b.free();
    if (ownRuntime) runtime.dispose();
  }
}

/**
 * Refuses, before any of it is allocated, a model whose vectors (syn0 and syn1, rows padded to 4
 * floats) and the training jobs' scratch (a few rows of the vectors' width each, per thread)
 * would not fit in the runtime's memory limit: 4 GiB at most, as wasm32 addresses no more. The
 * vocabulary is known by then; nothing else of the model is.
 */
function checkModelFits(V: number, inputRows: number, outputRows: number, dim: number, stride: number, scratchBytes: number, limitBytes: number): void {
  const vectors = (inputRows + outputRows) * stride * 4;
  if (vectors + scratchBytes > limitBytes) {
    const buckets = inputRows > V ? ` and ${inputRows - V} subword buckets` : '';
    throw new Error(`word2vec: ${V} words${buckets} × dim ${dim} need ${vectors} bytes for the input and output vectors (syn0, syn1) ` +
      `and ${scratchBytes} for the training jobs' scratch, over the memory limit of ${limitBytes} bytes` +
      `${limitBytes === WASM32_LIMIT_BYTES ? ' (wasm32 addresses 4 GiB)' : ''}; ` +
      `lower option dim${buckets ? ' or bucket' : ''}, or raise minCount or set maxVocabSize for a smaller vocabulary`);
  }
}

/** The index of the first NaN or ±Infinity, or −1 (a plain loop: findIndex's callback is slow on 2·10^8 floats). */
function firstNonFinite(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    if (x - x !== 0) return i;
  }
  return -1;
}

/**
 * The C tool's start (and gensim 3's): input vectors uniform in [−0.5/dim, 0.5/dim), output
 * vectors 0. Rows `from` to `to`: element k of the matrix is the k-th draw of one stream from the
 * seed, so rows added later get what a fresh start would have given them, as gensim 4's
 * prep_vectors gives rows added by build_vocab(update=True).
 */
export function initVectors(syn0: Float32Array, from: number, to: number, dim: number, stride: number, seed: number): void {
  let s = (seed + Math.imul(from * dim, 0x6d2b79f5)) >>> 0;
  for (let w = from; w < to; w++) {
    for (let d = 0; d < dim; d++) {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      syn0[w * stride + d] = (((t ^ (t >>> 14)) >>> 0) / 2 ** 32 - 0.5) / dim;
    }
  }
}

function compact(rows: Float32Array, n: number, dim: number, stride: number): Float32Array {
  if (stride === dim) return rows.slice(0, n * dim);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) out.set(rows.subarray(i * stride, i * stride + dim), i * dim);
  return out;
}

function copyRows(from: Float32Array, dim: number, to: Float32Array, stride: number): void {
  for (let i = 0; i * dim < from.length; i++) to.set(from.subarray(i * dim, (i + 1) * dim), i * stride);
}

async function writeCheckpoint(path: string, state: ModelState): Promise<void> {
  const { writeFileAtomic } = await import('../io/atomic-write');
  await writeFileAtomic(path, checkpointBytes(state));
}
