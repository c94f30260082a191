// One wasm-nlp subword (fastText) training run in its own process, for bench/word2vec-subword.mjs:
// trains on the corpus, then scores the vectors (analogies, WordSim-353) and prints one JSON line.
//
//   node bench/word2vec/subword-ours.mjs CORPUS --settings JSON [--questions FILE] [--wordsim FILE]
//        [--backend wasm|js] [--dist PATH]
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const argv = process.argv.slice(2);
const value = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const corpus = argv[0];
const settings = JSON.parse(value('--settings') ?? '{}');
const here = path.dirname(fileURLToPath(import.meta.url));
const dist = value('--dist') ?? path.join(here, '..', '..', 'dist', 'index.js');
const { init, Word2Vec } = await import(pathToFileURL(path.resolve(dist)).href);
const { scoreVectors } = await import('./subword-score.mjs');

const runtime = await init({ threads: settings.threads ?? 1, backend: value('--backend') ?? 'wasm' });
const model = await Word2Vec.train({ path: corpus }, { ...settings, runtime });
const quality = await scoreVectors(model, { questions: value('--questions'), wordsim: value('--wordsim'), dist });
console.log(JSON.stringify({
  engine: 'wasm-nlp', build: runtime.features.build, wordsPerSecond: model.wordsPerSecond, vocab: model.size,
  // wordsPerSecond counts the in-vocabulary words of each epoch: with this, the corpus rate.
  inVocabularyWords: model.counts.reduce((s, c) => s + c, 0), ...quality,
}));
runtime.dispose();
process.exit(0);
