// Models in q8 (loadModel's dtype option): every Linear, LM and classification head and embedding
// table int8, the rest f32. The fixtures' last hidden states against the same models in f32 (the
// worst per-token cosine is printed), the decoder-only model's greedy ids, what is packed as int8
// and what stays f32, the memory a q8 model takes, and the options' errors.
// Runtime: the default one (init(): the WASM SIMD build).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, loadCustomDecoder, loadModel, type Runtime, type TextEncoderModel, type TextSeq2SeqModel } from '../../src/index';
import type { PackedMatrix } from '../../src/kernels/types';
import { parseSafetensors } from '../../src/io/safetensors';
import type { TransformerConfig } from '../../src/transformer/config';

const FIXTURES = join(__dirname, '..', 'fixtures');

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});
afterAll(() => rt.dispose());

/** The smallest cosine between matching rows of d values, over the rows `keep` says (all by default); sums in f64. */
function worstCosine(a: Float32Array, b: Float32Array, d: number, keep: (row: number) => boolean = () => true): number {
  const dot = (x: Float32Array, y: Float32Array) => x.reduce((sum, v, i) => sum + v * y[i]!, 0);
  let worst = 1;
  for (let r = 0; r < a.length / d; r++) {
    if (!keep(r)) continue;
    const x = a.subarray(r * d, (r + 1) * d), y = b.subarray(r * d, (r + 1) * d);
    worst = Math.min(worst, dot(x, y) / Math.sqrt(dot(x, x) * dot(y, y)));
  }
  return worst;
}

/** A runtime whose packs are counted by dtype: which weights a load makes int8. */
function countingPacks(base: Runtime): { runtime: Runtime; packs: Record<string, number> } {
  const packs: Record<string, number> = {};
  const count = (p: PackedMatrix) => {
    packs[p.dtype] = (packs[p.dtype] ?? 0) + 1;
    return p;
  };
  const kernels = Object.create(base.kernels, {
    packB: { value: (...args: Parameters<Runtime['kernels']['packB']>) => count(base.kernels.packB(...args)) },
    packQ8: { value: (...args: Parameters<Runtime['kernels']['packQ8']>) => count(base.kernels.packQ8(...args)) },
  }) as Runtime['kernels'];
  return { runtime: Object.create(base, { kernels: { value: kernels } }) as Runtime, packs };
}

describe.each(['bert', 'distilbert'])('%s in q8', (name) => {
  const fixture = JSON.parse(readFileSync(join(FIXTURES, name, 'fixture.json'), 'utf8'));
  const { input_ids: inputIds, attention_mask: attentionMask, token_type_ids: tokenTypeIds } = fixture.inputs;

  test('the last hidden states are the f32 model\'s: every token\'s cosine ≥ 0.999; the labels agree', async () => {
    const f32 = await loadModel(join(FIXTURES, name), { runtime: rt }) as TextEncoderModel;
    const q8 = await loadModel(join(FIXTURES, name), { runtime: rt, dtype: 'q8' }) as TextEncoderModel;
    const input = { inputIds, attentionMask, tokenTypeIds };
    const a = f32.model.forward(input), b = q8.model.forward(input);
    const d = f32.config.dModel;
    const cosine = worstCosine(a.lastHiddenState, b.lastHiddenState, d, (r) => a.attentionMask[r] === 1);
    const logits = [f32.model.logits(a), q8.model.logits(b)];
    const largest = logits[0]!.reduce((m, x, i) => Math.max(m, Math.abs(x - logits[1]![i]!)), 0);
    console.log(`${name} q8: worst per-token cosine of the last hidden state ${cosine.toFixed(6)}, largest logit difference ${largest.toExponential(2)}`);
    expect(cosine).toBeGreaterThanOrEqual(0.999);
    const argmax = (l: Float32Array, n: number) => Array.from({ length: l.length / n }, (_, i) => {
      const row = Array.from(l.subarray(i * n, (i + 1) * n));
      return row.indexOf(Math.max(...row));
    });
    const labels = f32.config.numLabels!;
    expect(argmax(logits[1]!, labels)).toEqual(argmax(logits[0]!, labels));
    f32.dispose();
    q8.dispose();
  });

  test('every Linear (the head\'s two included) is packed int8, nothing f32; the WASM memory is about a quarter', async () => {
    const { runtime, packs } = countingPacks(rt);
    const before = rt.arena!.usedBytes;
    const q8 = await loadModel(join(FIXTURES, name), { runtime, dtype: 'q8' });
    const q8Bytes = rt.arena!.usedBytes - before;
    const c = q8.config;
    // 6 per layer (q, k, v, o, ffn1, ffn2), then the pooler or pre-classifier and the classifier.
    expect(packs).toEqual({ q8: 6 * c.encoderLayers + 2 });
    q8.dispose();
    const f32 = await loadModel(join(FIXTURES, name), { runtime: rt });
    const f32Bytes = rt.arena!.usedBytes - before;
    f32.dispose();
    console.log(`${name}: WASM memory of the weights ${f32Bytes} bytes in f32, ${q8Bytes} in q8`);
    expect(q8Bytes).toBeLessThan(0.5 * f32Bytes);
  });
});

describe('Marian in q8', () => {
  const fixture = JSON.parse(readFileSync(join(FIXTURES, 'marian', 'fixture.json'), 'utf8'));
  const { input_ids: ids, attention_mask: mask, decoder_input_ids: dec } = fixture.inputs;

  test('encoder and decoder last hidden states: every token\'s cosine ≥ 0.999 against f32; the tied head is int8', async () => {
    const f32 = await loadModel(join(FIXTURES, 'marian'), { runtime: rt }) as TextSeq2SeqModel;
    const { runtime, packs } = countingPacks(rt);
    const q8 = await loadModel(join(FIXTURES, 'marian'), { runtime, dtype: 'q8' }) as TextSeq2SeqModel;
    const c = q8.config;
    // 6 per encoder layer, 10 per decoder layer (self and cross attention, FFN), and the LM head.
    expect(packs).toEqual({ q8: 6 * c.encoderLayers + 10 * c.decoderLayers + 1 });
    const d = c.dModel;
    const [ea, eb] = [f32.model.encode(ids, mask), q8.model.encode(ids, mask)];
    const real = (r: number) => mask[Math.floor(r / ea.S)][r % ea.S] === 1;
    const encoder = worstCosine(ea.hidden.data, eb.hidden.data, d, real);
    const da = f32.model.decode(dec, ea).hidden, db = q8.model.decode(dec, eb).hidden;
    const decoder = worstCosine(da, db, d);
    const rows = dec.length * dec[0].length;
    const logits = worstCosine(f32.model.logits(da, rows), q8.model.logits(db, rows), c.vocabSize);
    console.log(`marian q8: worst per-token cosine, encoder ${encoder.toFixed(6)}, decoder ${decoder.toFixed(6)}, logits ${logits.toFixed(6)}`);
    expect(encoder).toBeGreaterThanOrEqual(0.999);
    expect(decoder).toBeGreaterThanOrEqual(0.999);
    const g = fixture.generation;
    const greedy = q8.model.generate(ids, { attentionMask: mask, maxLength: g.params.max_length });
    const same = greedy.filter((row, i) => JSON.stringify(row) === JSON.stringify(g.sequences[i])).length;
    console.log(`marian q8: greedy ids equal to PyTorch's f32 ones on ${same} of ${greedy.length} rows (random weights: closest f32 margin ${g.min_top2_margin})`);
    ea.free();
    eb.free();
    f32.dispose();
    q8.dispose();
  });
});

describe('the decoder-only model in q8', () => {
  const dir = join(FIXTURES, 'custom-prenorm');
  const fixture = JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8'));
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as TransformerConfig;
  const st = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
  const weights = (n: string) => st.tensor(n, { checkFinite: true });
  const has = (n: string) => st.has(n);

  test('loadCustomDecoder(…, { dtype: \'q8\' }): logits close to f32\'s, torch\'s greedy ids; q, k and v cut from in_proj as int8', () => {
    const f32 = loadCustomDecoder(rt, config, weights, has);
    const { runtime, packs } = countingPacks(rt);
    const q8 = loadCustomDecoder(runtime, config, weights, has, { dtype: 'q8' });
    // q, k, v, out_proj, linear1, linear2 per layer, and the tied LM head.
    expect(packs).toEqual({ q8: 6 * config.decoderLayers + 1 });
    const rows = fixture.input_ids.length * fixture.input_ids[0].length;
    const [a, b] = [f32, q8].map((m) => m.logits(m.forward(fixture.input_ids).lastHiddenState, rows));
    const cosine = worstCosine(a!, b!, config.vocabSize);
    const g = fixture.greedy;
    const greedy = q8.generate(g.prompt, { maxLength: g.max_length });
    const same = greedy.filter((row, i) => JSON.stringify(row) === JSON.stringify(g.sequences[i])).length;
    console.log(`custom decoder q8: worst per-position cosine of the logits ${cosine.toFixed(6)}; greedy ids equal to torch's on ${same} of ${greedy.length} rows`);
    expect(cosine).toBeGreaterThanOrEqual(0.999);
    expect(greedy).toEqual(g.sequences);
    expect(() => loadCustomDecoder(rt, config, weights, has, { dtype: 'int8' as never })).toThrow("loadCustomDecoder: option dtype must be one of f32, q8, got int8");
    f32.dispose();
    q8.dispose();
  });
});

describe('loadModel options', () => {
  test('an unknown dtype or option is an Error naming it, before anything is read', async () => {
    // No files at all: reading anything would fail on the missing config.json instead.
    const nothing = { files: {} };
    await expect(loadModel(nothing, { dtype: 'int8' as never })).rejects.toThrow("loadModel: option dtype must be 'f32' or 'q8', got int8");
    await expect(loadModel(nothing, { dtpye: 'q8' } as never)).rejects.toThrow('loadModel: unknown option dtpye (did you mean dtype?)');
    await expect(loadModel(nothing, { runtime: rt, dtype: undefined })).rejects.toThrow('has no config.json');
  });

  test('the memory check counts 1 byte a matrix value in q8, and says when q8 would fit', async () => {
    // BERT-like, 24 layers of d 2048, f 8192: 1.27e9 parameters, 5.1e9 bytes as f32 but 1.3e9 in q8.
    const config = {
      model_type: 'bert', hidden_size: 2048, intermediate_size: 8192, num_attention_heads: 16, num_hidden_layers: 24,
      vocab_size: 30522, max_position_embeddings: 512, type_vocab_size: 2, hidden_act: 'gelu', layer_norm_eps: 1e-12,
    };
    const d = 2048, f = 8192, layers = 24, V = 30522, P = 512;
    const matrices = (V + P + 2) * d + layers * (4 * d * d + 2 * d * f) + d * d;
    const vectors = 2 * d + layers * (4 * d + f + d + 4 * d) + d;
    const q8 = matrices + 4 * vectors;
    const f32 = { 'config.json': JSON.stringify(config) };
    await expect(loadModel({ files: f32 }, { runtime: rt })).rejects.toThrow(`over the memory limit of 4294967296 bytes (wasm32 addresses 4 GiB); with int8 weights (option dtype 'q8') they would need ${q8}`);
    // In q8 it fits: the load goes on to the weights, which are missing here.
    await expect(loadModel({ files: f32 }, { runtime: rt, dtype: 'q8' })).rejects.toThrow('has neither model.safetensors nor model.safetensors.index.json');
    // A config quantizeCheckpoint marked is q8 without the option.
    const marked = { 'config.json': JSON.stringify({ ...config, quantization_config: { quant_method: 'wasm-nlp-q8' } }) };
    await expect(loadModel({ files: marked }, { runtime: rt })).rejects.toThrow('has neither model.safetensors');
    // Twice the layers do not fit even in q8.
    const big = { 'config.json': JSON.stringify({ ...config, num_hidden_layers: 96 }) };
    await expect(loadModel({ files: big }, { runtime: rt, dtype: 'q8' })).rejects.toThrow(/bytes with int8 weights \(q8\), over the memory limit of 4294967296 bytes \(wasm32 addresses 4 GiB\)$/);
  });
});
