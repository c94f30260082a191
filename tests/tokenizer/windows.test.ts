// Overflow windows as HF's question-answering pipeline asks for them (truncation
// 'only_second', return_overflowing_tokens, stride): boundaries worked out by hand.
import { describe, expect, it } from 'vitest';
import { encode, encodeWindows, type Encoding } from '../../src/tokenizer';
import { loadReference, loadTokenizer } from './load';

const bert = loadTokenizer('bert');
const question = 'the dog';
// ten one-letter tokens, letter k at 2k ('i' is not in the vocabulary)
const context = 'a b c d e f g h j k';
const at = (letter: string) => context.indexOf(letter);

/** The second text's tokens of a window, with their offsets. */
function second(w: Encoding) {
  return w.tokens.map((t, i) => [t, ...w.offsets[i]!] as const).filter((_, i) => w.sequenceIds[i] === 1);
}

describe('encodeWindows', () => {
  it('keeps the question whole and overlaps context windows by the stride', () => {
    // 12 tokens: [CLS] the dog [SEP] + 7 context tokens + [SEP]; windows start 7 - 2 = 5 apart
    const ws = encodeWindows(bert, question, context, { maxLength: 12, stride: 2 });
    expect(ws.map((w) => w.tokens)).toEqual([
      ['[CLS]', 'the', 'dog', '[SEP]', 'a', 'b', 'c', 'd', 'e', 'f', 'g', '[SEP]'],
      ['[CLS]', 'the', 'dog', '[SEP]', 'f', 'g', 'h', 'j', 'k', '[SEP]'],
    ]);
    expect(second(ws[1]!)).toEqual(['f', 'g', 'h', 'j', 'k'].map((t) => [t, at(t), at(t) + 1]));
    expect(ws[1]!.wordIds).toEqual([null, 0, 1, null, 5, 6, 7, 8, 9, null]);
    expect(ws[1]!.typeIds).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    expect(ws[1]!.sequenceIds).toEqual([null, 0, 0, null, 1, 1, 1, 1, 1, null]);
    // the overlap: the last two context tokens of the first window open the second
    expect(second(ws[0]!).slice(-2)).toEqual(second(ws[1]!).slice(0, 2));
    for (const w of ws) expect(w.tokens.length).toBeLessThanOrEqual(12);
  });

  it('cuts without overlap at stride 0 and slides one token at a time at the largest stride', () => {
    expect(encodeWindows(bert, question, context, { maxLength: 12, stride: 0 }).map((w) => second(w).map((s) => s[0]).join('')))
      .toEqual(['abcdefg', 'hjk']);
    expect(encodeWindows(bert, question, context, { maxLength: 12, stride: 6 }).map((w) => second(w).map((s) => s[0]).join('')))
      .toEqual(['abcdefg', 'bcdefgh', 'cdefghj', 'defghjk']);
  });

  it('gives one window, the whole encoding, when everything fits', () => {
    const ws = encodeWindows(bert, question, context, { maxLength: 15, stride: 2 });
    expect(ws).toEqual([encode(bert, question, { pair: context })]);
  });

  it('cuts a single text when there is no second one', () => {
    // [CLS] + 4 + [SEP]; windows start 3 apart
    const ws = encodeWindows(bert, context, null, { maxLength: 6, stride: 1 });
    expect(ws.map((w) => w.tokens)).toEqual([
      ['[CLS]', 'a', 'b', 'c', 'd', '[SEP]'], ['[CLS]', 'd', 'e', 'f', 'g', '[SEP]'], ['[CLS]', 'g', 'h', 'j', 'k', '[SEP]']]);
    expect(ws[2]!.offsets).toEqual([[0, 0], [12, 13], [14, 15], [16, 17], [18, 19], [0, 0]]);
    expect(ws[2]!.sequenceIds).toEqual([null, 0, 0, 0, 0, null]);
  });

  it('keeps the offsets of the whole encoding in byte-level windows (RoBERTa: <s> A </s></s> B </s>)', () => {
    const tok = loadTokenizer('tokenizers/byte-bpe');
    const ref = loadReference('tokenizers/byte-bpe').find((r) => r.text_pair !== null)!;
    const ctx = ref.offsets.filter((_, i) => ref.sequence_ids[i] === 1);
    const ctxTokens = ref.tokens.filter((_, i) => ref.sequence_ids[i] === 1);
    const nQuestion = ref.sequence_ids.filter((s) => s === 0).length;
    expect([nQuestion, ctx.length]).toEqual([14, 21]);
    // 30 - 4 specials - 14 = 12 context tokens a window, starting 12 - 4 = 8 apart
    const ws = encodeWindows(tok, ref.text, ref.text_pair, { maxLength: 30, stride: 4 });
    expect(ws.length).toBe(3);
    ([[0, 12], [8, 20], [16, 21]] as const).forEach(([s, e], k) => {
      const w = ws[k]!;
      expect(second(w)).toEqual(ctxTokens.slice(s, e).map((t, i) => [t, ...ctx[s + i]!]));
      expect(w.tokens.slice(0, nQuestion + 3)).toEqual(ref.tokens.slice(0, nQuestion + 3));
      expect(w.tokens.at(-1)).toBe('</s>');
      expect(w.specialTokensMask.reduce((x, y) => x + y, 0)).toBe(4);
    });
  });
});
