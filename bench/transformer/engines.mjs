// The transformer benchmark's engines on the models of tools/make_bench_models.py: wasm-nlp
// (loadModel from the checkpoint folder, f32 or q8) and onnxruntime-web (InferenceSession from
// the .onnx bytes exported from the same weights, or their q8 rewrite by tools/make_q8_onnx.py),
// each as { loadMs, run(), output(), dispose() }. All are timed as a caller sees them: token ids
// in, a Float32Array out.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { loadModel } from '../../dist/index.js';
import { rowCosines } from '../numbers.mjs';

export { rowCosines };

/** reference.json (inputs, float tensor offsets) and reference.bin (their float32 data). */
export function readReference(dir) {
  const meta = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8'));
  const bin = readFileSync(join(dir, 'reference.bin'));
  return {
    meta,
    floats(name) {
      const t = meta[name];
      if (!t?.shape) throw new Error(`${dir}/reference.json has no float tensor ${name}`);
      return { dims: t.shape, data: new Float32Array(bin.buffer.slice(bin.byteOffset + t.offset, bin.byteOffset + t.offset + t.bytes)) };
    },
  };
}

async function timed(load) {
  const t0 = performance.now();
  const value = await load();
  return { value, ms: performance.now() - t0 };
}

/** wasm-nlp on an encoder folder: forward of the reference ids (batch 1). options: more loadModel options ({ dtype }). */
export async function oursEncoder(dir, runtime, ids, options = {}) {
  const { value: m, ms } = await timed(() => loadModel(dir, { runtime, ...options }));
  let last;
  return {
    loadMs: ms,
    run: () => (last = m.model.forward({ inputIds: [ids] }).lastHiddenState),
    output: () => last,
    dispose: () => m.dispose(),
  };
}

const int64 = (xs) => BigInt64Array.from(xs, BigInt);

async function ortSession(file) {
  // Reading the file is part of loading, as loadModel reads its safetensors.
  return timed(() => ort.InferenceSession.create(readFileSync(file), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' }));
}

/** onnxruntime-web on encoder.onnx, or another file of the folder (input_ids, attention_mask → last_hidden_state). */
export async function ortEncoder(dir, ids, file = 'encoder.onnx') {
  const { value: s, ms } = await ortSession(join(dir, file));
  const feeds = {
    input_ids: new ort.Tensor('int64', int64(ids), [1, ids.length]),
    attention_mask: new ort.Tensor('int64', int64(ids.map(() => 1)), [1, ids.length]),
  };
  let last;
  return {
    loadMs: ms,
    run: async () => (last = (await s.run(feeds)).last_hidden_state.data),
    output: () => last,
    dispose: () => s.release(),
  };
}

/**
 * wasm-nlp's greedy decode step on the Marian folder: the source encoded once, the cache filled
 * by stepping through the reference decoder tokens but the last, then the timed step: the last
 * token at position P through the decoder (its keys and values written at P, each time the
 * same) and the LM head, as one iteration of generate().
 */
export async function oursDecoderStep(dir, runtime, ref, options = {}) {
  const { value: m, ms } = await timed(() => loadModel(dir, { runtime, ...options }));
  const dec = ref.meta.decoder_input_ids[0], P = dec.length - 1;
  const enc = m.model.encode(ref.meta.input_ids);
  const decoder = m.model.stepDecoder(enc, 64);
  for (let pos = 0; pos < P; pos++) decoder.next([[dec[pos]]], pos);
  let last;
  return {
    loadMs: ms,
    run: () => (last = decoder.next([[dec[P]]], P)),
    output: () => last,
    dispose: () => {
      decoder.free();
      enc.free();
      m.dispose();
    },
  };
}

/** onnxruntime-web on decoder_with_past.onnx (or another file of the folder), fed the reference cache (torch's) of P positions. */
export async function ortDecoderStep(dir, ref, file = 'decoder_with_past.onnx') {
  const { value: s, ms } = await ortSession(join(dir, file));
  const dec = ref.meta.decoder_input_ids[0], src = ref.meta.input_ids[0];
  const feeds = {
    input_ids: new ort.Tensor('int64', int64([dec[dec.length - 1]]), [1, 1]),
    encoder_attention_mask: new ort.Tensor('int64', int64(src.map(() => 1)), [1, src.length]),
  };
  for (const name of s.inputNames.filter((n) => n.startsWith('past_key_values.'))) {
    const { dims, data } = ref.floats(name);
    feeds[name] = new ort.Tensor('float32', data, dims);
  }
  let last;
  return {
    loadMs: ms,
    run: async () => (last = (await s.run(feeds)).logits.data),
    output: () => last,
    dispose: () => s.release(),
  };
}

/** Index of the largest value. */
export function argmax(x) {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

/** Largest |a − b| over two float arrays of the same length. */
export function maxAbsDiff(a, b) {
  if (a.length !== b.length) throw new Error(`outputs differ in length: ${a.length} and ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
