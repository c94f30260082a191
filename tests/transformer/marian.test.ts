// Marian against PyTorch (tests/fixtures/marian, plain torch with Hugging Face's names and
// math): the position table, every encoder and decoder hidden state, the logits, and greedy
// generation's ids with HF's rules (start token, suppressed pad, forced EOS, padded rows).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { init, type Runtime } from '../../src/index';
import { parseSafetensors } from '../../src/io/safetensors';
import { configFromHuggingFace } from '../../src/transformer/config';
import { loadMarian, sinusoidalPositions } from '../../src/transformer/models/marian';
import type { Seq2SeqModel } from '../../src/transformer/seq2seq';

const DIR = join(__dirname, '..', 'fixtures', 'marian');
const fixture = JSON.parse(readFileSync(join(DIR, 'fixture.json'), 'utf8'));
type T = { shape: number[]; data: number[] };

function maxDiff(got: Float32Array, want: T, keep?: (row: number) => boolean): number {
  const d = want.shape.at(-1)!;
  let m = 0;
  for (let i = 0; i < got.length; i++) if (!keep || keep(Math.floor(i / d))) m = Math.max(m, Math.abs(got[i]! - want.data[i]!));
  return m;
}

let rt: Runtime, model: Seq2SeqModel;
beforeAll(async () => {
  rt = await init();
  const config = configFromHuggingFace(readFileSync(join(DIR, 'config.json'), 'utf8'));
  const st = parseSafetensors(new Uint8Array(readFileSync(join(DIR, 'model.safetensors'))));
  model = loadMarian(rt, config, (n) => st.tensor(n, { checkFinite: true }), (n) => st.has(n));
});

test('the sinusoidal position table is Marian\'s', () => {
  const o = fixture.outputs.position_table;
  expect(maxDiff(sinusoidalPositions(o.shape[0], o.shape[1]), o)).toBeLessThan(1e-6);
});

test('encoder and decoder hidden states and logits agree with PyTorch to 1e-4', () => {
  const { input_ids: ids, attention_mask: mask, decoder_input_ids: dec } = fixture.inputs;
  const o = fixture.outputs;
  const enc = model.encode(ids, mask);
  const S = enc.S;
  const real = (row: number) => mask[Math.floor(row / S)][row % S] === 1;
  expect(maxDiff(enc.hidden.data, o.encoder_last_hidden_state, real)).toBeLessThan(1e-4);
  const { hidden, states } = model.decode(dec, enc, true);
  states!.forEach((h, i) => expect(maxDiff(h, o.decoder_hidden_states[i]), `decoder hidden state ${i}`).toBeLessThan(1e-4));
  expect(maxDiff(hidden, o.decoder_last_hidden_state)).toBeLessThan(1e-4);
  expect(maxDiff(model.logits(hidden, dec.length * dec[0].length), o.logits)).toBeLessThan(1e-4);
  enc.free();
});

test('greedy generation gives PyTorch\'s ids', () => {
  const { input_ids: ids, attention_mask: mask } = fixture.inputs;
  const g = fixture.generation;
  expect(model.generate(ids, { attentionMask: mask, maxLength: g.params.max_length })).toEqual(g.sequences);
});

test('loadModel + translate: the tokenizer, generation and detokenization end to end', async () => {
  const { loadModel } = await import('../../src/transformer/load');
  const { TextSeq2SeqModel } = await import('../../src/transformer/text-seq2seq');
  const m = await loadModel(DIR, { runtime: rt });
  expect(m).toBeInstanceOf(TextSeq2SeqModel);
  const out = (m as InstanceType<typeof TextSeq2SeqModel>).translate(fixture.inputs.texts, { maxLength: fixture.generation.params.max_length });
  expect(out).toEqual(fixture.generation.texts);
  m.dispose();
});
