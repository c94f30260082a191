// Decoder benchmark (issue 15): wasm-nlp's decoders against onnxruntime-web on the same random
// weights in real shapes (tools/make_bench_models.py writes SmolLM2-135M, GPT-2-small and
// flan-t5-small folders with decoder_with_past exports and their q8 rewrites to bench/.models):
// prefill of a 128-token prompt, decode tokens/s at position 128, load time, peak RSS, and the
// GB/s of weights each decode step reads against the machine's measured copy bandwidth.
//
//   npm run build && node --experimental-wasm-relaxed-simd bench/decoder.mjs [--rounds N] [--models a,b]
//     [--threads 1,2] [--engines ours-f32,ours-q8,ort-f32,ort-q8] [--steps N] [--prefills K] [--json FILE] [--results]
//   node bench/decoder.mjs --from-json FILE [--results]        # the tables again from an earlier --json
//
// Every engine runs alone in a fresh process (bench/decoder/child.mjs) per model, thread count and
// round, the engines alternating (the order rotates each round); onnxruntime-web and wasm-nlp are
// never in one process. Figures are medians over rounds; ratios are medians of per-round ratios.
// Each child records how many cores the rest of the machine used while it timed (cpu-share.mjs).
//
// Bytes a decode step reads: every weight matrix the step multiplies by (the LM head included;
// a tied embedding counted once, as the head; an embedding table of which one row is gathered, the
// position table and flan-t5's encoder and cross-attention K/V projections, computed once per
// source, not counted), times 4 bytes in f32 and 1 byte in q8 (scales and norms ignored: < 1%).
// GB/s = those bytes / the step's median time. Copy bandwidth: a 256 MB Float32Array.set with 1
// and 2 threads, bytes read and written / time (STREAM's convention: a copy of N bytes moves 2N).
//
// --results rewrites the decoders section of bench/RESULTS.md.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, median, updateResults, writeJsonAtomic } from './report.mjs';

const ALL_ENGINES = ['ours-f32', 'ort-f32', 'ours-q8', 'ort-q8'];
const DIR = 'bench/.models';
const LABEL = { 'smollm2-135m': 'SmolLM2-135M', 'gpt2-small': 'GPT-2-small', 'flan-t5-small': 'flan-t5-small', 'smollm2-360m': 'SmolLM2-360M' };
/** Under this share of a core used by the rest of the machine while an engine timed, its timing is clean. */
const CLEAN = 0.25;
const NAME = { 'ours-f32': 'wasm-nlp f32', 'ours-q8': 'wasm-nlp q8', 'ort-f32': 'ort-web f32', 'ort-q8': 'ort-web q8' };

const argv = process.argv.slice(2);
const KNOWN = ['--rounds', '--models', '--threads', '--engines', '--steps', '--prefills', '--json', '--from-json'];
for (const [i, a] of argv.entries()) {
  if (a.startsWith('--') && a !== '--results' && !KNOWN.includes(a)) throw new Error(`unknown argument ${a} (use ${KNOWN.join(', ')}, --results)`);
  if (KNOWN.includes(a) && !argv[i + 1]) throw new Error(`${a} needs a value`);
}
const opt = (name, d) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : d);

let data;
if (opt('--from-json')) {
  data = JSON.parse(readFileSync(opt('--from-json'), 'utf8'));
} else {
  const models = opt('--models', 'smollm2-135m,gpt2-small,flan-t5-small').split(',');
  for (const m of models) {
    if (!existsSync(join(DIR, m, 'reference.json'))) {
      console.log(`decoder benchmark: ${join(DIR, m)} is missing; make it with /usr/bin/python3 tools/make_bench_models.py --only ${models.join(',')}`);
      process.exit(0);
    }
  }
  const engines = opt('--engines', ALL_ENGINES.join(',')).split(',');
  for (const e of engines) if (!ALL_ENGINES.includes(e)) throw new Error(`--engines: unknown engine ${e} (use ${ALL_ENGINES.join(', ')})`);
  const threadCounts = opt('--threads', '1,2').split(',').map(Number);
  const rounds = Number(opt('--rounds', '3'));
  data = { machine: { ...machine(), lscpu: lscpuModel() }, date: new Date().toISOString(), rounds, models, engines, threadCounts, load: { before: loadavg()[0], during: [] } };
  data.copy = await copyBandwidth();
  console.error(`copy bandwidth: ${data.copy.GBps.toFixed(1)} GB/s with 1 thread, ${data.copy.GBps2.toFixed(1)} with 2 (bytes read + written per second, 256 MB Float32Array.set)`);
  data.quantized = await makeQ8Folders(models.filter(() => engines.includes('ours-q8')));
  data.stepBytes = Object.fromEntries(models.map((m) => [m, stepBytes(m)]));
  data.runs = [];
  const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-bench-decoder-'));
  try {
    for (let r = 0; r < rounds; r++) {
      for (const model of models) {
        for (const threads of threadCounts) {
          const order = engines.map((_, i) => engines[(i + r) % engines.length]);
          for (const engine of order) {
            const file = join(dir, `${model}-${engine}-${threads}-${r}.json`);
            try {
              execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', 'bench/decoder/child.mjs', '--engine', engine, '--model', model,
                '--threads', String(threads), '--steps', opt('--steps', '30'), '--prefills', opt('--prefills', '5'), '--dir', DIR, '--json', file],
              { stdio: ['ignore', 'inherit', 'inherit'] });
              data.runs.push({ round: r, ...JSON.parse(readFileSync(file, 'utf8')) });
            } catch (e) {
              console.error(`[${model} ${engine} ${threads}t round ${r + 1}] failed: ${e.message.split('\n')[0]}`);
              data.runs.push({ round: r, engine, model, threads, failed: e.message.split('\n')[0] });
            }
          }
          data.load.during.push(loadavg()[0]);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  data.copyAfter = await copyBandwidth();
  data.load.after = loadavg()[0];
  if (opt('--json')) await writeJsonAtomic(opt('--json'), data);
}

const text = report(data);
console.log(`\n${text}`);
if (argv.includes('--results')) await writeSection(text);
process.exit(0);

function lscpuModel() {
  try {
    return execFileSync('lscpu', { encoding: 'utf8' }).match(/Model name:\s*(.+)/)?.[1].trim();
  } catch {
    return undefined;
  }
}

/**
 * Copy bandwidth: 256 MB of Float32Array copied with set(), best of 7 after a warm-up, bytes read
 * and written per second (STREAM's count: 2 × 256 MB a copy); with 1 thread (this one) and with 2 (two worker threads each copying half of a
 * SharedArrayBuffer at the same time), as a decode step reads with 1 or 2 threads.
 */
async function copyBandwidth() {
  const n = 64 * 2 ** 20;
  const a = new Float32Array(new SharedArrayBuffer(4 * n)), b = new Float32Array(new SharedArrayBuffer(4 * n));
  for (let i = 0; i < n; i += 1024) a[i] = i; // touch the pages
  b.set(a);
  const times = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    b.set(a);
    times.push(performance.now() - t);
  }
  const one = Math.min(...times);
  const { Worker } = await import('node:worker_threads');
  const code = `const { parentPort, workerData: { a, b, lo, hi } } = require('node:worker_threads');
    const x = new Float32Array(a, lo * 4, hi - lo), y = new Float32Array(b, lo * 4, hi - lo);
    parentPort.on('message', () => { y.set(x); parentPort.postMessage(0); });`;
  const workers = [0, 1].map((k) => new Worker(code, { eval: true, workerData: { a: a.buffer, b: b.buffer, lo: (k * n) / 2, hi: ((k + 1) * n) / 2 } }));
  const round = () => Promise.all(workers.map((w) => new Promise((ok) => { w.once('message', ok); w.postMessage(0); })));
  await round();
  const times2 = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    await round();
    times2.push(performance.now() - t);
  }
  await Promise.all(workers.map((w) => w.terminate()));
  const two = Math.min(...times2);
  // STREAM's convention: a copy of N bytes moves 2N (N read, N written).
  return { bytes: 4 * n, readWrite: true, GBps: (8 * n) / one / 1e6, GBps2: (8 * n) / two / 1e6 };
}

/** The tensors of a safetensors file: { name: { dtype, shape } }. */
function safetensorsHeader(file) {
  const fd = openSync(file, 'r');
  try {
    const len = Buffer.alloc(8);
    readSync(fd, len, 0, 8, 0);
    const n = Number(len.readBigUInt64LE(0)), head = Buffer.alloc(n);
    readSync(fd, head, 0, n, 8);
    const h = JSON.parse(head.toString('utf8'));
    delete h.__metadata__;
    return h;
  } finally {
    closeSync(fd);
  }
}

/** Parameters of the weight matrices one decode step reads (see the header), from the f32 checkpoint. */
function stepBytes(model) {
  const h = safetensorsHeader(join(DIR, model, 'model.safetensors'));
  const count = (name) => h[name].shape.reduce((a, b) => a * b, 1);
  let params = 0;
  for (const name of Object.keys(h)) {
    if (h[name].shape.length !== 2) continue; // norms and biases: ignored
    if (/wpe|relative_attention_bias/.test(name)) continue; // one row gathered
    if (/^encoder\./.test(name) || /EncDecAttention\.[kv]\./.test(name)) continue; // once per source
    if (name === 'shared.weight') continue; // flan-t5: untied, one row gathered
    params += count(name); // llama's and GPT-2's tied embedding: read whole by the LM head
  }
  return { params, f32: 4 * params, q8: params };
}

/** wasm-nlp's q8 folders, written by the package's quantizeCheckpoint where missing or stale (as bench/transformer.mjs). */
async function makeQ8Folders(models) {
  const lib = await import('../dist/index.js');
  const made = {};
  for (const model of models) {
    const from = join(DIR, model), to = join(DIR, `${model}-q8`);
    const newest = Math.max(statSync(join(from, 'model.safetensors')).mtimeMs, statSync(new URL('../dist/index.js', import.meta.url)).mtimeMs);
    if (existsSync(join(to, 'config.json')) && statSync(join(to, 'config.json')).mtimeMs >= newest) continue;
    rmSync(to, { recursive: true, force: true });
    const t0 = performance.now();
    const r = await lib.quantizeCheckpoint(from, to);
    made[model] = { ms: performance.now() - t0, quantized: r.quantized, kept: r.kept, outputBytes: r.outputBytes };
    console.error(`quantizeCheckpoint ${from} → ${to}: ${r.quantized} tensors int8, ${r.kept} f32, ${(r.outputBytes / 1e6).toFixed(1)} MB`);
  }
  return made;
}

// --- the report ---

/** One engine's runs on a model at a thread count: the clean ones where there are any, else all. */
function cell(d, model, threads, engine) {
  const all = d.runs.filter((r) => r.model === model && r.threads === threads && r.engine === engine && !r.failed);
  const clean = all.filter((r) => r.otherCores !== undefined && r.otherCores < CLEAN);
  return clean.length ? clean : all;
}
function cleanCount(d, model, threads, engine) {
  return d.runs.filter((r) => r.model === model && r.threads === threads && r.engine === engine && !r.failed && r.otherCores < CLEAN).length;
}
function med(rs, f) {
  return rs.length ? median(rs.map(f)) : undefined;
}
function fmt(x, digits = 1) {
  return x === undefined ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(digits);
}

/**
 * Median over rounds of f(a's run) / f(b's run), the runs of one round paired: the clean runs when
 * both engines have some, else all (a clean run is never paired with one that had competition).
 */
function pairedRatio(d, model, threads, a, b, f) {
  const runs = (e) => d.runs.filter((r) => r.model === model && r.threads === threads && r.engine === e && !r.failed);
  const bothClean = cleanCount(d, model, threads, a) > 0 && cleanCount(d, model, threads, b) > 0;
  const pick = (e) => (bothClean ? runs(e).filter((r) => r.otherCores < CLEAN) : runs(e));
  const A = pick(a), B = pick(b);
  const xs = A.map((ra) => {
    const rb = B.find((x) => x.round === ra.round);
    return rb ? f(ra) / f(rb) : undefined;
  }).filter((x) => x !== undefined);
  if (xs.length) return median(xs);
  // No round where both ran (clean runs of different rounds): the ratio of the medians.
  return A.length && B.length ? median(A.map(f)) / median(B.map(f)) : undefined;
}

function report(d) {
  // Data from before the read + written count: bytes copied per second, doubled here.
  for (const c of [d.copy, d.copyAfter]) {
    if (c && !c.readWrite) Object.assign(c, { readWrite: true, GBps: 2 * c.GBps, GBps2: c.GBps2 && 2 * c.GBps2 });
  }
  const m = d.machine, engines = d.engines;
  const lines = [];
  const table = (header, rows) => [header, header.map((_, i) => (i < 2 ? '---' : '---:')), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
  const tps = (r) => 1e3 / r.stepMs;
  const rows = [];
  for (const model of d.models) {
    for (const t of d.threadCounts) {
      for (const e of engines) {
        const rs = cell(d, model, t, e);
        const bytes = d.stepBytes[model][e.endsWith('q8') ? 'q8' : 'f32'];
        const bw = t === 1 ? d.copy.GBps : d.copy.GBps2 ?? d.copy.GBps;
        const stepMs = med(rs, (r) => r.stepMs);
        rows.push([LABEL[model], `${t}`, NAME[e], fmt(med(rs, (r) => r.prefillMs)), fmt(stepMs, 2), fmt(stepMs && 1e3 / stepMs),
          stepMs ? (bytes / stepMs / 1e6).toFixed(1) : '–', stepMs ? `${((bytes / stepMs / 1e6) / bw * 100).toFixed(0)}%` : '–',
          fmt(med(rs, (r) => r.loadMs), 0), fmt(med(rs, (r) => r.peakRssMB), 0),
          `${cleanCount(d, model, t, e)} of ${d.runs.filter((r) => r.model === model && r.threads === t && r.engine === e && !r.failed).length}`]);
      }
    }
  }
  const other = d.runs.filter((r) => r.otherCores !== undefined).map((r) => r.otherCores);
  const busy = other.filter((x) => x >= CLEAN).length;
  const load = d.load;
  const copy = (c) => (c ? `${c.GBps.toFixed(1)} GB/s with 1 thread, ${c.GBps2 ? c.GBps2.toFixed(1) : '–'} with 2` : '–');
  lines.push(`Machine: ${d.machine.lscpu ?? m.cpu} (lscpu model name), ${m.cores} cores, Node ${m.node}; ${d.date.slice(0, 10)}. ` +
    `Copy bandwidth (256 MB Float32Array.set, bytes read + written per second, best of 7): ${copy(d.copy)} before the run, ${copy(d.copyAfter)} after; ` +
    `"of copy bw" compares a step's GB/s with the before figure at its thread count. ${d.rounds} rounds; each engine alone in a fresh process per model, thread count and round, ` +
    `the engines' order rotating. Medians over the clean runs of each engine (the rest of the machine under ${CLEAN} core while it timed), over all where none was clean; ` +
    `ratios: medians over rounds of the same round's pair. ` +
    `The rest of the machine used ${other.length ? `${Math.min(...other).toFixed(2)}–${Math.max(...other).toFixed(2)}` : '?'} cores while engines timed ` +
    `(${busy} of ${other.length} timings had ≥ ${CLEAN} core of other work: other sessions' tests and benches shared this 2-core machine); ` +
    `1-minute load average ${load.before.toFixed(1)} before, ${Math.min(...load.during).toFixed(1)}–${Math.max(...load.during).toFixed(1)} during.` +
    (d.note ? ` ${d.note}` : ''));
  lines.push('');
  lines.push(table(['model', 'threads', 'engine', 'prefill 128 ms', 'decode step ms', 'tokens/s', 'GB/s read', 'of copy bw', 'load ms', 'peak RSS MB', 'clean runs'], rows));
  lines.push('');
  lines.push(`Bytes read per decode step (weights, see bench/decoder.mjs): ${d.models.map((mo) => `${LABEL[mo]} ${(d.stepBytes[mo].f32 / 1e6).toFixed(0)} MB f32, ${(d.stepBytes[mo].q8 / 1e6).toFixed(0)} MB q8`).join('; ')}.`);
  lines.push('');
  // Targets: decode tokens/s ratios (ours / ort), prefill time ratios (ours / ort).
  const trows = [];
  for (const model of d.models) {
    for (const t of d.threadCounts) {
      const dq = pairedRatio(d, model, t, 'ort-q8', 'ours-q8', (r) => r.stepMs); // = our tokens/s over ort's
      const df = pairedRatio(d, model, t, 'ort-f32', 'ours-f32', (r) => r.stepMs);
      const pq = pairedRatio(d, model, t, 'ours-q8', 'ort-q8', (r) => r.prefillMs);
      const pf = pairedRatio(d, model, t, 'ours-f32', 'ort-f32', (r) => r.prefillMs);
      const yes = (x, ok) => (x === undefined ? '–' : ok(x) ? 'yes' : 'no');
      trows.push([LABEL[model], `${t}`, fmt(dq, 2), yes(dq, (x) => x >= 1.4), fmt(df, 2), yes(df, (x) => x >= 1.2),
        fmt(pq, 2), yes(pq, (x) => x <= 0.7), fmt(pf, 2), yes(pf, (x) => x <= 0.7)]);
    }
  }
  lines.push(table(['model', 'threads', 'decode q8: ours / ort tokens/s (≥ 1.4)', 'met', 'decode f32: ours / ort (≥ 1.2)', 'met',
    'prefill q8: ours / ort time (≤ 0.7)', 'met', 'prefill f32: ours / ort time (≤ 0.7)', 'met'], trows));
  const failed = d.runs.filter((r) => r.failed);
  if (failed.length) lines.push(`\nFailed runs: ${failed.map((r) => `${r.model} ${r.engine} ${r.threads}t round ${r.round + 1}: ${r.failed}`).join('; ')}.`);
  return lines.join('\n');
}

async function writeSection(text) {
  await updateResults('decoders', `## Decoders: wasm-nlp against onnxruntime-web (issue 15)

\`node --experimental-wasm-relaxed-simd bench/decoder.mjs --rounds 3 --steps 20 --prefills 3 --json FILE --results\` (models: \`/usr/bin/python3 tools/make_bench_models.py
--only smollm2-135m,gpt2-small,flan-t5-small\`). Random weights in real shapes: SmolLM2-135M (llama, 30 layers, D 576,
9 heads, 3 KV heads, F 1536, V 49152, tied), GPT-2-small (12 layers, D 768, 12 heads, F 3072, V 50257) and flan-t5-small
(8+8 layers, D 512, 6 heads of 64, F 1024 gated-gelu, V 32128, untied). ort-web ${'1.30'} (wasm, graph optimisation 'all')
runs torch.onnx.export decoder_with_past graphs of the same weights (opset 17; logits of the last position only), and
their q8 rewrite as onnxruntime's quantize_dynamic does (tools/make_q8_onnx.py: int8 per-tensor weights, uint8
embeddings); wasm-nlp q8 reads its quantizeCheckpoint folder. Prefill: the 128-token prompt through the decoder,
the last logits out (flan-t5: its encoder over 128 source tokens). Decode: one token at position 128 (flan-t5: decoder
position 128 over 128 source tokens), LM head included; tokens/s = 1000 / the step's median ms. Outputs checked against
torch before timing (f32: max |Δ| ≤ 1e-4 of the largest logit; q8: cosine ≥ 0.99). Peak RSS: the process's maxRSS
(runtime, model and buffers). Ratios: medians over rounds of the same round's pair.

${text}`);
}
