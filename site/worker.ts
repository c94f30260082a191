// The training worker: word2vec runs here so the page stays responsive. It trains with
// Word2Vec.train on pasted text or the sample corpus, posts progress, then answers neighbour
// and analogy queries on the model it keeps. Its pool threads (nested workers) need the same
// cross-origin isolation as the page.
import { init, Word2Vec, type CorpusSource, type Runtime } from 'wasm-nlp';
import type { Corpus, FromWorker, ToWorker } from './protocol';
import { sampleLines } from './sample';

const post = (message: FromWorker, transfer: Transferable[] = []) => self.postMessage(message, { transfer });

/** Progress messages at most this often: one per batch would flood the page on a small corpus. */
const PROGRESS_MS = 100;

let model: Word2Vec | undefined;
let runtime: Runtime | undefined;
let abort: AbortController | undefined;

self.onmessage = async (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if (msg.type === 'stop') abort?.abort(new Error('training stopped'));
  else if (msg.type === 'train') await train(msg);
  else answer(msg);
};

async function train({ corpus, settings, plotWords }: Extract<ToWorker, { type: 'train' }>): Promise<void> {
  abort?.abort(new Error('training restarted'));
  const controller = (abort = new AbortController());
  model?.dispose();
  runtime?.dispose();
  model = undefined;
  try {
    runtime = await init({ threads: settings.threads, ...(settings.kernels === 'js' ? { backend: 'js' } : { simd: settings.kernels }) });
    const started = performance.now();
    let lastPost = 0;
    const trained = await Word2Vec.train(await source(corpus), {
      dim: settings.dim, epochs: settings.epochs, window: settings.window, minCount: settings.minCount,
      threads: runtime.features.threads, seed: settings.seed, runtime, signal: controller.signal,
      onProgress: (progress) => {
        const now = performance.now();
        if (now - lastPost < PROGRESS_MS && progress.fraction < 1) return;
        lastPost = now;
        post({ type: 'progress', progress });
      },
    });
    model = trained;
    const words = trained.vocab.slice(0, plotWords);
    const vectors = trained.vectors.slice(0, words.length * trained.dim);
    post({
      type: 'trained', features: runtime.features, vocabSize: trained.vocab.length, tokens: (trained.counts ?? []).reduce((a, c) => a + c, 0),
      seconds: (performance.now() - started) / 1000, wordsPerSecond: trained.wordsPerSecond ?? 0,
      words, vectors, dim: trained.dim,
    }, [vectors.buffer]);
  } catch (error) {
    post({ type: 'failed', message: (error as Error).message ?? String(error) });
  }
}

async function source(corpus: Corpus): Promise<CorpusSource> {
  if (corpus.kind === 'text') return corpus.text;
  const response = await fetch(corpus.url);
  if (!response.ok || !response.body) throw new Error(`the sample corpus ${corpus.url} answered ${response.status} ${response.statusText}`);
  return sampleLines(response.body, corpus.maxTokens);
}

function answer(msg: Extract<ToWorker, { type: 'neighbours' | 'analogy' }>): void {
  try {
    if (!model) throw new Error('train a model first');
    const neighbours = msg.type === 'neighbours'
      ? model.mostSimilar(msg.word, msg.topN)
      : model.analogy(msg.a, msg.b, msg.c, { topN: msg.topN });
    post({ type: 'answer', id: msg.id, neighbours });
  } catch (error) {
    post({ type: 'answer', id: msg.id, error: (error as Error).message });
  }
}

// What this page can run: a runtime asking for every core shows whether threads are possible.
const cores = navigator.hardwareConcurrency || 1;
init({ threads: cores, warmUp: false }).then((rt) => {
  post({ type: 'features', features: rt.features, cores });
  rt.dispose();
}, (error) => post({ type: 'failed', message: (error as Error).message }));
