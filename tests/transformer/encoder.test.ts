// BERT and DistilBERT forward passes against PyTorch: the fixtures of
// tools/make_transformer_fixtures.py (plain torch with Hugging Face's tensor names and math,
// cross-checked there against torch.nn). Every hidden state, the pooler, the logits and the
// mean-pooled embeddings, on a padded batch of sequences of different lengths.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { init, type Runtime } from '../../src/index';
import { parseSafetensors } from '../../src/io/safetensors';
import { configFromHuggingFace } from '../../src/transformer/families/index';
import type { EncoderModel } from '../../src/transformer/encoder';
import { familyOf } from '../../src/transformer/families/index';
import { floatTensors, modelWeights } from '../../src/transformer/weights';

const FIXTURES = join(__dirname, '..', 'fixtures');
type T = { shape: number[]; data: number[] };

function load(rt: Runtime, name: string, weightsFile = 'model.safetensors'): EncoderModel {
  const config = configFromHuggingFace(readFileSync(join(FIXTURES, name, 'config.json'), 'utf8'));
  const st = parseSafetensors(new Uint8Array(readFileSync(join(FIXTURES, name, weightsFile))));
  return familyOf(config.family)!.load(config, modelWeights(rt, floatTensors((n) => st.tensor(n, { checkFinite: true }), (n) => st.has(n)), 'f32')).model as EncoderModel;
}

/** Largest |a − b| over the positions the mask keeps (padding rows are not compared: HF's are arbitrary). */
function maxDiff(got: Float32Array, want: T, keep?: Uint8Array): number {
  const d = want.shape.at(-1)!;
  let m = 0;
  for (let i = 0; i < got.length; i++) {
    if (keep && !keep[Math.floor(i / d)]) continue;
    m = Math.max(m, Math.abs(got[i]! - want.data[i]!));
  }
  return m;
}

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});

describe.each(['bert', 'distilbert'])('%s against PyTorch', (name) => {
  const fixture = JSON.parse(readFileSync(join(FIXTURES, name, 'fixture.json'), 'utf8'));
  const inputs = fixture.inputs;

  test('every hidden state, the heads and the embeddings agree to 1e-4', () => {
    const model = load(rt, name);
    const out = model.forward({ inputIds: inputs.input_ids, attentionMask: inputs.attention_mask, tokenTypeIds: inputs.token_type_ids, outputHiddenStates: true });
    const o = fixture.outputs;
    expect(out.hiddenStates).toHaveLength(o.hidden_states.length);
    out.hiddenStates!.forEach((h, i) => expect(maxDiff(h, o.hidden_states[i], out.attentionMask), `hidden state ${i}`).toBeLessThan(1e-4));
    const last = maxDiff(out.lastHiddenState, o.last_hidden_state, out.attentionMask);
    console.log(`${name}: largest difference from PyTorch in the last hidden state ${last.toExponential(2)}`);
    expect(last).toBeLessThan(1e-4);
    if (o.pooler_output) expect(maxDiff(model.pooler(out), o.pooler_output)).toBeLessThan(1e-4);
    expect(maxDiff(model.logits(out), o.logits)).toBeLessThan(1e-4);
    const pooled = model.pool(out, 'mean');
    const flat = new Float32Array(pooled.length * pooled[0]!.length);
    pooled.forEach((p, i) => flat.set(p, i * p.length));
    expect(maxDiff(flat, o.mean_pooled_normalized)).toBeLessThan(1e-5);
    model.dispose();
  });

  test.skipIf(name !== 'bert')('f16 and bf16 checkpoints are converted at load', () => {
    for (const v of ['f16', 'bf16']) {
      const variant = fixture.variants[v];
      const model = load(rt, name, variant.file);
      const out = model.forward({ inputIds: inputs.input_ids, attentionMask: inputs.attention_mask, tokenTypeIds: inputs.token_type_ids });
      expect(maxDiff(out.lastHiddenState, variant.last_hidden_state, out.attentionMask), v).toBeLessThan(1e-4);
      expect(maxDiff(model.logits(out), variant.logits), v).toBeLessThan(1e-4);
      model.dispose();
    }
  });
});

test('sequences longer than the model\'s positions are refused', () => {
  const model = load(rt, 'bert');
  expect(() => model.forward({ inputIds: [Array.from({ length: 65 }, () => 1)] })).toThrow(/65 tokens, the model takes at most 64/);
  expect(() => model.forward({ inputIds: [[1, 500]] })).toThrow(/token id 500 .* outside the vocabulary of 120/);
  model.dispose();
});
