// One process of the q8 GEMM benchmark (bench/q8-gemm.mjs runs it): the chosen engines at one
// thread count, timed in interleaved rounds (bench/harness.mjs) on the BERT GEMM shapes. Each
// engine is timed as a caller sees it: A in from a Float32Array, C out into one; B prepared once
// (our packB, ort's initializers). B is n×k, as a PyTorch Linear stores it; no bias.
//
//   node --experimental-wasm-relaxed-simd bench/q8-gemm/node.mjs --threads N [--engines a,b|all]
//     [--rounds R] [--time MS] [--json FILE]
//
// Engines (keys): q8-relaxed, q8-simd, f32-relaxed, f32-simd (wasm-nlp's two builds, packB with
// and without dtype 'q8'), ort-q8 (DynamicQuantizeLinear → MatMulInteger → Cast → Mul, as
// quantize_dynamic writes a Linear), ort-f32 (MatMul). An engine this build cannot run (no q8
// kernels yet, no relaxed SIMD) is left out with a message on stderr and in the JSON's notes.
import { init } from '../../dist/index.js';
import { cpuWatch } from '../cpu-share.mjs';
import { measure } from '../harness.mjs';
import { ortEngine } from '../peers/ort.mjs';
import { parseArgs, writeJsonAtomic } from '../report.mjs';
import { ENGINES, SHAPES, errorBound, fill, referenceMatmul, relativeError, shapeName } from './shapes.mjs';

const args = parseArgs(process.argv.slice(2), { threads: '1', engines: 'all', rounds: '7', time: '250' });
const threads = Number(args.threads);
const wanted = args.engines === 'all' ? ENGINES : args.engines.split(',');
for (const e of wanted) if (!ENGINES.includes(e)) throw new Error(`unknown engine ${e} (use ${ENGINES.join(', ')} or all)`);
const notes = [];
const note = (s) => {
  notes.push(s);
  console.error(`[q8-gemm, ${threads} thread${threads > 1 ? 's' : ''}] ${s}`);
};

const runtimes = {};
async function runtime(simd) {
  if (!(simd in runtimes)) {
    try {
      const rt = await init({ simd, threads });
      if (rt.features.threads !== threads) throw new Error(`asked for ${threads} threads, got ${rt.features.threads}: ${rt.features.notes.join('; ')}`);
      runtimes[simd] = rt;
    } catch (e) {
      note(`the ${simd} build is skipped: ${e.message}`);
      runtimes[simd] = undefined;
    }
  }
  return runtimes[simd];
}

/** wasm-nlp: packB once (dtype q8 or f32), then matmul(a, packed, { m, out }). */
async function oursEngine(key) {
  const [dtype, simd] = key.split('-');
  const rt = await runtime(simd === 'simd' ? 'baseline' : 'relaxed');
  if (!rt) return undefined;
  const k = rt.kernels;
  // Probe once: a build without q8 kernels either refuses dtype or ignores it (an f32 pack).
  if (dtype === 'q8') {
    try {
      const p = k.packB(fill(8 * 16, 1), { k: 16, n: 8, transB: true, dtype: 'q8' });
      const got = p.dtype;
      p.free();
      if (got !== 'q8') throw new Error(`packB returned a ${got ?? 'f32'} matrix (dtype ignored)`);
    } catch (e) {
      note(`wasm-nlp q8 (${rt.features.build}) is skipped: packB(..., { dtype: 'q8' }) does not work in this build: ${e.message}`);
      return undefined;
    }
  }
  return {
    name: `wasm-nlp ${dtype} ${rt.features.build.replace('-threads', '')}`,
    prepare(c) {
      const packed = k.packB(c.b, { k: c.k, n: c.n, transB: true, ...(dtype === 'q8' ? { dtype } : {}) });
      const out = new Float32Array(c.m * c.n);
      return { run: () => k.matmul(c.a, packed, { m: c.m, out }), dispose: () => packed.free() };
    },
  };
}

let ort;
async function ortPeer(key) {
  ort ??= await ortEngine({ threads });
  const q8 = key === 'ort-q8';
  return {
    name: `ort-web ${q8 ? 'q8' : 'f32'}`,
    async prepare(c) {
      const spec = { m: c.m, k: c.k, n: c.n, transB: true, a: c.a, b: c.b };
      const p = q8 ? await ort.matmulQ8(spec) : await ort.matmul({ ...spec, op: 'matmul' });
      return { run: p.run, dispose: p.dispose };
    },
  };
}

/**
 * Each engine's output checked against the float64 product before it is timed (relative error
 * within errorBound: the q8 engines quantize, they must not be wrong); the errors go to the JSON.
 */
const errors = {};
const WARM_MS = 1000;
const engines = [];
for (const key of wanted) {
  const e = key.startsWith('ort-') ? await ortPeer(key) : await oursEngine(key);
  if (!e) continue;
  engines.push({
    key, name: e.name,
    async prepare(c) {
      const p = await e.prepare(c);
      c.want ??= referenceMatmul(c.a, c.b, c.m, c.k, c.n);
      const err = relativeError(await p.run(), c.want);
      (errors[c.shape] ??= {})[e.name] = err;
      if (!(err <= errorBound(key.includes('q8') ? 'q8' : 'f32'))) throw new Error(`${e.name} at ${c.shape}: relative error ${err} over ${errorBound(key.includes('q8') ? 'q8' : 'f32')}; not timing it`);
      // Warm-up: V8 runs WebAssembly on its baseline compiler first and optimises hot functions in
      // the background (ort-web's module is megabytes); a fresh process needs a while of runs.
      for (let i = 0, t = performance.now(); i < 5 || performance.now() - t < WARM_MS; i++) await p.run();
      return p;
    },
  });
}

const cases = SHAPES.map(([m, k, n]) => ({
  kernel: 'matmul', shape: shapeName([m, k, n]), unit: 'G op/s', work: 2 * m * k * n,
  m, k, n, a: fill(m * k, 1), b: fill(n * k, 2),
}));
// Cores used while timing, by this process (about the thread count when it had its cores) and by
// the rest of the machine (bench/cpu-share.mjs).
const watch = cpuWatch();
const rows = await measure(cases, engines, { rounds: Number(args.rounds), timeMs: Number(args.time), onCase: () => process.stderr.write('.') });
const { ownCores: cpuPerWall, otherCores } = watch.stop();
process.stderr.write('\n');
for (const rt of Object.values(runtimes)) rt?.dispose();

const out = { threads, cpuPerWall, otherCores, errors, engines: Object.fromEntries(engines.map((e) => [e.key, e.name])), builds: Object.fromEntries(Object.entries(runtimes).map(([s, rt]) => [s, rt?.features.build])), notes, rows };
if (args.json) await writeJsonAtomic(args.json, out);
else console.log(JSON.stringify(out, null, 2));
// ort-web's worker threads may not let the process end by themselves.
process.exit(0);
