// Kernel benchmark: every WASM build this Node can run against the pure-JS twin, per kernel and
// shape, in GFLOPS (matmul) or G elements/s (the rest). Engines are measured in rounds, in a
// rotating order within each round, and each ratio is the median of per-round ratios, so a
// noisy neighbour slows all engines alike. Run with --experimental-wasm-relaxed-simd (as
// `npm run bench` does) to include the relaxed build.
//
//   node --experimental-wasm-relaxed-simd bench/kernels.mjs [--quick] [--json FILE]
import { Bench } from 'tinybench';
import { init, jsKernels } from '../dist/index.js';
import { machine, median, writeJsonAtomic, parseArgs, printTable } from './report.mjs';

const args = parseArgs(process.argv.slice(2));
const ROUNDS = args.quick ? 3 : 7;
const TIME_MS = args.quick ? 60 : 250;

const engines = [];
for (const simd of ['baseline', 'relaxed']) {
  try {
    const rt = await init({ simd });
    engines.push({ name: `wasm-${rt.features.build}`, rt, k: rt.kernels, resident: true });
  } catch (e) {
    console.error(`(skipping the ${simd} build: ${e.message})`);
  }
}
engines.push({ name: 'js', k: jsKernels, resident: false });

function fill(n, seed) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(seed + i * 0.7) * 0.5;
  return a;
}

/** For each engine: its operands (resident tensors for WASM, so copying is not timed). */
function operands(engine, arrays) {
  return arrays.map((a) => (engine.resident ? engine.rt.tensor([a.length], a) : a));
}

const cases = [];
const gemm = (m, k, n, transB) => ({
  kernel: 'matmul', shape: `${m}×${k}×${n}${transB ? ' Bᵀ' : ''}`, unit: 'GFLOPS', work: 2 * m * k * n,
  arrays: [fill(m * k, 1), fill(k * n, 2), fill(n, 3), new Float32Array(m * n)],
  run: (k_, [a, b, bias, out]) => k_.matmul(a, b, { m, k, n, transB, bias, out }),
});
cases.push(gemm(64, 64, 64, false), gemm(256, 256, 256, false), gemm(128, 768, 768, false), gemm(128, 768, 768, true));
if (!args.quick) cases.push(gemm(128, 768, 3072, false), gemm(1, 768, 768, true));
const rowop = (kernel, rows, cols, run) => ({
  kernel, shape: `${rows}×${cols}`, unit: 'G elem/s', work: rows * cols,
  arrays: [fill(rows * cols, 4), fill(cols, 5), fill(cols, 6), new Float32Array(rows * cols)], run,
});
cases.push(
  rowop('softmax', 12 * 128, 128, (k, [x, , , out]) => k.softmax(x, { rows: 12 * 128, cols: 128, scale: 0.125, out })),
  rowop('layerNorm', 128, 768, (k, [x, g, b, out]) => k.layerNorm(x, { rows: 128, cols: 768, gamma: g, beta: b, out })),
  rowop('gelu (erf)', 128, 3072, (k, [x, , , out]) => k.gelu(x, { out })),
  rowop('gelu (tanh)', 128, 3072, (k, [x, , , out]) => k.gelu(x, { approximate: 'tanh', out })),
);
const N = 1 << 20;
const vec = (kernel, run) => ({ kernel, shape: '2^20', unit: 'G elem/s', work: N, arrays: [fill(N, 7), fill(N, 8), new Float32Array(N)], run });
cases.push(
  vec('exp', (k, [x, , out]) => k.exp(x, { out })),
  vec('add', (k, [a, b, out]) => k.add(a, b, { out })),
  vec('dot', (k, [a, b]) => k.dot(a, b)),
  vec('axpy', (k, [a, , y]) => k.axpy(1e-3, a, y)),
  vec('scale', (k, [a, , out]) => k.scale(0.5, a, { out })),
);

const rows = [];
for (const c of cases) {
  const bound = engines.map((e) => ({ e, ops: operands(e, c.arrays) }));
  const perRound = new Map(engines.map((e) => [e.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const bench = new Bench({ time: TIME_MS, iterations: 3, warmupIterations: 2, warmupTime: 20 });
    // Rotate the order each round: no engine always runs first (or right after the slowest).
    for (let i = 0; i < bound.length; i++) {
      const { e, ops } = bound[(i + round) % bound.length];
      bench.add(e.name, () => c.run(e.k, ops));
    }
    await bench.run();
    for (const task of bench.tasks) perRound.get(task.name).push(task.result.latency.p50 / 1e3);
  }
  for (const { e, ops } of bound) for (const op of ops) op.free?.();
  const js = perRound.get('js');
  const row = { kernel: c.kernel, shape: c.shape, unit: c.unit, engines: {} };
  for (const e of engines) {
    const t = perRound.get(e.name);
    row.engines[e.name] = {
      seconds: median(t),
      rate: c.work / median(t) / 1e9,
      vsJs: median(t.map((s, r) => js[r] / s)),
    };
  }
  rows.push(row);
  if (!args.json) process.stderr.write('.');
}
process.stderr.write('\n');

printTable(rows, engines.map((e) => e.name));
if (args.json) await writeJsonAtomic(args.json, { machine: machine(), rounds: ROUNDS, rows });
