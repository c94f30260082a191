// WordPiece with BertNormalizer (lowercase, accents stripped, CJK padded) and BertPreTokenizer:
// offsets worked out by hand from the texts' characters.
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/tokenizer';
import { loadTokenizer } from './load';

const bert = loadTokenizer('bert');

/** [token, start, end, word] for each token of the text, specials left out. */
function spans(text: string, pair?: string) {
  const e = encode(bert, text, { pair });
  return e.tokens.map((t, i) => [t, ...e.offsets[i]!, e.wordIds[i]] as const).filter((_, i) => e.specialTokensMask[i] === 0);
}

describe('BERT WordPiece offsets', () => {
  it('maps an accented, cased word and punctuation back to the text', () => {
    // H é l l o , ␠ W o r l d !
    expect(spans('Héllo, World!')).toEqual([['hello', 0, 5, 0], [',', 5, 6, 1], ['world', 7, 12, 2], ['!', 12, 13, 3]]);
  });

  it('keeps a combining accent inside its word, also at the word end', () => {
    // "He\u0301llo": the mark is unit 2; "Jose\u0301": the mark (unit 4) ends the unknown word
    expect(spans('He\u0301llo, World!')).toEqual([['hello', 0, 6, 0], [',', 6, 7, 1], ['world', 8, 13, 2], ['!', 13, 14, 3]]);
    expect(spans('Jose\u0301 played')).toEqual([['[UNK]', 0, 5, 0], ['played', 6, 12, 1]]);
  });

  it('gives repeated words their own positions', () => {
    expect(spans('the dog saw the dog')).toEqual([
      ['the', 0, 3, 0], ['dog', 4, 7, 1], ['[UNK]', 8, 11, 2], ['the', 12, 15, 3], ['dog', 16, 19, 4]]);
  });

  it('splits words into pieces, "##" not counted', () => {
    expect(spans('played running playing boringly')).toEqual([
      ['played', 0, 6, 0], ['running', 7, 14, 1], ['play', 15, 19, 2], ['##ing', 19, 22, 2], ['boring', 23, 29, 3], ['##ly', 29, 31, 3]]);
    expect(spans("dog's")).toEqual([['dog', 0, 3, 0], ["'", 3, 4, 1], ['s', 4, 5, 2]]);
  });

  it('skips runs of spaces, tabs and newlines', () => {
    // ␠ ␠ h e l l o ␠ \t \n ␠ w o r l d ␠ ␠
    expect(spans('  hello \t\n world  ')).toEqual([['hello', 2, 7, 0], ['world', 11, 16, 1]]);
  });

  it('gives each CJK character its own range, without the padding spaces', () => {
    // g o o d ␠ 中 文 ␠ d a y
    expect(spans('good 中文 day')).toEqual([['good', 0, 4, 0], ['[UNK]', 5, 6, 1], ['[UNK]', 6, 7, 2], ['day', 8, 11, 3]]);
  });

  it('counts UTF-16 units: an emoji is two', () => {
    expect(spans('😀 dog')).toEqual([['[UNK]', 0, 2, 0], ['dog', 3, 6, 1]]);
  });

  it('covers characters the normalizer removes inside a word', () => {
    expect(spans('hel\u0000lo')).toEqual([['hello', 0, 6, 0]]);
  });

  it('follows the library where context changes the lowercase (final sigma)', () => {
    // JS lowercases "ΟΔΟΣ" to "οδος", ending in ς, unlike the per-character "σ"
    expect(spans('ΟΔΟΣ dog')).toEqual([['[UNK]', 0, 4, 0], ['dog', 5, 8, 1]]);
  });

  it('places an added token found in the text, as its own word, not a special token', () => {
    const e = encode(bert, 'hello [MASK] world');
    expect(e.tokens).toEqual(['[CLS]', 'hello', '[MASK]', 'world', '[SEP]']);
    expect(e.offsets).toEqual([[0, 0], [0, 5], [6, 12], [13, 18], [0, 0]]);
    expect(e.wordIds).toEqual([null, 0, 1, 2, null]);
    expect(e.specialTokensMask).toEqual([1, 0, 0, 0, 1]);
  });

  it('encodes a pair: offsets into each text, sequence and segment ids', () => {
    const e = encode(bert, 'the dog', { pair: 'a cat!' });
    expect(e).toEqual({
      ids: [2, 11, 35, 3, 12, 36, 7, 3],
      tokens: ['[CLS]', 'the', 'dog', '[SEP]', 'a', 'cat', '!', '[SEP]'],
      typeIds: [0, 0, 0, 0, 1, 1, 1, 1],
      offsets: [[0, 0], [0, 3], [4, 7], [0, 0], [0, 1], [2, 5], [5, 6], [0, 0]],
      sequenceIds: [null, 0, 0, null, 1, 1, 1, null],
      wordIds: [null, 0, 1, null, 0, 1, 2, null],
      specialTokensMask: [1, 0, 0, 1, 0, 0, 0, 1],
    });
  });

  it('gives the ids, tokens and segment ids of the library', () => {
    for (const [text, pair] of [['Héllo, World! 中文', null], ['the dog', 'a cat!'], ['', null], ['  ', 'dog']] as const) {
      const ours = encode(bert, text, { pair });
      const lib = bert.encode(text, { text_pair: pair, return_token_type_ids: true });
      expect(ours.ids).toEqual(lib.ids);
      expect(ours.tokens).toEqual(lib.tokens);
      expect(ours.typeIds).toEqual(lib.token_type_ids);
    }
  });

  it('leaves the special tokens out when asked', () => {
    const e = encode(bert, 'the dog', { addSpecialTokens: false });
    expect(e.tokens).toEqual(['the', 'dog']);
    expect(e.offsets).toEqual([[0, 3], [4, 7]]);
    expect(e.specialTokensMask).toEqual([0, 0]);
  });

  it('truncates as HF does: longest first, and only one text', () => {
    // pair: 5 + 4 tokens, 3 specials; 10 tokens allowed leaves 7, split 4 / 3 (HF: the longer
    // text gets max/2 + max%2 when both must be cut)
    const text = 'the dog and the cat', pair = 'a big red tree';
    expect(encode(bert, text, { pair, maxLength: 10 }).tokens).toEqual(['[CLS]', 'the', 'dog', 'and', 'the', '[SEP]', 'a', 'big', 'red', '[SEP]']);
    expect(encode(bert, text, { pair, maxLength: 10, truncation: 'only_second' }).tokens).toEqual(['[CLS]', 'the', 'dog', 'and', 'the', 'cat', '[SEP]', 'a', 'big', '[SEP]']);
    expect(encode(bert, text, { pair, maxLength: 10, truncation: 'only_first' }).tokens).toEqual(['[CLS]', 'the', 'dog', 'and', '[SEP]', 'a', 'big', 'red', 'tree', '[SEP]']);
    // 5 + 7 tokens: 3 / 4
    expect(encode(bert, text, { pair: 'a big red tree and a sun', maxLength: 10 }).tokens).toEqual(['[CLS]', 'the', 'dog', 'and', '[SEP]', 'a', 'big', 'red', 'tree', '[SEP]']);
    expect(encode(bert, text, { maxLength: 4 }).tokens).toEqual(['[CLS]', 'the', 'dog', '[SEP]']);
    expect(encode(bert, text, { maxLength: 4 }).offsets).toEqual([[0, 0], [0, 3], [4, 7], [0, 0]]);
  });
});
