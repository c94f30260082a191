// Transformer benchmark (issue 5): wasm-nlp's forward pass against onnxruntime-web on the same
// random weights (tools/make_bench_models.py writes them, with their ONNX exports, to
// bench/.models): BERT-base and MiniLM-L6 shapes at sequence 128, batch 1; a Marian-base greedy
// decode step (20 source tokens, position 10, LM head included); model load from files to ready;
// the JS twin on MiniLM. 1 and 2 threads, each in its own process (bench/transformer/child.mjs),
// the two engines interleaved round by round within it; outputs checked against torch first.
//
//   npm run build && node bench/transformer.mjs [--rounds N] [--json FILE] [--results]
//
// --results rewrites the transformers section of bench/RESULTS.md (and bench/chart.svg).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, updateResults, writeJsonAtomic } from './report.mjs';

const argv = process.argv.slice(2);
const opt = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
for (const [i, a] of argv.entries()) {
  if (a.startsWith('--') && !['--rounds', '--json', '--results'].includes(a)) throw new Error(`unknown argument ${a} (use --rounds N, --json FILE, --results)`);
  if (['--rounds', '--json'].includes(a) && !argv[i + 1]) throw new Error(`${a} needs a value`);
}
const rounds = opt('--rounds') ?? '5';
const MODELS = 'bench/.models';
if (!['bert-base', 'minilm-l6', 'marian-base'].every((m) => existsSync(join(MODELS, m, 'reference.json')))) {
  console.log(`transformer benchmark skipped: ${MODELS} is missing; make it with /usr/bin/python3 tools/make_bench_models.py`);
  process.exit(0);
}

const loadBefore = loadavg()[0];
const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-bench-transformer-'));
const runs = {};
try {
  for (const threads of [1, 2]) {
    const file = join(dir, `${threads}.json`);
    execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', 'bench/transformer/child.mjs', '--threads', String(threads), '--rounds', rounds, '--json', file], { stdio: 'inherit' });
    runs[threads] = JSON.parse(readFileSync(file, 'utf8'));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const ms = (x) => (x === undefined ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const times = (x) => `${x.toFixed(2)}×`;
const rows = [];
for (const model of ['bert-base', 'minilm-l6', 'marian-base']) {
  for (const threads of [1, 2]) {
    const r = runs[threads].models[model];
    rows.push([
      model === 'marian-base' ? 'Marian-base decode step' : model === 'bert-base' ? 'BERT-base, seq 128' : 'MiniLM-L6, seq 128',
      threads, ms(r.ours.ms), ms(r.ort.ms), times(r.ratio), ms(r.jsTwin?.ms),
      ms(r.load.ours), ms(r.load.ort),
      r.ours.perRound.map(ms).join(' '), r.ort.perRound.map(ms).join(' '),
    ]);
  }
}
const header = ['model', 'threads', 'wasm-nlp ms', 'ort-web ms', 'wasm-nlp / ort-web', 'JS twin ms', 'load ms, wasm-nlp', 'load ms, ort-web', 'wasm-nlp per round', 'ort-web per round'];
const table = [header, header.map((_, i) => (i && i < 8 ? '---:' : '---')), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
const m = machine(), one = runs[1], loadAfter = loadavg()[0];
const caption = `${m.cpu}, ${m.cores} cores, Node ${m.node}; wasm-nlp ${one.build} build vs ${one.ort}; ` +
  `median of ${rounds} interleaved rounds (ratio: median of per-round ratios); batch 1; load: files to ready, ` +
  `one load per process (ort-web: the Marian decoder_with_past.onnx only); 1-minute load average ` +
  `${loadBefore.toFixed(1)} before and ${loadAfter.toFixed(1)} after the run (over ${m.cores}: other work competed for the cores)`;
console.log(`\nTransformers — ${caption}\n`);
console.log(table);

if (opt('--json')) await writeJsonAtomic(opt('--json'), { machine: m, rounds: Number(rounds), runs, table });
if (argv.includes('--results')) await writeSection(table, caption);
process.exit(0);

/** The Transformers section of bench/RESULTS.md (report.mjs updateResults keeps the others). */
async function writeSection(table, caption) {
  await updateResults('transformers', `## Transformers: wasm-nlp against onnxruntime-web

\`npm run bench:transformer -- --results\` on ${new Date().toISOString().slice(0, 10)} (models: \`/usr/bin/python3
tools/make_bench_models.py\`). Random weights in BERT-base (12 layers, 768, 12 heads, FFN 3072)
and MiniLM-L6 (6 layers, 384, 12 heads, FFN 1536) shapes, sequence 128; a Marian-base (6+6
layers, 512, 8 heads, FFN 2048, vocabulary 58101) greedy decode step at position 10 over 20
source tokens, LM head included, with a KV cache in both engines (ort-web: an optimum-style
decoder_with_past.onnx). ort-web runs ONNX exports of the same weights (torch.onnx.export,
opset 17) with graph optimisation 'all'. Every output is checked against torch (max |Δ| ≤ 1e-4)
before timing. ${caption}.

${table}
`);
}
