// Finite weights can overflow float32 inside a layer (here every element of one FFN weight is
// 3e38, just under float32's largest): the sums become ±Inf and then NaN. The forward pass and
// generation throw, naming where it first showed, instead of returning NaN embeddings,
// probabilities or tokens picked from NaN logits. (Weights that are merely huge, say 1e30, make
// a LayerNorm's variance overflow to Inf: its output is then its beta, finite, exactly as
// PyTorch computes it — a broken model, but not a wrong computation.)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, type Runtime } from '../../src/index';
import { parseSafetensors, writeSafetensors, type WritableTensor } from '../../src/io/safetensors';
import { loadModel } from '../../src/transformer/load';
import type { TextEncoderModel } from '../../src/transformer/text-encoder';
import type { TextSeq2SeqModel } from '../../src/transformer/text-seq2seq';

const FIXTURES = join(__dirname, '..', 'fixtures');

/** The fixture folder in memory, with every element of `tensor` set to `value` (undefined: as it is). */
function withTensor(name: string, tensor: string, value: number | undefined) {
  const dir = join(FIXTURES, name);
  const files = Object.fromEntries(readdirSync(dir).map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))]));
  const st = parseSafetensors(files['model.safetensors']!);
  const tensors: Record<string, WritableTensor> = {};
  for (const n of st.names) {
    const data = st.tensor(n).slice();
    if (n === tensor && value !== undefined) data.fill(value);
    tensors[n] = { dtype: 'F32', shape: st.info(n).shape, data };
  }
  return { files: { ...files, 'model.safetensors': writeSafetensors(tensors) } };
}

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});
afterAll(() => rt.dispose());

describe('activations that overflow float32', () => {
  test('an encoder throws naming the layer; the same model unscaled gives finite vectors', async () => {
    const ok = await loadModel(withTensor('bert', 'bert.encoder.layer.1.intermediate.dense.weight', undefined), { runtime: rt }) as TextEncoderModel;
    expect(ok.embed('the cat sat').every((row) => row.every(Number.isFinite))).toBe(true);
    const bad = await loadModel(withTensor('bert', 'bert.encoder.layer.1.intermediate.dense.weight', 3e38), { runtime: rt }) as TextEncoderModel;
    expect(() => bad.embed('the cat sat')).toThrow(/^forward: the hidden states after layer 1 are not finite \(.* at element \d+\): the model's weights overflow float32$/);
    expect(() => bad.classify('the cat sat')).toThrow(/after layer 1 are not finite/);
    ok.dispose();
    bad.dispose();
  });

  test('generation throws instead of picking tokens from NaN logits', async () => {
    const fc1 = 'model.decoder.layers.0.fc1.weight';
    const ok = await loadModel(withTensor('marian', fc1, undefined), { runtime: rt }) as TextSeq2SeqModel;
    expect(ok.translate('a b', { numBeams: 1, maxLength: 4 })).toHaveLength(1);
    const bad = await loadModel(withTensor('marian', fc1, 3e38), { runtime: rt }) as TextSeq2SeqModel;
    expect(() => bad.translate('a b', { numBeams: 1, maxLength: 4 })).toThrow(/^generate: the logits are not finite/);
    expect(() => bad.translate('a b', { numBeams: 2, maxLength: 4 })).toThrow(/^generate: the logits are not finite/);
    ok.dispose();
    bad.dispose();
  });
});
