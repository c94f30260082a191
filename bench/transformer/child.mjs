// One process of the transformer benchmark, run by bench/transformer.mjs. For each model: load
// the engines (timed, files to ready), check their outputs against torch's reference before
// timing anything, then time them in interleaved rounds (bench/harness.mjs).
//
//   node --experimental-wasm-relaxed-simd bench/transformer/child.mjs --threads N --rounds R --json FILE
//     [--engines ours-f32,ort-f32,ours-q8,ort-q8] [--models minilm-l6,bert-base,marian-base]
//
// Engines: wasm-nlp f32 (the checkpoint folder) and q8 (the quantizeCheckpoint folder <model>-q8
// beside it, or, where that is missing, the f32 folder with dtype 'q8'), onnxruntime-web f32
// (encoder.onnx / decoder_with_past.onnx) and q8 (their -q8.onnx rewrites, tools/make_q8_onnx.py).
// With every engine (the 1-thread run) they share the process; the 2-thread runs start one
// process per engine, model and round (--engines KEY --models MODEL --rounds 1), since two
// engines' worker threads in one process would compete for this machine's 2 cores.
//
// The f32 engines must match torch to 1e-4 (max |Δ|); the q8 ones are checked by cosine: every
// token's hidden state (Marian: the logits) within BAR of torch's. An engine this build or these
// files cannot run (no dtype option, no q8 graph) is left out with a note, not a failure.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { init } from '../../dist/index.js';
import { cpuWatch } from '../cpu-share.mjs';
import { measure } from '../harness.mjs';
import { ortEngine } from '../peers/ort.mjs';
import { median, parseArgs, writeJsonAtomic } from '../report.mjs';
import { argmax, maxAbsDiff, ortDecoderStep, ortEncoder, oursDecoderStep, oursEncoder, readReference, rowCosines } from './engines.mjs';

/** Largest difference from torch's output allowed to an f32 engine before timing (the issue's bar). */
const TOLERANCE = 1e-4;
/** Smallest cosine to torch's output allowed to a q8 engine (worst token; Marian: the logits). */
const BAR = 0.99;
const ENGINES = ['ours-f32', 'ort-f32', 'ours-q8', 'ort-q8'];
const MODELS = ['minilm-l6', 'bert-base', 'marian-base'];
/** tinybench time per engine and round, ms. */
const TIME_MS = { 'bert-base': 2000, 'minilm-l6': 600, 'marian-base': 400 };
/**
 * Warm-up per engine before timing, ms (and at least 5 runs): V8 starts WebAssembly on its
 * baseline compiler and compiles the hot functions again in the background; ort-web's module is
 * megabytes, and in a fresh process its first seconds of runs were up to 2× slower.
 */
const WARM_MS = 3000;

const args = parseArgs(process.argv.slice(2), { threads: '1', rounds: '5', models: MODELS.join(','), engines: ENGINES.join(','), dir: 'bench/.models' });
const threads = Number(args.threads), rounds = Number(args.rounds);
const engineKeys = args.engines.split(','), models = args.models.split(',');
for (const e of engineKeys) if (!ENGINES.includes(e)) throw new Error(`unknown engine ${e} (use ${ENGINES.join(', ')})`);
for (const m of models) if (!MODELS.includes(m)) throw new Error(`unknown model ${m} (use ${MODELS.join(', ')})`);
const log = (s) => console.error(`[${threads} thread${threads > 1 ? 's' : ''}${engineKeys.length === 1 ? `, ${engineKeys[0]}` : ''}] ${s}`);
const notes = [];
const note = (s) => {
  notes.push(s);
  log(s);
};

// Each library's runtime is started before any model load is timed (wasm-nlp: init(); ort-web:
// its wasm module and thread pool, which its first session starts), so that load times are the
// model's alone; the starts are recorded apart (initMs).
const useOrt = engineKeys.some((k) => k.startsWith('ort-'));
let ortName, ortInitMs;
if (useOrt) {
  const t = performance.now();
  const ort = await ortEngine({ threads });
  const tiny = await ort.matmul({ m: 1, k: 1, n: 1, a: Float32Array.of(1), b: Float32Array.of(1) });
  await tiny.run();
  await tiny.dispose();
  ortName = ort.name;
  ortInitMs = performance.now() - t;
}
const t0 = performance.now();
const runtime = await init({ threads });
const initMs = performance.now() - t0;
if (runtime.features.threads !== threads) throw new Error(`asked for ${threads} threads, the runtime has ${runtime.features.threads}: ${runtime.features.notes.join('; ')}`);
const build = runtime.features.build.replace('-threads', '');
const NAMES = { 'ours-f32': `wasm-nlp f32 (${build})`, 'ours-q8': `wasm-nlp q8 (${build})`, 'ort-f32': `${ortName} f32`, 'ort-q8': `${ortName} q8` };

const q8Folder = (model) => join(args.dir, `${model}-q8`);
const ortFile = (model, key) => `${model === 'marian-base' ? 'decoder_with_past' : 'encoder'}${key === 'ort-q8' ? '-q8' : ''}.onnx`;

/** Loads one engine on one model; undefined (with a note) where it cannot run here. */
async function load(model, key, ref) {
  const dir = join(args.dir, model);
  const encoder = model !== 'marian-base';
  const ids = ref.meta.input_ids[0];
  try {
    if (key === 'ours-f32') return encoder ? await oursEncoder(dir, runtime, ids) : await oursDecoderStep(dir, runtime, ref);
    if (key === 'ours-q8') {
      const from = existsSync(join(q8Folder(model), 'config.json')) ? q8Folder(model) : dir;
      if (from === dir) note(`${model}: no quantizeCheckpoint folder ${q8Folder(model)}; wasm-nlp q8 quantizes the f32 checkpoint at load`);
      const e = encoder ? await oursEncoder(from, runtime, ids, { dtype: 'q8' }) : await oursDecoderStep(from, runtime, ref, { dtype: 'q8' });
      e.folder = from;
      return e;
    }
    const file = ortFile(model, key);
    if (!existsSync(join(dir, file))) {
      note(`${model}: ${join(dir, file)} is missing (make it with /usr/bin/python3 tools/make_q8_onnx.py --models ${args.dir}); ${NAMES[key]} skipped`);
      return undefined;
    }
    return encoder ? await ortEncoder(dir, ids, file) : await ortDecoderStep(dir, ref, file);
  } catch (e) {
    if (key === 'ours-q8') {
      note(`${model}: wasm-nlp q8 skipped, loadModel(…, { dtype: 'q8' }) failed in this build: ${e.message}`);
      return undefined;
    }
    throw e;
  }
}

/** Runs an engine once and compares with torch; throws on a wrong answer, returns undefined (noted) for a q8 engine that is not q8. */
async function check(model, key, e, ref) {
  await e.run();
  const got = e.output();
  const want = ref.floats(model === 'marian-base' ? 'logits' : 'last_hidden_state');
  const width = want.dims.at(-1);
  const result = { maxDiff: maxAbsDiff(got, want.data), cosine: rowCosines(got, want.data, width) };
  if (model === 'marian-base') result.argmaxAgrees = argmax(got) === argmax(want.data);
  log(`${model}: ${NAMES[key]} max |Δ| vs torch ${result.maxDiff.toExponential(2)}, worst cosine ${result.cosine.worst.toFixed(6)}`);
  if (key.endsWith('f32')) {
    if (!(result.maxDiff <= TOLERANCE)) throw new Error(`${model}: ${NAMES[key]} differs from torch by ${result.maxDiff} (> ${TOLERANCE}); not timing it`);
  } else {
    if (key === 'ours-q8' && result.maxDiff <= 1e-5) {
      note(`${model}: wasm-nlp q8 skipped: its output is torch's f32 one to ${result.maxDiff.toExponential(1)}, so dtype 'q8' had no effect in this build`);
      return undefined;
    }
    if (!(result.cosine.worst >= BAR)) throw new Error(`${model}: ${NAMES[key]} worst cosine to torch ${result.cosine.worst} (< ${BAR}); not timing it`);
  }
  return result;
}

/** The JS twin on its own (seconds per run; not worth interleaving): warm-up, then three runs. */
async function jsTwin(dir, ids, want) {
  const rt = await init({ backend: 'js' });
  const twin = await oursEncoder(dir, rt, ids);
  twin.run();
  const diff = maxAbsDiff(twin.output(), want);
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    twin.run();
    runs.push(performance.now() - t);
  }
  twin.dispose();
  rt.dispose();
  log(`JS twin: ${median(runs).toFixed(0)} ms (max |Δ| vs torch ${diff.toExponential(2)})`);
  return { ms: median(runs), perRun: runs, maxDiff: diff };
}

const out = { threads, build: runtime.features.build, ort: ortName, names: NAMES, initMs, ortInitMs, notes, models: {} };
for (const model of models) {
  const dir = join(args.dir, model);
  const ref = readReference(dir);
  const r = (out.models[model] = { load: {}, checks: {}, folders: {}, ms: {}, perRound: {} });
  if (model === 'marian-base') Object.assign(r, { source: ref.meta.input_ids[0].length, position: ref.meta.decoder_input_ids[0].length - 1 });
  else r.seq = ref.meta.input_ids[0].length;
  const loaded = {};
  for (const key of engineKeys) {
    const e = await load(model, key, ref);
    if (!e) continue;
    r.load[key] = e.loadMs;
    if (e.folder) r.folders[key] = e.folder;
    const c = await check(model, key, e, ref);
    if (!c) {
      delete r.load[key];
      delete r.folders[key];
      await e.dispose();
      continue;
    }
    r.checks[key] = c;
    loaded[key] = e;
  }
  log(`${model}: load ${Object.entries(r.load).map(([k, ms]) => `${NAMES[k]} ${ms.toFixed(0)} ms`).join(', ')}`);
  for (const e of Object.values(loaded)) {
    for (let i = 0, t = performance.now(); i < 5 || performance.now() - t < WARM_MS; i++) await e.run();
  }
  const engines = Object.entries(loaded).map(([key, e]) => ({ name: key, prepare: async () => ({ run: e.run }) }));
  if (engines.length) {
    // Cores used while timing, by this process (about the thread count when it had its cores) and
    // by the rest of the machine (bench/cpu-share.mjs).
    const watch = cpuWatch();
    const [row] = await measure([{ kernel: model, shape: '', unit: 'ms', work: 1 }], engines, { rounds, timeMs: TIME_MS[model] });
    ({ ownCores: r.cpuPerWall, otherCores: r.otherCores } = watch.stop());
    for (const key of Object.keys(loaded)) {
      r.ms[key] = 1e3 * row.engines[key].seconds;
      r.perRound[key] = row.perRound[key].map((s) => 1e3 * s);
    }
    log(`${model}: ${Object.entries(r.ms).map(([k, ms]) => `${NAMES[k]} ${ms.toFixed(1)} ms`).join(', ')}`);
  }
  for (const e of Object.values(loaded)) await e.dispose();
  // The other way to q8: the f32 folder quantized while loading (one load, untimed runs).
  if (engineKeys.length === ENGINES.length && r.folders['ours-q8'] && r.folders['ours-q8'] !== dir) {
    try {
      const e = model === 'marian-base' ? await oursDecoderStep(dir, runtime, ref, { dtype: 'q8' }) : await oursEncoder(dir, runtime, ref.meta.input_ids[0], { dtype: 'q8' });
      r.load['ours-q8-from-f32'] = e.loadMs;
      await e.dispose();
    } catch (e) {
      note(`${model}: loadModel(f32 folder, { dtype: 'q8' }) failed: ${e.message}`);
    }
  }
  if (model === 'minilm-l6' && threads === 1 && engineKeys.includes('ours-f32') && engineKeys.length === ENGINES.length) {
    r.jsTwin = await jsTwin(dir, ref.meta.input_ids[0], ref.floats('last_hidden_state').data);
  }
}

runtime.dispose();
if (args.json) await writeJsonAtomic(args.json, out);
process.exit(0);
