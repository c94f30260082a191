// Kernel benchmark: every WASM build this Node can run against the pure-JS twin, per kernel and
// shape, in GFLOPS (matmul) or G elements/s (the rest), on resident tensors (no copies timed).
// Run with --experimental-wasm-relaxed-simd (as `npm run bench` does) to include the relaxed build.
//
//   node --experimental-wasm-relaxed-simd bench/kernels.mjs [--quick] [--json FILE]
import { init, jsKernels } from '../dist/index.js';
import { measure, ratio } from './harness.mjs';
import { fill, machine, parseArgs, printTable, writeJsonAtomic } from './report.mjs';

const args = parseArgs(process.argv.slice(2));

const engines = [];
for (const simd of ['baseline', 'relaxed']) {
  try {
    const rt = await init({ simd });
    engines.push({ name: `wasm-${rt.features.build}`, k: rt.kernels, rt });
  } catch (e) {
    console.error(`(skipping the ${simd} build: ${e.message})`);
  }
}
engines.push({ name: 'js', k: jsKernels });

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

// WASM engines get resident tensors, so that copying is not what is timed.
const benchEngines = engines.map((e) => ({
  name: e.name,
  prepare(c) {
    const ops = c.arrays.map((a) => (e.rt ? e.rt.tensor([a.length], a) : a));
    return { run: () => c.run(e.k, ops), dispose: () => ops.forEach((o) => o.free?.()) };
  },
}));

const rows = await measure(cases, benchEngines, {
  rounds: args.quick ? 3 : 7, timeMs: args.quick ? 60 : 250, onCase: () => process.stderr.write('.'),
});
process.stderr.write('\n');
const wasm = engines.filter((e) => e.rt).map((e) => e.name);
printTable(rows, ['js', ...wasm], wasm.map((n) => [n, 'js']));
if (args.json) await writeJsonAtomic(args.json, { machine: machine(), rows: rows.map((r) => ({ ...r, vsJs: Object.fromEntries(wasm.map((n) => [n, ratio(r, n, 'js')])) })) });
