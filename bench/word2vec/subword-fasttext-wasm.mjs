// One fasttext.wasm (npm, fastText compiled by Emscripten; the peer a JS user would find) subword
// skip-gram run in its own process, for bench/word2vec-subword.mjs: it trains through the
// package's core binding (FastText.train with an Args object, fastText's own webassembly API),
// then reads getWordVector of every word and scores them with our scorer. One JSON line.
//
// Timing: train() reads the corpus, builds the dictionary, initialises the matrices, then trains;
// its progress callback first fires once training runs, so the span is from that first call to
// train()'s return (dictionary and initialisation excluded, as for the other engines).
//
//   node bench/word2vec/subword-fasttext-wasm.mjs CORPUS --settings JSON [--questions FILE] [--wordsim FILE] [--dist PATH]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const argv = process.argv.slice(2);
const value = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const corpus = argv[0];
const s = JSON.parse(value('--settings') ?? '{}');
const here = path.dirname(fileURLToPath(import.meta.url));
const dist = value('--dist') ?? path.join(here, '..', '..', 'dist', 'index.js');

const { FastText } = await import('fasttext.wasm');
const ft = await FastText.create();
const M = ft.core;
M.FS.writeFile('/corpus.txt', readFileSync(corpus));
const args = new M.Args();
Object.assign(args, {
  input: '/corpus.txt', output: '/model', lr: s.alpha, dim: s.dim, ws: s.window, epoch: s.epochs, minCount: s.minCount,
  neg: s.negative, wordNgrams: 1, loss: M.LossName.ns, model: M.ModelName.skipgram, bucket: s.bucket, minn: s.minn,
  maxn: s.maxn, thread: 1, lrUpdateRate: 100, t: s.sample, label: '__label__', verbose: 0, pretrainedVectors: '', seed: s.seed ?? 0,
});
const core = new M.FastText();
let started, last;
core.train(args, (progress, loss, wordsPerSecondPerThread) => {
  started ??= performance.now();
  last = { progress, wordsPerSecondPerThread };
});
const seconds = (performance.now() - started) / 1000;

// Its word vectors (getWordVector of each word, as fastText's .vec), then our scorer.
const [wordVector, counts] = core.getWords();
const words = [];
for (let i = 0; i < wordVector.size(); i++) words.push(wordVector.get(i));
wordVector.delete();
counts.delete();
const dim = s.dim;
const ptr = M._malloc(4 * dim);
const vectors = new Float32Array(words.length * dim);
for (let i = 0; i < words.length; i++) {
  core.getWordVector({ ptr, size: dim }, words[i]);
  vectors.set(new Float32Array(M.HEAPF32.buffer, ptr, dim), i * dim);
}
M._free(ptr);
const { init, WordVectors } = await import(pathToFileURL(path.resolve(dist)).href);
const { scoreVectors } = await import('./subword-score.mjs');
const runtime = await init();
const quality = await scoreVectors(new WordVectors(words, vectors, dim, { kernels: runtime.kernels }), { questions: value('--questions'), wordsim: value('--wordsim'), dist });
console.log(JSON.stringify({ engine: 'fasttext.wasm', seconds, ownWordsPerSecondPerThread: last?.wordsPerSecondPerThread, vocab: words.length, ...quality }));
process.exit(0);
