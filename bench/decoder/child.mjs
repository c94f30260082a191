// One process of the decoder benchmark (bench/decoder.mjs): one engine, one model, one thread
// count. Loads the engine (timed, files to ready), checks its prefill and decode-step outputs
// against torch's (tools/make_bench_models.py's reference.json/.bin) before timing anything, warms
// up, then times the prefill of the 128-token prompt and the decode step at position 128.
//
//   node --experimental-wasm-relaxed-simd bench/decoder/child.mjs --engine ours-f32|ours-q8|ort-f32|ort-q8
//     --model smollm2-135m|gpt2-small|flan-t5-small|smollm2-360m --threads 1|2 [--prefills K] [--steps N] --json FILE
//
// Prefill: llama/GPT-2, the prompt through the decoder with an empty cache, the last position's
// logits out (wasm-nlp: stepDecoder().next([prompt], 0); ort-web: decoder_with_past.onnx with
// zero-length past tensors, which returns the last position's logits only, as the export was made).
// flan-t5: the encoder over the 128-token source, in both engines without the decoder's
// cross-attention K/V (the decoder computes them when it first runs over the encoding).
// Decode step: one token at position 128 after a cache of 128 (wasm-nlp: its own cache, the step
// repeated at the same position, writing the same K/V; ort-web: torch's cache fed in, the 129-long
// present.* outputs copied out, as ort-web does for every output).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { init, loadModel } from '../../dist/index.js';
import { cpuWatch } from '../cpu-share.mjs';
import { ortEngine } from '../peers/ort.mjs';
import { median, parseArgs, writeJsonAtomic } from '../report.mjs';
import { argmax, maxAbsDiff, readReference, rowCosines } from '../transformer/engines.mjs';

/** f32 engines: largest |Δ| to torch's logits allowed, relative to the largest |logit| (30 layers of f32 sums in another order). */
const F32_TOLERANCE = 1e-4;
/** q8 engines: smallest cosine to torch's logits (and encoder rows). */
const BAR = 0.99;
const WARM_MS = 3000;

const args = parseArgs(process.argv.slice(2), { engine: '', model: '', threads: '1', prefills: '5', steps: '30', dir: 'bench/.models' });
const { engine, model } = args;
const threads = Number(args.threads);
if (!['ours-f32', 'ours-q8', 'ort-f32', 'ort-q8'].includes(engine)) throw new Error(`--engine ${engine}: use ours-f32, ours-q8, ort-f32 or ort-q8`);
const dir = join(args.dir, model);
if (!existsSync(join(dir, 'reference.json'))) throw new Error(`--model ${model}: ${dir}/reference.json is missing (make it with /usr/bin/python3 tools/make_bench_models.py --only ${model})`);
const ref = readReference(dir);
const kind = ref.meta.kind;
const log = (s) => console.error(`[${model} ${engine} ${threads}t] ${s}`);
const int64 = (xs) => BigInt64Array.from(xs, BigInt);
const P = ref.meta.input_ids[0].length; // 128: prompt (source) length, and the step's position

// The runtime is started before the load is timed, so the load is the model's alone.
let runtime, initMs;
const t0 = performance.now();
if (engine.startsWith('ort')) {
  const e = await ortEngine({ threads });
  const tiny = await e.matmul({ m: 1, k: 1, n: 1, a: Float32Array.of(1), b: Float32Array.of(1) });
  await tiny.run();
  await tiny.dispose();
} else {
  runtime = await init({ threads });
  if (runtime.features.threads !== threads) throw new Error(`asked for ${threads} threads, the runtime has ${runtime.features.threads}`);
}
initMs = performance.now() - t0;
const rssBeforeLoad = process.memoryUsage().rss;

async function oursEngine() {
  const q8 = engine === 'ours-q8';
  const from = q8 && existsSync(join(`${dir}-q8`, 'config.json')) ? `${dir}-q8` : dir;
  const t = performance.now();
  const m = await loadModel(from, { runtime, ...(q8 ? { dtype: 'q8' } : {}) });
  const loadMs = performance.now() - t;
  if (kind === 't5') {
    const src = ref.meta.input_ids, dec = ref.meta.decoder_input_ids[0];
    let enc = m.model.encode(src);
    const stepper = m.model.stepDecoder(enc, P + 1);
    for (let pos = 0; pos < P; pos++) stepper.next([[dec[pos]]], pos);
    let other; // prefill's encodings, freed each time
    return {
      folder: from, loadMs,
      prefill: () => {
        other?.free();
        other = m.model.encode(src);
        return other.hidden.data;
      },
      step: () => stepper.next([[dec[P]]], P),
      dispose: () => { other?.free(); stepper.free(); enc.free(); m.dispose(); },
    };
  }
  const prompt = ref.meta.input_ids[0], next = ref.meta.next_id[0][0];
  const stepper = m.model.stepDecoder(1, P + 1);
  return {
    folder: from, loadMs,
    prefill: () => stepper.next([prompt], 0),
    step: () => stepper.next([[next]], P),
    dispose: () => { stepper.free(); m.dispose(); },
  };
}

async function ortEngineFor() {
  const suffix = engine === 'ort-q8' ? '-q8' : '';
  const read = (f) => {
    if (!existsSync(join(dir, f))) throw new Error(`${join(dir, f)} is missing (make it with /usr/bin/python3 tools/make_bench_models.py --only ${model})`);
    return readFileSync(join(dir, f));
  };
  const opts = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
  const t = performance.now();
  const dec = await ort.InferenceSession.create(read(`decoder_with_past${suffix}.onnx`), opts);
  const encS = kind === 't5' ? await ort.InferenceSession.create(read(`encoder${suffix}.onnx`), opts) : undefined;
  const loadMs = performance.now() - t;
  const pastNames = dec.inputNames.filter((n) => n.startsWith('past_key_values.'));
  const pastFeeds = Object.fromEntries(pastNames.map((n) => {
    const { dims, data } = ref.floats(n);
    return [n, new ort.Tensor('float32', data, dims)];
  }));
  const tensor = (xs, dims) => new ort.Tensor('int64', int64(xs), dims);
  let prefillFeeds, stepFeeds, prefillSession, prefillOut;
  if (kind === 't5') {
    const src = ref.meta.input_ids[0], d = ref.meta.decoder_input_ids[0];
    prefillSession = encS;
    prefillOut = 'last_hidden_state';
    prefillFeeds = { input_ids: tensor(src, [1, P]), attention_mask: tensor(src.map(() => 1), [1, P]) };
    stepFeeds = { input_ids: tensor([d[P]], [1, 1]), encoder_attention_mask: tensor(src.map(() => 1), [1, P]), ...pastFeeds };
  } else {
    const prompt = ref.meta.input_ids[0], next = ref.meta.next_id[0][0];
    prefillSession = dec;
    prefillOut = 'logits';
    const empty = Object.fromEntries(pastNames.map((n) => {
      const dims = [...pastFeeds[n].dims];
      dims[2] = 0;
      return [n, new ort.Tensor('float32', new Float32Array(0), dims)];
    }));
    prefillFeeds = { input_ids: tensor(prompt, [1, P]), position_ids: tensor(prompt.map((_, i) => i), [1, P]), ...empty };
    stepFeeds = { input_ids: tensor([next], [1, 1]), position_ids: tensor([P], [1, 1]), ...pastFeeds };
  }
  return {
    loadMs,
    prefill: async () => (await prefillSession.run(prefillFeeds))[prefillOut].data,
    step: async () => (await dec.run(stepFeeds)).logits.data,
    dispose: async () => { await dec.release(); await encS?.release(); },
  };
}

const e = engine.startsWith('ours') ? await oursEngine() : await ortEngineFor();
const rssAfterLoad = process.memoryUsage().rss;
log(`loaded in ${e.loadMs.toFixed(0)} ms${e.folder ? ` from ${e.folder}` : ''}`);

// Checks against torch before timing.
function compare(name, got, want, width) {
  const maxDiff = maxAbsDiff(got, want.data);
  let scale = 0;
  for (const x of want.data) scale = Math.max(scale, Math.abs(x));
  const cos = rowCosines(got, want.data, width);
  const r = { name, maxDiff, relDiff: maxDiff / scale, worstCosine: cos.worst, argmaxAgrees: name === 'encoder' ? undefined : argmax(got) === argmax(want.data) };
  log(`${name} vs torch: max |Δ| ${maxDiff.toExponential(2)} (${r.relDiff.toExponential(2)} of the largest), worst cosine ${cos.worst.toFixed(6)}${r.argmaxAgrees === undefined ? '' : `, arg max ${r.argmaxAgrees ? 'agrees' : 'DIFFERS'}`}`);
  if (engine.endsWith('f32') ? !(r.relDiff <= F32_TOLERANCE) : !(cos.worst >= BAR)) throw new Error(`${model} ${engine}: ${name} is off torch's (${JSON.stringify(r)}); not timing it`);
  return r;
}
const checks = [];
const pre = await e.prefill();
if (kind === 't5') checks.push(compare('encoder', pre, ref.floats('last_hidden_state'), ref.floats('last_hidden_state').dims.at(-1)));
else checks.push(compare('prefill logits', pre, ref.floats('prefill_logits'), ref.floats('prefill_logits').dims.at(-1)));
checks.push(compare('step logits', await e.step(), ref.floats('logits'), ref.floats('logits').dims.at(-1)));

// Warm-up (V8 tiers WebAssembly up in the background), then the timings.
for (let i = 0, t = performance.now(); i < 5 || performance.now() - t < WARM_MS; i++) await e.step();
await e.prefill();
const watch = cpuWatch();
const prefillMs = [], stepMs = [];
for (let i = 0; i < Number(args.prefills); i++) {
  const t = performance.now();
  await e.prefill();
  prefillMs.push(performance.now() - t);
}
for (let i = 0; i < Number(args.steps); i++) {
  const t = performance.now();
  await e.step();
  stepMs.push(performance.now() - t);
}
const { ownCores, otherCores } = watch.stop();
await e.dispose();
const out = {
  engine, model, threads, initMs, loadMs: e.loadMs, folder: e.folder, checks,
  prefillMs: median(prefillMs), stepMs: median(stepMs), prefillRuns: prefillMs, stepRuns: stepMs,
  // maxRSS: the process's peak resident set (KB, getrusage), engine runtime + model + buffers.
  peakRssMB: process.resourceUsage().maxRSS / 1024, rssBeforeLoadMB: rssBeforeLoad / 2 ** 20, rssAfterLoadMB: rssAfterLoad / 2 ** 20,
  ownCores, otherCores,
  ort: engine.startsWith('ort') ? ort.env.versions?.web : undefined, build: runtime?.features.build,
};
log(`prefill ${out.prefillMs.toFixed(1)} ms, step ${out.stepMs.toFixed(2)} ms (${(1e3 / out.stepMs).toFixed(1)} tokens/s), peak RSS ${out.peakRssMB.toFixed(0)} MB, other cores ${otherCores?.toFixed(2)}`);
runtime?.dispose();
await writeJsonAtomic(args.json, out);
process.exit(0);
