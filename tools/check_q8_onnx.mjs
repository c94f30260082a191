// Compares q8 ONNX graphs (tools/make_q8_onnx.py) with the f32 graphs they came from, on
// onnxruntime-web in Node, with the inputs of the folder's reference.json (written by
// tools/make_bench_models.py). Prints, per pair, the worst cosine over tokens of q8 against f32
// (and of each against torch's reference output), and exits 1 if a q8 graph is far off
// (worst token cosine against f32 below 0.99) or fails to run.
//
//   node tools/check_q8_onnx.mjs F32.onnx Q8.onnx [F32.onnx Q8.onnx ...]
//
// An encoder (input_ids, attention_mask → last_hidden_state) is compared on its hidden states,
// token by token; a decoder_with_past on its logits (one token: the cosine of the whole row, and
// whether the arg max agrees) and on its present.* key/value rows.
import { readFileSync } from 'node:fs';
import { rowCosines } from '../bench/numbers.mjs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-web';

const BAR = 0.99;
ort.env.wasm.numThreads = 2;
ort.env.logLevel = 'error';

const files = process.argv.slice(2);
if (files.length === 0 || files.length % 2) {
  console.error('usage: node tools/check_q8_onnx.mjs F32.onnx Q8.onnx [F32.onnx Q8.onnx ...]');
  process.exit(2);
}

function reference(dir) {
  const meta = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8'));
  const bin = readFileSync(join(dir, 'reference.bin'));
  const floats = (name) => {
    const t = meta[name];
    return { dims: t.shape, data: new Float32Array(bin.buffer.slice(bin.byteOffset + t.offset, bin.byteOffset + t.offset + t.bytes)) };
  };
  return { meta, floats };
}

const int64 = (xs) => BigInt64Array.from(xs, BigInt);

function feeds(session, ref) {
  const f = {};
  const src = ref.meta.input_ids[0];
  if (session.inputNames.includes('attention_mask')) {
    f.input_ids = new ort.Tensor('int64', int64(src), [1, src.length]);
    f.attention_mask = new ort.Tensor('int64', int64(src.map(() => 1)), [1, src.length]);
    return f;
  }
  const dec = ref.meta.decoder_input_ids[0];
  f.input_ids = new ort.Tensor('int64', int64([dec.at(-1)]), [1, 1]);
  f.encoder_attention_mask = new ort.Tensor('int64', int64(src.map(() => 1)), [1, src.length]);
  for (const name of session.inputNames.filter((n) => n.startsWith('past_key_values.'))) {
    const { dims, data } = ref.floats(name);
    f[name] = new ort.Tensor('float32', data, dims);
  }
  return f;
}

/** Runs one graph; its outputs as { name: { dims, data } } (copied out of ort's buffers). */
async function run(file, ref) {
  const t0 = performance.now();
  const s = await ort.InferenceSession.create(readFileSync(file), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const loadMs = performance.now() - t0;
  const out = await s.run(feeds(s, ref));
  const result = {};
  for (const [name, t] of Object.entries(out)) result[name] = { dims: t.dims, data: Float32Array.from(t.data) };
  await s.release();
  return { outputs: result, loadMs };
}

function maxAbs(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const argmax = (x) => x.reduce((best, v, i) => (v > x[best] ? i : best), 0);
const fmt = (c) => c.toFixed(6);

let failed = 0;
for (let i = 0; i < files.length; i += 2) {
  const [f32File, q8File] = [files[i], files[i + 1]];
  const ref = reference(dirname(f32File));
  try {
    const f32 = await run(f32File, ref);
    const q8 = await run(q8File, ref);
    let worst;
    if (f32.outputs.last_hidden_state) {
      const a = f32.outputs.last_hidden_state, b = q8.outputs.last_hidden_state, torch = ref.floats('last_hidden_state').data;
      const D = a.dims.at(-1);
      const vsF32 = rowCosines(b.data, a.data, D), f32VsTorch = rowCosines(a.data, torch, D), q8VsTorch = rowCosines(b.data, torch, D);
      worst = vsF32.worst;
      console.log(`${q8File}: ${a.dims[1]} tokens × ${D}; token cosine q8 vs f32: worst ${fmt(vsF32.worst)}, mean ${fmt(vsF32.mean)}; ` +
        `q8 vs torch worst ${fmt(q8VsTorch.worst)} (f32 vs torch ${fmt(f32VsTorch.worst)}); max |q8 − f32| ${maxAbs(b.data, a.data).toFixed(4)}; ` +
        `ort-web load ${f32.loadMs.toFixed(0)} ms f32, ${q8.loadMs.toFixed(0)} ms q8`);
    } else {
      const a = f32.outputs.logits, b = q8.outputs.logits, torch = ref.floats('logits').data;
      const V = a.dims.at(-1);
      const logits = rowCosines(b.data, a.data, V);
      let presentWorst = 1;
      for (const name of Object.keys(f32.outputs).filter((n) => n.startsWith('present.'))) {
        const x = f32.outputs[name];
        presentWorst = Math.min(presentWorst, rowCosines(q8.outputs[name].data, x.data, x.dims.at(-1)).worst);
      }
      worst = Math.min(logits.worst, presentWorst);
      console.log(`${q8File}: logits cosine q8 vs f32 ${fmt(logits.worst)} (q8 vs torch ${fmt(rowCosines(b.data, torch, V).worst)}), ` +
        `arg max ${argmax(b.data)} q8, ${argmax(a.data)} f32, ${argmax(torch)} torch; worst present key/value row cosine ${fmt(presentWorst)}; ` +
        `max |q8 − f32| logits ${maxAbs(b.data, a.data).toFixed(4)}; ort-web load ${f32.loadMs.toFixed(0)} ms f32, ${q8.loadMs.toFixed(0)} ms q8`);
    }
    if (!(worst >= BAR)) {
      console.log(`  FAIL: worst cosine ${worst} < ${BAR}`);
      failed++;
    }
  } catch (e) {
    console.log(`${q8File}: FAIL ${e.stack ?? e}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
