// A SentencePiece model as the tokenizer.json that transformers' SpmConverter writes
// (convert_slow_tokenizer.py): a Unigram model (pieces and scores, unk_id) or a BPE model (the
// pieces as vocabulary, merges ordered by the merged piece's score, fused unknowns, byte
// fallback); the character map as a Precompiled normalizer followed by SentencePiece's
// whitespace rules; Metaspace ('▁') as pre-tokenizer and decoder; control and user-defined
// pieces as added tokens. SentencePiece itself matches only the user-defined pieces in the text
// (before normalizing); control pieces (<s>, </s>) are matched here because the converter makes
// them special tokens, which the tokenizer library matches. The converter's post-processor
// (special tokens) and, for T5, the prepend scheme depend on the model family: see load.ts.
//
// Where this differs from the converter, it follows SentencePiece itself, the reference the
// tests compare with: the model file's add_dummy_prefix and remove_extra_whitespaces are
// honoured (the converter assumes both), and the character map is applied as SentencePiece
// applies it (precompiled.ts), not as the tokenizer library's approximation.
import { FormatError } from '../io/errors';
import { PrecompiledCharsmap } from './precompiled';
import { PieceType, type SentencePieceModel } from './sentencepiece-model';

export const SPIECE_UNDERLINE = '\u2581';

export interface SpmTokenizerJson {
  /** The tokenizer.json object (post_processor null: the caller adds the family's). */
  json: Record<string, unknown>;
  /** The model's character map, to put in place of the library's Precompiled approximation; null without one. */
  charsmap: PrecompiledCharsmap | null;
}

/** Throws a FormatError naming the model file for settings this library does not follow. */
export function sentencePieceTokenizerJson(m: SentencePieceModel): SpmTokenizerJson {
  const refuse = (what: string, field: string) => new FormatError(`${m.file}: ${what}`, field, 0);
  if (m.modelType !== 'unigram' && m.modelType !== 'bpe') {
    throw refuse(`a ${m.modelType.toUpperCase()} model; only Unigram and BPE SentencePiece models are supported`, 'trainer_spec.model_type');
  }
  if (m.treatWhitespaceAsSuffix) {
    throw refuse('treat_whitespace_as_suffix is set (\'▁\' ends words instead of starting them), which is not supported', 'trainer_spec.treat_whitespace_as_suffix');
  }
  if (!m.normalizer.escapeWhitespaces) {
    throw refuse('escape_whitespaces is off (spaces stay spaces instead of \'▁\'), which is not supported', 'normalizer_spec.escape_whitespaces');
  }
  if (m.modelType === 'unigram' && m.byteFallback) {
    throw refuse('a Unigram model with byte_fallback, which the tokenizer library cannot run (it has byte fallback for BPE only)', 'trainer_spec.byte_fallback');
  }
  const n = m.normalizer;
  const charsmap = n.precompiledCharsmap ? new PrecompiledCharsmap(n.precompiledCharsmap, m.file, n.charsmapOffset) : null;

  // SentencePiece's whitespace rules after the character map: leading and trailing whitespace
  // removed, runs of spaces made one. With the dummy prefix, the converter's trick: a run of
  // spaces becomes one '▁', so Metaspace neither doubles it nor prepends another at the start.
  const normalizers: Record<string, unknown>[] = [];
  if (charsmap) normalizers.push({ type: 'Precompiled', precompiled_charsmap: base64(n.precompiledCharsmap!) });
  if (n.removeExtraWhitespaces) {
    normalizers.push({ type: 'Strip', strip_left: !n.addDummyPrefix, strip_right: true });
    normalizers.push({ type: 'Replace', pattern: { Regex: ' {2,}' }, content: n.addDummyPrefix ? SPIECE_UNDERLINE : ' ' });
  }
  // 'first': after an added token in mid-text, no '▁' (SentencePiece adds its dummy prefix once,
  // at the start). The converter's own choice differs for legacy T5 (load.ts sets 'always').
  const prependScheme = n.addDummyPrefix ? 'first' : 'never';

  // Control pieces (<s>, </s>) are special, user-defined ones are not; both are matched whole,
  // before normalization. SentencePiece's prefix matcher does so for user-defined pieces only: a
  // control piece in the text is cut as characters by sp.encode, but matched by the converter's
  // tokenizer.json, whose special tokens these are.
  const added = m.pieces.flatMap((p, id) => (p.type === PieceType.Control || p.type === PieceType.UserDefined
    ? [{ id, content: p.piece, single_word: false, lstrip: false, rstrip: false, normalized: false, special: p.type === PieceType.Control }]
    : []));

  const unk = m.pieces[m.unkId]!.piece;
  const model = m.modelType === 'unigram'
    ? { type: 'Unigram', unk_id: m.unkId, vocab: m.pieces.map((p) => [p.piece, p.score]), byte_fallback: false }
    : {
      type: 'BPE', dropout: null, unk_token: unk, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: true, byte_fallback: m.byteFallback, ignore_merges: false,
      vocab: Object.fromEntries(m.pieces.map((p, i) => [p.piece, i])),
      merges: bpeMerges(m),
    };

  const decoder = m.byteFallback
    ? {
      type: 'Sequence', decoders: [
        { type: 'Replace', pattern: { String: SPIECE_UNDERLINE }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        ...(n.addDummyPrefix ? [{ type: 'Strip', content: ' ', start: 1, stop: 0 }] : []),
      ],
    }
    : n.addDummyPrefix
      ? { type: 'Metaspace', replacement: SPIECE_UNDERLINE, prepend_scheme: prependScheme, split: true }
      : { type: 'Replace', pattern: { String: SPIECE_UNDERLINE }, content: ' ' };

  const json: Record<string, unknown> = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: normalizers.length ? { type: 'Sequence', normalizers } : null,
    pre_tokenizer: { type: 'Metaspace', replacement: SPIECE_UNDERLINE, prepend_scheme: prependScheme, split: true },
    post_processor: null,
    decoder,
    model,
  };
  return { json, charsmap };
}

/**
 * transformers' generate_merges(vocab, vocab_scores): every split of every piece into two pieces
 * of the vocabulary, ordered by the merged piece's score (then the longer left part, the longer
 * right part), highest first; splits of one piece by the ids of their parts. SentencePiece's BPE
 * merges the pair whose merged piece scores best, which this order reproduces.
 */
export function bpeMerges(m: SentencePieceModel): [string, string][] {
  const id = new Map(m.pieces.map((p, i) => [p.piece, i]));
  const all: { l: string; r: string; score: number; ll: number; rl: number; order: number }[] = [];
  for (const { piece, score } of m.pieces) {
    const chars = [...piece];
    const local: { l: string; r: string }[] = [];
    for (let k = 1; k < chars.length; k++) {
      const l = chars.slice(0, k).join(''), r = chars.slice(k).join('');
      if (id.has(l) && id.has(r)) local.push({ l, r });
    }
    local.sort((a, b) => id.get(a.l)! - id.get(b.l)! || id.get(a.r)! - id.get(b.r)!);
    for (const { l, r } of local) all.push({ l, r, score, ll: [...l].length, rl: [...r].length, order: all.length });
  }
  // Python's sorted(..., reverse=True) is stable: equal keys keep their order
  all.sort((a, b) => b.score - a.score || b.ll - a.ll || b.rl - a.rl || a.order - b.order);
  return all.map(({ l, r }) => [l, r]);
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
