// Byte-level BPE (RoBERTa layout) and Unigram (XLM-R layout) against references computed
// independently in Python (tools/make_tokenizer_fixtures.py): GPT-2's bpe() with HF's offset
// rules for the first, sentencepiece itself for the second.
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/tokenizer';
import { loadReference, loadTokenizer } from './load';

describe('byte-level BPE (RobertaProcessing, trim_offsets)', () => {
  const tok = loadTokenizer('tokenizers/byte-bpe');
  for (const ref of loadReference('tokenizers/byte-bpe')) {
    it(`matches the reference for ${JSON.stringify(ref.text)}${ref.text_pair ? ' with a pair' : ''}`, () => {
      const e = encode(tok, ref.text, { pair: ref.text_pair });
      expect(e.ids).toEqual(ref.ids);
      expect(e.tokens).toEqual(ref.tokens);
      expect(e.offsets).toEqual(ref.offsets);
      expect(e.sequenceIds).toEqual(ref.sequence_ids);
      expect(e.specialTokensMask).toEqual(ref.sequence_ids.map((s) => (s === null ? 1 : 0)));
    });
  }

  it('numbers words as the GPT-2 split cuts them', () => {
    // "Hello" and " world" are the two pre-tokens
    expect(encode(tok, 'Hello world').wordIds).toEqual([null, 0, 0, 0, 0, 1, 1, 1, null]);
    // "two", " ", " spaces": a lone space is a word of its own
    expect(encode(tok, 'two  spaces').wordIds).toEqual([null, 0, 0, 0, 1, 2, 2, 2, 2, 2, null]);
  });
});

describe('Unigram (Precompiled + Replace normalizer, Metaspace)', () => {
  const tok = loadTokenizer('tokenizers/unigram');
  // Where sentencepiece's offsets and HF's alignment rules part (see tests/fixtures/README.md),
  // HF's are expected: the space that stands for a run of spaces (Replace " {2,}" → " ") is the
  // run's last one, and NFKC's "ﬁ" → "fi" gives both letters the ligature's range.
  const hf: Record<string, Record<number, [number, number]>> = {
    'two  spaces   and    more': { 4: [4, 6], 9: [13, 17], 10: [20, 25] },
    'ﬁne ＡＢＣ ①': { 1: [0, 1] },
  };
  for (const ref of loadReference('tokenizers/unigram')) {
    it(`matches the reference for ${JSON.stringify(ref.text)}${ref.text_pair ? ' with a pair' : ''}`, () => {
      const e = encode(tok, ref.text, { pair: ref.text_pair });
      expect(e.ids).toEqual(ref.ids);
      // the library names an unknown piece by its text (sentencepiece and HF by "<unk>")
      expect(e.tokens).toEqual(ref.tokens.map((t, i) => (t === '<unk>' ? ref.text.slice(...ref.offsets[i]!) : t)));
      expect(e.sequenceIds).toEqual(ref.sequence_ids);
      const expected = ref.offsets.map((o, i) => hf[ref.text]?.[i] ?? o);
      expect(e.offsets).toEqual(expected);
      // the exceptions are really where the two differ
      for (const i of Object.keys(hf[ref.text] ?? {})) expect(ref.offsets[Number(i)]).not.toEqual(expected[Number(i)]);
    });
  }

  it('gives a lone "▁" that only marks a word start an empty range, not the next character', () => {
    const e = encode(tok, 'Hello world');
    expect(e.tokens.slice(1, 3)).toEqual(['\u2581', 'H']);
    expect(e.offsets.slice(1, 3)).toEqual([[0, 0], [0, 1]]);
  });

  it('numbers words as HF splits them before each "▁"', () => {
    // ▁ H e l l o | ▁w or l d
    expect(encode(tok, 'Hello world').wordIds).toEqual([null, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, null]);
  });
});
