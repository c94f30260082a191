// word2vec benchmark (issue 4): wasm-nlp against gensim 4.2, fastText 0.9.2 and its own JS
// twin on the first 10M tokens of ../shared/data/corpus-mix21m.txt.gz. Skip-gram, dim 100,
// window 5, negative 5, minCount 5, sample 1e-3.
//   speed:   1 epoch, corpus words per second of training (vocabulary building excluded for
//            every engine), 1 and 2 threads, the engines alternating round by round;
//   quality: 5 epochs, analogy accuracy on ../shared/data/questions-words.txt, restrict 30000
//            (ours by evaluateAnalogies, the peers' by gensim's evaluate_word_analogies, which
//            agree question for question: tests/word2vec/evaluate.test.ts).
// The JS twin trains on the first 1M tokens only (it would take minutes on 10M); fastText runs
// one speed round and no quality run (5 epochs take it about 9 minutes here).
//
//   node --experimental-wasm-relaxed-simd bench/word2vec.mjs [--quick] [--no-quality] [--json FILE]
import { readFileSync } from 'node:fs';
import { evaluateAnalogies, init, Word2Vec } from '../dist/index.js';
import { machine, median, updateResults, writeJsonAtomic } from './report.mjs';
import { fastTextVersion, runFastText } from './word2vec/fasttext.mjs';
import { gensimVersion, runGensim } from './word2vec/peers.mjs';
import { prepareCorpus, questionsFile, WHERE_TO_GET } from './word2vec/prepare.mjs';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const quality = !quick && !argv.includes('--no-quality');
const jsonAt = argv.indexOf('--json');
const json = jsonAt >= 0 ? argv[jsonAt + 1] : undefined;
const results = argv.includes('--results');
const log = (s) => console.error(s);

let corpus, twinCorpus;
try {
  corpus = await prepareCorpus({ tokens: quick ? 2_000_000 : 10_000_000 });
  twinCorpus = await prepareCorpus({ tokens: 1_000_000 });
} catch (e) {
  if (e.code !== 'ENOCORPUS') throw e;
  console.log(`word2vec benchmark skipped: the corpus is missing.\n${WHERE_TO_GET}`);
  process.exit(0);
}
const settings = { dim: 100, window: 5, negative: 5, minCount: 5, sample: 1e-3 };
const gensim = (await gensimVersion()).version;
const fasttext = fastTextVersion();
if (!gensim) log('(skipping gensim: /usr/bin/python3 cannot import gensim; apt-get install python3-gensim)');
if (!fasttext) log('(skipping fastText: /usr/bin/fasttext is missing; apt-get install fasttext)');

const build = (await init()).features.build;
/** Trains on `file`; with `questions`, also scores the analogies before the runtime is disposed. */
async function ours(file, threads, epochs, backend = 'wasm', questions) {
  const runtime = await init({ threads, backend });
  try {
    const model = await Word2Vec.train({ path: file }, { ...settings, epochs, threads, runtime });
    return { wordsPerSecond: model.wordsPerSecond, accuracy: questions && evaluateAnalogies(model, questions, { restrictVocab: 30000, text: true }) };
  } finally {
    runtime.dispose();
  }
}

// fastText is 3-4× slower than the others: it runs in the first round only, and not for quality.
const engines = [
  { name: `wasm-nlp (${build})`, run: async (t, e) => ({ rate: (await ours(corpus.file, t, e)).wordsPerSecond }) },
  ...(gensim ? [{ name: `gensim ${gensim}`, run: async (t, e) => ({ rate: (await runGensim({ corpus: corpus.file, workers: t, epochs: e })).rawWordsPerSecond }) }] : []),
  ...(fasttext ? [{ name: `fastText ${fasttext}`, firstRoundOnly: true, run: async (t, e) => ({ rate: (await runFastText({ corpus: corpus.file, threads: t, epochs: e })).rawWordsPerSecond }) }] : []),
];

const rounds = quick ? 1 : 2;
const speed = {};
for (let round = 0; round < rounds; round++) {
  for (const threads of [1, 2]) {
    const order = round % 2 ? [...engines].reverse() : engines;
    for (const e of order) {
      if (e.firstRoundOnly && round > 0) continue;
      log(`  ${e.name}, ${threads} thread(s), 1 epoch ...`);
      const { rate } = await e.run(threads, 1);
      log(`    ${Math.round(rate).toLocaleString('en-US')} words/s`);
      ((speed[e.name] ??= {})[threads] ??= []).push(rate);
    }
  }
}
log('  JS twin, 1 thread, 1 epoch on 1M tokens ...');
const twinRate = (await ours(twinCorpus.file, 1, 1, 'js')).wordsPerSecond;

const accuracy = {};
if (quality) {
  const questions = readFileSync(questionsFile, 'utf8');
  log('  wasm-nlp, 2 threads, 5 epochs ...');
  accuracy[engines[0].name] = (await ours(corpus.file, 2, 5, 'wasm', questions)).accuracy;
  if (gensim) {
    log('  gensim, 2 threads, 5 epochs ...');
    accuracy[`gensim ${gensim}`] = await runGensim({ corpus: corpus.file, workers: 2, epochs: 5, questions: questionsFile });
  }
}

const gensimName = gensim ? `gensim ${gensim}` : undefined;
const rate = (name, t) => (speed[name]?.[t] ? median(speed[name][t]) : undefined);
const k = (x) => (x === undefined ? '–' : `${Math.round(x / 1e3)}k`);
const pct = (x) => (x === undefined ? '–' : `${(100 * x).toFixed(2)}%`);
const rows = [...engines.map((e) => e.name), 'JS twin'].map((name) => {
  const r1 = name === 'JS twin' ? twinRate : rate(name, 1), r2 = rate(name, 2);
  const a = accuracy[name];
  return [name, k(r1), k(r2), r1 && r2 ? `${(r2 / r1).toFixed(2)}×` : '–',
    gensimName && r1 && rate(gensimName, 1) ? `${(r1 / rate(gensimName, 1)).toFixed(2)}×` : '–',
    pct(a?.accuracy), pct(a?.semantic?.accuracy ?? a?.semantic), pct(a?.syntactic?.accuracy ?? a?.syntactic)];
});
const header = ['engine', 'words/s, 1 thread', 'words/s, 2 threads', '2t / 1t', '1t vs gensim', 'analogies, 5 epochs', 'semantic', 'syntactic'];
const table = [header, header.map((_, i) => (i ? '---:' : '---')), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
const m = machine();
console.log(`\nword2vec — ${m.cpu}, ${m.cores} cores, Node ${m.node}; ${corpus.tokens.toLocaleString('en-US')} tokens of corpus-mix21m, skip-gram, dim 100, window 5, negative 5, minCount 5, sample 1e-3; median of ${rounds} alternating round(s)\n`);
console.log(table);
if (json) await writeJsonAtomic(json, { machine: m, tokens: corpus.tokens, speed, twinRate, accuracy, table });
if (results) {
  await updateResults('word2vec', `## word2vec: wasm-nlp against gensim, fastText and the JS twin

\`node --experimental-wasm-relaxed-simd bench/word2vec.mjs --results\` (needs \`../shared/data\` and Debian's
python3-gensim and fasttext; a missing peer is skipped with a message), ${new Date().toISOString().slice(0, 10)}, ${m.cpu},
${m.cores} cores, Node ${m.node}. First ${corpus.tokens.toLocaleString('en-US')} tokens of corpus-mix21m; skip-gram, dim 100,
window 5, negative 5, minCount 5, sample 1e-3. Speed: 1 epoch, corpus words per second of training
(vocabulary building excluded for every engine), the engines alternating over ${rounds} round(s),
medians (fastText: one round). Quality: 5 epochs on 2 threads, analogy accuracy on
questions-words.txt restricted to the 30,000 most frequent words. The JS twin trains on the first
1M tokens. wasm-nlp uses its default shared negatives (one draw per center word);
\`sharedNegatives: false\` trains as gensim does.

${table}`);
}
process.exit(0);
