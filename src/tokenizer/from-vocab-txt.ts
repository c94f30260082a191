// A BERT vocab.txt (one WordPiece token a line, its id the line number) with the settings of
// tokenizer_config.json, as the tokenizer.json transformers' BertConverter writes: BertNormalizer
// (clean_text, handle_chinese_chars, strip_accents, lowercase), BertPreTokenizer, WordPiece with
// the unknown token and '##', [CLS] $A [SEP] (pairs: [CLS] $A [SEP] $B [SEP], segment ids 0 then
// 1) and the WordPiece decoder.
import { FormatError } from '../io/errors';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** BertTokenizer's settings, from tokenizer_config.json (its defaults where a key is absent). */
export interface BertSettings {
  doLowerCase: boolean;
  /** null: strip accents when lowercasing (BertTokenizer's default). */
  stripAccents: boolean | null;
  tokenizeChineseChars: boolean;
  unkToken: string;
  clsToken: string;
  sepToken: string;
  padToken: string;
  maskToken: string;
}

export function bertSettings(config: Record<string, unknown>, file = 'tokenizer_config.json'): BertSettings {
  const bool = (key: string, dflt: boolean): boolean => {
    const v = config[key];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'boolean') throw new FormatError(`${file}: ${key} must be true or false, got ${JSON.stringify(v)}`, key, 0);
    return v;
  };
  const token = (key: string, dflt: string): string => {
    let v = config[key];
    // AddedToken written out: { "content": "[UNK]", ... }
    if (v !== null && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') v = (v as { content: string }).content;
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'string' || v.length === 0) throw new FormatError(`${file}: ${key} must be a token (a non-empty string), got ${JSON.stringify(v)}`, key, 0);
    return v;
  };
  const strip = config['strip_accents'];
  if (strip !== undefined && strip !== null && typeof strip !== 'boolean') {
    throw new FormatError(`${file}: strip_accents must be true, false or null, got ${JSON.stringify(strip)}`, 'strip_accents', 0);
  }
  return {
    doLowerCase: bool('do_lower_case', true),
    stripAccents: strip ?? null,
    tokenizeChineseChars: bool('tokenize_chinese_chars', true),
    unkToken: token('unk_token', '[UNK]'),
    clsToken: token('cls_token', '[CLS]'),
    sepToken: token('sep_token', '[SEP]'),
    padToken: token('pad_token', '[PAD]'),
    maskToken: token('mask_token', '[MASK]'),
  };
}

/**
 * vocab.txt's tokens by id, as transformers' load_vocab reads it: each line without its end is a
 * token (a repeated token keeps its last line, as the dict there does). Lines end as Python's
 * readlines() in text mode ends them (universal newlines): at "\r\n", "\r" or "\n".
 */
export function readVocabTxt(bytes: Uint8Array, file = 'vocab.txt'): Map<string, number> {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    // the first byte that breaks UTF-8, for the message
    let at = 0;
    for (let step = 4096; at < bytes.length; at += step) {
      try { strictUtf8.decode(bytes.subarray(0, Math.min(bytes.length, at + step))); } catch { if (step === 1) break; at -= step; step = Math.max(1, step >> 4); }
    }
    throw new FormatError(`${file}: not UTF-8 text (near byte ${at})`, 'vocab', at);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new FormatError(`${file}: no tokens`, 'vocab', 0);
  const vocab = new Map<string, number>();
  lines.forEach((line, i) => vocab.set(line, i));
  return vocab;
}

export function vocabTxtTokenizerJson(vocab: Map<string, number>, s: BertSettings, file = 'vocab.txt'): Record<string, unknown> {
  for (const [what, token] of [['unk_token', s.unkToken], ['cls_token', s.clsToken], ['sep_token', s.sepToken]] as const) {
    if (!vocab.has(token)) throw new FormatError(`${file}: the ${what} ${JSON.stringify(token)} is not one of its tokens`, what, 0);
  }
  const special = [s.padToken, s.unkToken, s.clsToken, s.sepToken, s.maskToken].filter((t, i, all) => vocab.has(t) && all.indexOf(t) === i);
  const id = (t: string) => vocab.get(t)!;
  const tok = (t: string, typeId: number) => ({ SpecialToken: { id: t, type_id: typeId } });
  const seq = (which: 'A' | 'B', typeId: number) => ({ Sequence: { id: which, type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special.map((content) => ({ id: id(content), content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: s.tokenizeChineseChars, strip_accents: s.stripAccents, lowercase: s.doLowerCase },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [tok(s.clsToken, 0), seq('A', 0), tok(s.sepToken, 0)],
      pair: [tok(s.clsToken, 0), seq('A', 0), tok(s.sepToken, 0), seq('B', 1), tok(s.sepToken, 1)],
      special_tokens: Object.fromEntries([s.clsToken, s.sepToken].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }])),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: s.unkToken, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(vocab) },
  };
}
