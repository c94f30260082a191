// Transformer benchmark (issues 5 and 11): wasm-nlp's forward pass against onnxruntime-web on the
// same random weights (tools/make_bench_models.py writes them, with their ONNX exports and the
// exports' q8 rewrites, to bench/.models), in f32 and in int8 ("q8": wasm-nlp's
// quantizeCheckpoint folder; ort-web's quantize_dynamic form, tools/make_q8_onnx.py): BERT-base
// and MiniLM-L6 shapes at sequence 128, batch 1; a Marian-base greedy decode step (20 source
// tokens, position 10, LM head included); model size on disk and load from files to ready; the
// JS twin on MiniLM. Outputs are checked against torch before anything is timed.
//
//   npm run build && node --experimental-wasm-relaxed-simd bench/transformer.mjs [--rounds N] [--max-rounds M] [--json FILE] [--results]
//   node bench/transformer.mjs --from-json FILE [--results]     # the tables again from an earlier --json
//
// 1 thread: one process (bench/transformer/child.mjs) with every engine, interleaved round by
// round. 2 threads: each engine alone in its own process, one per engine, model and round, the
// engines alternating (the order rotates each round): two engines' worker threads in one process
// would compete for this machine's 2 cores; only clean rounds count there (the rest of the
// machine used under a quarter of a core while each engine was timed, bench/cpu-share.mjs), and
// rounds go on until N are clean or M (default 2N) have run. Latencies are medians over rounds,
// ratios medians of the per-round ratios.
//
// wasm-nlp q8 reads bench/.models/<model>-q8, which this script writes with the package's
// quantizeCheckpoint when it is missing or older than the f32 checkpoint or the build.
//
// --results rewrites the transformers section of bench/RESULTS.md (and bench/chart.svg).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLEAN_OTHER_CORES } from './cpu-share.mjs';
import { machine, median, updateResults, writeJsonAtomic } from './report.mjs';

const ENGINES = ['ours-f32', 'ort-f32', 'ours-q8', 'ort-q8'];
const MODELS = ['minilm-l6', 'bert-base', 'marian-base'];
const DIR = 'bench/.models';
const LABEL = { 'bert-base': 'BERT-base, seq 128', 'minilm-l6': 'MiniLM-L6, seq 128', 'marian-base': 'Marian-base decode step' };
const ms = (x) => (x === undefined ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const times = (x) => (x === undefined ? '–' : `${x.toFixed(2)}`);

const argv = process.argv.slice(2);
const opt = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
for (const [i, a] of argv.entries()) {
  if (a.startsWith('--') && !['--rounds', '--max-rounds', '--json', '--results', '--from-json'].includes(a)) {
    throw new Error(`unknown argument ${a} (use --rounds N, --max-rounds M, --json FILE, --results, --from-json FILE)`);
  }
  if (['--rounds', '--max-rounds', '--json', '--from-json'].includes(a) && !argv[i + 1]) throw new Error(`${a} needs a value`);
}
let rounds = Number(opt('--rounds') ?? '5');
const maxRounds = Number(opt('--max-rounds') ?? String(2 * rounds));
if (!MODELS.every((m) => existsSync(join(DIR, m, 'reference.json')))) {
  console.log(`transformer benchmark skipped: ${DIR} is missing; make it with /usr/bin/python3 tools/make_bench_models.py`);
  process.exit(0);
}

let load = { before: loadavg()[0], during: [] }, quantized, sizes, runs = {}, dir;
if (opt('--from-json')) {
  // Only the tables again, from an earlier run's --json.
  ({ load, quantized, sizes, runs, rounds } = JSON.parse(readFileSync(opt('--from-json'), 'utf8')));
} else {
  quantized = await makeQ8Folders();
  dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-bench-transformer-'));
  try {
    runs[1] = child(1, rounds, ENGINES, MODELS, 'all');
    load.during.push(loadavg()[0]);
    runs[2] = twoThreads();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  load.after = loadavg()[0];
  sizes = diskSizes();
  if (opt('--json')) await writeJsonAtomic(opt('--json'), { machine: machine(), rounds, load, quantized, sizes, runs });
}

const tables = report();
console.log(`\n${tables}`);
if (argv.includes('--results')) await writeSection(tables);
process.exit(0);

/** One bench/transformer/child.mjs process; its JSON. */
function child(threads, r, engines, models, tag) {
  const file = join(dir, `${threads}-${tag}.json`);
  execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', 'bench/transformer/child.mjs', '--threads', String(threads), '--rounds', String(r),
    '--engines', engines.join(','), '--models', models.join(','), '--dir', DIR, '--json', file], { stdio: ['ignore', 'inherit', 'inherit'] });
  return JSON.parse(readFileSync(file, 'utf8'));
}

/**
 * 2 threads: in round r, for each model, every engine once in a fresh process of its own, in an
 * order rotated by r. A model's round is clean when the rest of the machine used under
 * CLEAN_OTHER_CORES while each of its engines was timed; rounds go on until every model has
 * `rounds` clean ones (or maxRounds have run), and each model's figures are those of its clean
 * rounds (of all, when none was). Put together in the 1-thread run's shape.
 */
function twoThreads() {
  const out = { threads: 2, names: {}, notes: new Set(), models: {} };
  const skipped = new Set(), groups = Object.fromEntries(MODELS.map((m) => [m, []]));
  const cleanCount = (model) => groups[model].filter((g) => g.clean).length;
  for (let r = 0; r < maxRounds && MODELS.some((m) => cleanCount(m) < rounds); r++) {
    for (const model of MODELS.filter((m) => cleanCount(m) < rounds)) {
      const order = ENGINES.map((_, i) => ENGINES[(i + r) % ENGINES.length]).filter((k) => !skipped.has(`${model} ${k}`));
      const group = { results: {}, other: 0 };
      for (const key of order) {
        const res = child(2, 1, [key], [model], `${model}-${key}-${r}`);
        Object.assign(out.names, res.names);
        out.build = res.build;
        out.ort ??= res.ort;
        res.notes.forEach((n) => out.notes.add(n));
        const got = res.models[model];
        if (got.perRound[key] === undefined) {
          skipped.add(`${model} ${key}`); // this build or these files cannot run it: no point starting it again
          continue;
        }
        group.results[key] = got;
        group.other = Math.max(group.other, got.otherCores ?? 0);
      }
      group.clean = group.other < CLEAN_OTHER_CORES;
      groups[model].push(group);
      load.during.push(loadavg()[0]);
      console.error(`[2 threads] ${model} round ${r + 1}: the rest of the machine used up to ${group.other.toFixed(2)} cores${group.clean ? ' (clean)' : ''}`);
    }
  }
  for (const model of MODELS) {
    const clean = cleanCount(model), kept = clean ? groups[model].filter((g) => g.clean) : groups[model];
    const m = (out.models[model] = { load: {}, loads: {}, checks: {}, folders: {}, ms: {}, perRound: {}, cpuPerWalls: [],
      roundsRun: groups[model].length, cleanRounds: clean, otherCores: groups[model].map((g) => g.other) });
    for (const g of kept) {
      for (const [key, got] of Object.entries(g.results)) {
        (m.perRound[key] ??= []).push(got.perRound[key][0]);
        (m.loads[key] ??= []).push(got.load[key]);
        m.checks[key] = got.checks[key];
        if (got.folders[key]) m.folders[key] = got.folders[key];
        m.cpuPerWalls.push(got.cpuPerWall);
      }
    }
    for (const [key, t] of Object.entries(m.perRound)) m.ms[key] = median(t);
    for (const [key, t] of Object.entries(m.loads)) m.load[key] = median(t);
  }
  out.notes = [...out.notes];
  return out;
}

/** wasm-nlp's q8 folders, written by the package's quantizeCheckpoint where missing or stale. */
async function makeQ8Folders() {
  const lib = await import('../dist/index.js');
  const made = {};
  if (typeof lib.quantizeCheckpoint !== 'function') {
    console.error('(this build has no quantizeCheckpoint: wasm-nlp q8, if it runs, quantizes the f32 folder at load)');
    return made;
  }
  for (const model of MODELS) {
    const from = join(DIR, model), to = join(DIR, `${model}-q8`);
    // Written again when the checkpoint or the package (its q8 format) is newer than it.
    const newest = Math.max(statSync(join(from, 'model.safetensors')).mtimeMs, statSync(new URL('../dist/index.js', import.meta.url)).mtimeMs);
    const fresh = existsSync(join(to, 'config.json')) && statSync(join(to, 'config.json')).mtimeMs >= newest;
    if (fresh) continue;
    rmSync(to, { recursive: true, force: true });
    const t0 = performance.now();
    const r = await lib.quantizeCheckpoint(from, to);
    made[model] = { ms: performance.now() - t0, quantized: r.quantized, kept: r.kept, inputBytes: r.inputBytes, outputBytes: r.outputBytes };
    console.error(`quantizeCheckpoint ${from} → ${to}: ${r.quantized} tensors int8, ${r.kept} f32, ${(r.outputBytes / 1e6).toFixed(1)} MB, ${(made[model].ms / 1e3).toFixed(1)} s`);
  }
  return made;
}

/** Bytes of what each engine reads: a model folder (its checkpoint, config and tokenizer files), or one .onnx file. */
function diskSizes() {
  const folderBytes = (d) => readdirSync(d).filter((f) => !f.endsWith('.onnx') && !f.startsWith('reference.'))
    .reduce((s, f) => s + statSync(join(d, f)).size, 0);
  const sizes = {};
  for (const model of MODELS) {
    const d = join(DIR, model), onnx = model === 'marian-base' ? 'decoder_with_past' : 'encoder';
    const q8 = runs[1].models[model].folders['ours-q8'];
    const size = (f) => (existsSync(f) ? statSync(f).size : undefined);
    sizes[model] = {
      'ours-f32': { what: `${model}/ (safetensors, config, tokenizer)`, bytes: folderBytes(d) },
      'ours-q8': q8 && q8 !== d ? { what: `${model}-q8/ (quantizeCheckpoint)`, bytes: folderBytes(q8) } : { what: `${model}/ quantized at load`, bytes: folderBytes(d) },
      'ort-f32': { what: `${onnx}.onnx`, bytes: size(join(d, `${onnx}.onnx`)) },
      'ort-q8': { what: `${onnx}-q8.onnx`, bytes: size(join(d, `${onnx}-q8.onnx`)) },
    };
  }
  return sizes;
}

// --- the report ---


/** Median over rounds of t_a / t_b (a latency ratio: below 1, a is faster). */
function latencyRatio(m, a, b) {
  const ta = m.perRound[a], tb = m.perRound[b];
  if (!ta || !tb) return undefined;
  return median(ta.map((t, r) => t / tb[r]));
}

function latencyTable() {
  const header = ['model', 'threads', 'wasm-nlp f32 ms', 'ort-web f32 ms', 'f32: wasm-nlp / ort-web', 'wasm-nlp q8 ms', 'ort-web q8 ms',
    'q8: wasm-nlp / ort-web', 'wasm-nlp q8 / ort-web f32', 'wasm-nlp q8 / f32', 'ort-web q8 / f32', 'JS twin ms'];
  const rows = [];
  for (const model of MODELS) {
    for (const threads of [1, 2]) {
      const m = runs[threads].models[model];
      rows.push([LABEL[model], threads, ms(m.ms['ours-f32']), ms(m.ms['ort-f32']), times(latencyRatio(m, 'ours-f32', 'ort-f32')),
        ms(m.ms['ours-q8']), ms(m.ms['ort-q8']), times(latencyRatio(m, 'ours-q8', 'ort-q8')), times(latencyRatio(m, 'ours-q8', 'ort-f32')),
        times(latencyRatio(m, 'ours-q8', 'ours-f32')), times(latencyRatio(m, 'ort-q8', 'ort-f32')), ms(m.jsTwin?.ms)]);
    }
  }
  return mdTable(header, rows);
}

function sizeTable() {
  const header = ['model', 'engine', 'reads', 'MB on disk', 'q8 / f32 bytes', 'load ms, 1 thread', 'load ms, 2 threads', 'worst cosine to torch'];
  const rows = [];
  for (const model of MODELS) {
    for (const key of ENGINES) {
      const s = sizes[model][key], one = runs[1].models[model], two = runs[2].models[model];
      const f32 = sizes[model][key.replace('q8', 'f32')];
      const check = one.checks[key] ?? two?.checks[key];
      const ran = one.ms[key] !== undefined || two?.ms[key] !== undefined;
      rows.push([LABEL[model].replace(/, seq 128| decode step/, ''), runs[1].names[key] ?? key, ran ? s.what : '(not run)', s.bytes === undefined || !ran ? '–' : (s.bytes / 1e6).toFixed(1),
        ran && key.endsWith('q8') && s.bytes && f32.bytes ? (s.bytes / f32.bytes).toFixed(3) : '', ms(one.load[key]), ms(two?.load[key]),
        check ? check.cosine.worst.toFixed(6) + (check.argmaxAgrees === false ? ' (arg max differs)' : '') : '–']);
      if (key === 'ours-q8' && one.load['ours-q8-from-f32'] !== undefined) {
        rows.push(['', `${runs[1].names[key]}, f32 folder with dtype 'q8'`, `${model}/ quantized at load`, (sizes[model]['ours-f32'].bytes / 1e6).toFixed(1), '', ms(one.load['ours-q8-from-f32']), '', '']);
      }
    }
  }
  return mdTable(header, rows, 3);
}

function targetsTable() {
  const rows = [];
  const row = (what, value, bar, fmt = (x) => x.toFixed(3)) => rows.push([what, value === undefined ? '–' : fmt(value), `≤ ${fmt(bar)}`, value === undefined ? '–' : value <= bar ? 'yes' : 'no']);
  for (const model of ['bert-base', 'minilm-l6']) {
    for (const t of [1, 2]) row(`${LABEL[model]}, ${t} thread${t > 1 ? 's' : ''}: wasm-nlp q8 / ort-web q8 latency`, latencyRatio(runs[t].models[model], 'ours-q8', 'ort-q8'), 0.65);
  }
  for (const t of [1, 2]) {
    const m = runs[t].models['marian-base'];
    row(`Marian-base decode step, ${t} thread${t > 1 ? 's' : ''}: wasm-nlp q8 / ort-web f32`, latencyRatio(m, 'ours-q8', 'ort-f32'), 0.5);
    row(`Marian-base decode step, ${t} thread${t > 1 ? 's' : ''}: wasm-nlp q8 / ort-web q8`, latencyRatio(m, 'ours-q8', 'ort-q8'), 0.7);
  }
  const s = sizes['bert-base'], ran = runs[1].models['bert-base'].ms['ours-q8'] !== undefined;
  row('BERT-base: wasm-nlp q8 folder bytes / f32 folder bytes', ran ? s['ours-q8'].bytes / s['ours-f32'].bytes : undefined, 0.3, (x) => x.toFixed(3));
  const l1 = runs[1].models['bert-base'].load['ours-q8'], l2 = runs[2].models['bert-base']?.load['ours-q8'];
  row('BERT-base: wasm-nlp q8 load, files to ready, 1 thread (s)', l1 === undefined ? undefined : l1 / 1e3, 0.4);
  row('BERT-base: wasm-nlp q8 load, 2 threads, median over fresh processes (s)', l2 === undefined ? undefined : l2 / 1e3, 0.4);
  return mdTable(['issue 11 target', 'measured', 'target', 'met'], rows);
}

function mdTable(header, rows, textColumns = 1) {
  return [header, header.map((_, i) => (i < textColumns ? '---' : '---:')), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** How many 2-thread rounds were clean, per model. */
function cleanText() {
  const parts = MODELS.filter((mo) => runs[2].models[mo]?.roundsRun !== undefined)
    .map((mo) => `${mo} ${runs[2].models[mo].cleanRounds} of ${runs[2].models[mo].roundsRun}`);
  if (!parts.length) return '';
  return `. 2 threads, rounds clean (the rest of the machine under ${CLEAN_OTHER_CORES} core while each engine was timed; ` +
    `only those count, or all where none was): ${parts.join(', ')}`;
}

/** CPU time over wall time while timing (about the thread count when the process had its cores to itself). */
function cpuText() {
  const one = MODELS.map((mo) => runs[1].models[mo].cpuPerWall).filter((x) => x !== undefined);
  const other = MODELS.map((mo) => runs[1].models[mo].otherCores).filter((x) => x !== undefined);
  const two = MODELS.flatMap((mo) => runs[2].models[mo]?.cpuPerWalls ?? []).filter((x) => x !== undefined);
  const range = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
  const parts = [...(one.length ? [`1 thread ${range(one)}${other.length ? ` (the rest of the machine ${range(other)} cores meanwhile)` : ''}`] : []),
    ...(two.length ? [`2 threads ${range(two)}`] : [])];
  return parts.length ? `; CPU time / wall time while timing: ${parts.join(', ')} (about the thread count when a process had its cores to itself)` : '';
}

function report() {
  const m = machine(), one = runs[1];
  const peak = Math.max(load.before, ...load.during, load.after);
  const notes = new Set([...one.notes, ...runs[2].notes]);
  const caption = `${m.cpu}, ${m.cores} cores, Node ${m.node}; wasm-nlp ${one.build} build vs ${one.ort}; medians of ${rounds} rounds at 1 thread, of the clean rounds at 2 ` +
    `(ratios: medians of per-round latency ratios, below 1 wasm-nlp is faster); batch 1. 1 thread: every engine in one process, ` +
    `interleaved; 2 threads: each engine alone in a fresh process per round, alternating. 1-minute load average ` +
    `${load.before.toFixed(1)} before, ${Math.min(...load.during).toFixed(1)}–${Math.max(...load.during).toFixed(1)} during and ` +
    `${load.after.toFixed(1)} after the run${peak > 1.5 ? ` (over ${m.cores - 0.5} on ${m.cores} cores at times: other work competed for the cores)` : ''}` +
    cpuText() + cleanText();
  return `${caption}.

### Transformer latency

${latencyTable()}

### Size on disk and load time

Load: files to ready (wasm-nlp: loadModel; ort-web: reading the .onnx and InferenceSession.create;
the Marian rows: wasm-nlp loads the whole model, ort-web the decoder_with_past graph only). 1 thread:
one load in the shared process; 2 threads: median over the fresh processes of the rounds kept. Each library's runtime was
started before (not counted: wasm-nlp's init() ${ms(runs[1].initMs)} ms, ort-web's wasm module and thread pool
${ms(runs[1].ortInitMs)} ms at 1 thread). Worst cosine: over the 128 tokens' hidden states (Marian: the logits of the step).

${sizeTable()}

### Issue 11 targets

${targetsTable()}
${notes.size ? `\nNot measured: ${[...notes].join('; ')}.\n` : ''}`;
}

/** The Transformers section of bench/RESULTS.md (report.mjs updateResults keeps the others). */
async function writeSection(tables) {
  await updateResults('transformers', `## Transformers: wasm-nlp against onnxruntime-web, f32 and int8

\`npm run bench:transformer -- --results\` on ${new Date().toISOString().slice(0, 10)} (models: \`/usr/bin/python3
tools/make_bench_models.py\`). Random weights in BERT-base (12 layers, 768, 12 heads, FFN 3072)
and MiniLM-L6 (6 layers, 384, 12 heads, FFN 1536) shapes, sequence 128; a Marian-base (6+6
layers, 512, 8 heads, FFN 2048, vocabulary 58101) greedy decode step at position 10 over 20
source tokens, LM head included, with a KV cache in both engines (ort-web: an optimum-style
decoder_with_past.onnx). ort-web runs ONNX exports of the same weights (torch.onnx.export,
opset 17) with graph optimisation 'all'. q8: wasm-nlp reads the folder quantizeCheckpoint writes
(int8 weights and embeddings, a scale per row); ort-web runs the exports rewritten as
onnxruntime's quantize_dynamic does by default (tools/make_q8_onnx.py: int8 weights with one
scale per tensor, DynamicQuantizeLinear → MatMulInteger → Cast → Mul, uint8 word embeddings),
as transformers.js's q8 models on wasm. f32 outputs are checked against torch (max |Δ| ≤ 1e-4),
q8 ones by cosine (≥ 0.99 for every token) before timing. ${tables}`);
}
