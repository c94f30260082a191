// Correctness of the peer adapters: each peer's output against a plain float64 JS reference, for a
// few shapes (a BERT-base one, and odd sizes that no SIMD width divides). Prints the max abs
// difference per case and exits 1 if any exceeds 1e-3.
//
//   node bench/peers/check.mjs [--threads N]
import { ortEngine } from './ort.mjs';
import { tfjsEngine } from './tfjs.mjs';

const TOL = 1e-3;
const ti = process.argv.indexOf('--threads');
const threads = ti > 0 ? Number(process.argv[ti + 1]) : 1;

function fill(n, seed, amp = 0.5) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(seed + i * 0.7) * amp;
  return a;
}

// --- references, in float64 ---

function refMatmul({ m, k, n, transB, a, b, biasData }) {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = biasData ? biasData[j] : 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * (transB ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = s;
    }
  }
  return c;
}

function refSoftmax({ rows, cols, x }) {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, x[r * cols + j]);
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += y[r * cols + j] = Math.exp(x[r * cols + j] - max);
    for (let j = 0; j < cols; j++) y[r * cols + j] /= sum;
  }
  return y;
}

function refLayerNorm({ rows, cols, x, gamma, beta, eps }) {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let j = 0; j < cols; j++) mean += x[r * cols + j];
    mean /= cols;
    let v = 0;
    for (let j = 0; j < cols; j++) v += (x[r * cols + j] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / cols + eps);
    for (let j = 0; j < cols; j++) y[r * cols + j] = (x[r * cols + j] - mean) * inv * gamma[j] + beta[j];
  }
  return y;
}

// erf by Abramowitz–Stegun 7.1.26 is only good to 1.5e-7 absolute, enough against a 1e-3 bound.
function erf(x) {
  const s = Math.sign(x);
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return s * y;
}

function refGelu({ n, x, approximate }) {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = x[i];
    y[i] = approximate === 'tanh'
      ? 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))
      : 0.5 * v * (1 + erf(v / Math.SQRT2));
  }
  return y;
}

// --- cases ---

const cases = [];
for (const [m, k, n] of [[128, 768, 768], [5, 17, 33], [1, 768, 768], [3, 1, 9]]) {
  for (const transB of [false, true]) {
    for (const withBias of [false, true]) {
      const args = { m, k, n, transB, a: fill(m * k, 1), b: fill(k * n, 2), biasData: withBias ? fill(n, 3) : undefined };
      const label = `matmul ${m}×${k}×${n}${transB ? ' Bᵀ' : ''}${withBias ? ' +bias' : ''}`;
      cases.push({ label, op: 'matmul', args, ref: refMatmul });
      cases.push({ label: `${label} (ort MatMul)`, op: 'matmul', args: { ...args, op: 'matmul' }, ref: refMatmul, only: 'ort' });
      if (transB) cases.push({ label: `${label} (tfjs native)`, op: 'matmul', args: { ...args, nativeTransB: true }, ref: refMatmul, only: 'tfjs' });
    }
  }
}
for (const [rows, cols] of [[1536, 128], [5, 17]]) {
  cases.push({ label: `softmax ${rows}×${cols}`, op: 'softmax', args: { rows, cols, x: fill(rows * cols, 4, 8) }, ref: refSoftmax });
}
for (const [rows, cols] of [[128, 768], [5, 17]]) {
  const args = { rows, cols, x: fill(rows * cols, 5, 3), gamma: fill(cols, 6, 1), beta: fill(cols, 7, 1), eps: 1e-12 };
  cases.push({ label: `layerNorm ${rows}×${cols}`, op: 'layerNorm', args, ref: refLayerNorm });
}
for (const n of [128 * 3072, 33]) {
  for (const approximate of ['none', 'tanh']) {
    const args = { n, x: fill(n, 8, 6), approximate };
    cases.push({ label: `gelu ${approximate} ${n}`, op: 'gelu', args, ref: refGelu });
  }
  cases.push({ label: `gelu none ${n} (ort erf nodes)`, op: 'gelu', args: { n, x: fill(n, 8, 6), form: 'erf-nodes' }, ref: refGelu, only: 'ort' });
}

// Both peers in one process is fine (ort-web and tfjs-backend-wasm share nothing).
const peers = { ort: await ortEngine({ threads }), tfjs: await tfjsEngine({ threads }) };
console.log(`threads ${threads} (tfjs really uses ${peers.tfjs.threads}); max |peer − reference|, bound ${TOL}\n`);

let failed = 0;
for (const c of cases) {
  const expect = c.ref(c.args);
  const line = [c.label.padEnd(42)];
  for (const [name, peer] of Object.entries(peers)) {
    if (c.only && c.only !== name) continue;
    const k = await peer[c.op](c.args);
    const got = await k.run();
    await k.dispose();
    let d = got.length === expect.length ? 0 : Infinity;
    for (let i = 0; i < expect.length && d !== Infinity; i++) {
      const e = Math.abs(got[i] - expect[i]);
      d = Number.isNaN(e) ? Infinity : Math.max(d, e); // a NaN output fails
    }
    if (!(d <= TOL)) failed++;
    line.push(`${name} ${d.toExponential(1)}${d <= TOL ? '' : ' FAIL'}`);
  }
  console.log(line.join('  '));
}
console.log(failed ? `\n${failed} over the bound` : '\nall within the bound');
process.exitCode = failed ? 1 : 0;
