// wasm-nlp against the engines people use today, at one thread count per process (ort-web
// fixes its thread pool at its first session): onnxruntime-web (wasm backend, weights as
// initializers, so it pre-packs them) and TensorFlow.js' wasm backend (XNNPACK), with the
// pure-JS twin as the floor. Every engine is timed as a caller sees it: the input goes in
// from a plain Float32Array and the output comes back out; weights are prepared once (our
// packB, ort's initializers, tfjs tensors).
//
//   node --experimental-wasm-relaxed-simd bench/peers.mjs --threads 1|2 [--quick] [--json FILE]
import { init, jsKernels } from '../dist/index.js';
import { measure } from './harness.mjs';
import { ortEngine } from './peers/ort.mjs';
import { tfjsEngine } from './peers/tfjs.mjs';
import { fill, parseArgs, printTable, writeJsonAtomic, machine } from './report.mjs';

const args = parseArgs(process.argv.slice(2), { threads: '1' });
const threads = Number(args.threads);

const ours = [];
for (const simd of ['baseline', 'relaxed']) {
  try {
    const rt = await init({ simd, threads });
    ours.push({ name: `wasm-${rt.features.build.replace('-threads', '')}`, rt });
  } catch (e) {
    console.error(`(skipping the ${simd} build: ${e.message})`);
  }
}
const ort = await ortEngine({ threads });
const tfjs = threads === 1 ? await tfjsEngine({ threads: 1 }) : undefined;

/** Our engines: weights packed once, input and output as plain arrays (copied in and out). */
const oursEngines = ours.map(({ name, rt }) => ({
  name,
  prepare(c) {
    const k = rt.kernels;
    if (c.kernel === 'matmul') {
      const packed = k.packB(c.b, { k: c.k, n: c.n, transB: c.transB });
      const out = new Float32Array(c.m * c.n);
      return { run: () => k.matmul(c.a, packed, { m: c.m, bias: c.bias, out }), dispose: () => packed.free() };
    }
    const out = new Float32Array(c.x.length);
    if (c.kernel === 'softmax') return { run: () => k.softmax(c.x, { rows: c.rows, cols: c.cols, out }) };
    if (c.kernel === 'layerNorm') return { run: () => k.layerNorm(c.x, { rows: c.rows, cols: c.cols, gamma: c.gamma, beta: c.beta, out }) };
    return { run: () => k.gelu(c.x, { out }) };
  },
}));

const jsEngine = {
  name: 'js',
  prepare(c) {
    if (threads !== 1) return undefined;
    if (c.kernel === 'matmul') {
      const packed = jsKernels.packB(c.b, { k: c.k, n: c.n, transB: c.transB });
      return { run: () => jsKernels.matmul(c.a, packed, { m: c.m, bias: c.bias }) };
    }
    if (c.kernel === 'softmax') return { run: () => jsKernels.softmax(c.x, { rows: c.rows, cols: c.cols }) };
    if (c.kernel === 'layerNorm') return { run: () => jsKernels.layerNorm(c.x, { rows: c.rows, cols: c.cols, gamma: c.gamma, beta: c.beta }) };
    return { run: () => jsKernels.gelu(c.x) };
  },
};

function peerEngine(name, engine) {
  return {
    name,
    async prepare(c) {
      if (!engine) return undefined;
      let p;
      if (c.kernel === 'matmul') p = await engine.matmul({ m: c.m, k: c.k, n: c.n, transB: c.transB, a: c.a, b: c.b, biasData: c.bias });
      else if (c.kernel === 'softmax') p = await engine.softmax({ rows: c.rows, cols: c.cols, x: c.x });
      else if (c.kernel === 'layerNorm') p = await engine.layerNorm({ rows: c.rows, cols: c.cols, x: c.x, gamma: c.gamma, beta: c.beta, eps: 1e-5 });
      else p = await engine.gelu({ n: c.x.length, x: c.x, approximate: 'none' });
      return { run: p.run, dispose: p.dispose };
    },
  };
}

const engines = [...oursEngines, peerEngine('ort-web', ort), peerEngine('tfjs-wasm', tfjs), jsEngine];

// BERT-base shapes are Linear layers (C = A·Wᵀ + bias, W as PyTorch stores it); the squares are plain A·B.
const gemm = (m, k, n, linear) => ({
  kernel: 'matmul', shape: `${m}×${k}×${n}${linear ? ' Linear' : ''}`, unit: 'GFLOPS', work: 2 * m * k * n,
  m, k, n, transB: linear, a: fill(m * k, 1), b: fill(k * n, 2), bias: linear ? fill(n, 3) : undefined,
});
const cases = [gemm(256, 256, 256, false), gemm(512, 512, 512, false), gemm(128, 768, 768, true),
  gemm(128, 768, 3072, true), gemm(128, 3072, 768, true), gemm(1, 768, 768, true)];
if (threads === 1) {
  const row = (kernel, rows, cols) => ({ kernel, shape: `${rows}×${cols}`, unit: 'G elem/s', work: rows * cols, rows, cols, x: fill(rows * cols, 4), gamma: fill(cols, 5), beta: fill(cols, 6) });
  cases.push(row('softmax', 1536, 128), row('layerNorm', 128, 768), row('gelu (erf)', 128, 3072));
}

const rows = await measure(cases, engines, { rounds: args.quick ? 3 : 7, timeMs: args.quick ? 80 : 250, onCase: () => process.stderr.write('.') });
process.stderr.write('\n');
for (const { rt } of ours) rt.dispose();

const best = ours.at(-1).name;
const names = engines.map((e) => e.name).filter((n) => rows.some((r) => r.engines[n]));
const ratios = [[best, 'ort-web'], ...(threads === 1 ? [[best, 'tfjs-wasm'], [best, 'js']] : [])];
printTable(rows, names, ratios, `wasm-nlp vs peers, ${threads} thread${threads > 1 ? 's' : ''}`);
if (args.json) await writeJsonAtomic(args.json, { machine: machine(), threads, engines: names, ratios, rows });
// ort-web's and tfjs' worker threads may not let the process end by themselves.
process.exit(0);
