// Marian's source.spm + vocab.json against a transcription of transformers' MarianTokenizer
// (tools/make_sentencepiece_fixtures.py, on Debian's python3-sentencepiece): the source model's
// pieces through vocab.json (pieces left out of it become <unk>), the language code a token of
// its own, </s> appended; decoding through vocab.json.
import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { expect, test } from 'vitest';
import { FormatError } from '../../src/io/errors';
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
  // refused while vocab.json is read, before a table of max(id) + 1 entries is built
  await expect(loadTokenizer({ files })).rejects.toThrow(/^vocab\.json: piece ".+" has id \d+, not a row of the model's 10-token embedding \(field .+, byte offset \d+\)$/);
});

const folder = (vocabJson: string, config?: Record<string, unknown>) => ({
  files: {
    'source.spm': new Uint8Array(readFileSync(DIR + 'source.spm')),
    'vocab.json': new TextEncoder().encode(vocabJson),
    ...(config ? { 'config.json': new TextEncoder().encode(JSON.stringify(config)) } : {}),
  },
});

test('a hostile id in vocab.json is refused before any table is built, naming the piece and its byte offset', async () => {
  const text = '{"</s>": 0, "<unk>": 1, "<pad>": 30000000}';
  const at = text.indexOf('"<pad>"');
  // with no config.json: ids of twice the piece count (here 6) or more
  const noConfig = loadTokenizer(folder(text));
  await expect(noConfig).rejects.toThrow(`vocab.json: piece "<pad>" has id 30000000, far beyond its 3 pieces (with no config.json to give vocab_size, ` +
    `ids of twice the piece count or more are refused) (field <pad>, byte offset ${at})`);
  await expect(noConfig).rejects.toBeInstanceOf(FormatError);
  await expect(loadTokenizer(folder('{"</s>": 0, "<unk>": 1, "<pad>": 6}'))).rejects.toThrow('vocab.json: piece "<pad>" has id 6, far beyond its 3 pieces');
  // with config.json: its vocab_size
  await expect(loadTokenizer(folder(text, { model_type: 'marian', vocab_size: 58101 }))).rejects.toThrow(
    `vocab.json: piece "<pad>" has id 30000000, not a row of the model's 58101-token embedding (field <pad>, byte offset ${at})`);
  // ids below the bound load: 5 < 2 × 3
  const tok = await loadTokenizer(folder('{"</s>": 0, "<unk>": 1, "<pad>": 5}'));
  expect(tok.tokenToId('<pad>')).toBe(5);
});

test('a vocab.json of 200,000 pieces loads (no Math.max(...ids) stack overflow)', async () => {
  const entries: [string, number][] = Object.entries(vocab);
  let next = Math.max(...entries.map(([, id]) => id)) + 1;
  for (let i = 0; i < 200_000; i++) entries.push([`\u2581filler${i}`, next++]);
  const tok = await loadTokenizer(folder(JSON.stringify(Object.fromEntries(entries))));
  expect(tok.tokenToId('\u2581filler199999')).toBe(next - 1);
  const enc = tok.encode('>>fr<< Emma was happy.');
  expect(enc.ids[0]).toBe(vocab['>>fr<<']);
  expect(enc.ids.at(-1)).toBe(vocab['</s>']);
}, 60_000);
