// The q8 GEMM benchmark in a browser page (bench/q8-gemm.mjs serves it to Chromium): wasm-nlp's
// q8 and f32 matmuls on its relaxed and plain SIMD builds, one thread, from the browser bundle.
// Sets window.result to { engines, notes, rows } in the shape bench/harness.mjs gives.
//
// Warm-up matters more here than in Node: WebAssembly starts on V8's baseline compiler
// (Liftoff) and tiers a function up to the optimising one in the background, but a call already
// running stays on the baseline code (no on-stack replacement). So every engine first runs a
// small GEMM many times, then the page waits for the background compiles, then each case runs
// for a while before any timing.
import { init } from '/dist/index.browser.js';
import { SHAPES, errorBound, fill, median, referenceMatmul, relativeError, shapeName } from './shapes.mjs';

const params = new URLSearchParams(location.search);
const rounds = Number(params.get('rounds') ?? 7);
const timeMs = Number(params.get('time') ?? 250);
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

async function main() {
  const notes = [];
  const engines = [];
  for (const simd of ['relaxed', 'baseline']) {
    let rt;
    try {
      rt = await init({ simd, threads: 1 });
    } catch (e) {
      notes.push(`the ${simd} build is skipped: ${e.message}`);
      continue;
    }
    const build = rt.features.build.replace('-threads', '');
    for (const dtype of ['q8', 'f32']) {
      const k = rt.kernels;
      if (dtype === 'q8') {
        try {
          const p = k.packB(fill(8 * 16, 1), { k: 16, n: 8, transB: true, dtype });
          const got = p.dtype;
          p.free();
          if (got !== 'q8') throw new Error(`packB returned a ${got ?? 'f32'} matrix (dtype ignored)`);
        } catch (e) {
          notes.push(`wasm-nlp q8 (${build}) is skipped: packB(..., { dtype: 'q8' }) does not work in this build: ${e.message}`);
          continue;
        }
      }
      const opts = dtype === 'q8' ? { dtype } : {};
      engines.push({
        name: `wasm-nlp ${dtype} ${build}`,
        prepare(c) {
          const packed = k.packB(c.b, { k: c.k, n: c.n, transB: true, ...opts });
          const out = new Float32Array(c.m * c.n);
          return { run: () => k.matmul(c.a, packed, { m: c.m, out }), dispose: () => packed.free() };
        },
      });
    }
  }

  // Warm-up on a small GEMM: enough calls for every kernel the engine uses to tier up.
  const small = { m: 16, k: 256, n: 256, a: fill(16 * 256, 3), b: fill(256 * 256, 4) };
  for (const e of engines) {
    const p = e.prepare(small);
    for (let i = 0; i < 300; i++) p.run();
    p.dispose();
  }
  await sleep(500);

  const rows = [];
  const errors = {};
  for (const [m, k, n] of SHAPES) {
    const c = { m, k, n, a: fill(m * k, 1), b: fill(n * k, 2) };
    const prepared = engines.map((e) => ({ name: e.name, ...e.prepare(c) }));
    const want = referenceMatmul(c.a, c.b, m, k, n);
    for (const p of prepared) {
      const err = relativeError(p.run(), want);
      (errors[shapeName([m, k, n])] ??= {})[p.name] = err;
      const bound = errorBound(p.name.includes(' q8 ') ? 'q8' : 'f32');
      if (!(err <= bound)) throw new Error(`${p.name} at ${shapeName([m, k, n])}: relative error ${err} over ${bound}`);
    }
    for (const p of prepared) for (let t0 = performance.now(), i = 0; i < 3 || performance.now() - t0 < 300; i++) p.run();
    await sleep(100);
    const perRound = Object.fromEntries(prepared.map((p) => [p.name, []]));
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < prepared.length; i++) {
        const p = prepared[(i + r) % prepared.length];
        const times = [];
        for (let t0 = performance.now(); times.length < 3 || performance.now() - t0 < timeMs;) {
          const t = performance.now();
          p.run();
          times.push((performance.now() - t) / 1e3);
        }
        perRound[p.name].push(median(times));
      }
    }
    for (const p of prepared) p.dispose?.();
    const row = { kernel: 'matmul', shape: shapeName([m, k, n]), unit: 'G op/s', engines: {}, perRound };
    for (const [name, t] of Object.entries(perRound)) row.engines[name] = { seconds: median(t), rate: (2 * m * k * n) / median(t) / 1e9 };
    rows.push(row);
  }
  return { userAgent: navigator.userAgent, crossOriginIsolated, engines: engines.map((e) => e.name), notes, errors, rows };
}

try {
  window.result = await main();
} catch (e) {
  window.result = { error: String((e && e.stack) || e) };
}
