// The parts of a @huggingface/tokenizers 0.2.0 Tokenizer that tokenizing with offsets reads.
// The library keeps them as plain (partly private) fields; this file is the one place that
// names them, so an upgrade of the library is checked here (package.json pins the version, and
// every encoding is compared with the library's own, so a change shows up as an Error, never
// as wrong offsets).
import type { Tokenizer } from '@huggingface/tokenizers';

/** JSON of one tokenizer.json section (normalizer, pre_tokenizer, model, post_processor). */
export type Json = Record<string, unknown> & { type?: string };

export interface LibAddedToken {
  content: string;
  id: number;
  lstrip: boolean;
  rstrip: boolean;
  special: boolean;
  normalized: boolean;
}

export interface LibNormalizer {
  config: Json;
  normalize(text: string): string;
  /** Sequence */
  normalizers?: (LibNormalizer | null)[];
  /** Replace */
  pattern?: RegExp | null;
}

export interface LibPreTokenizer {
  (text: string | string[], options?: { section_index?: number }): string[];
  pre_tokenize_text(text: string, options?: { section_index?: number }): string[];
  /** BertPreTokenizer, ByteLevel, Split, Punctuation, Digits, Replace */
  pattern?: RegExp | null;
  /** Sequence */
  tokenizers?: (LibPreTokenizer | null)[];
  /** ByteLevel */
  add_prefix_space?: boolean;
  use_regex?: boolean;
  byte_encoder?: Record<number, string>;
  /** Metaspace */
  replacement?: string;
  str_rep?: string;
  prepend_scheme?: string;
  /** Replace, Split */
  config?: Json;
  /** FixedLength */
  _length?: number;
}

export interface LibModel {
  (tokens: string[]): string[];
  encode(tokens: string[]): string[];
  config: Json;
  tokens_to_ids: Map<string, number>;
  unk_token_id?: number;
  unk_token?: string;
  fuse_unk: boolean;
  /** WordPiece */
  max_input_chars_per_word?: number;
  /** BPE */
  bpe?(token: string): string[];
  byte_fallback?: boolean;
  ignore_merges?: boolean;
  end_of_word_suffix?: string;
  continuing_subword_suffix?: string | null;
  /** Unigram */
  tokenize?(text: string): string[];
  scores?: number[];
}

export interface LibPostProcessor {
  (tokens: string[], pair: string[] | null, addSpecialTokens: boolean): { tokens: string[]; token_type_ids?: number[] };
}

export interface LibTokenizer {
  /** The parsed tokenizer.json. */
  tokenizer: Json;
  normalizer: LibNormalizer | null;
  pre_tokenizer: LibPreTokenizer | null;
  model: LibModel;
  post_processor: LibPostProcessor | null;
  added_tokens_map: Map<string, LibAddedToken>;
  splitter_unnormalized: { split(text: string): string[] };
  splitter_normalized: { split(text: string): string[] };
  remove_space?: boolean;
  do_lowercase_and_remove_accent?: boolean;
  encode(text: string, options: { text_pair: string | null; add_special_tokens: boolean; return_token_type_ids: true }): {
    ids: number[]; tokens: string[]; token_type_ids?: number[];
  };
}

/** The library's fields, checked for the ones every tokenizer has (a wrong object fails here, not deep inside). */
export function internals(tokenizer: Tokenizer): LibTokenizer {
  const lib = tokenizer as unknown as Partial<LibTokenizer> | null;
  if (lib === null || typeof lib !== 'object' || typeof lib.encode !== 'function' || !(lib.added_tokens_map instanceof Map)
    || typeof lib.splitter_unnormalized?.split !== 'function' || typeof lib.splitter_normalized?.split !== 'function'
    || typeof lib.model !== 'function' || !(lib.model.tokens_to_ids instanceof Map) || lib.tokenizer === null || typeof lib.tokenizer !== 'object') {
    throw new Error('tokenizer: expected a Tokenizer of @huggingface/tokenizers 0.2.0 (its normalizer, model and added-token splitters were not found)');
  }
  return lib as LibTokenizer;
}

/** The id the library's encode() gives a token string (added tokens first, then the vocabulary, else unknown). */
export function idOf(lib: LibTokenizer, token: string): number {
  const id = lib.added_tokens_map.get(token)?.id ?? lib.model.tokens_to_ids.get(token) ?? lib.model.unk_token_id;
  if (id === undefined) throw new Error(`tokenizer: token ${JSON.stringify(token.slice(0, 40))} has no id and the model has no unknown token`);
  return id;
}
