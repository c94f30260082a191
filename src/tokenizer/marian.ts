// Marian's tokenizer files (opus-mt): source.spm and target.spm (SentencePiece models) and
// vocab.json (piece → id, the ids the model reads). transformers' MarianTokenizer cuts the text
// with the source model, then maps each piece through vocab.json (a piece missing from it
// becomes <unk>), and appends </s>; a ">>xx<<" language code is a token of its own. No
// tokenizer.json can say "cut with one vocabulary, number with another", so the tokenizer is the
// library's Unigram over vocab.json (its ids, its id → piece for decoding) whose cutting is
// the source model's: the library's own Unigram of source.spm, put in place of its encode.
import type { Tokenizer } from '@huggingface/tokenizers';
import { FormatError } from '../io/errors';
import { parseJsonBytes, showJson } from '../io/json-bytes';
import { sentencePieceTokenizerJson } from './from-sentencepiece';
import type { LibModel } from './internals';
import { patchCharsmap } from './spm-patch';
import type { SentencePieceModel } from './sentencepiece-model';

export interface MarianTokenizerJson {
  json: Record<string, unknown>;
  /** Applied to the library's tokenizer of `json`: the source model's cutting and character map. */
  patch: (tokenizer: Tokenizer, makeModel: (json: Record<string, unknown>) => LibModel) => void;
}

/**
 * vocab.json's piece → id. `vocabSize` is the model's embedding rows (config.json's vocab_size);
 * without it (loadTokenizer with no config.json) an id of twice the piece count or more is
 * refused, since the ids of a real vocab.json run 0 to count − 1. Checked here, before the
 * tokenizer's id → piece table of max(id) + 1 entries is built: an id of 30000000 would fill
 * the heap.
 */
export function readVocabJson(bytes: Uint8Array, file = 'vocab.json', vocabSize?: number): Map<string, number> {
  const fail = (field: string, at: number, what: string) => new FormatError(`${file}: ${what} (field ${field}, byte offset ${at})`, field, at);
  const { value, keys } = parseJsonBytes(bytes, 0, bytes.length, { field: file, maxDepth: 2, subject: file, fail });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw fail(file, 0, 'expected an object of piece → id');
  const entries = Object.entries(value);
  if (entries.length === 0) throw fail(file, 0, 'no pieces');
  const limit = vocabSize ?? 2 * entries.length;
  const vocab = new Map<string, number>();
  const ids = new Set<number>();
  for (const [piece, id] of entries) {
    const shown = JSON.stringify(piece.slice(0, 40));
    const at = keys.get(piece) ?? 0;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) throw fail(piece.slice(0, 40), at, `piece ${shown} has id ${showJson(id, 40)}, not a non-negative integer`);
    if (id >= limit) {
      throw fail(piece.slice(0, 40), at, `piece ${shown} has id ${id}, ${vocabSize !== undefined
        ? `not a row of the model's ${vocabSize}-token embedding`
        : `far beyond its ${entries.length} pieces (with no config.json to give vocab_size, ids of twice the piece count or more are refused)`}`);
    }
    if (ids.has(id)) throw fail(piece.slice(0, 40), at, `id ${id} is given to two pieces (${shown} and another)`);
    ids.add(id);
    vocab.set(piece, id);
  }
  return vocab;
}

export function marianTokenizerJson(source: SentencePieceModel, vocab: Map<string, number>, config: Record<string, unknown>): MarianTokenizerJson {
  const name = (key: string, dflt: string) => (typeof config[key] === 'string' ? config[key] as string : dflt);
  const eos = name('eos_token', '</s>'), unk = name('unk_token', '<unk>'), pad = name('pad_token', '<pad>');
  for (const [what, token] of [['eos_token', eos], ['unk_token', unk], ['pad_token', pad]] as const) {
    if (!vocab.has(token)) throw new FormatError(`vocab.json: the ${what} ${JSON.stringify(token)} has no id`, what, 0);
  }
  const spm = sentencePieceTokenizerJson(source);
  // a loop, not Math.max(...ids): spreading 125k+ arguments overflows the stack
  let size = 0;
  for (const id of vocab.values()) size = Math.max(size, id + 1);
  const byId: [string, number][] = Array.from({ length: size }, (_, i) => [`<unused ${i}>`, -1e9]);
  for (const [piece, id] of vocab) byId[id] = [piece, 0];
  const special = (content: string) => ({ id: vocab.get(content)!, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  // language codes (">>fr<<"): tokens of their own, as MarianTokenizer's language_code_re
  const codes = [...vocab.keys()].filter((p) => /^>>.+<<$/.test(p))
    .map((content) => ({ ...special(content), special: false }));
  const json: Record<string, unknown> = {
    ...spm.json,
    added_tokens: [special(eos), special(unk), special(pad), ...codes].filter((t, i, all) => all.findIndex((u) => u.id === t.id) === i),
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: eos, type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 0 } }, { SpecialToken: { id: eos, type_id: 0 } }],
      special_tokens: { [eos]: { id: eos, ids: [vocab.get(eos)!], tokens: [eos] } },
    },
    model: { type: 'Unigram', unk_id: vocab.get(unk)!, vocab: byId, byte_fallback: false },
  };
  const patch: MarianTokenizerJson['patch'] = (tokenizer, makeModel) => {
    if (spm.charsmap) patchCharsmap(tokenizer, spm.charsmap);
    const outer = (tokenizer as unknown as { model: LibModel }).model;
    const inner = makeModel(spm.json['model'] as Record<string, unknown>);
    // the source model's pieces (its unknown characters fused, as SentencePiece does); the
    // tokenizer then numbers them through vocab.json, unknown where missing, never fusing again
    outer.encode = (tokens: string[]) => inner(tokens);
    outer.fuse_unk = false;
  };
  return { json, patch };
}
