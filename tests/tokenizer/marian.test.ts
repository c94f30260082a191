// Marian's source.spm + vocab.json against a transcription of transformers' MarianTokenizer
// (tools/make_sentencepiece_fixtures.py, on Debian's python3-sentencepiece): the source model's
// pieces through vocab.json (pieces left out of it become <unk>), the language code a token of
// its own, </s> appended; decoding through vocab.json.
import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { expect, test } from 'vitest';
import { loadTokenizer } from '../../src/tokenizer/load';

const DIR = 'tests/fixtures/sentencepiece/marian/';
const expected = JSON.parse(gunzipSync(readFileSync(DIR + 'expected.json.gz')).toString('utf8')) as {
  encode: { text: string; ids: number[]; pieces: string[] }[];
  decode: { ids: number[]; text: string }[];
};
const vocab = JSON.parse(readFileSync(DIR + 'vocab.json', 'utf8')) as Record<string, number>;

test('ids equal MarianTokenizer\'s, </s> appended, missing pieces <unk>', async () => {
  const tok = await loadTokenizer(DIR);
  const bad: string[] = [];
  let unknownPieces = 0;
  for (const { text, ids, pieces } of expected.encode) {
    if (pieces.some((p) => !(p in vocab))) unknownPieces++;
    const got = tok.encode(text).ids;
    if (JSON.stringify(got) !== JSON.stringify(ids)) bad.push(`${JSON.stringify(text)}: ours ${JSON.stringify(got)}, MarianTokenizer ${JSON.stringify(ids)}`);
  }
  expect(bad.slice(0, 10)).toEqual([]);
  // the fixture does exercise pieces that vocab.json lacks
  expect(unknownPieces).toBeGreaterThan(20);
});

test('the language code is a token; a pair is A B </s>', async () => {
  const tok = await loadTokenizer(DIR);
  const enc = tok.encode('>>fr<< Emma was happy.');
  expect(enc.tokens[0]).toBe('>>fr<<');
  expect(enc.ids[0]).toBe(vocab['>>fr<<']);
  const a = tok.encode('one', { addSpecialTokens: false }).ids, b = tok.encode('two', { addSpecialTokens: false }).ids;
  expect(tok.encode('one', { pair: 'two' }).ids).toEqual([...a, ...b, vocab['</s>']]);
});

test('decode (skipSpecialTokens) equals MarianTokenizer.decode', async () => {
  const tok = await loadTokenizer(DIR);
  const bad: string[] = [];
  for (const { ids, text } of expected.decode) {
    const got = tok.decode(ids, { skipSpecialTokens: true }).trim();
    if (got !== text) bad.push(`${JSON.stringify(ids)}: ours ${JSON.stringify(got)}, MarianTokenizer ${JSON.stringify(text)}`);
  }
  expect(bad.slice(0, 10)).toEqual([]);
  expect(expected.decode.length).toBeGreaterThan(200);
});

test('checked against config.json: every id of vocab.json is a row', async () => {
  const files = Object.fromEntries(readdirSync(DIR).map((n) => [n, new Uint8Array(readFileSync(DIR + n))]));
  files['config.json'] = new TextEncoder().encode(JSON.stringify({ model_type: 'marian', vocab_size: 10 }));
  await expect(loadTokenizer({ files })).rejects.toThrow(/source\.spm with vocab\.json: .*not a row of the model's 10-token embedding/);
});
