// A BertModel folder as older BERT checkpoints have it: vocab.txt and tokenizer_config.json
// (do_lower_case) for the tokenizer, no tokenizer.json (tests/fixtures/bert-vocab-txt,
// tools/make_folder_fixtures.py). loadModel builds the tokenizer from vocab.txt; its ids are those
// of a transcription of transformers' BertTokenizer (lower-casing, accents stripped, CJK split,
// WordPiece, [UNK], a pair's token types), and forward / embed give PyTorch's numbers for BERT
// run in plain torch on the same random weights.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadModel } from '../../src/transformer/load';
import type { TextEncoderModel } from '../../src/transformer/text-encoder';

const DIR = join('tests', 'fixtures', 'bert-vocab-txt');
type Tensor = { shape: number[]; data: number[] };
const fixture = JSON.parse(readFileSync(join(DIR, 'fixture.json'), 'utf8')) as {
  inputs: {
    texts: { text: string; text_pair: string | null }[];
    encodings: { text: string; text_pair: string | null; tokens: string[]; input_ids: number[]; token_type_ids: number[] }[];
    attention_mask: number[][];
  };
  outputs: { hidden_states: Tensor[]; pooler_output: Tensor; embed: { texts: string[]; mean_pooled_normalized: Tensor[] } };
};
const inputs = fixture.inputs.texts.map(({ text, text_pair }) => (text_pair === null ? text : [text, text_pair] as [string, string]));

let m: TextEncoderModel;
beforeAll(async () => {
  m = await loadModel(DIR, { kind: 'encoder' });
});
afterAll(() => m?.dispose());

/** Largest |got - want| over the rows (of width D) that `keep` accepts. */
function maxDiff(got: Float32Array, want: Tensor, keep: (row: number) => boolean = () => true): number {
  expect(got.length).toBe(want.data.length);
  const D = want.shape.at(-1)!;
  let worst = 0;
  for (let i = 0; i < got.length; i++) if (keep(Math.floor(i / D))) worst = Math.max(worst, Math.abs(got[i]! - want.data[i]!));
  return worst;
}

test('the folder has only vocab.txt and tokenizer_config.json for its tokenizer', () => {
  expect(existsSync(join(DIR, 'vocab.txt'))).toBe(true);
  expect(existsSync(join(DIR, 'tokenizer.json'))).toBe(false);
  expect(JSON.parse(readFileSync(join(DIR, 'tokenizer_config.json'), 'utf8')).do_lower_case).toBe(true);
});

test('ids and token types equal BertTokenizer\'s', () => {
  for (const e of fixture.inputs.encodings) {
    const got = e.text_pair === null ? m.tokenizer.encode(e.text, { return_token_type_ids: true })
      : m.tokenizer.encode(e.text, { text_pair: e.text_pair, return_token_type_ids: true });
    expect(got.ids, e.text).toEqual(e.input_ids);
    expect(got.tokens, e.text).toEqual(e.tokens);
    expect(got.token_type_ids, e.text).toEqual(e.token_type_ids);
  }
  // the cases the fixture is for: accents stripped, CJK split, a subword, an unknown word
  const tokens = fixture.inputs.encodings.flatMap((e) => e.tokens);
  for (const t of ['c', '##a', '##f', '##e', '東', '京', '[UNK]']) expect(tokens).toContain(t);
});

test('forward: every hidden state and the pooler output agree with PyTorch to 1e-4', () => {
  const out = m.forward(inputs, { outputHiddenStates: true });
  const want = fixture.outputs.hidden_states;
  const [B, T] = want[0]!.shape as [number, number];
  expect([out.batch, out.T]).toEqual([B, T]);
  expect(Array.from(out.attentionMask)).toEqual(fixture.inputs.attention_mask.flat());
  const real = (row: number) => out.attentionMask[row] === 1;
  expect(out.hiddenStates).toHaveLength(want.length);
  out.hiddenStates!.forEach((h, i) => expect(maxDiff(h, want[i]!, real), `hidden state ${i}`).toBeLessThan(1e-4));
  expect(maxDiff(out.lastHiddenState, want.at(-1)!, real)).toBeLessThan(1e-4);
  expect(maxDiff(m.model.pooler(out), fixture.outputs.pooler_output)).toBeLessThan(1e-4);
});

test('embed: mean-pooled, L2-normalised embeddings agree with PyTorch to 1e-4', () => {
  const e = fixture.outputs.embed;
  const got = m.embed(e.texts);
  expect(got).toHaveLength(e.texts.length);
  got.forEach((v, i) => expect(maxDiff(v, e.mean_pooled_normalized[i]!), e.texts[i]).toBeLessThan(1e-4));
});
