// Quantized checkpoints: quantizeCheckpoint writes a wasm-nlp-q8 folder (I8 matrices with per-row
// scales, other tensors F32, the tokenizer and generation files copied) that loadModel reads as
// int8 straight away, giving bitwise the model loadModel(f32 folder, { dtype: 'q8' }) builds; its
// size; 'f32' on it dequantizes; and every malformed q8 file is a FormatError naming the tensor.
// Runtime: the default one (init(): the WASM SIMD build).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { countParameters, configFromHuggingFace, FormatError, init, loadModel, quantizeCheckpoint, type Runtime, type TextEncoderModel, type TextSeq2SeqModel } from '../../src/index';
import { parseSafetensors, writeSafetensors, type SafetensorsFile, type WritableTensor } from '../../src/io/safetensors';
import { serve } from '../browser/server';

const FIXTURES = join(__dirname, '..', 'fixtures');
const BERT = join(FIXTURES, 'bert');
const bertFixture = JSON.parse(readFileSync(join(BERT, 'fixture.json'), 'utf8'));
const marianFixture = JSON.parse(readFileSync(join(FIXTURES, 'marian', 'fixture.json'), 'utf8'));

let rt: Runtime, tmp: string;
/** The fixtures quantized once: name → folder. */
const quantized: Record<string, string> = {};
beforeAll(async () => {
  rt = await init();
  tmp = mkdtempSync(join(tmpdir(), 'wasm-nlp-q8-'));
  for (const name of ['bert', 'bert-sharded', 'distilbert', 'marian']) {
    quantized[name] = join(tmp, name);
    await quantizeCheckpoint(join(FIXTURES, name), quantized[name]);
  }
});
afterAll(() => {
  rt.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

/** Every tensor of a file, as writeSafetensors takes them back. */
function tensorsOf(st: SafetensorsFile): Record<string, WritableTensor> {
  return Object.fromEntries(st.names.map((n) => {
    const { dtype, shape } = st.info(n);
    return [n, dtype === 'I8' ? { dtype, shape, data: st.int8Tensor(n) } : { dtype: 'F32', shape, data: st.tensor(n) }];
  }));
}

/** A folder's files in memory, to change one of them. */
function filesOf(dir: string): Record<string, Uint8Array> {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))]));
}

const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));

describe('quantizeCheckpoint', () => {
  test('the folder: I8 matrices with F32 scales of shape [rows], vectors F32, the marker in both places, every other file copied', () => {
    const out = quantized['marian']!;
    expect(readdirSync(out).sort()).toEqual(['config.json', 'fixture.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    for (const f of ['generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) expect(readFileSync(join(out, f))).toEqual(readFileSync(join(FIXTURES, 'marian', f)));
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config).toEqual({ ...JSON.parse(readFileSync(join(FIXTURES, 'marian', 'config.json'), 'utf8')), quantization_config: { quant_method: 'wasm-nlp-q8' } });
    const st = parseSafetensors(new Uint8Array(readFileSync(join(out, 'model.safetensors'))));
    expect(st.metadata).toEqual({ format: 'pt', quantization: 'wasm-nlp-q8' });
    const source = parseSafetensors(new Uint8Array(readFileSync(join(FIXTURES, 'marian', 'model.safetensors'))));
    for (const name of source.names) {
      const { shape } = source.info(name);
      if (shape.length === 2 && shape[0]! > 1 && shape[1]! > 1) {
        expect(st.info(name), name).toMatchObject({ dtype: 'I8', shape });
        expect(st.info(`${name}_scale`), name).toMatchObject({ dtype: 'F32', shape: [shape[0]] });
      } else {
        expect(st.info(name), name).toMatchObject({ dtype: 'F32', shape });
        expect(st.has(`${name}_scale`)).toBe(false);
      }
    }
    expect(st.info('final_logits_bias')).toMatchObject({ dtype: 'F32', shape: [1, 100] });
  });

  test('a sharded input becomes one model.safetensors', () => {
    const out = quantized['bert-sharded']!;
    expect(readdirSync(out).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    expect(readFileSync(join(out, 'model.safetensors'))).toEqual(readFileSync(join(quantized['bert']!, 'model.safetensors')));
  });

  test('loadModel reads it as q8 (no option) and gives bitwise the outputs of loadModel(f32 folder, { dtype: \'q8\' })', async () => {
    for (const name of ['bert', 'distilbert']) {
      const fromQ8 = await loadModel(quantized[name]!, { runtime: rt }) as TextEncoderModel;
      const atLoad = await loadModel(join(FIXTURES, name), { runtime: rt, dtype: 'q8' }) as TextEncoderModel;
      const texts = ['the big red dog', 'she is very good today, and so is he'];
      const [a, b] = [fromQ8, atLoad].map((m) => m.forward(texts));
      expect(bits(a!.lastHiddenState), name).toEqual(bits(b!.lastHiddenState));
      expect(bits(fromQ8.model.logits(a!)), name).toEqual(bits(atLoad.model.logits(b!)));
      fromQ8.dispose();
      atLoad.dispose();
    }
    const fromQ8 = await loadModel(quantized['marian']!, { runtime: rt }) as TextSeq2SeqModel;
    const atLoad = await loadModel(join(FIXTURES, 'marian'), { runtime: rt, dtype: 'q8' }) as TextSeq2SeqModel;
    const { input_ids: ids, attention_mask: mask, decoder_input_ids: dec } = marianFixture.inputs;
    const [ea, eb] = [fromQ8.model.encode(ids, mask), atLoad.model.encode(ids, mask)];
    expect(bits(ea.hidden.data)).toEqual(bits(eb.hidden.data));
    const rows = dec.length * dec[0].length;
    expect(bits(fromQ8.model.logits(fromQ8.model.decode(dec, ea).hidden, rows))).toEqual(bits(atLoad.model.logits(atLoad.model.decode(dec, eb).hidden, rows)));
    expect(fromQ8.translate(marianFixture.inputs.texts, { numBeams: 2 })).toEqual(atLoad.translate(marianFixture.inputs.texts, { numBeams: 2 }));
    ea.free();
    eb.free();
    fromQ8.dispose();
    atLoad.dispose();
  });

  test('from a URL (a local server) and from memory: the same outputs as from the directory, to the bit', async () => {
    const server = await serve(tmp, {});
    try {
      const texts = ['the big red dog', 'she is very good today, and so is he'];
      const fromDir = await loadModel(quantized['bert']!, { runtime: rt }) as TextEncoderModel;
      const want = bits(fromDir.forward(texts).lastHiddenState);
      fromDir.dispose();
      for (const source of [`${server.url}/bert/`, { files: filesOf(quantized['bert']!) }]) {
        const model = await loadModel(source, { runtime: rt }) as TextEncoderModel;
        expect(bits(model.forward(texts).lastHiddenState), typeof source === 'string' ? 'URL' : 'memory').toEqual(want);
        model.dispose();
      }
    } finally {
      await server.close();
    }
  });

  test('dtype \'f32\' on it dequantizes: the model of the dequantized weights stored as F32', async () => {
    const files = filesOf(quantized['bert']!);
    const st = parseSafetensors(files['model.safetensors']!);
    // The dequantized weights, values[r][c] · scale[r] in f32, written as a plain F32 checkpoint.
    const plain: Record<string, WritableTensor> = {};
    for (const n of st.names) {
      if (n.endsWith('_scale')) continue;
      const { dtype, shape } = st.info(n);
      if (dtype !== 'I8') {
        plain[n] = { dtype: 'F32', shape, data: st.tensor(n) };
        continue;
      }
      const q = st.int8Tensor(n), scales = st.tensor(`${n}_scale`), cols = shape[1]!;
      plain[n] = { dtype: 'F32', shape, data: Float32Array.from(q, (v, i) => Math.fround(v * scales[Math.floor(i / cols)]!)) };
    }
    const config = JSON.parse(new TextDecoder().decode(files['config.json']));
    delete config.quantization_config;
    const dequantized = await loadModel({ files: { ...files, 'config.json': JSON.stringify(config), 'model.safetensors': writeSafetensors(plain) } }, { runtime: rt }) as TextEncoderModel;
    const asF32 = await loadModel(quantized['bert']!, { runtime: rt, dtype: 'f32' }) as TextEncoderModel;
    const texts = bertFixture.inputs.texts.map((t: { text: string }) => t.text);
    expect(bits(asF32.forward(texts).lastHiddenState)).toEqual(bits(dequantized.forward(texts).lastHiddenState));
    asF32.dispose();
    dequantized.dispose();
  });

  test('size: the matrices at 1 byte a value; BERT-base\'s model.safetensors about a quarter of its f32 bytes (≤ 0.3×)', () => {
    // tests/fixtures/bert: V 120, P 64, T 2, d 48, f 72, 2 layers, pooler, 3 labels.
    const config = configFromHuggingFace(readFileSync(join(BERT, 'config.json'), 'utf8'));
    /** Bytes of a q8 file's data (headers aside): matrices 1 byte a value, their scales and every other value 4. */
    const q8Bytes = (c: typeof config) => {
      const all = countParameters(c).total;
      const matrices = countParameters(c, { biases: false, layerNormGammas: false, layerNormBetas: false }).total;
      const L = c.encoderLayers, d = c.dModel;
      // Rows, one scale each: the three tables, q k v o, ffn1 (f rows), ffn2 (d rows), the pooler; the classifier [labels, d] stays F32 unless labels > 1.
      const scales = c.vocabSize + c.maxPositions + c.typeVocabSize + L * (4 * d + c.dFF + d) + d + (c.numLabels! > 1 ? c.numLabels! : 0);
      return matrices + 4 * (all - matrices) + 4 * scales;
    };
    const st = parseSafetensors(new Uint8Array(readFileSync(join(quantized['bert']!, 'model.safetensors'))));
    const fileBytes = statSync(join(quantized['bert']!, 'model.safetensors')).size;
    expect(fileBytes - st.dataOffset).toBe(q8Bytes(config));
    const f32Bytes = statSync(join(BERT, 'model.safetensors')).size;
    console.log(`bert fixture: model.safetensors ${f32Bytes} bytes in f32, ${fileBytes} in q8 (${(fileBytes / f32Bytes).toFixed(3)}×: 48-wide layers, biases and LayerNorms weigh)`);
    expect(fileBytes / f32Bytes).toBeLessThan(0.45);
    // BERT-base (bert-base-uncased's config: 30522 × 768, 12 layers, f 3072, with a 2-label head).
    const base = configFromHuggingFace({ model_type: 'bert', architectures: ['BertForSequenceClassification'], num_labels: 2 });
    const ratio = q8Bytes(base) / (4 * countParameters(base).total);
    console.log(`BERT-base: ${countParameters(base).total} parameters, model.safetensors ${q8Bytes(base)} bytes in q8, ${(ratio).toFixed(3)}× its f32 bytes`);
    expect(ratio).toBeLessThanOrEqual(0.3);
  });

  test('refused: the input folder as output, an input already quantized, a non-empty output, an output that cannot be written', async () => {
    await expect(quantizeCheckpoint(BERT, BERT)).rejects.toThrow(`quantizeCheckpoint: the output folder is the input folder (${BERT}); give another one`);
    await expect(quantizeCheckpoint(BERT, `${BERT}/.`)).rejects.toThrow('the output folder is the input folder');
    await expect(quantizeCheckpoint(quantized['bert']!, join(tmp, 'twice'))).rejects.toThrow(`quantizeCheckpoint: ${quantized['bert']} is already quantized (wasm-nlp-q8)`);
    expect(existsSync(join(tmp, 'twice'))).toBe(false);
    // Only the weights marked (config.json replaced by the original): still refused.
    const weightsOnly = join(tmp, 'weights-only');
    mkdirSync(weightsOnly);
    copyFileSync(join(quantized['bert']!, 'model.safetensors'), join(weightsOnly, 'model.safetensors'));
    copyFileSync(join(BERT, 'config.json'), join(weightsOnly, 'config.json'));
    await expect(quantizeCheckpoint(weightsOnly, join(tmp, 'twice'))).rejects.toThrow('is already quantized (wasm-nlp-q8)');
    await expect(quantizeCheckpoint(BERT, quantized['distilbert']!)).rejects.toThrow(/the output folder .* is not empty \(it has config.json, /);
    const file = join(tmp, 'a-file');
    writeFileSync(file, '');
    await expect(quantizeCheckpoint(BERT, join(file, 'out'))).rejects.toThrow(`quantizeCheckpoint: cannot write in ${join(file, 'out')}`);
    await expect(quantizeCheckpoint(join(tmp, 'nothing'), join(tmp, 'out'))).rejects.toThrow('has no config.json');
    await expect(quantizeCheckpoint(BERT, join(tmp, 'out'), { dtype: 'q8' } as never)).rejects.toThrow('quantizeCheckpoint: unknown option dtype (known: onProgress)');
  });

  test('integer tensors (position_ids buffers) are left out and listed; progress is reported per tensor', async () => {
    const files = filesOf(BERT);
    const tensors = tensorsOf(parseSafetensors(files['model.safetensors']!));
    const withIds = join(tmp, 'with-position-ids');
    mkdirSync(withIds);
    for (const [f, b] of Object.entries(files)) writeFileSync(join(withIds, f), b);
    // An I8 buffer stands for any integer tensor (the writer makes no I64).
    writeFileSync(join(withIds, 'model.safetensors'), writeSafetensors({ ...tensors, 'bert.embeddings.position_ids': { dtype: 'I8', shape: [1, 64], data: new Int8Array(64) } }));
    const progress: number[] = [];
    const r = await quantizeCheckpoint(withIds, join(tmp, 'without-position-ids'), { onProgress: (done, total) => progress.push(done / total) });
    expect(r.dropped).toEqual(['bert.embeddings.position_ids']);
    expect(r.quantized + r.kept).toBe(Object.keys(tensors).length);
    expect(progress.at(-1)).toBe(1);
    expect(progress).toHaveLength(Object.keys(tensors).length + 1);  // the position_ids too
    // The f16 and bf16 weight files are weights: not copied.
    expect(r.copied.sort()).toEqual(['fixture.json', 'tokenizer.json', 'tokenizer_config.json']);
  });
});

describe('a malformed q8 checkpoint is a FormatError naming the tensor', () => {
  const Q = 'bert.encoder.layer.0.attention.self.query.weight';
  /** The quantized BERT folder in memory with its tensors changed by `change`, loaded. */
  async function loadChanged(change: (t: Record<string, WritableTensor>) => void, metadata: Record<string, string> | undefined = { format: 'pt', quantization: 'wasm-nlp-q8' }) {
    const files = filesOf(quantized['bert']!);
    const tensors = tensorsOf(parseSafetensors(files['model.safetensors']!));
    change(tensors);
    const bytes = writeSafetensors(tensors, metadata);
    const e = await loadModel({ files: { ...files, 'model.safetensors': bytes } }, { runtime: rt }).then(() => undefined, (x) => x);
    expect(e).toBeInstanceOf(FormatError);
    return { e: e as FormatError, st: parseSafetensors(bytes) };
  }

  test('a missing _scale tensor', async () => {
    const { e, st } = await loadChanged((t) => delete t[`${Q}_scale`]);
    expect(e.message).toBe(`model.safetensors: the I8 tensor ${Q} has no ${Q}_scale (its per-row scales)`);
    expect([e.field, e.byteOffset]).toEqual([`${Q}_scale`, st.info(Q).byteOffset]);
  });

  test.each([0, -0.5, NaN, Infinity, 3e36])('a scale of %s, naming the element and its byte', async (bad) => {
    const { e, st } = await loadChanged((t) => {
      t[`${Q}_scale`]!.data[5] = bad;
    });
    expect(e.message).toBe(`model.safetensors: element 5 of ${Q}_scale is ${Math.fround(bad)}: scales must be positive and finite`);
    expect([e.field, e.byteOffset]).toEqual([`${Q}_scale`, st.info(`${Q}_scale`).byteOffset + 20]);
  });

  test('a scale tensor of the wrong shape or dtype', async () => {
    const wrongShape = await loadChanged((t) => {
      t[`${Q}_scale`] = { dtype: 'F32', shape: [1, 48], data: t[`${Q}_scale`]!.data as Float32Array };
    });
    expect(wrongShape.e.message).toBe(`model.safetensors: ${Q}_scale is F32 [1, 48], expected F32 [48] (one scale per row of ${Q})`);
    expect(wrongShape.e.byteOffset).toBe(wrongShape.st.info(`${Q}_scale`).byteOffset);
    const wrongDtype = await loadChanged((t) => {
      t[`${Q}_scale`] = { dtype: 'F16', shape: [48], data: t[`${Q}_scale`]!.data as Float32Array };
    });
    expect(wrongDtype.e.message).toBe(`model.safetensors: ${Q}_scale is F16 [48], expected F32 [48] (one scale per row of ${Q})`);
    expect(wrongDtype.e.field).toBe(`${Q}_scale`);
  });

  test('an I8 tensor whose shape disagrees with the config', async () => {
    const { e, st } = await loadChanged((t) => {
      t[Q] = { dtype: 'I8', shape: [48, 47], data: new Int8Array(48 * 47) };
    });
    expect(e.message).toBe(`${Q} has 2256 values, expected 2304 (the tensor is I8 [48, 47] at byte offset ${st.info(Q).byteOffset})`);
    expect([e.field, e.byteOffset]).toEqual([Q, st.info(Q).byteOffset]);
  });

  test('an I8 tensor that is not a matrix', async () => {
    const B = 'bert.encoder.layer.0.attention.self.query.bias';
    const { e, st } = await loadChanged((t) => {
      t[B] = { dtype: 'I8', shape: [48], data: new Int8Array(48) };
    });
    expect(e.message).toBe(`loadModel: tensor ${B} in model.safetensors is I8 [48]; wasm-nlp-q8 quantizes only matrices (2 dimensions, both more than 1)`);
    expect([e.field, e.byteOffset]).toEqual([B, st.info(B).byteOffset]);
  });

  test('I8 tensors in a checkpoint without the marker: refused, since their scales cannot be trusted to be there', async () => {
    const { e, st } = await loadChanged(() => {}, { format: 'pt' });
    // The first I8 tensor a BERT load reads: the word embeddings.
    const W = 'bert.embeddings.word_embeddings.weight';
    expect(e.message).toBe(`loadModel: tensor ${W} in model.safetensors is I8, but model.safetensors is not a wasm-nlp-q8 checkpoint ` +
      '(its __metadata__ has no "quantization": "wasm-nlp-q8"), so it has no scales to read it with');
    expect([e.field, e.byteOffset]).toEqual([W, st.info(W).byteOffset]);
  });
});
