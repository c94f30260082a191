// The messages between the page (main.ts) and the training worker (worker.ts).
import type { Neighbour, ProgressEvent, RuntimeFeatures } from 'wasm-nlp';

export type Corpus =
  | { kind: 'text'; text: string }
  /** The gzipped sample corpus at `url`, its first lines up to `maxTokens` (Infinity: all). */
  | { kind: 'sample'; url: string; maxTokens: number };

export interface TrainSettings {
  dim: number;
  epochs: number;
  window: number;
  minCount: number;
  threads: number;
  /** Which kernels: the best build ('auto'), plain SIMD ('baseline', what Node runs by default) or the JS twins ('js'). */
  kernels: 'auto' | 'baseline' | 'js';
  seed: number;
}

export type ToWorker =
  | { type: 'train'; corpus: Corpus; settings: TrainSettings; plotWords: number }
  | { type: 'stop' }
  | { type: 'neighbours'; id: number; word: string; topN: number }
  | { type: 'analogy'; id: number; a: string; b: string; c: string; topN: number };

export type FromWorker =
  /** Sent once at start: what a runtime with every core gets here. */
  | { type: 'features'; features: RuntimeFeatures; cores: number }
  | { type: 'progress'; progress: ProgressEvent }
  | {
    type: 'trained'; features: RuntimeFeatures; vocabSize: number;
    /** Corpus tokens of the words kept (count ≥ minCount). */
    tokens: number; seconds: number; wordsPerSecond: number;
    /** The plotWords most frequent words and their vectors (rows of dim), transferred. */
    words: string[]; vectors: Float32Array; dim: number;
  }
  | { type: 'failed'; message: string }
  | { type: 'answer'; id: number; neighbours?: Neighbour[]; error?: string };
