// tokenizer.json layouts beyond the fixtures' (Llama 2's sentencepiece BPE with byte fallback,
// Llama 3's Split + byte-level without a regex), on tiny vocabularies; offsets by hand.
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/tokenizer';
import { fixtureJson } from './load';

const spans = (tok: Tokenizer, text: string) => {
  const e = encode(tok, text);
  return e.tokens.map((t, i) => [t, ...e.offsets[i]!, e.wordIds[i]] as const);
};

describe('other tokenizer.json layouts', () => {
  it('Llama 2: Prepend("▁") + Replace(" " → "▁"), BPE with byte fallback', () => {
    const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2, '\u2581': 3, h: 4, e: 5, l: 6, o: 7, '\u2581h': 8, ll: 9, '<0xC3>': 10, '<0xA9>': 11 };
    const tok = new Tokenizer({
      version: '1.0', truncation: null, padding: null,
      added_tokens: [{ id: 0, content: '<unk>', special: true }, { id: 1, content: '<s>', special: true }, { id: 2, content: '</s>', special: true }],
      normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '\u2581' }, { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' }] },
      pre_tokenizer: null,
      model: { type: 'BPE', vocab, merges: ['\u2581 h', 'l l'], unk_token: '<unk>', byte_fallback: true, fuse_unk: true },
      post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
        pair: [], special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } } },
      decoder: null,
    }, {});
    // "▁hello▁é": the prepended '▁' has no width, the replaced space keeps its place, both bytes of é cover é
    expect(spans(tok, 'hello é')).toEqual([
      ['<s>', 0, 0, null], ['\u2581h', 0, 1, 0], ['e', 1, 2, 0], ['ll', 2, 4, 0], ['o', 4, 5, 0], ['\u2581', 5, 6, 0], ['<0xC3>', 6, 7, 0], ['<0xA9>', 6, 7, 0]]);
  });

  it('Llama 3: Split (regex, isolated) then ByteLevel without its regex, offsets not trimmed', () => {
    const { json } = fixtureJson('tokenizers/byte-bpe');
    const tok = new Tokenizer({
      ...json,
      pre_tokenizer: { type: 'Sequence', pretokenizers: [
        { type: 'Split', pattern: { Regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }] },
      post_processor: { type: 'Sequence', processors: [
        { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
        { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
          pair: [], special_tokens: { '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] } } }] },
    }, {});
    // pre-tokens "Hello", " world", " 2024"→" " "202" "4": digits in threes
    expect(spans(tok, 'Hello world 2024')).toEqual([
      ['<s>', 0, 0, null], ['H', 0, 1, 0], ['e', 1, 2, 0], ['ll', 2, 4, 0], ['o', 4, 5, 0], ['\u0120w', 5, 7, 1], ['or', 7, 9, 1], ['ld', 9, 11, 1],
      ['\u0120', 11, 12, 2], ['2', 12, 13, 3], ['0', 13, 14, 3], ['2', 14, 15, 3], ['4', 15, 16, 4]]);
  });
});
