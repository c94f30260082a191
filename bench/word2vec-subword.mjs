// Subword (fastText) training benchmark (issue 13): wasm-nlp's skip-gram with character n-grams
// against Debian's fastText 0.9.2 (`fasttext skipgram`) and fasttext.wasm (npm, fastText built
// with Emscripten: the peer a JS user finds), on the first 2M tokens of
// ../shared/data/corpus-mix21m.txt.gz, 1 thread, every engine in its own process, the engines
// alternating round by round (the order reversed on odd rounds).
//
// Settings: fastText's defaults for skipgram, given to every engine: dim 100, ws 5, neg 5,
// epoch 5, minCount 5, minn 3, maxn 6, bucket 2,000,000, lr 0.05 falling linearly to 0, t 1e-4.
// Ours also takes fastText's negative distribution (count^0.5: nsExponent 0.5); subsampling is
// the same formula in both. wasm-nlp runs twice: with its subword default, a draw of negatives per
// pair as fastText, and with sharedNegatives: true (one draw per center word for its whole window,
// the plain skip-gram's default: faster, but it costs much quality with subwords).
//
// Speed: corpus words × epochs / training seconds (dictionary building excluded for every engine;
// fastText's span runs from its "Number of labels" line to its last progress line, as in
// bench/word2vec/fasttext.mjs), per thread; fastText's own words/sec/thread figure (which counts
// in-vocabulary tokens and end-of-line tokens) is shown beside it. Quality: each engine's word
// vectors (getWordVector of every word, fastText's .vec) scored by the same code:
// bench/word2vec/subword-score.mjs (analogies on questions-words.txt, 30,000 most frequent words;
// WordSim-353 Spearman, pairs with an unknown word skipped, as gensim's evaluate_word_pairs).
//
// Round r trains every engine with seed r (ours r + 1, since our seeds start at 1): speed is the
// median over rounds, quality the mean with its range over the seeds (WordSim-353 has 149 pairs
// in this corpus's vocabulary, so one seed's Spearman moves by a few points).
//
// WordSim-353 is not in ../shared/data: give it with --wordsim FILE (or WORDSIM353=FILE), e.g.
// gensim's copy, gensim/test/test_data/wordsim353.tsv in gensim's repository; without it that
// column is left empty.
//
//   node --experimental-wasm-relaxed-simd bench/word2vec-subword.mjs [--rounds N] [--epochs N]
//        [--tokens N] [--wordsim FILE] [--json FILE] [--results] [--dist PATH]
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { machine, median, updateResults, writeJsonAtomic } from './report.mjs';
import { fastTextVersion, runFastText } from './word2vec/fasttext.mjs';
import { defaultCacheDir, prepareCorpus, questionsFile, sharedData, WHERE_TO_GET } from './word2vec/prepare.mjs';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const value = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const rounds = Number(value('--rounds') ?? 3);
const epochs = Number(value('--epochs') ?? 5);
const tokens = Number(value('--tokens') ?? 2_000_000);
const dist = path.resolve(value('--dist') ?? path.join(here, '..', 'dist', 'index.js'));
const json = value('--json');
const log = (s) => console.error(s);

let corpus;
try {
  corpus = await prepareCorpus({ tokens });
} catch (e) {
  if (e.code !== 'ENOCORPUS') throw e;
  console.log(`subword benchmark skipped: the corpus is missing.\n${WHERE_TO_GET}`);
  process.exit(0);
}
const questions = existsSync(questionsFile) ? questionsFile : undefined;
const wordsim = [value('--wordsim'), process.env.WORDSIM353, path.join(sharedData, 'wordsim353.tsv'), path.join(defaultCacheDir, 'wordsim353.tsv')]
  .find((f) => f && existsSync(f));
if (!wordsim) log('(no WordSim-353 file: pass --wordsim FILE, e.g. gensim/test/test_data/wordsim353.tsv from gensim\'s repository)');

const settings = {
  dim: 100, window: 5, negative: 5, minCount: 5, epochs, minn: 3, maxn: 6, bucket: 2_000_000,
  alpha: 0.05, minAlpha: 0, sample: 1e-4, nsExponent: 0.5, threads: 1,
};
const scoreArgs = [...(questions ? ['--questions', questions] : []), ...(wordsim ? ['--wordsim', wordsim] : []), '--dist', dist];
const totalWords = corpus.tokens * epochs;

/** A child node process printing one JSON line; the relaxed-SIMD flag is passed on when we have it. */
async function child(script, extra) {
  const { stdout } = await run(process.execPath, [...process.execArgv, path.join(here, 'word2vec', script), corpus.file, ...extra, ...scoreArgs],
    { maxBuffer: 16 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop());
}

const ours = (shared) => async (round) => {
  const r = await child('subword-ours.mjs', ['--settings', JSON.stringify({ ...settings, sharedNegatives: shared, seed: round + 1 })]);
  // wordsPerSecond counts the in-vocabulary words trained: the same seconds give the corpus rate.
  return { ...r, rate: r.wordsPerSecond * corpus.tokens / r.inVocabularyWords };
};
const engines = [
  { name: 'wasm-nlp (default: a draw of negatives per pair)', run: ours(false) },
  { name: 'wasm-nlp, sharedNegatives: true', run: ours(true) },
];
const ftVersion = fastTextVersion();
if (ftVersion) {
  const { Word2Vec, init } = await import(pathToFileURL(dist).href);
  const { scoreVectors } = await import('./word2vec/subword-score.mjs');
  engines.push({
    name: `fastText ${ftVersion} (Debian)`,
    run: async (round) => {
      const r = await runFastText({
        corpus: corpus.file, threads: 1, epochs, words: corpus.tokens, tmpDir: os.tmpdir(),
        trainArgs: ['-dim', '100', '-ws', '5', '-neg', '5', '-loss', 'ns', '-minCount', '5', '-minn', '3', '-maxn', '6', '-bucket', '2000000', '-lr', '0.05', '-t', '1e-4', '-seed', String(round)],
        score: async (out) => {
          const runtime = await init();
          try {
            return await scoreVectors(await Word2Vec.load(`${out}.vec`, { runtime }), { questions, wordsim, dist });
          } finally {
            runtime.dispose();
          }
        },
      });
      return { ...r, rate: r.rawWordsPerSecond };
    },
  });
} else {
  log('(skipping fastText: /usr/bin/fasttext is missing; apt-get install fasttext)');
}
try {
  await import('fasttext.wasm');
  engines.push({
    name: 'fasttext.wasm 1.0.1 (npm)',
    run: async (round) => {
      const r = await child('subword-fasttext-wasm.mjs', ['--settings', JSON.stringify({ ...settings, seed: round })]);
      return { ...r, rate: totalWords / r.seconds };
    },
  });
} catch {
  log('(skipping fasttext.wasm: npm install it, it is a devDependency)');
}

const results = Object.fromEntries(engines.map((e) => [e.name, []]));
for (let round = 0; round < rounds; round++) {
  for (const e of round % 2 ? [...engines].reverse() : engines) {
    log(`  round ${round + 1}: ${e.name}, ${epochs} epochs, 1 thread ...`);
    const r = await e.run(round);
    log(`    ${Math.round(r.rate).toLocaleString('en-US')} words/s` +
      (r.analogies ? `, analogies ${(100 * r.analogies.accuracy).toFixed(2)}%` : '') +
      (r.wordsim ? `, WordSim-353 ${r.wordsim.spearman.toFixed(4)}` : ''));
    results[e.name].push(r);
  }
}

const ftName = engines.find((e) => e.name.startsWith('fastText'))?.name;
const rate = (name) => median(results[name].map((r) => r.rate));
const k = (x) => (x === undefined || Number.isNaN(x) ? '–' : `${Math.round(x / 1e3)}k`);
const pct = (x) => (x === undefined ? '–' : `${(100 * x).toFixed(2)}%`);
/** The mean over the seeds, and the range when there are several: "56.84% (56.1–57.3)". */
const spread = (xs, scale, digits) => {
  if (xs.some((x) => x === undefined)) return '–';
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const f = (x) => (scale * x).toFixed(digits);
  return xs.length > 1 ? `${f(mean)} (${f(Math.min(...xs))}–${f(Math.max(...xs))})` : f(mean);
};
const rows = engines.map(({ name }) => {
  const rs = results[name];
  const own = rs.map((x) => x.ownWordsPerSecondPerThread).filter((x) => x !== undefined);
  return [name, k(rate(name)), ftName ? `${(rate(name) / rate(ftName)).toFixed(2)}×` : '–', own.length ? k(median(own)) : '–',
    spread(rs.map((r) => r.wordsim?.spearman), 100, 1), spread(rs.map((r) => r.analogies?.accuracy), 100, 2),
    spread(rs.map((r) => r.analogies?.semantic), 100, 2), spread(rs.map((r) => r.analogies?.syntactic), 100, 2)];
});
const header = ['engine, 1 thread', 'words/s', 'vs fastText', 'own words/s/thread', 'WordSim-353 Spearman ×100', 'analogies %', 'semantic %', 'syntactic %'];
const table = [header, header.map((_, i) => (i ? '---:' : '---')), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
const m = machine();
const load = os.loadavg().map((x) => x.toFixed(2)).join(', ');
console.log(`\nsubword training — ${m.cpu}, ${m.cores} cores, Node ${m.node}; ${corpus.tokens.toLocaleString('en-US')} tokens of corpus-mix21m, ` +
  `${epochs} epochs, fastText's skipgram defaults; median of ${rounds} alternating round(s); load average at the end ${load}\n`);
console.log(table);
if (json) await writeJsonAtomic(json, { machine: m, tokens: corpus.tokens, epochs, settings, results, table, loadAverage: os.loadavg() });
if (argv.includes('--results')) {
  await updateResults('word2vec-subword', `## Subword (fastText) training: wasm-nlp against fastText and fasttext.wasm

\`node --experimental-wasm-relaxed-simd bench/word2vec-subword.mjs --results --wordsim wordsim353.tsv\`, ${new Date().toISOString().slice(0, 10)},
${m.cpu}, ${m.cores} cores, Node ${m.node}. First ${corpus.tokens.toLocaleString('en-US')} tokens of corpus-mix21m; fastText's
skipgram defaults for every engine: dim 100, ws 5, neg 5, ${epochs} epochs, minCount 5, minn 3, maxn 6, bucket 2,000,000, lr 0.05
to 0, t 1e-4 (ours also nsExponent 0.5, fastText's count^0.5; the second row shares each center word's negatives across
its window, the plain skip-gram's default). 1 thread, each engine in its own process, ${rounds} rounds in
alternating order, medians. words/s: corpus words × epochs / training seconds (dictionary excluded); "own" is fastText's
words/sec/thread. Quality: every engine's word vectors (fastText's .vec) scored by the same code,
bench/word2vec/subword-score.mjs: WordSim-353 Spearman (the ${results[engines[0].name][0]?.wordsim?.pairs ?? '–'} pairs whose words
are in the vocabulary) and analogies on questions-words.txt (30,000 most frequent words); the mean over the rounds' seeds
(round r: seed r), their range in brackets.

${table}`);
}
process.exit(0);
