// The peers of the word2vec benchmark (issue 4, "Benchmarks"): gensim 4.2 (Debian's
// python3-gensim, corpus_file) and fastText 0.9.2 (Debian's fasttext, -minn 0 -maxn 0), on the
// first 10M tokens of ../shared/data/corpus-mix21m.txt.gz. Settings: skip-gram, dim 100,
// window 5, negative 5, minCount 5, sample 1e-3.
//   speed:   1 epoch, words/s = corpus words x epochs / training seconds (vocabulary building
//            excluded for both), with 1 and 2 threads;
//   quality: 5 epochs, analogy accuracy on ../shared/data/questions-words.txt, restrict_vocab
//            30000, scored by gensim's evaluate_word_analogies for both peers.
// Each peer runs in its own process, one at a time; with --repeats N the rounds alternate the
// order of the peers. A peer that is not installed is skipped with the reason printed.
//
//   node bench/word2vec/peers.mjs [--quick] [--repeats N] [--json FILE]
//   --quick: 2M tokens, speed only.
//
// The corpus and the questions are never copied into the repo: the prepared corpus lives in
// os.tmpdir()/wasm-nlp-bench, and without ../shared/data the CLI says where to get it and
// exits 0 without results.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { prepareCorpus, questionsFile, sourceCorpus, WHERE_TO_GET } from './prepare.mjs';
import { corpusWords, fastTextVersion, GENSIM_SCRIPT, PYTHON, runFastText } from './fasttext.mjs';
import { median } from '../report.mjs';

const run = promisify(execFile);

/** gensim's version under Debian's python, or undefined with the reason. */
export async function gensimVersion() {
  if (!existsSync(PYTHON)) return { reason: `${PYTHON} is missing` };
  try {
    const { stdout } = await run(PYTHON, ['-c', 'import gensim; from gensim.models.word2vec_corpusfile import CORPUSFILE_VERSION; print(gensim.__version__)']);
    return { version: stdout.trim() };
  } catch (e) {
    return { reason: `gensim (with its compiled corpus_file routines) is not importable by ${PYTHON} (apt-get install python3-gensim): ${e.stderr?.trim().split('\n').pop() ?? e.message}` };
  }
}

/** One gensim run in its own process; resolves to gensim_train.py's JSON line. */
export async function runGensim({ corpus, workers = 1, epochs = 1, questions, out }) {
  const args = [GENSIM_SCRIPT, corpus, '--workers', String(workers), '--epochs', String(epochs)];
  if (questions) args.push('--eval', questions);
  if (out) args.push('--out', out);
  const { stdout } = await run(PYTHON, args, { maxBuffer: 16 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop());
}

/**
 * Runs the installed peers. Returns { speed, quality, skipped }:
 *   speed:   one result per peer, thread count and repeat, `epochs` epochs each;
 *   quality: one result per peer (`qualityEpochs` epochs, `qualityThreads` threads) when
 *            `quality` is true and `questions` exists;
 *   skipped: [{ peer, reason }].
 * A result: { peer, version, threads, epochs, seconds, rawWordsPerSecond, ...peer extras,
 *   accuracy?, semantic?, syntactic?, evaluated?, questions?, sections? } (gensim's also has
 *   workers, effectiveWordsPerSecond, vocabSize; fastText's ownWordsPerSecondPerThread).
 */
export async function runPeers({
  corpus, questions, threads = [1, 2], epochs = 1, quality = false,
  qualityEpochs = 5, qualityThreads = Math.max(...threads), repeats = 1, log = (s) => console.error(s),
} = {}) {
  if (!corpus || !existsSync(corpus)) throw new Error(`runPeers: corpus ${corpus} does not exist (prepare it with prepareCorpus())`);
  const skipped = [];
  const peers = [];
  const g = await gensimVersion();
  if (g.version) peers.push('gensim'); else skipped.push({ peer: 'gensim', reason: g.reason });
  const ft = fastTextVersion();
  if (ft) peers.push('fasttext'); else skipped.push({ peer: 'fasttext', reason: '/usr/bin/fasttext is not installed (apt-get install fasttext)' });
  for (const s of skipped) log(`(skipping ${s.peer}: ${s.reason})`);

  const words = await corpusWords(corpus);
  const once = async (peer, t, ep, q) => {
    log(`  ${peer}, ${t} thread${t > 1 ? 's' : ''}, ${ep} epoch${ep > 1 ? 's' : ''}${q ? ', with analogies' : ''} ...`);
    const r = peer === 'gensim'
      ? { ...(await runGensim({ corpus, workers: t, epochs: ep, questions: q })), threads: t }
      : await runFastText({ corpus, threads: t, epochs: ep, questions: q, words, log });
    log(`    ${Math.round(r.rawWordsPerSecond).toLocaleString('en-US')} words/s in ${r.seconds.toFixed(1)} s` +
      (r.accuracy !== undefined ? `, accuracy ${(100 * r.accuracy).toFixed(2)}%` : ''));
    return r;
  };

  const speed = [];
  for (let round = 0; round < repeats; round++) {
    for (const t of threads) {
      const order = round % 2 ? [...peers].reverse() : peers; // alternate which peer goes first
      for (const peer of order) speed.push({ ...(await once(peer, t, epochs)), round });
    }
  }

  const qualityResults = [];
  if (quality) {
    if (!questions || !existsSync(questions)) {
      const reason = `questions file ${questions} is missing`;
      log(`(skipping the quality runs: ${reason})`);
      skipped.push({ peer: 'quality', reason });
    } else {
      for (const peer of peers) qualityResults.push(await once(peer, qualityThreads, qualityEpochs, questions));
    }
  }
  return { speed, quality: qualityResults, skipped };
}

// ---------------------------------------------------------------- the table

const kws = (x) => (x === undefined ? '–' : `${(x / 1e3).toFixed(0)}k`);
const pct = (x) => (x === undefined || x === null ? '–' : `${(100 * x).toFixed(2)}%`);

/** The Markdown table: median words/s per thread count, the 2-thread scaling, the accuracy. */
export function formatPeersTable({ speed, quality }, threads = [1, 2]) {
  const peers = [...new Set([...speed.map((r) => r.peer), ...quality.map((r) => r.peer)])];
  const header = ['peer', 'version', ...threads.map((t) => `words/s, ${t} thread${t > 1 ? 's' : ''}`)];
  if (threads.length > 1) header.push(`${threads.at(-1)}t / ${threads[0]}t`);
  const withQ = quality.length > 0;
  if (withQ) header.push(`analogies (${quality[0].epochs} epochs)`, 'semantic', 'syntactic');
  const rows = peers.map((p) => {
    const rates = threads.map((t) => {
      const rs = speed.filter((r) => r.peer === p && r.threads === t).map((r) => r.rawWordsPerSecond);
      return rs.length ? median(rs) : undefined;
    });
    const version = (speed.find((r) => r.peer === p) ?? quality.find((r) => r.peer === p)).version;
    const row = [p, String(version), ...rates.map(kws)];
    if (threads.length > 1) row.push(rates[0] && rates.at(-1) ? `${(rates.at(-1) / rates[0]).toFixed(2)}×` : '–');
    if (withQ) {
      const q = quality.find((r) => r.peer === p);
      row.push(pct(q?.accuracy), pct(q?.semantic), pct(q?.syntactic));
    }
    return row;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (l) => '| ' + l.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  const rule = '|' + widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|';
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** One line per run, for the notes under the table. */
export function formatRuns({ speed, quality }) {
  const lines = [];
  for (const r of [...speed, ...quality]) {
    const extra = r.peer === 'gensim'
      ? `; gensim's effective words (after min_count and subsampling) ${kws(r.effectiveWordsPerSecond)}/s`
      : `; fastText's own words/sec/thread ${kws(r.ownWordsPerSecondPerThread)}`;
    lines.push(`- ${r.peer}, ${r.threads} thread${r.threads > 1 ? 's' : ''}, ${r.epochs} epoch${r.epochs > 1 ? 's' : ''}: ` +
      `${kws(r.rawWordsPerSecond)} words/s (${r.seconds.toFixed(1)} s of training)${extra}` +
      (r.accuracy !== undefined ? `; analogies ${pct(r.accuracy)} of ${r.evaluated} questions in the top ${r.restrictVocab} words (of ${r.questions})` : ''));
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------- CLI

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { parseArgs, machine, writeJsonAtomic } = await import('../report.mjs');
  const args = parseArgs(process.argv.slice(2), { repeats: '1' });
  const repeats = Number(args.repeats);
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats must be a positive integer, got ${args.repeats}`);
  const quality = !args.quick;
  if (!existsSync(sourceCorpus) || (quality && !existsSync(questionsFile))) {
    console.log(`word2vec peers: skipped, the benchmark data is missing.\n${WHERE_TO_GET}`);
    process.exit(0);
  }
  const tokens = args.quick ? 2_000_000 : 10_000_000;
  const prepared = await prepareCorpus({ tokens });
  console.error(`corpus: ${prepared.file} (${prepared.tokens.toLocaleString('en-US')} tokens${prepared.cached ? ', cached' : ''})`);
  const threads = [1, 2];
  const t0 = performance.now();
  const results = await runPeers({ corpus: prepared.file, questions: questionsFile, threads, epochs: 1, quality, repeats });
  const m = machine();
  console.log(`\nword2vec peers — ${(tokens / 1e6).toFixed(0)}M tokens of corpus-mix21m, skip-gram, dim 100, window 5, negative 5, minCount 5, sample 1e-3; ` +
    `${m.cpu}, ${m.cores} cores; words/s = corpus words × epochs / training seconds (vocabulary excluded), 1 epoch, median of ${repeats} run${repeats > 1 ? 's' : ''}` +
    (quality ? `; analogies: questions-words.txt, restrict_vocab 30000, scored by gensim` : '') + '\n');
  console.log(formatPeersTable(results, threads));
  console.log('\n' + formatRuns(results));
  for (const s of results.skipped) console.log(`- skipped ${s.peer}: ${s.reason}`);
  console.log(`\n(${((performance.now() - t0) / 1e3).toFixed(0)} s; a shared 2-core machine: expect noise between runs)`);
  if (args.json) await writeJsonAtomic(args.json, { machine: m, corpus: prepared, ...results });
}
