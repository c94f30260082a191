// The demo page: wires the controls to the training worker (word2vec), the PCA plot and the
// three transformer models, which run on this thread (they are tiny).
import { init, type Neighbour, type ProgressEvent, type Runtime, type RuntimeFeatures, type TextGenerationModel } from 'wasm-nlp';
import { classifier, CLASSIFIER_URL, storyteller, STORYTELLER_URL, translator, TRANSLATOR_URL } from './models';
import { pca2 } from './pca';
import { drawScatter } from './plot';
import type { Corpus, FromWorker, ToWorker, TrainSettings } from './protocol';

const PLOT_WORDS = 200;
const TOP_N = 8;
const TOP_LABELS = 5;
const SAMPLE_URL = new URL('corpus-pd4m.txt.gz', document.baseURI).href;

const $ = <T extends HTMLElement = HTMLInputElement>(id: string) => document.getElementById(id) as T;

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (message: ToWorker) => worker.postMessage(message);

let firstProgress: { time: number; fraction: number } | undefined;
const pending = new Map<number, (answer: Extract<FromWorker, { type: 'answer' }>) => void>();
let nextId = 0;

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const msg = e.data;
  if (msg.type === 'features') showThreads(msg.features, msg.cores);
  else if (msg.type === 'progress') showProgress(msg.progress);
  else if (msg.type === 'trained') showTrained(msg);
  else if (msg.type === 'failed') finish(`Failed: ${msg.message}`, true);
  else answered(msg);
};
worker.onerror = (e) => finish(`The worker failed: ${e.message}`, true);

// ---- threads -------------------------------------------------------------------------------

function showThreads(features: RuntimeFeatures, cores: number): void {
  const line = $('threads');
  if (features.threads > 1) {
    line.textContent = `Threads: on. The page is cross-origin isolated; word2vec can use ${features.threads} threads (${cores} cores, ${features.build} kernels).`;
    line.className = 'status ok';
  } else {
    const note = features.notes.find((n) => n.startsWith('threads:'))?.replace(/^threads: (.*); running on 1 thread$/, '$1');
    const why = !crossOriginIsolated
      ? `the page is not cross-origin isolated: its server does not send the COOP/COEP headers${note ? ` (${note})` : ''}`
      : note ?? (cores === 1 ? 'this machine has one core' : 'unknown');
    line.textContent = `Threads: off, training runs on 1 thread. Why: ${why}. See docs/threads.md.`;
    line.className = 'status warn';
  }
  const threads = $('thread-count');
  threads.max = String(features.threads);
  threads.value = String(features.threads);
}

// ---- training ------------------------------------------------------------------------------

/** The integer in a number input, within its min and max, or an Error naming the option by its label. */
function int(id: string): number {
  const input = $(id);
  const v = Number(input.value);
  if (input.value.trim() === '' || !Number.isInteger(v) || v < Number(input.min) || (input.max && v > Number(input.max))) {
    throw new Error(`option ${input.labels?.[0]?.textContent?.trim() ?? id} must be an integer from ${input.min} to ${input.max || '∞'}, got "${input.value}"`);
  }
  return v;
}

function settings(): TrainSettings {
  return {
    dim: int('dim'), epochs: int('epochs'), window: int('window'), minCount: int('min-count'),
    threads: int('thread-count'), seed: int('seed'), kernels: $<HTMLSelectElement>('kernels').value as TrainSettings['kernels'],
  };
}

function train(corpus: () => Corpus): void {
  try {
    send({ type: 'train', corpus: corpus(), settings: settings(), plotWords: PLOT_WORDS });
  } catch (error) {
    finish((error as Error).message, true);
    return;
  }
  firstProgress = undefined;
  $('bar').style.width = '0';
  $('progress-text').textContent = 'Counting the vocabulary…';
  $('progress-text').className = 'status';
  setBusy(true);
}

$('train-text').onclick = () => train(() => {
  const text = $<HTMLTextAreaElement>('text').value;
  if (!text.trim()) throw new Error('Paste some text first, or use the sample corpus.');
  return { kind: 'text', text };
});
$('train-sample').onclick = () => train(() => ({ kind: 'sample', url: SAMPLE_URL, maxTokens: Number($<HTMLSelectElement>('sample-size').value) }));
$('stop').onclick = () => send({ type: 'stop' });

function setBusy(busy: boolean): void {
  $('train-text').toggleAttribute('disabled', busy);
  $('train-sample').toggleAttribute('disabled', busy);
  $('stop').toggleAttribute('disabled', !busy);
}

function showProgress(p: ProgressEvent): void {
  // The rate since the first progress event: the vocabulary count before it is not training.
  const now = performance.now();
  firstProgress ??= { time: now, fraction: p.fraction };
  const rate = (p.fraction - firstProgress.fraction) / (now - firstProgress.time);
  const eta = rate > 0 ? (1 - p.fraction) / rate / 1000 : NaN;
  $('bar').style.width = `${(100 * p.fraction).toFixed(1)}%`;
  $('progress-text').textContent = `Epoch ${p.epoch}/${p.epochs} · ${Math.round(p.wordsPerSecond).toLocaleString('en')} words/s · ` +
    `${(100 * p.fraction).toFixed(0)}% · ETA ${Number.isFinite(eta) ? eta.toFixed(1) : '?'} s`;
}

function showTrained(msg: Extract<FromWorker, { type: 'trained' }>): void {
  finish(`Trained on ${msg.tokens.toLocaleString('en')} tokens, vocabulary ${msg.vocabSize.toLocaleString('en')} words, ` +
    `in ${msg.seconds.toFixed(1)} s: ${Math.round(msg.wordsPerSecond).toLocaleString('en')} words/s on ${msg.features.threads} ` +
    `thread${msg.features.threads > 1 ? 's' : ''} (${msg.features.build ?? 'JS'} kernels).`, false);
  $('bar').style.width = '100%';
  $('plot-hint').hidden = true;
  $('plot').hidden = false;
  drawScatter($<HTMLCanvasElement>('plot'), msg.words, pca2(msg.vectors, msg.words.length, msg.dim));
  void neighbours().then((answer) => {
    // Pasted text may not hold the default word: ask again with a frequent word of four letters or more.
    if (!answer.error) return;
    $('query').value = msg.words.find((w) => w.length > 3) ?? msg.words[0]!;
    return neighbours();
  });
  void analogy();
}

function finish(text: string, failed: boolean): void {
  $('progress-text').textContent = text;
  $('progress-text').className = failed ? 'status error' : 'status ok';
  setBusy(false);
}

// ---- queries -------------------------------------------------------------------------------

function ask(message: ToWorker & { id: number }): Promise<Extract<FromWorker, { type: 'answer' }>> {
  return new Promise((resolve) => {
    pending.set(message.id, resolve);
    send(message);
  });
}

function answered(answer: Extract<FromWorker, { type: 'answer' }>): void {
  pending.get(answer.id)?.(answer);
  pending.delete(answer.id);
}

function showNeighbours(list: HTMLElement, answer: { neighbours?: Neighbour[]; error?: string }): void {
  list.replaceChildren(...(answer.neighbours ?? []).map(({ word, similarity }) => {
    const item = document.createElement('li');
    item.innerHTML = '<span class="word"></span><span class="meter"><span></span></span><span class="score"></span>';
    item.querySelector('.word')!.textContent = word;
    (item.querySelector('.meter span') as HTMLElement).style.width = `${Math.max(0, similarity) * 100}%`;
    item.querySelector('.score')!.textContent = similarity.toFixed(3);
    return item;
  }));
  if (answer.error) {
    const item = document.createElement('li');
    item.className = 'error';
    item.textContent = answer.error;
    list.append(item);
  }
}

async function neighbours(): Promise<Extract<FromWorker, { type: 'answer' }>> {
  const answer = await ask({ type: 'neighbours', id: nextId++, word: $('query').value.trim(), topN: TOP_N });
  showNeighbours($('neighbours'), answer);
  return answer;
}

async function analogy(): Promise<void> {
  const [a, b, c] = ['analogy-a', 'analogy-b', 'analogy-c'].map((id) => $(id).value.trim()) as [string, string, string];
  showNeighbours($('analogy'), await ask({ type: 'analogy', id: nextId++, a, b, c, topN: TOP_N }));
}

$('neighbours-form').onsubmit = (e) => (e.preventDefault(), void neighbours());
$('analogy-form').onsubmit = (e) => (e.preventDefault(), void analogy());

// ---- transformers --------------------------------------------------------------------------

let modelRuntime: Promise<Runtime> | undefined;
const runtime = () => (modelRuntime ??= init({ threads: 1 }));

$('translator-model').textContent = new URL(TRANSLATOR_URL).pathname;
$('classifier-model').textContent = new URL(CLASSIFIER_URL).pathname;

$('translate-form').onsubmit = async (e) => {
  e.preventDefault();
  const out = $<HTMLOutputElement>('translation');
  out.className = '';
  out.textContent = 'Loading the model…';
  try {
    const model = await translator(await runtime());
    const t0 = performance.now();
    const [text] = model.translate($('translate-input').value);
    out.textContent = text!;
    out.title = `${(performance.now() - t0).toFixed(1)} ms`;
  } catch (error) {
    out.className = 'error';
    out.textContent = (error as Error).message;
  }
};

$('classify-form').onsubmit = async (e) => {
  e.preventDefault();
  const list = $('classification');
  try {
    const model = await classifier(await runtime());
    const [result] = model.classify($<HTMLTextAreaElement>('classify-input').value, { truncation: 'truncate' });
    const ranked = Object.entries(result!.probabilities).sort((x, y) => y[1] - x[1]).slice(0, TOP_LABELS);
    showNeighbours(list, { neighbours: ranked.map(([word, similarity]) => ({ word, similarity })) });
  } catch (error) {
    showNeighbours(list, { error: (error as Error).message });
  }
};

// ---- text generation -----------------------------------------------------------------------
// The storyteller streams its continuation: stream() yields a piece of text per token, and between
// tokens gives the event loop a turn, so each piece is painted as it comes and Stop can abort.

$('storyteller-model').textContent = new URL(STORYTELLER_URL).pathname;

let warmed: Promise<TextGenerationModel> | undefined;

/** The model, loaded and run once on a one-token continuation the first time the panel is touched,
 * so that the first Generate does not wait for the download and the first pass through the kernels. */
function warmStoryteller(): Promise<TextGenerationModel> {
  if (!warmed) {
    warmed = runtime().then(storyteller).then((model) => {
      model.generate('the', { maxNewTokens: 1, doSample: false });
      return model;
    });
    // A failed load (a missing folder) is retried on the next use, not cached.
    warmed.catch(() => (warmed = undefined));
  }
  return warmed;
}

for (const event of ['focusin', 'pointerenter']) {
  $('generate-section').addEventListener(event, () => void warmStoryteller().catch(() => {}), { once: true });
}

let generation: AbortController | undefined;

function setGenerating(busy: boolean): void {
  $('generate').toggleAttribute('disabled', busy);
  $('sample-again').toggleAttribute('disabled', busy);
  $('generate-stop').toggleAttribute('disabled', !busy);
}

function showTemperature(): void {
  $<HTMLOutputElement>('temperature-value').textContent = Number($('temperature').value).toFixed(2);
}
$('temperature').oninput = showTemperature;
showTemperature();

async function generateStory(): Promise<void> {
  const status = $('generate-status');
  const out = $('story-text');
  const say = (text: string, kind: '' | 'ok' | 'error') => {
    status.textContent = text;
    status.className = kind ? `status ${kind}` : 'status';
  };
  const prompt = $('generate-prompt').value;
  let seed: number, maxNewTokens: number;
  try {
    seed = int('generate-seed');
    maxNewTokens = int('new-tokens');
  } catch (error) {
    say((error as Error).message, 'error');
    return;
  }
  // 0 is greedy search: the most likely token every time, the same text for every seed.
  const temperature = Number($('temperature').value);
  const task = new AbortController();
  generation = task;
  setGenerating(true);
  $('story-prompt').textContent = prompt;
  out.textContent = '';
  say('Loading the model…', '');
  try {
    const model = await warmStoryteller();
    const P = model.encode(prompt, 'generate').length;
    if (P === 0) throw new Error('Type a prompt: a few words (the model knows the letters a to z and nothing else).');
    say('Generating…', '');
    let tokens = 0;
    const t0 = performance.now();
    const options = { seed, temperature, maxNewTokens, truncation: 'truncate' as const, signal: task.signal, onToken: () => tokens++ };
    for await (const piece of model.stream(prompt, options)) out.textContent += piece;
    const seconds = (performance.now() - t0) / 1000;
    const cut = P + maxNewTokens > model.config.maxPositions ? `; the prompt cut to its last ${model.config.maxPositions - maxNewTokens} tokens` : '';
    say(`${tokens} tokens in ${seconds.toFixed(2)} s (${Math.round(tokens / seconds)} tokens/s), ` +
      `${temperature === 0 ? 'greedy' : `seed ${seed}, temperature ${temperature.toFixed(2)}`}${cut}.`, 'ok');
  } catch (error) {
    if (task.signal.aborted) say('Stopped.', '');
    else say((error as Error).message, 'error');
  } finally {
    if (generation === task) {
      generation = undefined;
      setGenerating(false);
    }
  }
}

$('generate-form').onsubmit = (e) => (e.preventDefault(), void generateStory());
$('sample-again').onclick = () => {
  const seed = $('generate-seed');
  seed.value = String((Number(seed.value) || 0) + 1);
  void generateStory();
};
$('generate-stop').onclick = () => generation?.abort();
