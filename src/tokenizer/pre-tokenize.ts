// The library's pre-tokenizers, run on aligned strings: the same regular expressions (taken
// from the library's objects), giving pieces that keep their alignment. The pipeline compares
// the pieces' text with the library's own pre-tokens.
import { Aligned, isHigh, isLow, prependAligned, replaceAligned, stripAligned } from './aligned';
import type { Json, LibPreTokenizer } from './internals';

/** A pre-token, with where words start inside it (Metaspace's '▁', when HF would split there). */
export interface Piece {
  a: Aligned;
  /** Unit indices (> 0) inside the piece where a new word starts, as HF's pre-tokenizer would split. */
  wordStarts: number[];
}

export interface PreTokenizeOptions { section_index: number }

export function preTokenizeAligned(pt: LibPreTokenizer, config: Json, piece: Piece, options: PreTokenizeOptions): Piece[] {
  const type = config.type;
  const { a } = piece;
  switch (type) {
    case 'Sequence': {
      const configs = (config['pretokenizers'] ?? []) as (Json | null)[];
      let pieces = [piece];
      (pt.tokenizers ?? []).forEach((child, i) => {
        if (child) pieces = pieces.flatMap((p) => preTokenizeAligned(child, configs[i] ?? {}, p, options));
      });
      return pieces;
    }
    case 'BertPreTokenizer': {
      const lead = a.length - a.text.trimStart().length;
      const trimmed = stripAligned(a, true, true);
      return matches(trimmed.text, pattern(pt, type)).map(([s, e]) => slicePiece(piece, lead + s, lead + e));
    }
    case 'Whitespace':
      return matches(a.text, /\w+|[^\w\s]+/g).map(([s, e]) => slicePiece(piece, s, e));
    case 'WhitespaceSplit':
      return matches(a.text, /\S+/g).map(([s, e]) => slicePiece(piece, s, e));
    case 'Punctuation':
    case 'Digits':
      return matches(a.text, pattern(pt, type)).map(([s, e]) => slicePiece(piece, s, e));
    case 'Split': {
      if (!pt.pattern) return [];
      const cfg = pt.config ?? {};
      let ranges: [number, number][];
      if (cfg['invert']) ranges = matches(a.text, pt.pattern);
      else if (String(cfg['behavior'] ?? '').toLowerCase() === 'removed') ranges = splitRanges(a.text, pt.pattern);
      else ranges = isolatedRanges(a.text, pt.pattern);
      return ranges.filter(([s, e]) => e > s).map(([s, e]) => slicePiece(piece, s, e));
    }
    case 'ByteLevel':
      return byteLevel(pt, piece);
    case 'Metaspace':
      return [metaspace(pt, config, piece, options)];
    case 'Replace': {
      if (!pt.pattern) return [piece];
      const r = replaceAligned(a, pt.pattern, String(pt.config?.['content'] ?? ''));
      return [{ a: r, wordStarts: [] }];
    }
    case 'FixedLength': {
      const n = pt._length ?? 0;
      if (!(n > 0)) throw new Error(`tokenizer.json: pre_tokenizer FixedLength has length ${String(n)}`);
      const out: Piece[] = [];
      for (let i = 0; i < a.length; i += n) out.push(slicePiece(piece, i, Math.min(a.length, i + n)));
      return out;
    }
    default:
      throw new Error(`tokenizer.json: offsets are not supported for the pre-tokenizer type ${JSON.stringify(type)}`);
  }
}

function pattern(pt: LibPreTokenizer, type: string): RegExp {
  if (!(pt.pattern instanceof RegExp)) throw new Error(`tokenizer: the library's ${type} pre-tokenizer has no pattern`);
  return pt.pattern;
}

function slicePiece(p: Piece, s: number, e: number): Piece {
  return { a: p.a.slice(s, e), wordStarts: p.wordStarts.filter((w) => w > s && w < e).map((w) => w - s) };
}

function global(re: RegExp, extra = ''): RegExp {
  let flags = re.flags;
  for (const f of 'g' + extra) if (!flags.includes(f)) flags += f;
  return new RegExp(re.source, flags);
}

/** Ranges of the matches of `re` (as String.prototype.match with a global pattern). */
function matches(text: string, re: RegExp): [number, number][] {
  const out: [number, number][] = [];
  for (const m of text.matchAll(global(re))) if (m[0].length > 0) out.push([m.index, m.index + m[0].length]);
  return out;
}

/** The library's regex_split: the text between matches, and the matches. */
function isolatedRanges(text: string, re: RegExp): [number, number][] {
  const out: [number, number][] = [];
  let prev = 0;
  for (const m of text.matchAll(global(re))) {
    if (prev < m.index) out.push([prev, m.index]);
    if (m[0].length > 0) out.push([m.index, m.index + m[0].length]);
    prev = m.index + m[0].length;
  }
  if (prev < text.length) out.push([prev, text.length]);
  return out;
}

/**
 * String.prototype.split(re) as ranges, following the specification's @@split: pieces between
 * matches, plus the captured groups (the library wraps a String pattern in a group, so those
 * delimiters stay).
 */
function splitRanges(text: string, re: RegExp): [number, number][] {
  const splitter = new RegExp(re.source, [...new Set((re.flags + 'yd').replace('g', ''))].join(''));
  const unicode = re.flags.includes('u') || re.flags.includes('v');
  const size = text.length;
  const out: [number, number][] = [];
  if (size === 0) return out;
  const advance = (q: number) => (unicode && isHigh(text.charCodeAt(q)) && q + 1 < size && isLow(text.charCodeAt(q + 1)) ? q + 2 : q + 1);
  let p = 0, q = 0;
  while (q < size) {
    splitter.lastIndex = q;
    const z = splitter.exec(text);
    if (z === null) { q = advance(q); continue; }
    const e = Math.min(splitter.lastIndex, size);
    if (e === p) { q = advance(q); continue; }
    out.push([p, q]);
    const groups = z.indices ?? [];
    for (let g = 1; g < z.length; g++) {
      const r = groups[g];
      if (r) out.push([r[0], r[1]]);
    }
    p = e; q = p;
  }
  out.push([p, size]);
  return out;
}

/**
 * ByteLevel: an optional prefix space, the GPT-2 split, then each UTF-8 byte of a character as
 * one printable character; all the bytes of a character keep the character's range, so a token
 * ending inside a character gets the whole character.
 */
function byteLevel(pt: LibPreTokenizer, piece: Piece): Piece[] {
  let a = piece.a;
  if (pt.add_prefix_space && !a.text.startsWith(' ')) a = prependAligned(a, ' ');
  const encoder = pt.byte_encoder;
  if (!encoder) throw new Error('tokenizer: the library\'s ByteLevel pre-tokenizer has no byte encoder');
  const ranges: [number, number][] = pt.use_regex === false ? [[0, a.length]] : matches(a.text, pattern(pt, 'ByteLevel'));
  return ranges.map(([s, e]) => {
    let text = '';
    const starts: number[] = [], ends: number[] = [];
    for (let i = s; i < e; i++) {
      const c = a.text.charCodeAt(i);
      const pair = isHigh(c) && i + 1 < e && isLow(a.text.charCodeAt(i + 1));
      for (const byte of utf8(pair ? a.text.codePointAt(i)! : c)) {
        text += encoder[byte];
        starts.push(a.starts[i]!); ends.push(a.ends[i]!);
      }
      if (pair) i++;
    }
    return { a: new Aligned(text, starts, ends, a.at(s)), wordStarts: [] };
  });
}

/** UTF-8 bytes of a code point; a lone surrogate is U+FFFD, as TextEncoder writes it. */
export function utf8(cp: number): number[] {
  if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
}

/**
 * Metaspace: ' ' becomes '▁' (with the space's range), a '▁' is prepended (empty range) unless
 * the text starts with one. The library keeps the whole text as one pre-token; HF splits it
 * before each '▁' (unless split is false), which is where its words start.
 */
function metaspace(pt: LibPreTokenizer, config: Json, piece: Piece, options: PreTokenizeOptions): Piece {
  const replacement = pt.replacement ?? '\u2581';
  const rep = pt.str_rep ?? replacement;
  let a = replaceAligned(piece.a, / /g, rep);
  const scheme = pt.prepend_scheme ?? 'always';
  if (!a.text.startsWith(replacement) && (scheme === 'always' || (scheme === 'first' && options.section_index === 0))) {
    a = prependAligned(a, rep);
  }
  const wordStarts: number[] = [];
  if (config['split'] !== false && replacement.length > 0) {
    for (let i = a.text.indexOf(replacement, 1); i > 0; i = a.text.indexOf(replacement, i + 1)) wordStarts.push(i);
  }
  return { a, wordStarts };
}
