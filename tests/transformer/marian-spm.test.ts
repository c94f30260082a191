// An opus-mt folder as Helsinki-NLP ships it: source.spm, target.spm and vocab.json, no
// tokenizer.json (tests/fixtures/marian-spm, tools/make_folder_fixtures.py). loadModel finds the
// tokenizer in those files; the ids it gives the encoder are those of a transcription of
// transformers' MarianTokenizer, and translate gives the ids and texts of HF's greedy and beam
// search run in plain torch on the same random weights, decoded by MarianTokenizer.decode
// transcribed (clean_up_tokenization_spaces, as opus-mt's tokenizer_config.json sets it).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { loadModel } from '../../src/transformer/load';
import type { TextSeq2SeqModel } from '../../src/transformer/text-seq2seq';

const DIR = join('tests', 'fixtures', 'marian-spm');
const fixture = JSON.parse(readFileSync(join(DIR, 'fixture.json'), 'utf8')) as {
  inputs: { texts: string[]; encodings: { text: string; input_ids: number[] }[]; input_ids: number[][]; attention_mask: number[][] };
  outputs: { encoder_last_hidden_state: { shape: number[]; data: number[] } };
  greedy: { params: { max_length: number }; sequences: number[][]; texts: string[] };
  beam: { params: { max_length: number; num_beams: number }; sequences: number[][]; sequence_scores: number[]; texts: string[] };
  beam_without_renormalize: { sequences: number[][]; sequence_scores: number[]; max_score_shift: number };
  decode_cases: { ids: number[]; text: string }[];
};
const { texts, input_ids: ids, attention_mask: mask } = fixture.inputs;

let m: TextSeq2SeqModel;
beforeAll(async () => {
  m = await loadModel(DIR, { kind: 'seq2seq' });
});
afterAll(() => m?.dispose());

test('the folder is an opus-mt folder: the spm pair and vocab.json, no tokenizer.json', () => {
  for (const f of ['source.spm', 'target.spm', 'vocab.json', 'config.json', 'generation_config.json', 'model.safetensors']) expect(existsSync(join(DIR, f)), f).toBe(true);
  expect(existsSync(join(DIR, 'tokenizer.json'))).toBe(false);
  const vocab = JSON.parse(readFileSync(join(DIR, 'vocab.json'), 'utf8'));
  expect(m.config.vocabSize).toBe(Object.keys(vocab).length);
});

test('the encoder gets MarianTokenizer\'s ids: source pieces through vocab.json, <unk>, a language code, </s>', () => {
  for (const { text, input_ids } of fixture.inputs.encodings) expect(m.tokenizer.encode(text).ids, text).toEqual(input_ids);
  // what translate hands the model, over all its batches (each text once; batches run longest first)
  const generate = vi.spyOn(m.model, 'generate');
  try {
    m.translate(texts, { numBeams: 1, maxLength: 2 });
    const given = generate.mock.calls.flatMap(([ids]) => ids);
    expect(given.map((ids) => ids.join(' ')).sort()).toEqual(fixture.inputs.encodings.map((e) => e.input_ids.join(' ')).sort());
  } finally {
    generate.mockRestore();
  }
});

test('the encoder\'s last hidden state agrees with PyTorch to 1e-4', () => {
  const enc = m.model.encode(ids, mask);
  const want = fixture.outputs.encoder_last_hidden_state;
  const [, S, D] = want.shape as [number, number, number];
  expect(enc.S).toBe(S);
  let worst = 0;
  for (let i = 0; i < want.data.length; i++) {
    const row = Math.floor(i / D);
    if (mask[Math.floor(row / S)]![row % S] === 1) worst = Math.max(worst, Math.abs(enc.hidden.data[i]! - want.data[i]!));
  }
  enc.free();
  expect(worst).toBeLessThan(1e-4);
});

test('greedy search: PyTorch\'s ids, and translate gives their decoded texts', () => {
  const g = fixture.greedy;
  // rows that end early are padded, others run to max_length with the forced </s>
  expect(new Set(g.sequences.map((s) => s.indexOf(0))).size).toBeGreaterThan(2);
  expect(m.model.generate(ids, { attentionMask: mask, maxLength: g.params.max_length, numBeams: 1 })).toEqual(g.sequences);
  expect(m.translate(texts, { maxLength: g.params.max_length, numBeams: 1 })).toEqual(g.texts);
});

test('beam search with the checkpoint\'s num_beams: PyTorch\'s ids and texts', () => {
  const b = fixture.beam;
  expect(m.generationDefaults).toEqual({ maxLength: 512, numBeams: b.params.num_beams, renormalizeLogits: true });  // generation_config.json
  expect(b.texts).not.toEqual(fixture.greedy.texts);
  expect(m.model.generate(ids, { attentionMask: mask, maxLength: b.params.max_length, numBeams: b.params.num_beams })).toEqual(b.sequences);
  expect(m.translate(texts, { maxLength: b.params.max_length })).toEqual(b.texts);
});

// opus-mt's generation_config.json sets renormalize_logits: HF takes log_softmax again after pad is
// suppressed, which moves every hypothesis' score (here by up to beam_without_renormalize.max_score_shift;
// the sequences happen to be the same). Both settings give HF's scores.
test("beam search scores follow generation_config.json's renormalize_logits, and HF's without it", () => {
  const b = fixture.beam, plain = fixture.beam_without_renormalize;
  expect(plain.max_score_shift).toBeGreaterThan(1e-4);
  const run = (renormalizeLogits: boolean) => m.model.generateWithScores(ids, { attentionMask: mask, maxLength: b.params.max_length, numBeams: b.params.num_beams, renormalizeLogits });
  const on = run(m.generationDefaults.renormalizeLogits!), off = run(false);
  expect(on.sequences).toEqual(b.sequences);
  on.scores!.forEach((s, i) => expect(Math.abs(s - b.sequence_scores[i]!), `row ${i}`).toBeLessThan(1e-5));
  expect(off.sequences).toEqual(plain.sequences);
  off.scores!.forEach((s, i) => expect(Math.abs(s - plain.sequence_scores[i]!), `row ${i}`).toBeLessThan(1e-5));
});

test('decode: MarianTokenizer.decode with clean-up of spaces, special tokens skipped, a language code kept', () => {
  for (const { ids: seq, text } of fixture.decode_cases) expect(m.tokenizer.decode(seq, { skip_special_tokens: true }), JSON.stringify(seq)).toBe(text);
});
