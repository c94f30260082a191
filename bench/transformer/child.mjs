// One thread count of the transformer benchmark, in its own process (ort-web fixes its thread
// count per process, see bench/peers/ort.mjs). For each model: load both engines (timed), check
// their outputs against torch's reference before timing anything, then time them in interleaved
// rounds (bench/harness.mjs). Run by bench/transformer.mjs:
//
//   node --experimental-wasm-relaxed-simd bench/transformer/child.mjs --threads N --rounds R --json FILE
import { join } from 'node:path';
import { init } from '../../dist/index.js';
import { measure, ratio } from '../harness.mjs';
import { ortEngine } from '../peers/ort.mjs';
import { median, parseArgs, writeJsonAtomic } from '../report.mjs';
import { maxAbsDiff, ortDecoderStep, ortEncoder, oursDecoderStep, oursEncoder, readReference } from './engines.mjs';

/** Largest difference from torch's output allowed before timing (the bar). */
const TOLERANCE = 1e-4;

const args = parseArgs(process.argv.slice(2), { threads: '1', rounds: '5', models: 'bench/.models' });
const threads = Number(args.threads), rounds = Number(args.rounds);
const log = (s) => console.error(`[${threads} thread${threads > 1 ? 's' : ''}] ${s}`);
const ortName = (await ortEngine({ threads })).name;
const t0 = performance.now();
const runtime = await init({ threads });
const initMs = performance.now() - t0;
if (runtime.features.threads !== threads) throw new Error(`asked for ${threads} threads, the runtime has ${runtime.features.threads}: ${runtime.features.notes.join('; ')}`);
const OURS = `wasm-nlp (${runtime.features.build})`, ORT = ortName;

/** Runs each engine once, compares with torch's output, refuses to time a wrong answer. */
async function check(model, engines, want) {
  const diffs = {};
  for (const [name, e] of Object.entries(engines)) {
    await e.run();
    diffs[name] = maxAbsDiff(e.output(), want);
    log(`${model}: ${name} max |Δ| vs torch ${diffs[name].toExponential(2)}`);
    if (!(diffs[name] <= TOLERANCE)) throw new Error(`${model}: ${name} differs from torch by ${diffs[name]} (> ${TOLERANCE}); not timing it`);
  }
  return diffs;
}

/** Interleaved rounds of the two engines on one case; milliseconds. */
async function time(model, ours, peer, timeMs) {
  const engines = [{ name: OURS, prepare: async () => ({ run: ours.run }) }, { name: ORT, prepare: async () => ({ run: peer.run }) }];
  const [row] = await measure([{ kernel: model, shape: '', unit: 'ms', work: 1 }], engines, { rounds, timeMs });
  const ms = (name) => ({ ms: 1e3 * row.engines[name].seconds, perRound: row.perRound[name].map((s) => 1e3 * s) });
  const result = { ours: ms(OURS), ort: ms(ORT), ratio: 1 / ratio(row, OURS, ORT) };
  log(`${model}: ours ${result.ours.ms.toFixed(1)} ms, ort-web ${result.ort.ms.toFixed(1)} ms, ours / ort-web ${result.ratio.toFixed(2)}`);
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

const out = { threads, build: runtime.features.build, ort: ortName, initMs, models: {} };
for (const model of ['minilm-l6', 'bert-base']) {
  const dir = join(args.models, model);
  const ref = readReference(dir);
  const ids = ref.meta.input_ids[0];
  const want = ref.floats('last_hidden_state').data;
  const ours = await oursEncoder(dir, runtime, ids);
  const peer = await ortEncoder(dir, ids);
  log(`${model}: load ${ours.loadMs.toFixed(0)} ms ours, ${peer.loadMs.toFixed(0)} ms ort-web`);
  const maxDiff = await check(model, { ours, [ORT]: peer }, want);
  const timing = await time(model, ours, peer, model === 'bert-base' ? 2000 : 600);
  ours.dispose();
  await peer.dispose();
  out.models[model] = { seq: ids.length, load: { ours: ours.loadMs, ort: peer.loadMs }, maxDiff, ...timing };
  if (model === 'minilm-l6' && threads === 1) out.models[model].jsTwin = await jsTwin(dir, ids, want);
}

{
  const model = 'marian-base', dir = join(args.models, model);
  const ref = readReference(dir);
  const want = ref.floats('logits').data;
  const ours = await oursDecoderStep(dir, runtime, ref);
  const peer = await ortDecoderStep(dir, ref);
  log(`${model}: load ${ours.loadMs.toFixed(0)} ms ours, ${peer.loadMs.toFixed(0)} ms ort-web (decoder only)`);
  const maxDiff = await check(`${model} step`, { ours, [ORT]: peer }, want);
  const timing = await time(`${model} step`, ours, peer, 400);
  ours.dispose();
  await peer.dispose();
  out.models[model] = { source: ref.meta.input_ids[0].length, position: ref.meta.decoder_input_ids[0].length - 1, load: { ours: ours.loadMs, ort: peer.loadMs }, maxDiff, ...timing };
}

runtime.dispose();
if (args.json) await writeJsonAtomic(args.json, out);
process.exit(0);
