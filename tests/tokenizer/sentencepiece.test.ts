// SentencePiece models read by loadTokenizer, against SentencePiece itself: the ids of
// sp.encode (Debian's python3-sentencepiece, precomputed by tools/make_sentencepiece_fixtures.py)
// on every held-out line of the corpus and the synthetic lines (accents, combining marks,
// full-width letters, digits, characters the models never saw, odd whitespace).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { FormatError } from '../../src/io/errors';
import { loadTokenizer } from '../../src/tokenizer/load';
import { parseSentencePieceModel } from '../../src/tokenizer/sentencepiece-model';
import { PrecompiledCharsmap } from '../../src/tokenizer/precompiled';
import type { TextTokenizer } from '../../src/tokenizer/text-tokenizer';

const DIR = 'tests/fixtures/sentencepiece/';
interface Expected {
  lines: string[];
  models: Record<string, { file: string; pieces: string[]; ids: number[][]; decoded: (string | null)[] }>;
}
const expected = JSON.parse(gunzipSync(readFileSync(DIR + 'expected.json.gz')).toString('utf8')) as Expected;
const bytes = (name: string) => new Uint8Array(readFileSync(DIR + name));

/**
 * Lines where transformers' converter (user-defined pieces as added tokens, each text section
 * normalized on its own) cannot give SentencePiece's ids: the dummy '▁' before a user-defined
 * piece that starts the text, and the '▁' of a space just before one. Both are asserted below.
 */
const CONVERTER_DIFFERS = new Set(['a <sep> b', '<sep>']);

async function spmTokenizer(file: string, name = 'spiece.model'): Promise<TextTokenizer> {
  return loadTokenizer({ files: { [name]: bytes(file) } });
}

describe.each(['unigram', 'bpe', 'identity'])('%s model', (name) => {
  const ref = expected.models[name]!;

  test(`ids equal sp.encode on all ${expected.lines.length} lines`, async () => {
    const tok = await spmTokenizer(ref.file);
    const bad: string[] = [];
    let compared = 0;
    expected.lines.forEach((line, i) => {
      if (name === 'unigram' && CONVERTER_DIFFERS.has(line)) return;
      compared++;
      const got = tok.encode(line, { addSpecialTokens: false }).ids;
      if (JSON.stringify(got) !== JSON.stringify(ref.ids[i])) {
        bad.push(`line ${i} ${JSON.stringify(line)}: ours ${JSON.stringify(got)}, sp.encode ${JSON.stringify(ref.ids[i])}`);
      }
    });
    expect(bad.slice(0, 10)).toEqual([]);
    expect(compared).toBeGreaterThanOrEqual(2000);
  });

  test('the pieces are the model\'s, id by id (sp.id_to_piece)', async () => {
    const tok = await spmTokenizer(ref.file);
    ref.pieces.forEach((p, id) => expect(tok.idToToken(id)).toBe(p));
    const m = parseSentencePieceModel(bytes(ref.file), ref.file);
    expect(m.pieces.map((p) => p.piece)).toEqual(ref.pieces);
  });

  test('decode gives sp.decode', async () => {
    const tok = await spmTokenizer(ref.file);
    const unk = ref.pieces.indexOf('<unk>');
    let compared = 0;
    const bad: string[] = [];
    expected.lines.forEach((line, i) => {
      const ids = ref.ids[i]!;
      // sp.decode writes unknown pieces as ' ⁇ ', transformers' decoders as the unknown token
      if (ids.includes(unk) || ids.length === 0) return;
      compared++;
      const want = ref.decoded[i] ?? line;
      const got = tok.decode(ids);
      if (got !== want) bad.push(`line ${i}: ours ${JSON.stringify(got)}, sp.decode ${JSON.stringify(want)}`);
    });
    expect(bad.slice(0, 10)).toEqual([]);
    expect(compared).toBeGreaterThan(1500);
  });

  test('offsets: each token covers the text it came from', async () => {
    const tok = await spmTokenizer(ref.file);
    const m = parseSentencePieceModel(bytes(ref.file), ref.file);
    const charsmap = m.normalizer.precompiledCharsmap ? new PrecompiledCharsmap(m.normalizer.precompiledCharsmap, ref.file, 0) : null;
    const norm = (s: string) => (charsmap ? charsmap.normalize(s) : s);
    let checked = 0;
    for (const line of expected.lines.slice(0, 600)) {
      const enc = tok.encode(line, { addSpecialTokens: false });
      enc.tokens.forEach((t, k) => {
        const [s, e] = enc.offsets[k]!;
        expect(s).toBeGreaterThanOrEqual(0);
        expect(e).toBeLessThanOrEqual(line.length);
        expect(s).toBeLessThanOrEqual(e);
        const surface = t.replace(/\u2581/g, ' ');
        // a normal piece: its range, normalized, spells it (a leading '▁' is the space before
        // it, or the dummy prefix); pieces cut from one character ('㎏' → 'k', 'g') share its range
        if (/^[\p{L}\p{N}]+$/u.test(surface.trim()) && ref.pieces.includes(t)) {
          const covered = norm(line.slice(s, e)).trim();
          if (covered !== surface.trim()) expect(covered).toContain(surface.trim());
          checked++;
        }
      });
      // ranges come in order
      for (let k = 1; k < enc.offsets.length; k++) expect(enc.offsets[k]![0]).toBeGreaterThanOrEqual(enc.offsets[k - 1]![0]);
    }
    expect(checked).toBeGreaterThan(3000);
  });
});

test('the converter\'s known difference: a user-defined piece at the start, or after a space', async () => {
  const tok = await spmTokenizer('unigram.model');
  const ref = expected.models['unigram']!;
  const i = expected.lines.indexOf('<sep>');
  expect(ref.ids[i]!.map((id) => ref.pieces[id])).toEqual(['\u2581', '<sep>']);
  expect(tok.encode('<sep>', { addSpecialTokens: false }).tokens).toEqual(['<sep>']);
  // inside a word SentencePiece and the converter agree: no '▁' after the piece
  expect(tok.encode('x<sep>y', { addSpecialTokens: false }).tokens).toEqual(['\u2581', 'x', '<sep>', 'y']);
});

test('the model\'s character map, not the library\'s approximation: the zero-width joiner stays', async () => {
  const m = parseSentencePieceModel(bytes('unigram.model'), 'unigram.model');
  const map = new PrecompiledCharsmap(m.normalizer.precompiledCharsmap!, 'unigram.model', m.normalizer.charsmapOffset);
  expect(map.normalize('a\u200db')).toBe('a\u200db');
  expect(map.normalize('ＡＢＣ１２３')).toBe('ABC123');
  expect(map.normalize('ﬁ')).toBe('fi');
  expect(map.normalize('\u3000')).toBe(' ');
  expect(map.normalize('cafe\u0301')).toBe('café');
  const tok = await spmTokenizer('bpe.model');
  const line = 'zero\u200djoiner';
  const ref = expected.models['bpe']!;
  expect(tok.encode(line, { addSpecialTokens: false }).ids).toEqual(ref.ids[expected.lines.indexOf(line)]);
});

test('file names: spiece.model, sentencepiece.bpe.model, tokenizer.model, source.spm', async () => {
  const want = expected.models['unigram']!.ids[0];
  for (const name of ['spiece.model', 'sentencepiece.bpe.model', 'tokenizer.model', 'source.spm']) {
    const tok = await spmTokenizer('unigram.model', name);
    expect(tok.encode(expected.lines[0]!, { addSpecialTokens: false }).ids).toEqual(want);
  }
});

test('T5: </s> after the text and after each of a pair, <extra_id_N> sentinels after the pieces', async () => {
  const tok = await loadTokenizer({ files: { 'spiece.model': bytes('unigram.model'), 'tokenizer_config.json': JSON.stringify({ tokenizer_class: 'T5Tokenizer', extra_ids: 3 }) } });
  const ref = expected.models['unigram']!;
  const eos = ref.pieces.indexOf('</s>');
  const a = expected.lines[0]!, b = expected.lines[1]!;
  expect(tok.encode(a).ids).toEqual([...ref.ids[0]!, eos]);
  expect(tok.encode(a, { pair: b }).ids).toEqual([...ref.ids[0]!, eos, ...ref.ids[1]!, eos]);
  expect(tok.tokenToId('<extra_id_0>')).toBe(ref.pieces.length + 2);
  expect(tok.tokenToId('<extra_id_2>')).toBe(ref.pieces.length);
  expect(tok.decode(tok.encode(a).ids, { skipSpecialTokens: true })).toBe(ref.decoded[0] ?? a);
});

test('T5: legacy (the default) puts \'▁\' before the text after a sentinel; legacy: false does not', async () => {
  const t5 = (config: Record<string, unknown>) => loadTokenizer({ files: { 'spiece.model': bytes('unigram.model'),
    'tokenizer_config.json': JSON.stringify({ tokenizer_class: 'T5Tokenizer', extra_ids: 3, ...config }) } });
  const ref = expected.models['unigram']!;
  const eos = ref.pieces.indexOf('</s>'), extra0 = ref.pieces.length + 2;
  // sp.encode('The') = [43] ▁The, sp.encode('world') = [580] ▁world (Debian's python3-sentencepiece):
  // transformers' converter gives each section its '▁' (prepend_scheme 'always')
  for (const config of [{}, { legacy: true }, { legacy: null }]) {
    const enc = (await t5(config)).encode('The<extra_id_0>world');
    expect(enc.tokens).toEqual(['▁The', '<extra_id_0>', '▁world', '</s>']);
    expect(enc.ids).toEqual([43, extra0, 580, eos]);
  }
  // legacy: false, prepend_scheme 'first': sp.encode('world') without its dummy prefix
  // (sp's pieces of '▁world' less the leading '▁': w or l d)
  const strict = (await t5({ legacy: false })).encode('The<extra_id_0>world');
  expect(strict.tokens).toEqual(['▁The', '<extra_id_0>', 'w', 'or', 'l', 'd', '</s>']);
  await expect(t5({ legacy: 'no' })).rejects.toThrow('tokenizer_config.json: legacy must be true, false or null, got "no"');
});

test('families whose tokenizer is not built from the model file alone are refused, naming it', async () => {
  const files = { 'sentencepiece.bpe.model': bytes('unigram.model'), 'tokenizer_config.json': JSON.stringify({ tokenizer_class: 'XLMRobertaTokenizer' }) };
  await expect(loadTokenizer({ files })).rejects.toThrow(/sentencepiece\.bpe\.model: tokenizer_config\.json names XLMRobertaTokenizer/);
});

test('treat_whitespace_as_suffix is refused clearly', async () => {
  await expect(spmTokenizer('suffix.model')).rejects.toThrow(/spiece\.model: treat_whitespace_as_suffix is set/);
  await expect(spmTokenizer('suffix.model')).rejects.toBeInstanceOf(FormatError);
});

test('normalizer options of the identity model are read', () => {
  const m = parseSentencePieceModel(bytes('identity.model'), 'identity.model');
  expect(m.normalizer).toMatchObject({ name: 'identity', precompiledCharsmap: null, addDummyPrefix: false, removeExtraWhitespaces: false });
  const u = parseSentencePieceModel(bytes('bpe.model'), 'bpe.model');
  expect(u).toMatchObject({ modelType: 'bpe', byteFallback: true, unkId: 0 });
  expect(u.normalizer.name).toBe('nmt_nfkc');
});

describe('bad model files: a FormatError with the byte offset', () => {
  const good = bytes('identity.model');
  test.each([
    ['truncated in a piece', good.subarray(0, 101), /byte offset \d+/],
    ['not protobuf', new TextEncoder().encode('{"model": "not protobuf"}'), /SentencePiece model|wire type|field number|past the end|this is not/],
    ['empty', new Uint8Array(0), /no pieces/],
  ])('%s', (_what, b, message) => {
    let err: unknown;
    try { parseSentencePieceModel(b as Uint8Array, 'spiece.model'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(FormatError);
    expect((err as Error).message).toMatch(/^spiece\.model: /);
    expect((err as Error).message).toMatch(message as RegExp);
    expect((err as FormatError).byteOffset).toBeGreaterThanOrEqual(0);
    expect((err as FormatError).byteOffset).toBeLessThanOrEqual((b as Uint8Array).length);
  });

  test('a length past the end names where its field starts', () => {
    // the first field: key 0x0a (field 1, length-delimited), then its length
    const b = good.slice(0, 40);
    expect(b[0]).toBe(0x0a);
    b[1] = 0x7f;
    expect(() => parseSentencePieceModel(b, 'spiece.model')).toThrow(/field 1 says 127 bytes, but 38 are left \(field ModelProto\.1, byte offset 0\)/);
  });

  test('a piece that is not UTF-8', () => {
    const b = good.slice();
    // the first piece's text starts after: 0a len 0a len
    const at = 4;
    expect(b[2]).toBe(0x0a);
    b[at] = 0xff;
    let err: FormatError | undefined;
    try { parseSentencePieceModel(b, 'spiece.model'); } catch (e) { err = e as FormatError; }
    expect(err?.message).toMatch(/not valid UTF-8 \(field pieces\[0\]\.piece, byte offset 4\)/);
  });
});
