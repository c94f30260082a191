// Quick standalone rates of one peer engine at one thread count (one process per engine config:
// both engines fix their thread count at first use). The interleaved comparison with our kernels
// belongs in the main benchmark; this is for a look at the peers alone.
//
//   node bench/peers/measure.mjs ort|tfjs [threads] [--json]
//
// Per case: warm-up, then timed runs for about TIME_MS (at least MIN_RUNS); the median is
// reported, and cpu/wall (process CPU time over wall time) shows how many threads were busy. ort's
// pool spin-waits between back-to-back runs, so for ort 2.0 does not by itself prove useful work:
// the speed-up over threads=1 does.
import { ortEngine } from './ort.mjs';
import { tfjsEngine } from './tfjs.mjs';
import { machine, median } from '../report.mjs';

const [engineName = 'ort', threadsArg = '1'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const json = process.argv.includes('--json');
const threads = Number(threadsArg);
const TIME_MS = 400;
const MIN_RUNS = 7;

const factories = { ort: ortEngine, tfjs: tfjsEngine };
if (!factories[engineName]) throw new Error(`unknown engine ${engineName} (use ort or tfjs)`);
const engine = await factories[engineName]({ threads });

function fill(n, seed) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(seed + i * 0.7) * 0.5;
  return a;
}

const gemm = (m, k, n, { transB = false, bias = false } = {}) => ({
  kernel: 'matmul', shape: `${m}×${k}×${n}${transB ? ' Bᵀ' : ''}${bias ? ' +bias' : ''}`, unit: 'GFLOPS', work: 2 * m * k * n,
  make: () => engine.matmul({ m, k, n, transB, a: fill(m * k, 1), b: fill(k * n, 2), biasData: bias ? fill(n, 3) : undefined }),
});
const cases = [
  gemm(128, 768, 768), gemm(128, 768, 768, { transB: true, bias: true }), gemm(128, 768, 3072), gemm(128, 3072, 768),
  gemm(256, 256, 256), gemm(512, 512, 512), gemm(1, 768, 768), gemm(1, 768, 768, { transB: true, bias: true }),
  { kernel: 'softmax', shape: '1536×128', unit: 'G elem/s', work: 1536 * 128, make: () => engine.softmax({ rows: 1536, cols: 128, x: fill(1536 * 128, 4) }) },
  { kernel: 'layerNorm', shape: '128×768', unit: 'G elem/s', work: 128 * 768, make: () => engine.layerNorm({ rows: 128, cols: 768, x: fill(128 * 768, 5), gamma: fill(768, 6), beta: fill(768, 7), eps: 1e-12 }) },
  { kernel: 'gelu (erf)', shape: '128×3072', unit: 'G elem/s', work: 128 * 3072, make: () => engine.gelu({ n: 128 * 3072, x: fill(128 * 3072, 8) }) },
  { kernel: 'gelu (tanh)', shape: '128×3072', unit: 'G elem/s', work: 128 * 3072, make: () => engine.gelu({ n: 128 * 3072, x: fill(128 * 3072, 8), approximate: 'tanh' }) },
];

const rows = [];
for (const c of cases) {
  const k = await c.make();
  for (let w = 0, t0 = performance.now(); w < 3 || performance.now() - t0 < 50; w++) await k.run();
  const times = [];
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  while (times.length < MIN_RUNS || performance.now() - wall0 < TIME_MS) {
    const t = performance.now();
    await k.run();
    times.push((performance.now() - t) / 1e3);
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuPerWall = (cpu.user + cpu.system) / 1e3 / (performance.now() - wall0);
  await k.dispose();
  rows.push({ kernel: c.kernel, shape: c.shape, unit: c.unit, seconds: median(times), rate: c.work / median(times) / 1e9, runs: times.length, cpuPerWall });
}

if (json) {
  console.log(JSON.stringify({ engine: engine.name, threads, effectiveThreads: engine.threads, machine: machine(), rows }));
} else {
  console.log(`${engine.name}, threads ${threads} (effective ${engine.threads}); ${machine().cpu}, Node ${process.version}`);
  for (const r of rows) {
    console.log(`${r.kernel.padEnd(12)} ${r.shape.padEnd(22)} ${r.rate.toFixed(2).padStart(7)} ${r.unit.padEnd(9)} ${(r.seconds * 1e3).toFixed(3).padStart(8)} ms  cpu/wall ${r.cpuPerWall.toFixed(2)}`);
  }
}
