// Tokenizing with offsets: the pipeline of @huggingface/tokenizers' Tokenizer.encode_text
// (added-token splitting on the raw text, normalizer, added tokens on the normalized text,
// pre-tokenizer, model, post-processor), run again with alignment: the normalized text is made
// the library's at every step, the pre-tokens are compared with the library's, and the whole
// encoding with the library's encode(), so ids and tokens are always the library's and an
// alignment that goes astray throws instead of giving wrong offsets.
import type { Tokenizer } from '@huggingface/tokenizers';
import { Aligned } from './aligned';
import type { Encoding, Offset } from './encoding';
import { idOf, internals, type Json, type LibTokenizer } from './internals';
import { modelTokens } from './model-align';
import { lowercaseAndRemoveAccentAligned, normalizeAligned, removeSpaceAligned } from './normalize';
import { preTokenizeAligned, type Piece } from './pre-tokenize';

export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';

export interface EncodeOptions {
  /** A second text (a question's context, a sentence pair); '' counts as none, as in the tokenizer library. */
  pair?: string | null;
  /** Add the post-processor's special tokens ([CLS], [SEP], <s>, </s>); default true. */
  addSpecialTokens?: boolean;
  /** Truncate to at most this many tokens, special tokens included (as HF's truncation=True, max_length). */
  maxLength?: number;
  /** Which text loses tokens when `maxLength` is exceeded; default 'longest_first' (HF's default). */
  truncation?: TruncationStrategy;
}

export interface WindowOptions {
  /** Tokens in each window, special tokens included (HF's max_length; the QA pipeline's max_seq_len). */
  maxLength: number;
  /** Tokens shared by consecutive windows (HF's stride; the QA pipeline's doc_stride). */
  stride: number;
}

/** One token of one text, before the post-processor places it. */
interface SeqToken { token: string; offset: Offset; word: number }

/**
 * Tokenize `text` (and `options.pair`) as `tokenizer.encode(text, { text_pair, add_special_tokens,
 * return_token_type_ids: true })` does — the same ids, tokens and segment ids, checked on every
 * call — and give each token its range in its text, its word and its sequence, as Hugging Face's
 * tokenizers define them. Offsets are JS string indices (UTF-16 units); HF's Python API counts
 * code points, which agrees for text without characters beyond U+FFFF.
 *
 * Throws an Error naming the text position when a token cannot be placed, rather than
 * returning a wrong offset.
 */
export function encode(tokenizer: Tokenizer, text: string, options: EncodeOptions = {}): Encoding {
  const { addSpecialTokens = true, maxLength, truncation = 'longest_first' } = options;
  if (typeof addSpecialTokens !== 'boolean') throw new Error(`addSpecialTokens must be a boolean, got ${String(addSpecialTokens)}`);
  const lib = internals(tokenizer);
  const { a, b, full } = encodeTexts(lib, text, options.pair ?? null, addSpecialTokens);
  if (maxLength === undefined) return hfTypeIds(lib, full);
  checkCount('maxLength', maxLength, 0);
  if (!['longest_first', 'only_first', 'only_second'].includes(truncation)) {
    throw new Error(`truncation must be 'longest_first', 'only_first' or 'only_second', got ${JSON.stringify(truncation)}`);
  }
  const added = addSpecialTokens ? specialCount(lib, b !== null) : 0;
  if (maxLength < added) throw new Error(`maxLength ${maxLength} is less than the ${added} special tokens the tokenizer adds`);
  const [n1, n2] = truncatedLengths(a.length, b?.length ?? null, maxLength - added, truncation);
  return hfTypeIds(lib, assemble(lib, a.slice(0, n1), b ? b.slice(0, n2) : null, addSpecialTokens));
}

/**
 * What Hugging Face's question-answering pipeline asks of the tokenizer (truncation
 * 'only_second', return_overflowing_tokens, stride): `first` (the question) whole in every
 * window, `second` (the context) cut into windows of as many tokens as fit in `maxLength` with
 * the special tokens, consecutive windows sharing `stride` tokens. Offsets, words and sequence
 * ids are those of the whole encoding. With `second` null the windows cut `first` alone (the
 * token-classification pipeline's stride).
 *
 * Throws when the first text and the special tokens leave no room for a token of the second, or
 * when `stride` is not less than that room.
 */
export function encodeWindows(tokenizer: Tokenizer, first: string, second: string | null, options: WindowOptions): Encoding[] {
  if (options === null || typeof options !== 'object') throw new Error('encodeWindows: options { maxLength, stride } are required');
  const { maxLength, stride } = options;
  checkCount('maxLength', maxLength, 1);
  checkCount('stride', stride, 0);
  if (second === '') throw new Error('second: an empty text; the tokenizer library would encode the first text alone');
  const lib = internals(tokenizer);
  const { a, b, full } = encodeTexts(lib, first, second, true);
  const added = specialCount(lib, b !== null);
  if (a.length + (b?.length ?? 0) + added <= maxLength) return [hfTypeIds(lib, full)];
  const target = b ?? a;
  const room = maxLength - added - (b ? a.length : 0);
  if (room < 1) {
    throw new Error(b
      ? `maxLength ${maxLength}: the first text takes ${a.length} tokens and the special tokens ${added}, which leaves no room for the second text`
      : `maxLength ${maxLength} leaves no room for a token beside the ${added} special tokens`);
  }
  if (stride >= room) throw new Error(`stride ${stride} must be less than the ${room} tokens of the ${b ? 'second ' : ''}text each window holds`);
  const windows: Encoding[] = [];
  for (let start = 0; ; start += room - stride) {
    const stop = Math.min(start + room, target.length);
    const part = target.slice(start, stop);
    windows.push(hfTypeIds(lib, b ? assemble(lib, a, part, true) : assemble(lib, part, null, true)));
    if (stop === target.length) break;
  }
  return windows;
}

function checkCount(name: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new Error(`${name} must be an integer of at least ${min}, got ${typeof value === 'number' ? value : JSON.stringify(value) ?? String(value)}`);
  }
}

/** HF's truncate_encodings (direction right): the lengths the two texts keep within `max` tokens. */
function truncatedLengths(n1: number, n2: number | null, max: number, strategy: TruncationStrategy): [number, number] {
  const total = n1 + (n2 ?? 0);
  if (total <= max) return [n1, n2 ?? 0];
  const remove = total - max;
  if (strategy === 'longest_first') {
    if (n2 === null) return [max, 0];
    const swap = n1 > n2;
    let short = Math.min(n1, n2), long = Math.max(n1, n2);
    long = short > max ? short : Math.max(short, max - short);
    if (short + long > max) { short = Math.floor(max / 2); long = short + (max % 2); }
    return swap ? [long, short] : [short, long];
  }
  if (strategy === 'only_second' && n2 === null) throw new Error("truncation 'only_second' needs a pair: no second text was given");
  const target = strategy === 'only_first' ? n1 : n2!;
  if (target <= remove) {
    throw new Error(`truncation '${strategy}': the ${strategy === 'only_first' ? 'first' : 'second'} text has ${target} tokens, too few to remove the ${remove} that exceed maxLength`);
  }
  return strategy === 'only_first' ? [n1 - remove, n2 ?? 0] : [n1, n2! - remove];
}

/** The tokens of both texts, each with its range and word; the whole encoding checked against the library's. */
function encodeTexts(lib: LibTokenizer, text: string, pair: string | null, addSpecialTokens: boolean): { a: SeqToken[]; b: SeqToken[] | null; full: Encoding } {
  if (typeof text !== 'string') throw new Error(`text must be a string, got ${text === null ? 'null' : typeof text}`);
  if (pair !== null && typeof pair !== 'string') throw new Error(`pair must be a string, got ${typeof pair}`);
  const trim = trimsOffsets(lib.tokenizer['post_processor'] as Json | null | undefined);
  const a = encodeSequence(lib, text, trim, 'text');
  // the library's tokenize_helper: `text_pair || null`
  const b = pair ? encodeSequence(lib, pair, trim, 'pair') : null;
  const ours = assemble(lib, a, b, addSpecialTokens);
  const theirs = lib.encode(text, { text_pair: pair || null, add_special_tokens: addSpecialTokens, return_token_type_ids: true });
  const n = Math.max(ours.tokens.length, theirs.tokens.length);
  for (let i = 0; i < n; i++) {
    if (ours.tokens[i] !== theirs.tokens[i] || ours.ids[i] !== theirs.ids[i]
      || (theirs.token_type_ids && ours.typeIds[i] !== theirs.token_type_ids[i])) {
      const seq = ours.sequenceIds[i];
      const where = seq === null || seq === undefined ? '' : `, at position ${ours.offsets[i]![0]} of the ${seq === 0 ? 'text' : 'pair'}`;
      throw new Error(`tokenizer: token ${i} disagrees with the tokenizer library (ours ${JSON.stringify(ours.tokens[i])}, `
        + `the library's ${JSON.stringify(theirs.tokens[i])}${where}); no offsets rather than wrong ones`);
    }
  }
  return { a, b, full: ours };
}

/**
 * Segment ids as Hugging Face's tokenizers set them, where the library differs: RobertaProcessing
 * makes every type id 0 ("Roberta is weird, and every encoding is type_id=0", roberta.rs), while
 * the library gives the pair's tokens 1. The rest of the encoding was checked against the library.
 */
function hfTypeIds(lib: LibTokenizer, enc: Encoding): Encoding {
  const pp = lib.tokenizer['post_processor'] as Json | null | undefined;
  if (pp && typeof pp === 'object' && pp.type === 'RobertaProcessing') enc.typeIds.fill(0);
  return enc;
}

/**
 * Whether the post-processor trims offsets (ByteLevel, RobertaProcessing): a token's range then
 * leaves out the spaces ('Ġ') at its ends, as HF's process_offsets. HF counts those spaces off
 * the range's ends; here the units themselves are skipped, which is the same for spaces of the
 * text and also right for the prefix space ByteLevel adds (HF keeps a first token's leading
 * space when add_prefix_space is set, even one that was in the text).
 */
function trimsOffsets(pp: Json | null | undefined): boolean {
  if (!pp || typeof pp !== 'object') return false;
  if (pp.type === 'ByteLevel' || pp.type === 'RobertaProcessing') return pp['trim_offsets'] !== false;
  if (pp.type === 'Sequence') return ((pp['processors'] ?? []) as Json[]).some((p) => trimsOffsets(p));
  return false;
}

const SPACE_CHAR = '\u0120'; // 'Ġ', the byte-level character of ' '
const WHITESPACE = /^\s$/u;
function isSpaceUnit(c: string): boolean { return c === SPACE_CHAR || WHITESPACE.test(c); }

interface Span { text: string; start: number; end: number; extStart: number; extEnd: number; token: boolean }

/**
 * The splitter's pieces (which spell the text) as spans, then the library's lstrip/rstrip of
 * the neighbours of added tokens. As in HF, a token with lstrip/rstrip covers the whitespace it
 * took from its neighbours.
 */
function spans(lib: LibTokenizer, pieces: string[], text: string, what: string): Span[] {
  const out: Span[] = [];
  let at = 0;
  for (const p of pieces) { out.push({ text: p, start: at, end: at + p.length, extStart: at, extEnd: at + p.length, token: false }); at += p.length; }
  if (at !== text.length || pieces.join('') !== text) throw new Error(`tokenizer: the library's added-token split of the ${what} does not spell it`);
  // as encode_text: each section is looked up as it stands when visited
  for (let i = 0; i < out.length; i++) {
    const added = lib.added_tokens_map.get(out[i]!.text);
    if (!added) continue;
    if (added.lstrip && i > 0) {
      const prev = out[i - 1]!, t = prev.text.trimEnd();
      prev.end -= prev.text.length - t.length; prev.text = t;
    }
    if (added.rstrip && i < out.length - 1) {
      const next = out[i + 1]!, t = next.text.trimStart();
      next.start += next.text.length - t.length; next.text = t;
    }
  }
  let claimed = 0;
  out.forEach((s, i) => {
    s.token = s.text.length > 0 && lib.added_tokens_map.has(s.text);
    if (!s.token) { s.extStart = s.start; s.extEnd = s.end; claimed = Math.max(claimed, s.end); return; }
    const added = lib.added_tokens_map.get(s.text)!;
    s.extStart = Math.max(claimed, added.lstrip && i > 0 ? Math.min(s.start, out[i - 1]!.end) : s.start);
    s.extEnd = added.rstrip && i < out.length - 1 ? Math.max(s.end, out[i + 1]!.start) : s.end;
    claimed = s.extEnd;
  });
  return out;
}

/** One text through the pipeline: its tokens with their ranges in the text and their words. */
function encodeSequence(lib: LibTokenizer, text: string, trim: boolean, what: string): SeqToken[] {
  const out: SeqToken[] = [];
  let word = 0;
  const sections = spans(lib, lib.splitter_unnormalized.split(text), text, what);
  sections.forEach((section, sectionIndex) => {
    if (section.text.length === 0) return;
    if (section.token) { out.push({ token: section.text, offset: [section.extStart, section.extEnd], word: word++ }); return; }
    let a = Aligned.original(section.text, section.start);
    if (lib.remove_space === true) a = removeSpaceAligned(a);
    if (lib.do_lowercase_and_remove_accent) a = lowercaseAndRemoveAccentAligned(a);
    if (lib.normalizer) a = normalizeAligned(lib.normalizer, a);
    if (a.length === 0) return;
    const subs = spans(lib, lib.splitter_normalized.split(a.text), a.text, `normalized ${what}`);
    for (const sub of subs) {
      if (sub.text.length === 0) continue;
      if (sub.token) {
        out.push({ token: sub.text, offset: a.range(sub.extStart, sub.extEnd), word: word++ });
        continue;
      }
      const root: Piece = { a: a.slice(sub.start, sub.end), wordStarts: [] };
      const pieces = lib.pre_tokenizer
        ? preTokenizeAligned(lib.pre_tokenizer, (lib.tokenizer['pre_tokenizer'] ?? {}) as Json, root, { section_index: sectionIndex })
        : [root];
      const expected = lib.pre_tokenizer ? lib.pre_tokenizer(sub.text, { section_index: sectionIndex }) : [sub.text];
      checkPieces(pieces, expected, what);
      // the model runs once, here; the library's own run is the encode() compared at the end
      const tokens = modelTokens(lib.model, pieces);
      const firstWord: number[] = [];
      for (const p of pieces) { firstWord.push(word); word += 1 + p.wordStarts.length; }
      // tokens come in order, so one pointer into each piece's word starts will do
      let piece = -1, next = 0;
      for (const t of tokens) {
        if (t.piece !== piece) { piece = t.piece; next = 0; }
        const starts = pieces[piece]!.wordStarts;
        while (next < starts.length && starts[next]! <= t.s) next++;
        out.push({ token: t.token, offset: tokenRange(pieces, t, trim), word: firstWord[piece]! + next });
      }
    }
  });
  return out;
}

function checkPieces(pieces: Piece[], expected: string[], what: string): void {
  const n = Math.max(pieces.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (pieces[i]?.a.text !== expected[i]) {
      const p = pieces[Math.min(i, pieces.length - 1)];
      throw new Error(`tokenizer: pre-token ${i} of the ${what} could not be aligned (ours ${JSON.stringify(pieces[i]?.a.text ?? null)}, `
        + `the library's ${JSON.stringify(expected[i] ?? null)}${p ? `, near position ${p.a.at(0)}` : ''})`);
    }
  }
}

function tokenRange(pieces: Piece[], t: { piece: number; s: number; lastPiece: number; lastEnd: number }, trim: boolean): Offset {
  const pa = pieces[t.piece]!.a;
  let s = t.s, e = t.lastEnd;
  if (t.piece !== t.lastPiece) {
    // unknown tokens fused across pre-tokens: from the first one's start to the last one's end
    const start = pa.at(s), end = pieces[t.lastPiece]!.a.range(0, e)[1];
    return [start, Math.max(start, end)];
  }
  if (trim) {
    const end = pa.range(s, e)[1];
    while (s < e && isSpaceUnit(pa.text[s]!)) s++;
    while (e > s && isSpaceUnit(pa.text[e - 1]!)) e--;
    // only spaces: an empty range at the token's end, as HF
    if (s === e) return [end, end];
  }
  return pa.range(s, e);
}

/** Special tokens the post-processor adds to one text, or to a pair. */
function specialCount(lib: LibTokenizer, pair: boolean): number {
  return layout(lib, 0, pair ? 0 : null, true).length;
}

type Slot = { seq: 0 | 1; i: number } | { special: string; typeId: number | undefined };

/**
 * Where the post-processor puts each token: it is run on markers standing for the two texts'
 * tokens (it only concatenates them with its special tokens), so whatever the template says,
 * each position is known to be a token of the text, of the pair, or a special token.
 */
function layout(lib: LibTokenizer, nA: number, nB: number | null, addSpecialTokens: boolean): (Slot & { typeId?: number })[] {
  const mark = (seq: string, i: number) => `\u0000wasm-nlp ${seq}${i}\u0000`;
  const A = Array.from({ length: nA }, (_, i) => mark('A', i));
  const B = nB === null ? null : Array.from({ length: nB }, (_, i) => mark('B', i));
  const r = lib.post_processor ? lib.post_processor(A, B, addSpecialTokens) : { tokens: [...A, ...(B ?? [])] };
  const types = r.token_type_ids;
  const seen = [0, 0];
  const slots = r.tokens.map((t, k): Slot & { typeId?: number } => {
    const m = typeof t === 'string' ? /^\u0000wasm-nlp ([AB])(\d+)\u0000$/.exec(t) : null;
    const typeId = types?.[k];
    if (!m) return { special: t, typeId };
    const seq = m[1] === 'A' ? 0 : 1, i = Number(m[2]);
    if (i !== seen[seq]) throw new Error('tokenizer: the post-processor reorders the tokens of a text');
    seen[seq]!++;
    return { seq, i, typeId };
  });
  if (seen[0] !== nA) throw new Error('tokenizer: the post-processor drops tokens of the text');
  if (nB !== null && seen[1] !== nB) {
    throw new Error(`tokenizer.json: the ${String((lib.tokenizer['post_processor'] as Json | null)?.type)} post-processor drops the second text in @huggingface/tokenizers 0.2.0; pairs cannot be encoded`);
  }
  return slots;
}

function assemble(lib: LibTokenizer, a: SeqToken[], b: SeqToken[] | null, addSpecialTokens: boolean): Encoding {
  const enc: Encoding = { ids: [], tokens: [], typeIds: [], offsets: [], sequenceIds: [], wordIds: [], specialTokensMask: [] };
  for (const slot of layout(lib, a.length, b ? b.length : null, addSpecialTokens)) {
    if ('special' in slot) {
      enc.tokens.push(slot.special);
      enc.ids.push(idOf(lib, slot.special));
      enc.typeIds.push(slot.typeId ?? 0);
      enc.offsets.push([0, 0]);
      enc.sequenceIds.push(null);
      enc.wordIds.push(null);
      enc.specialTokensMask.push(1);
      continue;
    }
    const t = (slot.seq === 0 ? a : b!)[slot.i]!;
    enc.tokens.push(t.token);
    enc.ids.push(idOf(lib, t.token));
    // without a post-processor the library gives no segment ids; HF's are 0 and 1 by text
    enc.typeIds.push(slot.typeId ?? slot.seq);
    enc.offsets.push([t.offset[0], t.offset[1]]);
    enc.sequenceIds.push(slot.seq);
    enc.wordIds.push(t.word);
    enc.specialTokensMask.push(0);
  }
  return enc;
}
