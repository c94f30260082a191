// Finding and reading a model folder's tokenizer, whatever form it takes: tokenizer.json; else
// Marian's source.spm with vocab.json; else a SentencePiece model (spiece.model,
// sentencepiece.bpe.model, tokenizer.model, source.spm); else BERT's vocab.txt. Each other form
// is converted to the tokenizer.json transformers' converters write, then checked and built as
// a tokenizer.json is (tokenizer-file.ts).
import { Tokenizer } from '@huggingface/tokenizers';
import type { HubOptions } from '../hub/options';
import { HUB_OPTION_KEYS } from '../hub/options';
import { FormatError } from '../io/errors';
import { parseJsonBytes } from '../io/json-bytes';
import { checkOptionNames } from '../io/option-names';
import { modelFiles, type ModelFiles, type ModelSource } from '../transformer/files';
import { tokenizerFromFiles, tokenizerFromJson, type ModelSizes } from '../transformer/tokenizer-file';
import { sentencePieceTokenizerJson } from './from-sentencepiece';
import { bertSettings, readVocabTxt, vocabTxtTokenizerJson } from './from-vocab-txt';
import type { LibModel } from './internals';
import { marianTokenizerJson, readVocabJson } from './marian';
import { parseSentencePieceModel, type SentencePieceModel } from './sentencepiece-model';
import { patchCharsmap } from './spm-patch';
import { TextTokenizer } from './text-tokenizer';

/** ModelSizes.vocabSize when no config.json tells it (loadTokenizer alone): any id passes. */
export const UNKNOWN_VOCAB_SIZE = 2 ** 31 - 1;

/** SentencePiece model files, in the order they are looked for. */
export const SENTENCEPIECE_FILES = ['spiece.model', 'sentencepiece.bpe.model', 'tokenizer.model', 'source.spm', 'spm.model'] as const;

/**
 * The folder's tokenizer as a tokenizer of @huggingface/tokenizers, checked against the model's
 * sizes (every id a row of its embedding). Throws a FormatError naming the file for bad files,
 * and naming the files looked for when there is none.
 */
export async function readTokenizer(files: ModelFiles, sizes: ModelSizes): Promise<Tokenizer> {
  const configBytes = await files.read('tokenizer_config.json');
  const tokenizerJson = await files.read('tokenizer.json');
  if (tokenizerJson) return tokenizerFromFiles(tokenizerJson, configBytes, sizes);
  const config = configBytes ? readJsonObject(configBytes, 'tokenizer_config.json') : {};
  // the library's decode() cleans up spaces unless told not to; transformers' default now is not to
  const libConfig = { clean_up_tokenization_spaces: false, ...config };

  const source = await files.read('source.spm');
  const vocabJson = source ? await files.read('vocab.json') : undefined;
  if (source && vocabJson) {
    const model = parseSentencePieceModel(source, 'source.spm');
    const known = sizes.vocabSize < UNKNOWN_VOCAB_SIZE ? sizes.vocabSize : undefined;
    const marian = marianTokenizerJson(model, readVocabJson(vocabJson, 'vocab.json', known), config);
    const makeModel = (json: Record<string, unknown>) => (new Tokenizer({ ...marian.json, added_tokens: [], model: json }, {}) as unknown as { model: LibModel }).model;
    return tokenizerFromJson(marian.json, libConfig, sizes, { file: 'source.spm with vocab.json', patch: (t) => marian.patch(t, makeModel) });
  }

  for (const name of SENTENCEPIECE_FILES) {
    const bytes = name === 'source.spm' ? source : await files.read(name);
    if (!bytes) continue;
    const model = parseSentencePieceModel(bytes, name);
    const { json, charsmap } = sentencePieceTokenizerJson(model);
    addFamilySpecialTokens(json, model, config, name);
    return tokenizerFromJson(json, libConfig, sizes, { file: name, patch: (t) => { if (charsmap) patchCharsmap(t, charsmap); } });
  }

  const vocabTxt = await files.read('vocab.txt');
  if (vocabTxt) {
    const json = vocabTxtTokenizerJson(readVocabTxt(vocabTxt), bertSettings(config));
    return tokenizerFromJson(json, libConfig, sizes, { file: 'vocab.txt' });
  }
  throw new FormatError(`no tokenizer in ${files.where}: looked for tokenizer.json, source.spm with vocab.json (Marian), ${SENTENCEPIECE_FILES.join(', ')} and vocab.txt`, 'tokenizer.json', 0);
}

/** tokenizer_class values whose special tokens are built here from a SentencePiece model alone. */
const T5_CLASSES = new Set(['T5Tokenizer', 'T5TokenizerFast', 'MT5Tokenizer', 'MT5TokenizerFast']);

/**
 * The special tokens transformers adds for the model family tokenizer_config.json names: none for
 * a plain SentencePiece model (ids as SentencePiece's encode), T5's </s> after each text and its
 * <extra_id_N> sentinels. Families whose converters renumber the pieces (XLM-R, CamemBERT, mBART:
 * fairseq's offset) or change the normalizer (ALBERT, Llama) are refused, naming the file.
 */
function addFamilySpecialTokens(json: Record<string, unknown>, model: SentencePieceModel, config: Record<string, unknown>, file: string): void {
  const cls = config['tokenizer_class'];
  if (cls === undefined || cls === null) return;
  if (typeof cls !== 'string') throw new FormatError(`tokenizer_config.json: tokenizer_class must be a string, got ${JSON.stringify(cls)}`, 'tokenizer_class', 0);
  if (!T5_CLASSES.has(cls)) {
    throw new FormatError(`${file}: tokenizer_config.json names ${cls}, whose tokenizer (special tokens, id offset, normalizer) is not built from ${file} here; `
      + 'a tokenizer.json from the same model works (transformers writes one with save_pretrained of the fast tokenizer)', 'tokenizer_class', 0);
  }
  const eos = model.pieces[model.eosId]?.piece;
  if (eos === undefined) throw new FormatError(`${file}: T5 needs the eos piece, but eos_id is ${model.eosId}`, 'trainer_spec.eos_id', 0);
  const extra = config['extra_ids'] ?? 100;
  if (typeof extra !== 'number' || !Number.isSafeInteger(extra) || extra < 0 || extra > 10_000) {
    throw new FormatError(`tokenizer_config.json: extra_ids must be a count, got ${JSON.stringify(extra)}`, 'extra_ids', 0);
  }
  // transformers' _get_prepend_scheme: '▁' before every section of text (after each sentinel
  // too) unless tokenizer_config.json says legacy: false; T5Tokenizer's legacy defaults to true.
  const legacy = config['legacy'];
  if (legacy !== undefined && legacy !== null && typeof legacy !== 'boolean') {
    throw new FormatError(`tokenizer_config.json: legacy must be true, false or null, got ${JSON.stringify(legacy)}`, 'legacy', 0);
  }
  for (const key of ['pre_tokenizer', 'decoder']) {
    const part = json[key] as Record<string, unknown> | null;
    if (part?.['type'] === 'Metaspace' && part['prepend_scheme'] === 'first') part['prepend_scheme'] = legacy === false ? 'first' : 'always';
  }
  const added = json['added_tokens'] as Record<string, unknown>[];
  const n = model.pieces.length;
  // T5Tokenizer: <extra_id_0> is the last id, <extra_id_{extra-1}> the first after the pieces
  for (let i = 0; i < extra; i++) {
    added.push({ id: n + extra - 1 - i, content: `<extra_id_${i}>`, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  }
  const seqA = { Sequence: { id: 'A', type_id: 0 } }, seqB = { Sequence: { id: 'B', type_id: 0 } };
  const end = { SpecialToken: { id: eos, type_id: 0 } };
  json['post_processor'] = {
    type: 'TemplateProcessing', single: [seqA, end], pair: [seqA, end, seqB, end],
    special_tokens: { [eos]: { id: eos, ids: [model.eosId], tokens: [eos] } },
  };
}

export interface LoadTokenizerOptions extends HubOptions {}

/**
 * A model folder's tokenizer (a directory in Node, a base URL, { files }, or a Hugging Face hub
 * id with HubOptions): tokenizer.json, a SentencePiece model, Marian's spm pair with vocab.json,
 * or vocab.txt. config.json, when present, gives the sizes ids are checked against.
 */
export async function loadTokenizer(source: ModelSource, options: LoadTokenizerOptions = {}): Promise<TextTokenizer> {
  if (options === null || typeof options !== 'object') throw new Error('loadTokenizer: options must be an object');
  checkOptionNames('loadTokenizer', options, HUB_OPTION_KEYS);
  const files = modelFiles(source, options, 'loadTokenizer');
  const configBytes = await files.read('config.json');
  const sizes: ModelSizes = { vocabSize: UNKNOWN_VOCAB_SIZE, kind: 'encoder', typeVocabSize: 0 };
  if (configBytes) {
    const config = readJsonObject(configBytes, 'config.json');
    const v = config['vocab_size'], t = config['type_vocab_size'];
    if (v !== undefined && !(typeof v === 'number' && Number.isSafeInteger(v) && v > 0)) throw new FormatError(`config.json: vocab_size must be a positive integer, got ${JSON.stringify(v)}`, 'vocab_size', 0);
    if (t !== undefined && !(typeof t === 'number' && Number.isSafeInteger(t) && t > 0)) throw new FormatError(`config.json: type_vocab_size must be a positive integer, got ${JSON.stringify(t)}`, 'type_vocab_size', 0);
    if (typeof v === 'number') sizes.vocabSize = v;
    if (typeof t === 'number') sizes.typeVocabSize = t;
  }
  return new TextTokenizer(await readTokenizer(files, sizes));
}

function readJsonObject(bytes: Uint8Array, file: string): Record<string, unknown> {
  const fail = (field: string, at: number, what: string) => new FormatError(`${file}: ${what} (field ${field}, byte offset ${at})`, field, at);
  const { value } = parseJsonBytes(bytes, bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0, bytes.length,
    { field: file, maxDepth: 64, subject: file, fail });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw fail(file, 0, 'expected a JSON object');
  return value as Record<string, unknown>;
}
