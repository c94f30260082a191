// Where each of the model's tokens lies in its pre-token. The tokens themselves are the
// library's (its model is called on the pre-tokens); this file only finds their extent:
// - WordPiece: pieces follow each other once the continuing prefix ("##") is taken off; an
//   unknown word is one unknown token over the whole word;
// - BPE: the merges (the library's bpe()) follow each other once end-of-word and continuing
//   suffixes are taken off; a merge missing from the vocabulary becomes byte tokens (each over
//   the character holding its byte) or one unknown token;
// - Unigram: the pieces are substrings of the pre-token, '▁' included;
// then the library's fusing of unknown tokens joins their ranges.
import { isHigh, isLow } from './aligned';
import type { LibModel } from './internals';
import type { Piece } from './pre-tokenize';
import { utf8 } from './pre-tokenize';

/** A model token and the units [s, e) of its piece (a fused token may run on to later pieces: `lastPiece`, `lastEnd`). */
export interface PieceToken {
  token: string;
  piece: number;
  s: number;
  e: number;
  /** The piece and unit where the token ends, when unknown tokens of several pieces were fused. */
  lastPiece: number;
  lastEnd: number;
}

export function modelTokens(model: LibModel, pieces: Piece[]): PieceToken[] {
  const raw: PieceToken[] = [];
  pieces.forEach((p, pi) => {
    for (const [token, s, e] of tokensOfPiece(model, p.a.text, p.a.at(0))) raw.push({ token, piece: pi, s, e, lastPiece: pi, lastEnd: e });
  });
  return model.fuse_unk ? fuse(model, raw) : raw;
}

/** `at`: where the pre-token starts in the text. */
function fail(at: number, text: string, what: string): never {
  throw new Error(`tokenizer: cannot place the model's tokens in the pre-token ${JSON.stringify(text.slice(0, 40))} at text position ${at}: ${what}`);
}

function tokensOfPiece(model: LibModel, text: string, pos: number): [string, number, number][] {
  if (typeof model.max_input_chars_per_word === 'number') return wordPiece(model, text, pos);
  if (typeof model.bpe === 'function') return bpe(model, text, pos);
  // Unigram, and models that return their pre-tokens (Legacy): substrings that follow each other
  const out = model.encode([text]);
  if (out.join('') !== text) {
    if (out.length === 1) return [[out[0]!, 0, text.length]];
    fail(pos, text, `its tokens ${JSON.stringify(out.slice(0, 8))} do not spell it`);
  }
  const res: [string, number, number][] = [];
  let at = 0;
  for (const t of out) { res.push([t, at, at + t.length]); at += t.length; }
  return res;
}

function wordPiece(model: LibModel, text: string, pos: number): [string, number, number][] {
  const out = model.encode([text]);
  if (out.length === 1 && out[0] !== undefined && out[0] === model.unk_token && text !== model.unk_token) return [[out[0], 0, text.length]];
  // the library builds continuing pieces as prefix + substring, whatever the prefix is
  const prefix = String(model.config['continuing_subword_prefix']);
  const res: [string, number, number][] = [];
  let at = 0;
  out.forEach((t, k) => {
    let surface = t;
    if (k > 0) {
      if (!t.startsWith(prefix)) fail(pos, text, `piece ${JSON.stringify(t)} lacks the prefix ${JSON.stringify(prefix)}`);
      surface = t.slice(prefix.length);
    }
    if (!text.startsWith(surface, at)) fail(pos, text, `piece ${JSON.stringify(t)} is not at unit ${at} of it`);
    res.push([t, at, at + surface.length]);
    at += surface.length;
  });
  if (at !== text.length) fail(pos, text, `its pieces end at unit ${at}`);
  return res;
}

function bpe(model: LibModel, text: string, pos: number): [string, number, number][] {
  const vocab = model.tokens_to_ids;
  if (model.ignore_merges && vocab.has(text)) return [[text, 0, text.length]];
  const merged = model.bpe!(text);
  const eow = model.end_of_word_suffix ?? '';
  const cont = model.continuing_subword_suffix ?? '';
  const res: [string, number, number][] = [];
  let at = 0;
  merged.forEach((t, k) => {
    let surface = t;
    if (k < merged.length - 1 && cont && surface.endsWith(cont)) surface = surface.slice(0, -cont.length);
    if (k === merged.length - 1 && eow && surface.endsWith(eow)) surface = surface.slice(0, -eow.length);
    if (!text.startsWith(surface, at)) fail(pos, text, `merge ${JSON.stringify(t)} is not at unit ${at} of it`);
    const s = at, e = at + surface.length;
    at = e;
    if (vocab.has(t)) { res.push([t, s, e]); return; }
    if (model.byte_fallback) {
      const bytes = [...new TextEncoder().encode(t)];
      const names = bytes.map((x) => `<0x${x.toString(16).toUpperCase().padStart(2, '0')}>`);
      if (names.every((x) => vocab.has(x))) {
        // byte i lies in the character of the surface holding it (bytes of a suffix: the last character)
        const chars: [number, number][] = [];
        for (let i = s; i < e; i++) {
          const pair = isHigh(text.charCodeAt(i)) && i + 1 < e && isLow(text.charCodeAt(i + 1));
          const n = utf8(pair ? text.codePointAt(i)! : text.charCodeAt(i)).length;
          for (let j = 0; j < n; j++) chars.push([i, i + (pair ? 2 : 1)]);
          if (pair) i++;
        }
        names.forEach((name, i) => {
          const r = chars[Math.min(i, chars.length - 1)] ?? [s, e];
          res.push([name, r[0], r[1]]);
        });
        return;
      }
    }
    if (model.unk_token != null) res.push([model.unk_token, s, e]);
  });
  if (at !== text.length) fail(pos, text, `its merges end at unit ${at}`);
  return res;
}

/** The library's fuse_unk: consecutive unknown tokens become one (the first), covering them all. */
function fuse(model: LibModel, arr: PieceToken[]): PieceToken[] {
  const ids = model.tokens_to_ids, unk = model.unk_token_id;
  const out: PieceToken[] = [];
  let i = 0;
  while (i < arr.length) {
    const first = { ...arr[i]! };
    out.push(first);
    if ((ids.get(first.token) ?? unk) !== unk) { i++; continue; }
    while (++i < arr.length && (ids.get(arr[i]!.token) ?? unk) === unk) {
      const next = arr[i]!;
      if (ids.get(first.token) !== unk) first.token += next.token;
      first.lastPiece = next.lastPiece;
      first.lastEnd = next.lastEnd;
    }
  }
  return out;
}
