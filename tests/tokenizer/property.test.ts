// Random texts from each fixture's own vocabulary, with capitals, accents, punctuation and
// runs of whitespace: every token's range, normalized as the tokenizer normalizes, must spell
// the token; ranges must follow each other without overlapping; every character that is not
// whitespace must lie in some token's range.
import type { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { encode, type Encoding } from '../../src/tokenizer';
import { loadTokenizer } from './load';

function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const PUNCT = [',', '.', '!', '?', "'", '-', ';', '(', ')', ':'];
const SEPARATORS = [' ', ' ', ' ', '  ', '\t', '\n', ' \n ', ''];
const ACCENTS: Record<string, string[]> = { a: ['à', 'a\u0300'], e: ['é', 'e\u0301', 'ë'], i: ['ï'], o: ['ô', 'o\u0302'], u: ['ü'], c: ['ç'], n: ['ñ'] };

function randomText(rand: () => number, words: string[], extra: string[]): string {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  const parts: string[] = [];
  const n = 1 + Math.floor(rand() * 12);
  for (let k = 0; k < n; k++) {
    let w = rand() < 0.1 ? pick(extra) : pick(words);
    if (rand() < 0.2) w = w[0]!.toUpperCase() + w.slice(1);
    else if (rand() < 0.05) w = w.toUpperCase();
    if (rand() < 0.15) w = [...w].map((ch) => (ACCENTS[ch] && rand() < 0.5 ? pick(ACCENTS[ch]) : ch)).join('');
    parts.push(w);
    if (rand() < 0.3) parts.push(pick(PUNCT));
    parts.push(pick(SEPARATORS));
  }
  if (rand() < 0.2) parts.unshift(' ');
  return parts.join('');
}

/** Ranges in order, not overlapping (tokens cut from one character share its range); each non-space character covered. */
function checkRanges(e: Encoding, texts: string[]): void {
  for (const seq of [0, 1] as const) {
    const text = texts[seq];
    if (text === undefined) continue;
    const idx = e.sequenceIds.flatMap((s, i) => (s === seq ? [i] : []));
    let prev: [number, number] = [0, 0];
    for (const i of idx) {
      const [s, t] = e.offsets[i]!;
      expect(0 <= s && s <= t && t <= text.length, `range ${s}..${t} of ${JSON.stringify(e.tokens[i])} in ${JSON.stringify(text)}`).toBe(true);
      const shared = s === prev[0] && t === prev[1];
      expect(s >= prev[1] || shared, `${JSON.stringify(e.tokens[i])} ${s}..${t} after ${prev[0]}..${prev[1]} in ${JSON.stringify(text)}`).toBe(true);
      prev = [s, t];
    }
    const covered = new Uint8Array(text.length);
    for (const i of idx) covered.fill(1, e.offsets[i]![0], e.offsets[i]![1]);
    for (let c = 0; c < text.length; c++) {
      if (!/\s/.test(text[c]!)) expect(covered[c], `character ${c} ${JSON.stringify(text[c])} of ${JSON.stringify(text)} in no token`).toBe(1);
    }
  }
}

function vocabWords(tok: Tokenizer, clean: (t: string) => string | null): string[] {
  const words = new Set<string>();
  for (const t of tok.get_vocab().keys()) {
    const w = clean(t);
    if (w && /^[a-z]{2,}$/.test(w)) words.add(w);
  }
  return [...words];
}

describe('offsets of random texts spell their tokens', () => {
  it('WordPiece (BERT): lowercased, accents stripped, "##" off', () => {
    const tok = loadTokenizer('bert');
    const normalize = (s: string) => (tok as unknown as { normalizer: { normalize(s: string): string } }).normalizer.normalize(s);
    const words = vocabWords(tok, (t) => (t.startsWith('##') || t.startsWith('[') ? null : t));
    const rand = prng(1);
    for (let k = 0; k < 300; k++) {
      const text = randomText(rand, words, ['zyx', 'qwerty', '中文', '😀', 'naïveté']);
      const pair = rand() < 0.3 ? randomText(rand, words, ['blorp']) : undefined;
      const e = encode(tok, text, { pair });
      checkRanges(e, pair === undefined ? [text] : [text, pair]);
      e.tokens.forEach((t, i) => {
        const seq = e.sequenceIds[i];
        if (seq === null || t === '[UNK]') return;
        const slice = (seq === 0 ? text : pair!).slice(...e.offsets[i]!);
        expect(normalize(slice), `${JSON.stringify(t)} at ${e.offsets[i]} of ${JSON.stringify(text)}`).toBe(t.replace(/^##/, ''));
      });
    }
  });

  it('byte-level BPE: the token\'s bytes, spaces at its ends trimmed, are the range\'s', () => {
    const tok = loadTokenizer('tokenizers/byte-bpe');
    const encoder = (tok as unknown as { pre_tokenizer: { byte_encoder: Record<number, string> } }).pre_tokenizer.byte_encoder;
    const decoder = new Map(Object.entries(encoder).map(([b, c]) => [c, Number(b)]));
    const bytesOf = (t: string) => [...t].map((c) => decoder.get(c)!);
    const words = vocabWords(tok, (t) => (t.startsWith('\u0120') ? t.slice(1) : t));
    const utf8 = new TextDecoder('utf-8', { fatal: true });
    const rand = prng(2);
    for (let k = 0; k < 300; k++) {
      const text = randomText(rand, words, ['Ωmega', '😀🎉', '中文', 'ﬁne']);
      const e = encode(tok, text);
      checkRanges(e, [text]);
      e.tokens.forEach((t, i) => {
        if (e.sequenceIds[i] === null) return;
        let b = bytesOf(t);
        while (b[0] === 0x20) b = b.slice(1);
        while (b.at(-1) === 0x20) b = b.slice(0, -1);
        const slice = text.slice(...e.offsets[i]!);
        let decoded: string | null = null;
        try { decoded = utf8.decode(new Uint8Array(b)); } catch { /* part of a character */ }
        if (decoded !== null) expect(slice, `${JSON.stringify(t)} at ${e.offsets[i]} of ${JSON.stringify(text)}`).toBe(decoded);
        else {
          // a piece of one character: the range is that character, whose bytes hold the token's
          expect([...slice].length).toBe(1);
          expect(Buffer.from(slice).includes(Buffer.from(b))).toBe(true);
        }
      });
    }
  });

  it('Unigram (Precompiled, Replace, Metaspace): "▁" is a space of the text or none', () => {
    const tok = loadTokenizer('tokenizers/unigram');
    const normalize = (s: string) => (tok as unknown as { normalizer: { normalize(s: string): string } }).normalizer.normalize(s);
    const words = vocabWords(tok, (t) => t.replace(/^\u2581/, ''));
    const unk = tok.token_to_id('<unk>');
    const rand = prng(3);
    for (let k = 0; k < 300; k++) {
      const text = randomText(rand, words, ['Ωmega', '😀', 'zzq']);
      const e = encode(tok, text);
      checkRanges(e, [text]);
      e.tokens.forEach((t, i) => {
        if (e.sequenceIds[i] === null || e.ids[i] === unk) return;
        const slice = text.slice(...e.offsets[i]!);
        // the slice may hold a run of whitespace that the token's '▁' stands for, or none for a prepended '▁'
        const norm = normalize(slice).replace(/\s+/g, ' ');
        expect(norm.trim(), `${JSON.stringify(t)} at ${e.offsets[i]} of ${JSON.stringify(text)}`).toBe(t.replaceAll('\u2581', ' ').trim());
      });
    }
  });
});
