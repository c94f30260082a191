// Peak memory and throughput of embedding a long file (issue 14): N lines of the sample corpus
// through MiniLM-shaped random weights (bench/.models/minilm-l6, tools/make_bench_models.py:
// L 6, D 384, H 12, F 1536, V 30522), on 1 thread, by the two paths a user takes:
//
//   cli: `wasm-nlp embed MODEL --file LINES` (stdout counted here: one line per input line);
//   api: TextEncoderModel.embedStream over the lines (window 512, batches of 32).
//
// Each runs in a fresh child process (bench/transformer/embed-memory-child.mjs), which reports
// its peak RSS (VmHWM of /proc/self/status, and process.resourceUsage().maxRSS) as it exits.
//
//   npm run build && node bench/embed-memory.mjs [--lines 100000] [--paths cli,api] [--json FILE]
//     [--cli dist/cli.js] [--lib dist/index.js] [--model bench/.models/minilm-l6]
//
// The lines: data/corpus-sample.txt.gz is 534 lines of 1,000 words without punctuation (text8
// style), so it has no sentences to split on. Its words are cut, in order, into lines of 3 to 6
// words (lengths from a fixed LCG, mean 4.5), the corpus read again from its start when it runs
// out. The bench tokenizer's vocabulary is small (147 WordPieces), so a word outside it becomes
// several pieces: a line is about 16 tokens with [CLS] and [SEP], a short sentence's worth.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { machine, parseArgs, writeJsonAtomic } from './report.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = parseArgs(process.argv.slice(2), {
  lines: '100000', paths: 'cli,api', cli: join(ROOT, 'dist/cli.js'), lib: join(ROOT, 'dist/index.js'),
  model: join(ROOT, 'bench/.models/minilm-l6'), out: join(ROOT, 'bench/.models/lines'),
});
const N = Number(args.lines);
if (!existsSync(join(args.model, 'model.safetensors'))) throw new Error(`${args.model} is missing: run /usr/bin/python3 tools/make_bench_models.py`);

/** The benchmark's input file: N lines cut from the sample corpus (see the header). */
async function linesFile(n) {
  mkdirSync(args.out, { recursive: true });
  const file = join(args.out, `corpus-sample-${n}.txt`);
  if (existsSync(file)) return file;
  const words = gunzipSync(readFileSync(join(ROOT, 'data/corpus-sample.txt.gz'))).toString('utf8').split(/\s+/).filter(Boolean);
  const out = createWriteStream(file);
  let seed = 12345, at = 0;
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const count = 3 + ((seed >>> 16) % 4);
    const line = [];
    for (let j = 0; j < count; j++) line.push(words[at++ % words.length]);
    if (!out.write(line.join(' ') + '\n')) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r, e) => out.end((err) => (err ? e(err) : r())));
  return file;
}

/** Runs one path in a child; resolves to its report (peak RSS, time) and the stdout lines counted. */
function runChild(path, file) {
  const child = join(ROOT, 'bench/transformer/embed-memory-child.mjs');
  return new Promise((resolvePromise, reject) => {
    const p = spawn(process.execPath, ['--experimental-wasm-relaxed-simd', child, path, file, args.model, path === 'cli' ? args.cli : args.lib],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WASM_NLP_NO_REEXEC: '1' } });
    let stdoutLines = 0, stdoutBytes = 0, stderr = '';
    p.stdout.on('data', (b) => {
      stdoutBytes += b.length;
      for (let i = 0; i < b.length; i++) if (b[i] === 10) stdoutLines++;
    });
    p.stderr.on('data', (b) => (stderr += b));
    p.on('error', reject);
    p.on('exit', (code) => {
      const m = /^EMBED-MEMORY (.*)$/m.exec(stderr);
      if (code !== 0 || !m) return reject(new Error(`${path}: exit ${code}\n${stderr}`));
      resolvePromise({ ...JSON.parse(m[1]), stdoutLines, stdoutBytes });
    });
  });
}

const file = await linesFile(N);
const results = { machine: machine(), lines: N, file, model: args.model, paths: {} };
for (const path of args.paths.split(',')) {
  const start = performance.now();
  const r = await runChild(path, file);
  const wall = (performance.now() - start) / 1000;
  if (path === 'cli' && r.stdoutLines !== N) throw new Error(`cli: ${r.stdoutLines} output lines for ${N} input lines`);
  if (path === 'api' && r.embedded !== N) throw new Error(`api: ${r.embedded} embeddings for ${N} lines`);
  results.paths[path] = { ...r, wallSeconds: wall, sentencesPerSecond: N / wall };
  console.log(`${path}: peak RSS ${(r.vmHWMKiB / 1024).toFixed(0)} MiB (maxRSS ${(r.maxRSSKiB / 1024).toFixed(0)} MiB), ` +
    `${N} lines in ${wall.toFixed(1)} s = ${(N / wall).toFixed(1)} sentences/s (model loaded in ${r.loadSeconds?.toFixed(2) ?? '?'} s)`);
}
if (args.json) await writeJsonAtomic(args.json, results);
