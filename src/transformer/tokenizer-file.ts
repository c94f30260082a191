// tokenizer.json (and tokenizer_config.json) into a Tokenizer of @huggingface/tokenizers, with
// the library's own errors: the JSON is read with byte offsets and a depth bound, whatever the
// tokenizer library throws on a malformed file becomes a FormatError naming the file, and every
// id the tokenizer can emit must be a row of the model's embedding (else the first text with
// that token would fail, or read outside the table).
import { Tokenizer } from '@huggingface/tokenizers';
import { FormatError } from '../io/errors';
import { bomLength, parseJsonBytes, showJson } from '../io/json-bytes';

/** tokenizer.json nests about 6 deep (normalizer sequences); deeper values only risk the recursion of the library. */
const MAX_DEPTH = 64;

function tokenizerError(file: string, field: string, at: number, what: string): FormatError {
  return new FormatError(`${file}: ${what} (field ${field}, byte offset ${at})`, field, at);
}

function readJson(file: string, bytes: Uint8Array): { value: Record<string, unknown>; keys: Map<string, number> } {
  const bom = bomLength(bytes);
  const { value, keys } = parseJsonBytes(bytes, bom, bytes.length, {
    field: file, maxDepth: MAX_DEPTH, subject: file, fail: (field, at, what) => tokenizerError(file, field, at, what),
  });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw tokenizerError(file, file, bom, 'expected a JSON object');
  }
  return { value: value as Record<string, unknown>, keys };
}

/** A text with what tokenizers treat apart: case, punctuation, digits, an accent. */
const PROBE = 'Hello, world 42 é!';

export interface ModelSizes {
  vocabSize: number;
  /** 'encoder-decoder' and 'decoder' models generate any id of the vocabulary, which must then decode. */
  kind: 'encoder' | 'decoder' | 'encoder-decoder';
  /** Segments of the model's token-type table; 0 if it has none (segment ids are then ignored). */
  typeVocabSize: number;
}

export function tokenizerFromFiles(tokenizerJson: Uint8Array, tokenizerConfig: Uint8Array | undefined, sizes: ModelSizes): Tokenizer {
  const { value: json, keys } = readJson('tokenizer.json', tokenizerJson);
  const config = tokenizerConfig ? readJson('tokenizer_config.json', tokenizerConfig).value : {};
  return tokenizerFromJson(json, config, sizes, { keys });
}

export interface TokenizerJsonOptions {
  /** Byte offsets of the keys of the JSON text, for errors (none for an object built in memory). */
  keys?: Map<string, number>;
  /** What the object was made from, for errors: 'tokenizer.json' (default), 'spiece.model'. */
  file?: string;
  /** Changes to the library's tokenizer before it is checked (a SentencePiece character map in place of the library's approximation). */
  patch?: (tokenizer: Tokenizer) => void;
}

/**
 * A tokenizer.json already parsed (or built from another format: SentencePiece, vocab.txt), with
 * the checks of tokenizerFromFiles; errors name `options.file`.
 */
export function tokenizerFromJson(json: Record<string, unknown>, config: Record<string, unknown>, sizes: ModelSizes,
  options: TokenizerJsonOptions = {}): Tokenizer {
  const keys = options.keys ?? new Map<string, number>();
  const file = options.file ?? 'tokenizer.json';
  const tokenizerError = (_file: string, field: string, at: number, what: string) =>
    new FormatError(`${file}: ${what} (field ${field}, byte offset ${at})`, field, at);
  for (const section of ['normalizer', 'pre_tokenizer', 'decoder']) checkSymbols(json[section], section, keys.get(section) ?? 0, file);
  checkIds(json, keys, sizes.vocabSize, file);
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, config);
  } catch (e) {
    throw tokenizerError('tokenizer.json', 'tokenizer.json', 0, `the tokenizer library refuses it: ${e instanceof Error ? e.message.slice(0, 200) : String(e)}`);
  }
  options.patch?.(tokenizer);
  const ids = tokenizer.model?.tokens_to_ids;
  if (!(ids instanceof Map) || ids.size === 0) throw tokenizerError('tokenizer.json', 'model', keys.get('model') ?? 0, 'the model has no vocabulary');
  for (const [token, id] of ids) {
    if (!Number.isSafeInteger(id) || id < 0 || id >= sizes.vocabSize) {
      throw tokenizerError('tokenizer.json', 'model.vocab', keys.get('model\u0000vocab') ?? keys.get('model') ?? 0,
        `token ${JSON.stringify(String(token).slice(0, 40))} has id ${String(id).slice(0, 40)}, not a row of the model's ${sizes.vocabSize}-token embedding`);
    }
  }
  // id → token, as decode() reads it: a token that is not a string breaks decoding. Ids with no
  // token at all (embedding rows past the vocabulary) are allowed: generation never produces
  // them (undecodableIds).
  const pieces = tokenizer.model?.vocab ?? [];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i];
    if (typeof piece === 'string' || piece === undefined) continue;
    throw tokenizerError('tokenizer.json', 'model.vocab', keys.get('model\u0000vocab') ?? keys.get('model') ?? 0,
      `id ${i} has a token that is not a string: ${showJson(piece, 40)}`);
  }
  // WordPiece and Unigram give unknown text the unk token: without one, it would get no id at all.
  const type = (json['model'] as { type?: unknown } | undefined)?.type;
  const unk = tokenizer.model?.unk_token_id;
  if ((type === 'WordPiece' || type === 'Unigram') && !(Number.isSafeInteger(unk) && unk! >= 0 && unk! < sizes.vocabSize)) {
    throw tokenizerError('tokenizer.json', 'model.unk_token', keys.get('model\u0000unk_token') ?? keys.get('model\u0000unk_id') ?? keys.get('model') ?? 0,
      `the ${type} model's unknown token is ${String(tokenizer.model?.unk_token).slice(0, 40)}, which has no id in its vocabulary`);
  }
  // What the vocabulary does not show (the post-processor's special tokens and segment ids, a
  // normalizer or pre-tokenizer the library cannot run) shows in the encodings of a probe.
  for (const pair of [null, 'b']) {
    let encoding: { ids: number[]; token_type_ids?: number[] };
    try {
      encoding = tokenizer.encode(PROBE, { text_pair: pair, return_token_type_ids: true });
    } catch (e) {
      throw tokenizerError('tokenizer.json', 'tokenizer.json', 0, `it cannot encode a text: ${e instanceof Error ? e.message.slice(0, 200) : String(e)}`);
    }
    const { ids, token_type_ids: types = [] } = encoding;
    try {
      tokenizer.decode(ids, { skip_special_tokens: true });
    } catch (e) {
      throw tokenizerError('tokenizer.json', 'decoder', keys.get('decoder') ?? 0, `it cannot decode its own tokens: ${e instanceof Error ? e.message.slice(0, 200) : String(e)}`);
    }
    if (!Array.isArray(ids) || ids.length === 0) throw tokenizerError('tokenizer.json', 'tokenizer.json', 0, `it encodes "${PROBE}" to no tokens`);
    // findIndex, not find: the bad id may be undefined itself.
    const bad = ids.findIndex((id) => !Number.isSafeInteger(id) || id < 0 || id >= sizes.vocabSize);
    if (bad >= 0) {
      throw tokenizerError('tokenizer.json', 'post_processor', keys.get('post_processor') ?? 0,
        `it emits token id ${String(ids[bad]).slice(0, 40)}, not a row of the model's ${sizes.vocabSize}-token embedding`);
    }
    const badType = sizes.typeVocabSize > 0 ? types.findIndex((t) => !Number.isSafeInteger(t) || t < 0 || t >= sizes.typeVocabSize) : -1;
    if (badType >= 0) {
      throw tokenizerError('tokenizer.json', 'post_processor', keys.get('post_processor') ?? 0,
        `it emits segment id ${String(types[badType]).slice(0, 40)}, not a row of the model's ${sizes.typeVocabSize} token types`);
    }
  }
  return tokenizer;
}

/**
 * The ids below vocabSize that no token decodes to: embedding rows past the tokenizer's
 * vocabulary (T5 has 32128 rows for 32100 tokens, Qwen2.5 151936 for 151665), which a model that
 * generates must never produce.
 */
export function undecodableIds(tokenizer: Tokenizer, vocabSize: number): number[] {
  const pieces = (tokenizer.model?.vocab ?? []) as unknown[];
  const ids: number[] = [];
  for (let i = 0; i < vocabSize; i++) if (typeof pieces[i] !== 'string') ids.push(i);
  return ids;
}

/**
 * The ids of the vocabulary object (WordPiece, BPE) and of the added tokens, before the library
 * sees them: it makes an array indexed by id, and an id of 1e9 cost it a minute.
 */
function checkIds(json: Record<string, unknown>, keys: Map<string, number>, vocabSize: number, file: string): void {
  const tokenizerError = (_file: string, field: string, at: number, what: string) =>
    new FormatError(`${file}: ${what} (field ${field}, byte offset ${at})`, field, at);
  const bad = (id: unknown) => !Number.isSafeInteger(id) || (id as number) < 0 || (id as number) >= vocabSize;
  const vocab = (json['model'] as { vocab?: unknown } | undefined)?.vocab;
  if (vocab !== null && typeof vocab === 'object' && !Array.isArray(vocab)) {
    for (const [token, id] of Object.entries(vocab)) {
      if (bad(id)) {
        throw tokenizerError('tokenizer.json', 'model.vocab', keys.get('model\u0000vocab') ?? keys.get('model') ?? 0,
          `token ${JSON.stringify(token.slice(0, 40))} has id ${showJson(id, 40)}, not a row of the model's ${vocabSize}-token embedding`);
      }
    }
  }
  const added = json['added_tokens'];
  if (Array.isArray(added)) {
    added.forEach((t, i) => {
      if (bad((t as { id?: unknown } | null)?.id)) {
        throw tokenizerError('tokenizer.json', `added_tokens[${i}].id`, keys.get('added_tokens') ?? 0,
          `added token ${i} has id ${showJson((t as { id?: unknown } | null)?.id, 40)}, not a row of the model's ${vocabSize}-token embedding`);
      }
    });
  }
}

/**
 * Fields that the tokenizer library splices into the text (Metaspace's replacement, Replace's
 * content, WordPiece's prefix): a symbol or two in every real tokenizer. Anything else, an array
 * of 100 000 numbers say, became a 1.5 MB string per space and a minute of tokenizing.
 */
const SYMBOL_FIELDS = new Set(['replacement', 'prepend', 'content', 'prefix', 'suffix', 'str_rep']);
const MAX_SYMBOL_LENGTH = 64;

function checkSymbols(value: unknown, path: string, at: number, file: string): void {
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const where = Array.isArray(value) ? `${path}[${k}]` : `${path}.${k}`;
    if (!Array.isArray(value) && SYMBOL_FIELDS.has(k) && !(typeof v === 'string' && v.length <= MAX_SYMBOL_LENGTH)) {
      throw tokenizerError(file, where, at, `${where} must be a string of at most ${MAX_SYMBOL_LENGTH} characters, got ${
        typeof v === 'string' ? `${v.length} characters` : Array.isArray(v) ? `an array of ${v.length}` : showJson(v, 40)}`);
    }
    checkSymbols(v, where, at, file);
  }
}

/**
 * tokenizer_config.json's model_max_length: the longest input Hugging Face's tokenizer (and its
 * pipelines) let through; undefined when absent or HF's "no limit" (int(1e30)).
 */
export function modelMaxLength(tokenizerConfig: Uint8Array | undefined): number | undefined {
  if (!tokenizerConfig) return undefined;
  const v = readJson('tokenizer_config.json', tokenizerConfig).value['model_max_length'];
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined;
}
