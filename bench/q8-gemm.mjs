// q8 GEMM benchmark (issue 11): wasm-nlp's int8 matmul (packB with dtype 'q8': int8 weights, the
// rows of A quantized on every call) against its own f32 matmul and against onnxruntime-web's
// q8 (DynamicQuantizeLinear → MatMulInteger → Cast → Mul, what quantize_dynamic makes of a
// Linear) and f32 MatMul, on BERT-base's GEMM shapes and one token (1×768×768), in G op/s =
// 2·m·k·n / time. Our relaxed-SIMD and plain-SIMD builds both.
//
//   npm run build && node bench/q8-gemm.mjs [--rounds N] [--max-rounds M] [--time MS] [--no-browser] [--no-node]
//     [--json FILE] [--results]
//   node bench/q8-gemm.mjs --from-json FILE [--results]     # the tables again from an earlier --json
//
// - Node 20, 1 thread: every engine in one process (bench/q8-gemm/node.mjs, run with
//   --experimental-wasm-relaxed-simd), interleaved round by round (bench/harness.mjs).
// - Node 20, 2 threads: each engine alone in its own process, one process per engine and round,
//   the engines alternating (the order rotates each round): two engines' worker threads in one
//   process would compete for this machine's 2 cores. Only clean rounds count (the rest of the
//   machine used under a quarter of a core while each engine was timed, bench/cpu-share.mjs):
//   rounds go on until N are clean or M (default 2N) have run. A rate is the median over the
//   rounds, a ratio the median of the per-round ratios.
// - Chromium (Debian's /usr/bin/chromium through playwright-core), 1 thread: wasm-nlp's engines
//   in one page from dist/index.browser.js (bench/q8-gemm/page.mjs, warmed up first).
//
// --results rewrites the q8-gemm section of bench/RESULTS.md (and bench/chart.svg).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ratio } from './harness.mjs';
import { CLEAN_OTHER_CORES } from './cpu-share.mjs';
import { machine, median, updateResults, writeJsonAtomic } from './report.mjs';
import { ENGINES, SHAPES, shapeName } from './q8-gemm/shapes.mjs';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CHROMIUM = '/usr/bin/chromium';

const argv = process.argv.slice(2);
const known = ['--rounds', '--max-rounds', '--time', '--json', '--results', '--no-browser', '--no-node', '--from-json'];
for (const [i, a] of argv.entries()) {
  if (a.startsWith('--') && !known.includes(a)) throw new Error(`unknown argument ${a} (use ${known.join(', ')})`);
  if (['--rounds', '--max-rounds', '--time', '--json', '--from-json'].includes(a) && !argv[i + 1]) throw new Error(`${a} needs a value`);
}
const opt = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const rounds = Number(opt('--rounds', '7')), timeMs = Number(opt('--time', '250')), maxRounds = Number(opt('--max-rounds', String(2 * rounds)));

const load = { before: loadavg()[0], during: [] };
const sampleLoad = () => load.during.push(loadavg()[0]);
let out = { machine: machine(), rounds, timeMs, node: {}, chromium: undefined, load }, dir;
if (opt('--from-json')) {
  out = JSON.parse(readFileSync(opt('--from-json'), 'utf8')); // only the tables again, from an earlier run's --json
} else {
  dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-bench-q8-gemm-'));
  try {
    if (!argv.includes('--no-node')) {
      out.node[1] = child(1, 'all', rounds, 'one');
      sampleLoad();
      out.node[2] = twoThreads();
    }
    if (!argv.includes('--no-browser')) out.chromium = await chromium();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  load.after = loadavg()[0];
  if (opt('--json')) await writeJsonAtomic(opt('--json'), out);
}

const text = report(out);
console.log(text);
if (argv.includes('--results')) await updateResults('q8-gemm', text);
process.exit(0);

/** One bench/q8-gemm/node.mjs process; its JSON. */
function child(threads, engines, r, tag) {
  const file = join(dir, `${threads}-${engines}-${tag}.json`);
  execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', join(ROOT, 'bench/q8-gemm/node.mjs'), '--threads', String(threads),
    '--engines', engines, '--rounds', String(r), '--time', String(timeMs), '--json', file], { stdio: ['ignore', 'inherit', 'inherit'] });
  return JSON.parse(readFileSync(file, 'utf8'));
}

/**
 * 2 threads: round r runs every engine once, each in a fresh process of its own, in an order
 * rotated by r. A round is clean when the rest of the machine used under CLEAN_OTHER_CORES
 * while each of its engines was timed; rounds go on until `rounds` are clean (or maxRounds have
 * run), and the rows are put together from the clean rounds (from all, when none was).
 */
function twoThreads() {
  const names = {}, notes = new Set(), all = [], skipped = new Set();
  let clean = 0;
  for (let r = 0; r < maxRounds && clean < rounds; r++) {
    const order = ENGINES.map((_, i) => ENGINES[(i + r) % ENGINES.length]).filter((e) => !skipped.has(e));
    const round = { results: {}, other: 0, cpu: [] };
    for (const key of order) {
      const res = child(2, key, 1, `r${r}`);
      res.notes.forEach((n) => notes.add(n));
      if (!res.engines[key]) {
        skipped.add(key); // an engine this build cannot run: no point starting it again
        continue;
      }
      names[key] = res.engines[key];
      round.results[key] = res;
      round.other = Math.max(round.other, res.otherCores ?? 0);
      round.cpu.push(res.cpuPerWall);
    }
    round.clean = round.other < CLEAN_OTHER_CORES;
    clean += round.clean;
    all.push(round);
    sampleLoad();
    console.error(`[q8-gemm, 2 threads] round ${r + 1}: the rest of the machine used up to ${round.other.toFixed(2)} cores${round.clean ? ' (clean)' : ''}`);
  }
  const kept = clean ? all.filter((r) => r.clean) : all;
  const rows = SHAPES.map((sh) => {
    const shape = shapeName(sh), work = 2 * sh[0] * sh[1] * sh[2];
    const perRound = {};
    for (const round of kept) {
      for (const [key, res] of Object.entries(round.results)) {
        const row = res.rows.find((x) => x.shape === shape);
        (perRound[names[key]] ??= []).push(row.perRound[names[key]][0]);
      }
    }
    const engines = Object.fromEntries(Object.entries(perRound).map(([n, t]) => [n, { seconds: median(t), rate: work / median(t) / 1e9 }]));
    return { kernel: 'matmul', shape, unit: 'G op/s', engines, perRound };
  });
  return { threads: 2, engines: names, notes: [...notes], cpuPerWall: kept.flatMap((r) => r.cpu), roundsRun: all.length, cleanRounds: clean,
    otherCores: all.map((r) => r.other), rows };
}

/** The page in Chromium, from a static server of the repository (dist/ and bench/) on 127.0.0.1. */
async function chromium() {
  if (!existsSync(CHROMIUM)) return { skipped: `${CHROMIUM} is missing (apt-get install chromium)` };
  if (!existsSync(join(ROOT, 'dist/index.browser.js'))) return { skipped: 'dist/index.browser.js is missing (npm run build)' };
  const { chromium: pw } = await import('playwright-core');
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    // Cross-origin isolated, so that performance.now() has its fine resolution.
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    const file = resolve(ROOT, '.' + normalize(path));
    const allowed = file.startsWith(join(ROOT, 'dist')) || file.startsWith(join(ROOT, 'bench', 'q8-gemm'));
    try {
      if (path === '/') {
        res.writeHead(200, { 'Content-Type': 'text/html', ...headers });
        return res.end('<!doctype html><meta charset="utf-8"><title>q8 GEMM</title><script type="module" src="/bench/q8-gemm/page.mjs' + `?${new URLSearchParams({ rounds, time: timeMs })}"></script>`);
      }
      if (!allowed) throw new Error('not served');
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': { '.js': 'text/javascript', '.mjs': 'text/javascript', '.map': 'application/json' }[extname(file)] ?? 'application/octet-stream', ...headers });
      res.end(body);
    } catch {
      res.writeHead(404, headers);
      res.end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const browser = await pw.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${server.address().port}/?rounds=${rounds}&time=${timeMs}`);
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 20 * 60_000, polling: 1000 });
    const result = await page.evaluate(() => window.result);
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    if (result.error) throw new Error(`page failed: ${result.error}`);
    result.version = browser.version();
    sampleLoad();
    return result;
  } finally {
    await browser.close();
    await new Promise((ok) => server.close(ok));
  }
}

// --- the report ---

function fmtRate(x) {
  return x === undefined ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** A Markdown table: a G op/s column per engine present, then the ratios (a / b: how many times faster a is). */
function table(rows, names, pairs) {
  const present = names.filter((n) => rows.some((r) => r.engines[n]));
  const ratios = pairs.filter(([a, b]) => present.includes(a) && present.includes(b));
  const short = (n) => n.replace(/^wasm-nlp /, '');
  const header = ['shape', ...present.map((n) => `${n}, G op/s`), ...ratios.map(([a, b]) => `${short(a)} / ${short(b)}`)];
  const lines = rows.map((r) => [r.shape, ...present.map((n) => fmtRate(r.engines[n]?.rate)), ...ratios.map(([a, b]) => {
    const x = ratio(r, a, b);
    return x === undefined ? '–' : `${x.toFixed(2)}×`;
  })]);
  return [header, header.map((_, i) => (i ? '---:' : '---')), ...lines].map((l) => `| ${l.join(' | ')} |`).join('\n');
}

function nodeTable(run) {
  const n = (key) => run.engines[key];
  const names = ENGINES.map(n).filter(Boolean);
  const pairs = [
    [n('q8-relaxed'), n('ort-q8')], [n('q8-relaxed'), n('f32-relaxed')], [n('q8-simd'), n('ort-q8')], [n('q8-simd'), n('f32-simd')],
    [n('f32-relaxed'), n('ort-f32')], [n('ort-q8'), n('ort-f32')],
  ].filter(([a, b]) => a && b);
  return table(run.rows, names, pairs);
}

/** CPU time over wall time while timing (about the thread count when the process had its cores). */
function cpuText(o) {
  const parts = [];
  if (o.node[1]?.cpuPerWall) parts.push(`1 thread ${o.node[1].cpuPerWall.toFixed(2)}${o.node[1].otherCores !== undefined ? ` (the rest of the machine ${o.node[1].otherCores.toFixed(2)} cores meanwhile)` : ''}`);
  const two = o.node[2]?.cpuPerWall?.filter((x) => x !== undefined) ?? [];
  if (two.length) parts.push(`2 threads ${Math.min(...two).toFixed(2)}–${Math.max(...two).toFixed(2)} over the processes`);
  return parts.length ? ` CPU time / wall time while timing: ${parts.join('; ')} (about the thread count when the process had its cores to itself).` : '';
}

function report(o) {
  const m = o.machine;
  const l = o.load;
  const loadText = `1-minute load average ${l.before.toFixed(1)} before, ${Math.min(...l.during, l.after).toFixed(1)}–${Math.max(...l.during, l.after).toFixed(1)} ` +
    `during, ${l.after.toFixed(1)} after the run${Math.max(l.before, ...l.during, l.after) > 1.5 ? ` (at times over ${m.cores - 0.5} on ${m.cores} cores: other work competed, read the ratios more than the rates)` : ''}`;
  const parts = [`## q8 GEMM: wasm-nlp int8 against its f32 and onnxruntime-web

\`node bench/q8-gemm.mjs --results\` on ${new Date().toISOString().slice(0, 10)}. ${m.cpu}, ${m.cores} cores, ${m.platform}, Node ${m.node}
(V8 ${m.v8}). C = A·Bᵀ with B n×k as a PyTorch Linear stores it, no bias; G op/s = 2·m·k·n / time.
wasm-nlp q8: \`packB(b, { k, n, transB: true, dtype: 'q8' })\` once, then \`matmul(a, packed, { m })\`
(int8 weights with a scale per column, the rows of A quantized on every call); f32: the same
without dtype. ort-web ${'q8'}: DynamicQuantizeLinear → MatMulInteger → Cast → Mul (onnxruntime's
quantize_dynamic form, per-tensor int8 B), graph optimisation 'all'; ort-web f32: MatMul. Every
engine takes A from a Float32Array and returns C in one. Median of ${o.rounds} rounds of ${o.timeMs} ms per
engine; ratios are medians of per-round ratios (a / b: how many times faster a is). ${loadText}.${cpuText(o)}`];
  const notes = new Set([...(o.node[1]?.notes ?? []), ...(o.node[2]?.notes ?? []), ...(o.chromium?.notes ?? [])]);
  if (o.node[1]) {
    parts.push(`### Node, 1 thread (all engines in one process, interleaved; \`--experimental-wasm-relaxed-simd\`)\n\n${nodeTable(o.node[1])}`);
  }
  if (o.node[2]) {
    const t = o.node[2];
    const clean = t.cleanRounds ? `${t.cleanRounds} of the ${t.roundsRun} rounds run were clean (the rest of the machine used under ${CLEAN_OTHER_CORES} core while each engine was timed); the figures are theirs`
      : `none of the ${t.roundsRun} rounds run was clean (the rest of the machine used up to ${Math.max(...t.otherCores).toFixed(2)} cores while an engine was timed): the figures are from all of them, and other work distorted them`;
    parts.push(`### Node, 2 threads (each engine alone in its own process, one per engine and round, alternating)\n\n${clean}.\n\n${nodeTable(t)}`);
  }
  if (o.chromium?.skipped) parts.push(`### Chromium\n\nSkipped: ${o.chromium.skipped}.`);
  else if (o.chromium) {
    const c = o.chromium;
    const pairs = [['wasm-nlp q8 relaxed', 'wasm-nlp f32 relaxed'], ['wasm-nlp q8 simd', 'wasm-nlp f32 simd'], ['wasm-nlp q8 relaxed', 'wasm-nlp q8 simd']];
    parts.push(`### Chromium ${c.version}, 1 thread (dist/index.browser.js; every kernel warmed up before timing)\n\n${table(c.rows, c.engines, pairs)}`);
  }
  const errs = o.node[1]?.errors?.[shapeName(SHAPES[0])];
  if (errs) {
    parts.push(`Every output is checked against a float64 product before timing. Relative error max |Δ| / max |C| at ${shapeName(SHAPES[0])}: ` +
      Object.entries(errs).map(([n, e]) => `${n} ${e.toExponential(1)}`).join(', ') + '.');
  }
  if (notes.size) parts.push(`Not measured: ${[...notes].join('; ')}.`);
  return parts.join('\n\n') + '\n';
}
