// What loadTokenizer returns: a tokenizer of @huggingface/tokenizers (read from tokenizer.json,
// a SentencePiece model, Marian's files or vocab.txt) with encodings that carry offsets, word
// ids and segment ids (encode.ts), and decoding.
import type { Tokenizer } from '@huggingface/tokenizers';
import { checkOptionNames } from '../io/option-names';
import { encode, type EncodeOptions } from './encode';
import type { Encoding } from './encoding';
import { internals } from './internals';

export interface DecodeOptions {
  /** Leave out the special tokens ([CLS], </s>, <pad>...); default false. */
  skipSpecialTokens?: boolean;
}

const ENCODE_OPTIONS = ['addSpecialTokens', 'pair', 'maxLength', 'truncation'] as const;
const DECODE_OPTIONS = ['skipSpecialTokens'] as const;
/** transformers' and transformers.js's names for ours. */
const FOREIGN = {
  add_special_tokens: { tool: 'transformers', ours: 'addSpecialTokens' },
  text_pair: { tool: 'transformers', ours: 'pair' },
  max_length: { tool: 'transformers', ours: 'maxLength' },
  skip_special_tokens: { tool: 'transformers', ours: 'skipSpecialTokens' },
} as const;

export class TextTokenizer {
  /** @param tokenizer the library's tokenizer, as readTokenizer gives it */
  constructor(readonly tokenizer: Tokenizer) {
    internals(tokenizer);
  }

  /**
   * The ids of `text` (and `options.pair`), with each token's string, range in its text
   * ([start, end) in UTF-16 units), word and segment: the library's ids, checked on every call.
   */
  encode(text: string, options: EncodeOptions = {}): Encoding {
    if (options === null || typeof options !== 'object') throw new Error('TextTokenizer.encode: options must be an object');
    checkOptionNames('TextTokenizer.encode', options, ENCODE_OPTIONS, FOREIGN);
    return encode(this.tokenizer, text, options);
  }

  /** The text of `ids`, as the tokenizer's decoder writes it. */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    if (options === null || typeof options !== 'object') throw new Error('TextTokenizer.decode: options must be an object');
    checkOptionNames('TextTokenizer.decode', options, DECODE_OPTIONS, FOREIGN);
    const { skipSpecialTokens = false } = options;
    if (typeof skipSpecialTokens !== 'boolean') throw new Error(`TextTokenizer.decode: skipSpecialTokens must be a boolean, got ${String(skipSpecialTokens)}`);
    if (!Array.isArray(ids) && !ArrayBuffer.isView(ids)) throw new Error('TextTokenizer.decode: ids must be an array of token ids');
    const size = this.vocabSize;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isSafeInteger(id) || id! < 0 || id! >= size) throw new Error(`TextTokenizer.decode: ids[${i}] is ${String(id)}, not a token id (0 to ${size - 1})`);
    }
    if (ids.length === 0) return '';
    return this.tokenizer.decode(Array.from(ids), { skip_special_tokens: skipSpecialTokens });
  }

  /** Tokens the tokenizer knows: one more than its largest id. */
  get vocabSize(): number {
    return (internals(this.tokenizer).model as unknown as { vocab: unknown[] }).vocab.length;
  }

  /** The token of an id, or undefined. */
  idToToken(id: number): string | undefined {
    return (internals(this.tokenizer).model as unknown as { vocab: (string | undefined)[] }).vocab[id];
  }

  /** The id of a token (an added token's, else the vocabulary's), or undefined. */
  tokenToId(token: string): number | undefined {
    const lib = internals(this.tokenizer);
    return lib.added_tokens_map.get(token)?.id ?? lib.model.tokens_to_ids.get(token);
  }
}
