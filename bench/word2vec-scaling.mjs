// word2vec's 2-thread scaling (issue 13): total time of Word2Vec.train on data/corpus-pd4m.txt.gz
// (defaults: skip-gram, dim 100, shared negatives), vocabulary building included, each run in a
// fresh process, 1 and 2 threads alternating round by round; medians. The load average is
// printed before each run: on a shared machine, a neighbour's load halves the second core.
//
//   npm run build && node --experimental-wasm-relaxed-simd bench/word2vec-scaling.mjs \
//     [--epochs 3] [--rounds 3] [--exact]      (--exact: sharedNegatives: false)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { machine, median, parseArgs } from './report.mjs';

const corpus = fileURLToPath(new URL('../data/corpus-pd4m.txt.gz', import.meta.url));
const dist = new URL('../dist/index.js', import.meta.url).href;

if (process.argv[2] === '--child') {
  const [threads, epochs, shared] = process.argv.slice(3).map(Number);
  const { Word2Vec } = await import(dist);
  const started = performance.now();
  const model = await Word2Vec.train({ path: corpus }, { epochs, threads, sharedNegatives: shared === 1 });
  console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000, wordsPerSecond: model.wordsPerSecond }));
  process.exit(0);
}

const argv = process.argv.slice(2);
const exact = argv.includes('--exact');
const args = parseArgs(argv.filter((a) => a !== '--exact'), { epochs: '3', rounds: '3' });
const epochs = Number(args.epochs), rounds = Number(args.rounds);
if (!existsSync(corpus)) {
  console.log(`skipped: ${corpus} is missing`);
  process.exit(0);
}
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
const times = { 1: [], 2: [] };
for (let r = 0; r < rounds; r++) {
  for (const threads of r % 2 ? [2, 1] : [1, 2]) {
    const before = load();
    const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', String(threads), String(epochs), exact ? '0' : '1'], { encoding: 'utf8' });
    const { seconds } = JSON.parse(out.trim().split('\n').at(-1));
    times[threads].push(seconds);
    console.error(`  round ${r + 1}, ${threads} thread(s): ${seconds.toFixed(2)} s (load ${before})`);
  }
}
const m = machine();
const one = median(times[1]), two = median(times[2]);
console.log(`${m.cpu}, ${m.cores} cores, Node ${m.node}; pd4m, ${epochs} epoch(s), ${exact ? 'sharedNegatives: false' : 'defaults'}, ` +
  `medians of ${rounds}: 1 thread ${one.toFixed(2)} s, 2 threads ${two.toFixed(2)} s, ${(one / two).toFixed(2)}×`);
