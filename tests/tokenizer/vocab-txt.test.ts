// vocab.txt (BERT WordPiece) with tokenizer_config.json's do_lower_case / strip_accents, against a
// transcription of transformers' BertTokenizer (BasicTokenizer + WordpieceTokenizer) in
// tools/make_sentencepiece_fixtures.py.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { FormatError } from '../../src/io/errors';
import { loadTokenizer } from '../../src/tokenizer/load';

const DIR = 'tests/fixtures/sentencepiece/bert/';
interface Setting { do_lower_case: boolean; strip_accents: boolean | null; ids: number[][]; with_special: number[][]; pairs: { ids: number[]; type_ids: number[] }[] }
const expected = JSON.parse(gunzipSync(readFileSync(DIR + 'expected.json.gz')).toString('utf8')) as { lines: string[]; settings: Record<string, Setting> };
const vocabTxt = new Uint8Array(readFileSync(DIR + 'vocab.txt'));

describe.each(Object.keys(expected.settings))('%s', (name) => {
  const s = expected.settings[name]!;
  const load = () => loadTokenizer({ files: { 'vocab.txt': vocabTxt, 'tokenizer_config.json': JSON.stringify({ do_lower_case: s.do_lower_case, strip_accents: s.strip_accents }) } });

  test(`ids equal BertTokenizer's on ${expected.lines.length} lines`, async () => {
    const tok = await load();
    const bad: string[] = [];
    expected.lines.forEach((line, i) => {
      const got = tok.encode(line, { addSpecialTokens: false }).ids;
      if (JSON.stringify(got) !== JSON.stringify(s.ids[i])) bad.push(`line ${i} ${JSON.stringify(line)}: ours ${JSON.stringify(got)}, BertTokenizer ${JSON.stringify(s.ids[i])}`);
    });
    expect(bad.slice(0, 10)).toEqual([]);
  });

  test('[CLS] A [SEP] and pairs with segment ids', async () => {
    const tok = await load();
    s.with_special.forEach((ids, i) => expect(tok.encode(expected.lines[i]!).ids).toEqual(ids));
    s.pairs.forEach((p, i) => {
      const enc = tok.encode(expected.lines[i]!, { pair: expected.lines[i + 1]! });
      expect(enc.ids).toEqual(p.ids);
      expect(enc.typeIds).toEqual(p.type_ids);
    });
  });
});

test('the folder\'s own tokenizer_config.json (do_lower_case) is read; decode joins the ## pieces', async () => {
  const tok = await loadTokenizer(DIR);
  const s = expected.settings['uncased']!;
  expect(tok.encode(expected.lines[3]!, { addSpecialTokens: false }).ids).toEqual(s.ids[3]);
  expect(tok.decode(tok.encode('Emma was walking', { addSpecialTokens: false }).ids)).toBe('emma was walking');
});

test('bad settings and files name the file and field', async () => {
  await expect(loadTokenizer({ files: { 'vocab.txt': vocabTxt, 'tokenizer_config.json': '{"do_lower_case": "yes"}' } }))
    .rejects.toThrow(/tokenizer_config\.json: do_lower_case must be true or false/);
  await expect(loadTokenizer({ files: { 'vocab.txt': 'a\nb\n' } })).rejects.toThrow(/vocab\.txt: the unk_token "\[UNK\]" is not one of its tokens/);
  await expect(loadTokenizer({ files: { 'vocab.txt': new Uint8Array([0x5b, 0xff, 0x0a]) } })).rejects.toBeInstanceOf(FormatError);
  await expect(loadTokenizer({ files: { 'config.json': '{}' } }))
    .rejects.toThrow(/no tokenizer in the in-memory files: looked for tokenizer\.json, source\.spm with vocab\.json \(Marian\), spiece\.model, .* and vocab\.txt/);
});

test('strict options', async () => {
  const tok = await loadTokenizer(DIR);
  expect(() => tok.encode('a', { add_special_tokens: false } as never)).toThrow(/add_special_tokens \(transformers's name for addSpecialTokens\)/);
  expect(() => tok.decode([1], { skip_special_tokens: true } as never)).toThrow(/skipSpecialTokens/);
  expect(() => tok.decode([1e9])).toThrow(/ids\[0\] is 1000000000, not a token id/);
  await expect(loadTokenizer(DIR, { revison: 'main' } as never)).rejects.toThrow(/did you mean revision/);
});

test('lines end at \\r\\n, \\r or \\n, as Python\'s readlines() (universal newlines) ends them', async () => {
  // transformers' load_vocab on this file (Debian's python3: readlines(), rstrip("\n")) gives
  // {'[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3, '': 4, 'hello': 5, 'world': 6, '##s': 7}
  const text = '[PAD]\r[UNK]\r\n[CLS]\n[SEP]\r\rhello\rworld\r\n##s\r';
  const tok = await loadTokenizer({ files: { 'vocab.txt': text } });
  const want: [string, number][] = [['[PAD]', 0], ['[UNK]', 1], ['[CLS]', 2], ['[SEP]', 3], ['hello', 5], ['world', 6], ['##s', 7]];
  for (const [token, id] of want) expect([token, tok.tokenToId(token)]).toEqual([token, id]);
  expect(tok.encode('hello worlds').ids).toEqual([2, 5, 6, 7, 3]);
});
