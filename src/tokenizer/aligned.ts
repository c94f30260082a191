// A string being normalized, with where each of its UTF-16 units came from in the original
// text: Hugging Face's NormalizedString, in JS string indices. Every transformation here
// builds the new string together with its alignment; `reconcile` then makes the string exactly
// the one the tokenizer library produced (so ids never depend on this file), keeping the
// alignment wherever the two agree.
//
// Alignment rules, after tokenizers' normalizer.rs:
// - a character that replaces one keeps that one's range; one that replaces several (a
//   composition, or a character whose combining marks were removed) gets the range of all;
// - characters that expand from one (NFD, ligatures, "İ" lowercased, CJK padding) share its range;
// - a replacement (Replace, Metaspace's ' ' → '▁') takes the range of the last matched character;
// - prepended text (Prepend, Metaspace's and ByteLevel's prefix) maps to an empty range at the
//   start of the text: it has no counterpart there. (Released HF tokenizers give it the first
//   character's range, so a lone '▁' token overlaps the next token; huggingface/tokenizers
//   #1775, fixed this way in PR #2149.)

export class Aligned {
  /**
   * @param text the current (normalized) string
   * @param starts for each UTF-16 unit of `text`, the start of its range in the original text
   * @param ends for each UTF-16 unit, the end of its range
   * @param origin where this string starts in the original text (for empty strings and prefixes)
   */
  constructor(readonly text: string, readonly starts: number[], readonly ends: number[], readonly origin: number) {}

  /** `text` as it is, found at `offset` in the original text; both units of a surrogate pair map to the pair. */
  static original(text: string, offset: number): Aligned {
    const starts = new Array<number>(text.length);
    const ends = new Array<number>(text.length);
    for (let i = 0; i < text.length; i++) {
      const pair = isHigh(text.charCodeAt(i)) && i + 1 < text.length && isLow(text.charCodeAt(i + 1));
      const w = pair ? 2 : 1;
      for (let j = 0; j < w; j++) { starts[i + j] = offset + i; ends[i + j] = offset + i + w; }
      i += w - 1;
    }
    return new Aligned(text, starts, ends, offset);
  }

  get length(): number { return this.text.length; }

  slice(s: number, e: number): Aligned {
    return new Aligned(this.text.slice(s, e), this.starts.slice(s, e), this.ends.slice(s, e), this.at(s));
  }

  /** Original position at unit `i` (the end of the text past the last unit). */
  at(i: number): number {
    if (i < this.text.length) return this.starts[i]!;
    return this.text.length > 0 ? this.ends[this.text.length - 1]! : this.origin;
  }

  /** Original range of units [s, e): from the first unit's start to the last unit's end, as HF's expand_alignments. */
  range(s: number, e: number): [number, number] {
    if (e <= s) { const p = this.at(s); return [p, p]; }
    return [this.starts[s]!, Math.max(this.starts[s]!, this.ends[e - 1]!)];
  }
}

export function isHigh(c: number): boolean { return c >= 0xd800 && c <= 0xdbff; }
export function isLow(c: number): boolean { return c >= 0xdc00 && c <= 0xdfff; }

class Builder {
  private parts: string[] = [];
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  constructor(private readonly origin: number) {}
  /** Append `text`, every unit mapped to [s, e). */
  push(text: string, s: number, e: number): void {
    this.parts.push(text);
    for (let i = 0; i < text.length; i++) { this.starts.push(s); this.ends.push(e); }
  }
  copy(a: Aligned, s: number, e: number): void {
    this.parts.push(a.text.slice(s, e));
    for (let i = s; i < e; i++) { this.starts.push(a.starts[i]!); this.ends.push(a.ends[i]!); }
  }
  build(): Aligned { return new Aligned(this.parts.join(''), this.starts, this.ends, this.origin); }
}

/**
 * Clusters: a code point with the marks that follow it, which Unicode normalization, accent
 * stripping and case mapping treat together. Hangul jamo vowels and finals, and halfwidth kana
 * voicing marks, are not marks but compose with what precedes them.
 */
const CLUSTER = /[\s\S][\p{M}\u1160-\u11ff\ud7b0-\ud7ff\uff9e\uff9f]*/gu;

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) { n++; if (isHigh(s.charCodeAt(i)) && i + 1 < s.length && isLow(s.charCodeAt(i + 1))) i++; }
  return n;
}

/**
 * Apply a normalization that works cluster by cluster (case mapping, Unicode forms, accent
 * stripping, BertNormalizer, the precompiled charsmap): a cluster left as it is keeps its
 * alignment; one mapped to as many code points maps them one to one; otherwise every output
 * unit gets the cluster's whole range. Where context changes the result (a final sigma, Hangul
 * jamo composing across clusters) `reconcile` fixes the string afterwards.
 */
export function mapClusters(a: Aligned, f: (cluster: string) => string): Aligned {
  const b = new Builder(a.origin);
  const cache = new Map<string, string>();
  for (const m of a.text.matchAll(CLUSTER)) {
    const s = m.index, src = m[0], e = s + src.length;
    let out = cache.get(src);
    if (out === undefined) { out = f(src); cache.set(src, out); }
    if (out === src) { b.copy(a, s, e); continue; }
    if (out.length === 0) continue;
    if (codePoints(out) === codePoints(src)) {
      // one to one, code point by code point (a surrogate pair's two units move together)
      let i = s;
      for (let j = 0; j < out.length; j++) {
        const pair = isHigh(out.charCodeAt(j)) && j + 1 < out.length && isLow(out.charCodeAt(j + 1));
        const srcPair = isHigh(a.text.charCodeAt(i)) && i + 1 < e && isLow(a.text.charCodeAt(i + 1));
        const lo = a.starts[i]!, hi = a.ends[srcPair ? i + 1 : i]!;
        b.push(out.slice(j, j + (pair ? 2 : 1)), lo, hi);
        j += pair ? 1 : 0;
        i += srcPair ? 2 : 1;
      }
      continue;
    }
    let lo = Infinity, hi = -Infinity;
    for (let i = s; i < e; i++) { lo = Math.min(lo, a.starts[i]!); hi = Math.max(hi, a.ends[i]!); }
    b.push(out, lo, hi);
  }
  return b.build();
}

/**
 * Replace every match of `pattern` with `content`, as NormalizedString::replace: the content's
 * characters all take the range of the last matched character (an empty match, of the one
 * before it).
 */
export function replaceAligned(a: Aligned, pattern: RegExp, content: string): Aligned {
  const re = pattern.global ? new RegExp(pattern.source, pattern.flags) : new RegExp(pattern.source, pattern.flags + 'g');
  const b = new Builder(a.origin);
  let prev = 0;
  for (const m of a.text.matchAll(re)) {
    const s = m.index, e = s + m[0].length;
    b.copy(a, prev, s);
    const last = e > s ? e - 1 : s - 1;
    if (content.length > 0) {
      if (last >= 0) b.push(content, a.starts[last]!, a.ends[last]!);
      else b.push(content, a.at(0), a.at(0));
    }
    prev = e;
  }
  b.copy(a, prev, a.length);
  return b.build();
}

/** Remove leading and/or trailing whitespace (JS's definition, as the library's trim); the rest keeps its alignment. */
export function stripAligned(a: Aligned, left: boolean, right: boolean): Aligned {
  const s = left ? a.length - a.text.trimStart().length : 0;
  const e = right ? a.text.trimEnd().length : a.length;
  return e <= s ? new Aligned('', [], [], a.at(s)) : a.slice(s, e);
}

/** Prepend `prefix`, mapped to an empty range where the text starts. */
export function prependAligned(a: Aligned, prefix: string): Aligned {
  const b = new Builder(a.origin);
  const p = a.at(0);
  b.push(prefix, p, p);
  b.copy(a, 0, a.length);
  return b.build();
}

/** Largest edit distance the exact diff explores; beyond it the differing middle is aligned as one block. */
const MAX_EDITS = 1000;

/**
 * Make `candidate`'s string exactly `target` (the library's result for the same step), keeping
 * the alignment of every unit the two share. The differences (context-dependent mappings,
 * a library quirk) are found with Myers' diff; a run of target units replacing candidate units
 * maps one to one when the runs have the same length, else each unit gets the whole run's
 * range; inserted units take the range of the unit before them.
 */
export function reconcile(candidate: Aligned, target: string): Aligned {
  const c = candidate.text;
  if (c === target) return candidate;
  let p = 0;
  while (p < c.length && p < target.length && c.charCodeAt(p) === target.charCodeAt(p)) p++;
  let q = 0;
  while (q < c.length - p && q < target.length - p && c.charCodeAt(c.length - 1 - q) === target.charCodeAt(target.length - 1 - q)) q++;
  const a = c.slice(p, c.length - q), t = target.slice(p, target.length - q);
  const matches = diffMatches(a, t, MAX_EDITS) ?? [];
  const starts: number[] = candidate.starts.slice(0, p);
  const ends: number[] = candidate.ends.slice(0, p);
  // walk the matched pairs, aligning the runs between them
  let i = 0, j = 0;
  const run = (i1: number, j1: number) => {
    const n = i1 - i, m = j1 - j;
    if (m === 0) return;
    if (n === m) {
      for (let k = 0; k < m; k++) { starts.push(candidate.starts[p + i + k]!); ends.push(candidate.ends[p + i + k]!); }
    } else if (n > 0) {
      let lo = Infinity, hi = -Infinity;
      for (let k = 0; k < n; k++) { lo = Math.min(lo, candidate.starts[p + i + k]!); hi = Math.max(hi, candidate.ends[p + i + k]!); }
      for (let k = 0; k < m; k++) { starts.push(lo); ends.push(hi); }
    } else {
      const before = starts.length > 0;
      const lo = before ? starts[starts.length - 1]! : candidate.at(p + i);
      const hi = before ? ends[ends.length - 1]! : candidate.at(p + i);
      for (let k = 0; k < m; k++) { starts.push(lo); ends.push(hi); }
    }
  };
  for (const [mi, mj] of matches) {
    run(mi, mj);
    starts.push(candidate.starts[p + mi]!); ends.push(candidate.ends[p + mi]!);
    i = mi + 1; j = mj + 1;
  }
  run(a.length, t.length);
  for (let k = c.length - q; k < c.length; k++) { starts.push(candidate.starts[k]!); ends.push(candidate.ends[k]!); }
  // the two units of a surrogate pair must map to one range
  for (let k = 0; k + 1 < target.length; k++) {
    if (isHigh(target.charCodeAt(k)) && isLow(target.charCodeAt(k + 1))) {
      const lo = Math.min(starts[k]!, starts[k + 1]!), hi = Math.max(ends[k]!, ends[k + 1]!);
      starts[k] = starts[k + 1] = lo; ends[k] = ends[k + 1] = hi;
      k++;
    }
  }
  return new Aligned(target, starts, ends, candidate.origin);
}

/**
 * Myers' O((N+M)D) diff of two strings: the pairs (i, j) of units kept in common, in order; null
 * when more than `maxEdits` edits would be needed.
 */
export function diffMatches(a: string, b: string, maxEdits: number): [number, number][] | null {
  const n = a.length, m = b.length;
  const rounds: Int32Array[] = [];
  for (let d = 0; d <= Math.min(n + m, maxEdits); d++) {
    const prev = rounds[d - 1];
    const cur = new Int32Array(2 * d + 1);
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (d === 0) x = 0;
      else if (k === -d || (k !== d && prev![k - 1 + d - 1]! < prev![k + 1 + d - 1]!)) x = prev![k + 1 + d - 1]!;
      else x = prev![k - 1 + d - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a.charCodeAt(x) === b.charCodeAt(y)) { x++; y++; }
      cur[k + d] = x;
      if (x >= n && y >= m) {
        rounds.push(cur);
        return backtrack(rounds, d, n, m);
      }
    }
    rounds.push(cur);
  }
  return null;
}

function backtrack(rounds: Int32Array[], dEnd: number, n: number, m: number): [number, number][] {
  const out: [number, number][] = [];
  let x = n, y = m;
  for (let d = dEnd; d > 0; d--) {
    const prev = rounds[d - 1]!;
    const v = (k: number) => prev[k + d - 1]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && v(k - 1) < v(k + 1)) ? k + 1 : k - 1;
    const prevX = v(prevK), prevY = prevX - prevK;
    while (x > prevX && y > prevY) { x--; y--; out.push([x, y]); }
    x = prevX; y = prevY;
  }
  while (x > 0 && y > 0) { x--; y--; out.push([x, y]); }
  return out.reverse();
}
