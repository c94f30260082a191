// Bad input and the cases the offsets cannot follow: each an Error naming what is wrong.
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { encode, encodeWindows } from '../../src/tokenizer';
import { fixtureJson, loadTokenizer } from './load';

const bert = loadTokenizer('bert');

describe('tokenizer errors', () => {
  it('refuses a first text that leaves no room for the second', () => {
    // [CLS] the dog [SEP] ... [SEP]: 5 tokens before any of the second text
    expect(() => encodeWindows(bert, 'the dog', 'a b c d e f', { maxLength: 5, stride: 0 }))
      .toThrow(/maxLength 5: the first text takes 2 tokens and the special tokens 3, which leaves no room for the second text/);
    expect(encodeWindows(bert, 'the dog', 'a b c d e f', { maxLength: 6, stride: 0 }).length).toBe(6);
    expect(() => encodeWindows(bert, 'a b c', null, { maxLength: 2, stride: 0 })).toThrow(/maxLength 2 leaves no room/);
  });

  it('refuses a stride that does not move the window', () => {
    expect(() => encodeWindows(bert, 'the dog', 'a b c d e f g h', { maxLength: 8, stride: 3 }))
      .toThrow(/stride 3 must be less than the 3 tokens of the second text each window holds/);
  });

  it('names bad options and inputs', () => {
    expect(() => encodeWindows(bert, 'q', 'c', { maxLength: 0, stride: 0 })).toThrow(/maxLength must be an integer of at least 1, got 0/);
    expect(() => encodeWindows(bert, 'q', 'c', { maxLength: 8.5, stride: 0 })).toThrow(/maxLength must be an integer/);
    expect(() => encodeWindows(bert, 'q', 'c', { maxLength: 8, stride: -1 })).toThrow(/stride must be an integer of at least 0, got -1/);
    expect(() => encodeWindows(bert, 'q', 'c', { maxLength: '8' as unknown as number, stride: 0 })).toThrow(/maxLength must be an integer.*got "8"/);
    expect(() => encodeWindows(bert, 'q', '', { maxLength: 8, stride: 0 })).toThrow(/second: an empty text/);
    expect(() => encode(bert, 42 as unknown as string)).toThrow(/text must be a string, got number/);
    expect(() => encode(bert, 'a', { pair: 7 as unknown as string })).toThrow(/pair must be a string, got number/);
    expect(() => encode(bert, 'a', { addSpecialTokens: 'no' as unknown as boolean })).toThrow(/addSpecialTokens must be a boolean/);
    expect(encode(bert, 'the dog', { maxLength: 2 }).tokens).toEqual(['[CLS]', '[SEP]']);
    expect(() => encode(bert, 'the dog', { maxLength: 1 })).toThrow(/maxLength 1 is less than the 2 special tokens/);
    expect(() => encode(bert, 'the dog', { maxLength: 5, truncation: 'middle' as 'only_first' })).toThrow(/truncation must be/);
    expect(() => encode(bert, 'the dog and', { maxLength: 3, truncation: 'only_second' })).toThrow(/'only_second' needs a pair/);
    expect(() => encode(bert, 'the', { pair: 'a b c', maxLength: 5, truncation: 'only_first' }))
      .toThrow(/truncation 'only_first': the first text has 1 tokens, too few to remove the 2/);
    expect(() => encode({} as Tokenizer, 'a')).toThrow(/expected a Tokenizer of @huggingface\/tokenizers/);
  });

  it('says where a token cannot be placed rather than guessing', () => {
    // a model that answers "dog" for "cat": the ids still agree with the library, the text does not
    const tok = loadTokenizer('bert');
    const model = (tok as unknown as { model: { encode(words: string[]): string[] } }).model;
    const original = model.encode.bind(model);
    model.encode = (words: string[]) => original(words.map((w) => (w === 'cat' ? 'dog' : w)));
    expect(() => encode(tok, 'the big cat')).toThrow(/cannot place the model's tokens in the pre-token "cat" at text position 8/);
  });

  it('refuses pairs that the library drops (a ByteLevel-only post-processor)', () => {
    const { json, config } = fixtureJson('tokenizers/byte-bpe');
    const tok = new Tokenizer({ ...json, post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true } }, config);
    expect(encode(tok, 'Hello world').offsets).toEqual([[0, 1], [1, 2], [2, 4], [4, 5], [6, 7], [7, 9], [9, 11]]);
    expect(() => encode(tok, 'Hello', { pair: 'world' })).toThrow(/ByteLevel post-processor drops the second text/);
  });
});
