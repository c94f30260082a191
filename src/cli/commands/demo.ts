// wasm-nlp demo, the main job (`npm start`): word2vec trained on the sample corpus shipped in
// the repo, its nearest neighbours and analogy accuracy, the vectors saved; then the three tiny
// transformer models shipped in data/models/, a number translator, a book classifier and a
// storyteller (a Llama trained on Moby Dick), checked against the results recorded when they
// were trained. Each part says how
// long it took. A part whose files are missing says so in one line and the demo goes on.
// The npm package holds only a small cut of the corpus (data/corpus-sample.txt.gz, under 1 MB):
// `npx wasm-nlp demo` after `npm install wasm-nlp` trains on that, and says how to run the rest.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Word2Vec } from '../../word2vec/word2vec';
import { evaluateAnalogies } from '../../word2vec/evaluate';
import type { Runtime } from '../../runtime';
import type { Command } from '../command';
import { corpusFile, readTextFile } from '../input-files';
import { println, type CliIO } from '../io';
import { packageRoot } from '../package-root';
import { formatCount, formatDuration } from '../progress';
import { ENGINE_OPTIONS, runtimeFrom, THREADS_OPTION } from '../runtime-options';
import { percent } from './eval';
import { trainingProgress } from './train';
import { demoClassifier, demoStoryteller, demoTranslator } from './demo-models';

/** Words whose neighbours show what the sample corpus taught (whaling, royalty, the sea, family, war). */
const NEIGHBOUR_WORDS = ['whale', 'king', 'ship', 'sister', 'war', 'money'];
/** Analogies this corpus answers: a relation in each of family, grammar (pronouns, tenses, comparatives). */
const ANALOGIES: [string, string, string][] = [['man', 'king', 'woman'], ['brother', 'sister', 'father'], ['he', 'his', 'she'], ['go', 'went', 'come'], ['good', 'better', 'bad']];

export const demoCommand: Command = {
  spec: {
    name: 'demo',
    summary: 'The main job (npm start): word2vec on the sample corpus, then the three tiny transformer models.',
    positionals: [],
    options: [
      { name: 'data', type: 'string', value: 'DIR', help: "the folder with corpus-pd4m.txt.gz, questions-words.txt and models/ (default: the repo's data/)" },
      { name: 'corpus', type: 'string', value: 'FILE', help: 'train on this corpus instead (plain or .gz)' },
      { name: 'out', type: 'string', value: 'DIR', default: 'out', help: 'where to save the vectors (vectors.bin)' },
      { name: 'epochs', type: 'int', min: 1, default: 5, help: 'word2vec epochs (gensim\u2019s default; about 25 s on 2 cores)' },
      { name: 'dim', type: 'int', min: 1, default: 100, help: 'word2vec vector size' },
      { name: 'min-count', type: 'int', min: 1, default: 5, help: 'drop words rarer than this' },
      { ...THREADS_OPTION, default: 2, help: 'word2vec threads' },
      ...ENGINE_OPTIONS,
    ],
    examples: ['demo', 'demo --epochs 5 --threads 2'],
  },
  async run(args, io) {
    const o = args.options;
    const root = packageRoot();
    const data = (o.data as string | undefined) ?? (root ? join(root, 'data') : 'data');
    const started = performance.now();
    const runtime = await runtimeFrom(o);
    try {
      println(io, `wasm-nlp demo: kernels ${runtime.features.build ?? 'js'}, ${runtime.features.threads} thread(s)` +
        (runtime.features.notes.length ? ` (${runtime.features.notes.join('; ')})` : ''));
      await part(io, 'word2vec', () => demoWord2Vec(io, runtime, data, o, o.data === undefined ? root : undefined));
      await part(io, 'translator', () => demoTranslator(io, runtime, join(data, 'models', 'number-translator')));
      await part(io, 'classifier', () => demoClassifier(io, runtime, join(data, 'models', 'book-classifier')));
      await part(io, 'storyteller', () => demoStoryteller(io, runtime, join(data, 'models', 'tiny-storyteller')));
    } finally {
      runtime.dispose();
    }
    println(io, `\ndemo done in ${formatDuration((performance.now() - started) / 1000)}`);
  },
};

/** Runs one part under a heading and ends it with its time. */
async function part(io: CliIO, title: string, job: () => Promise<void>): Promise<void> {
  println(io, `\n== ${title} ==`);
  const t0 = performance.now();
  await job();
  println(io, `(${title}: ${formatDuration((performance.now() - t0) / 1000)})`);
}

/** The cut of the corpus the npm package ships (tools/make-demo-sample.mjs): every 8th line. */
export const SAMPLE_CORPUS = 'corpus-sample.txt.gz';

/**
 * `root`: the package's folder when the data folder is its own (no --data), where the shipped
 * sample stands in for a corpus the package does not hold.
 */
async function demoWord2Vec(io: CliIO, runtime: Runtime, data: string, o: Record<string, unknown>, root: string | undefined): Promise<void> {
  let corpusPath = (o.corpus as string | undefined) ?? join(data, 'corpus-pd4m.txt.gz');
  const sample = root !== undefined ? join(root, 'data', SAMPLE_CORPUS) : undefined;
  if (o.corpus === undefined && !existsSync(corpusPath) && sample !== undefined && existsSync(sample)) {
    println(io, `The full corpus (4.3M tokens, data/corpus-pd4m.txt.gz), the analogy questions and the three tiny transformers ` +
      `are not in the npm package: training on the cut shipped with it, ${SAMPLE_CORPUS} (534,000 tokens). ` +
      'For the full demo, from a clone of the repository: npm install && npm start');
    corpusPath = sample;
  }
  if (!existsSync(corpusPath)) return println(io, `no corpus at ${corpusPath}: skipping word2vec`);
  const options = { dim: o.dim as number, window: 5, negative: 5, minCount: o['min-count'] as number, sample: 1e-3, epochs: o.epochs as number, threads: runtime.features.threads, seed: 1 };
  println(io, `training skip-gram on ${corpusPath}: dim ${options.dim}, window 5, negative 5, min count ${options.minCount}, ${options.epochs} epoch(s), ${options.threads} thread(s)`);
  const progress = trainingProgress(io);
  const t0 = performance.now();
  let model: Word2Vec;
  try {
    model = await Word2Vec.train(await corpusFile(corpusPath), { ...options, runtime, onProgress: progress.onProgress, ...(io.signal ? { signal: io.signal } : {}) });
  } finally {
    progress.done();
  }
  const words = (model.counts ?? []).reduce((a, c) => a + c, 0);
  println(io, `vocabulary ${model.size.toLocaleString('en-US')} words (${formatCount(words)} tokens kept by min count); ` +
    `trained in ${formatDuration((performance.now() - t0) / 1000)} at ${formatCount(model.wordsPerSecond ?? 0)} words/s`);

  println(io, '\nnearest neighbours:');
  for (const w of NEIGHBOUR_WORDS.filter((x) => model.has(x))) {
    println(io, `  ${w.padEnd(8)} ${model.mostSimilar(w, 6).map((n) => `${n.word} ${n.similarity.toFixed(2)}`).join(', ')}`);
  }
  println(io, '\nanalogies (a : b :: c : ?):');
  for (const [a, b, c] of ANALOGIES.filter((q) => q.every((x) => model.has(x)))) {
    println(io, `  ${a} : ${b} :: ${c} : ${model.analogy(a, b, c, { topN: 3 }).map((n) => n.word).join(' / ')}`);
  }

  const questionsPath = join(data, 'questions-words.txt');
  if (existsSync(questionsPath)) {
    const r = evaluateAnalogies(model, await readTextFile(questionsPath, 'analogies file'), { restrictVocab: Math.min(30000, model.size), text: true });
    println(io, `\nanalogy accuracy (questions-words.txt, top 30,000 words): ${percent(r)}; ` +
      `semantic ${percent(r.semantic)}, syntactic ${percent(r.syntactic)}; ${(r.oovRatio * 100).toFixed(0)}% of questions skipped (words not in the vocabulary)`);
  } else {
    println(io, `\nno ${questionsPath}: skipping the analogy accuracy`);
  }

  await mkdir(o.out as string, { recursive: true });
  const out = join(o.out as string, 'vectors.bin');
  await model.save(out, { format: 'binary' });
  println(io, `saved ${out} (word2vec binary; try: wasm-nlp similar ${out} whale)`);
}
