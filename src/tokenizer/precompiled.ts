// SentencePiece's precompiled character map, as its normalizer (normalizer.cc) applies it: a
// darts-clone double-array trie over UTF-8 byte strings, each key's value the offset of its
// replacement (a NUL-terminated UTF-8 string) in the blob after the trie. The text is read
// left to right; at each position the longest key that matches is replaced, else one character
// is kept as it is. @huggingface/tokenizers' Precompiled normalizer only approximates this map
// (NFKC and a few replacements); the loader puts this one in its place.
import { FormatError } from '../io/errors';

const utf8 = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class PrecompiledCharsmap {
  private readonly units: Uint32Array;
  private readonly normalized: Uint8Array;
  private readonly cache = new Map<string, string>();

  /**
   * @param blob normalizer_spec.precompiled_charsmap: a little-endian uint32 trie size in bytes,
   *   the trie's 32-bit units, then the replacement strings
   * @param file the model file's name, and `at` where the blob starts in it, for errors
   */
  constructor(blob: Uint8Array, private readonly file: string, private readonly at: number) {
    if (blob.length < 4) throw this.error(`the character map has ${blob.length} bytes, fewer than its 4-byte header`, 0);
    const size = new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getUint32(0, true);
    if (size % 4 !== 0 || size === 0 || size > blob.length - 4) {
      throw this.error(`the character map's trie size ${size} is not a positive multiple of 4 within its ${blob.length - 4} bytes`, 0);
    }
    // a copy, aligned for the Uint32Array (the blob sits at any offset of the file)
    this.units = new Uint32Array(size / 4);
    const view = new DataView(blob.buffer, blob.byteOffset + 4, size);
    for (let i = 0; i < this.units.length; i++) this.units[i] = view.getUint32(4 * i, true);
    this.normalized = blob.subarray(4 + size);
    this.validate();
  }

  /**
   * Every node of the trie, walked once at load (darts-clone shares common suffixes, so nodes
   * are reached more than once: each is visited the first time), each value a NUL-terminated
   * UTF-8 replacement inside the blob. So a bad map is refused when the model loads, not by the
   * first text that happens to reach the bad entry.
   */
  private validate(): void {
    const u = this.units;
    const checked = new Set<number>();
    const seen = new Set<number>();
    const stack = [offset(this.unit(0))];
    while (stack.length > 0) {
      const base = stack.pop()!;
      if (seen.has(base)) continue;
      seen.add(base);
      for (let b = 1; b < 256; b++) {
        const node = (base ^ b) >>> 0;
        if (node >= u.length) continue;
        const unit = u[node]!;
        if ((unit & 0x800000ff) >>> 0 !== b) continue;
        const next = (node ^ offset(unit)) >>> 0;
        if ((unit >>> 8) & 1) {
          const value = this.unit(next) & 0x7fffffff;
          if (!checked.has(value)) { this.replacement(value); checked.add(value); }
        }
        stack.push(next);
      }
    }
  }

  private error(what: string, offset: number): FormatError {
    return new FormatError(`${this.file}: ${what} (field normalizer_spec.precompiled_charsmap, byte offset ${this.at + offset})`,
      'normalizer_spec.precompiled_charsmap', this.at + offset);
  }

  /** The text with every match of the map replaced, as SentencePiece's Normalizer::NormalizePrefix. */
  normalize(text: string): string {
    if (text.length <= 16) {
      const hit = this.cache.get(text);
      if (hit !== undefined) return hit;
    }
    const bytes = utf8.encode(text);
    const out: Uint8Array[] = [];
    let copyFrom = 0;
    let p = 0;
    while (p < bytes.length) {
      const [length, value] = this.longestPrefix(bytes, p);
      if (length > 0) {
        if (copyFrom < p) out.push(bytes.subarray(copyFrom, p));
        out.push(this.replacement(value));
        p += length;
        copyFrom = p;
      } else {
        p += charLength(bytes[p]!);
      }
    }
    if (copyFrom === 0) return remember(this.cache, text, text);
    out.push(bytes.subarray(copyFrom));
    let n = 0;
    for (const o of out) n += o.length;
    const joined = new Uint8Array(n);
    n = 0;
    for (const o of out) { joined.set(o, n); n += o.length; }
    return remember(this.cache, text, decoder.decode(joined));
  }

  /**
   * darts-clone's commonPrefixSearch, keeping the longest match: [length in bytes, value], or
   * [0, 0] when no key is a prefix of bytes[p..].
   */
  private longestPrefix(bytes: Uint8Array, p: number): [number, number] {
    const u = this.units;
    let node = 0;
    let best: [number, number] = [0, 0];
    node ^= offset(this.unit(node));
    for (let i = p; i < bytes.length; i++) {
      const b = bytes[i]!;
      node ^= b;
      if (node >= u.length) return best;
      const unit = u[node]!;
      // label(unit) = unit & (0x80000000 | 0xff)
      if ((unit & 0x800000ff) >>> 0 !== b) return best;
      node ^= offset(unit);
      if ((unit >>> 8) & 1) {
        // has_leaf: the value sits in the unit at the new position
        best = [i - p + 1, this.unit(node) & 0x7fffffff];
      }
    }
    return best;
  }

  private unit(i: number): number {
    if (i >= this.units.length) throw this.error(`the character map's trie points to unit ${i}, past its ${this.units.length} units`, 4);
    return this.units[i]!;
  }

  private replacement(value: number): Uint8Array {
    const n = this.normalized;
    if (value >= n.length) throw this.error(`the character map points to replacement ${value}, past its ${n.length} bytes`, 4 + this.units.length * 4);
    let e = value;
    while (e < n.length && n[e] !== 0) e++;
    const r = n.subarray(value, e);
    // the replacement must be UTF-8, or the normalized text would not be a string
    try { decoder.decode(r); } catch { throw this.error(`the character map's replacement at ${value} is not valid UTF-8`, 4 + this.units.length * 4 + value); }
    return r;
  }
}

/** darts-clone's offset(unit): (unit >> 10) << ((unit & (1 << 9)) >> 6). */
function offset(unit: number): number {
  return ((unit >>> 10) << ((unit & (1 << 9)) >>> 6)) >>> 0;
}

/** Bytes of the UTF-8 character starting with byte `b` (TextEncoder writes only valid UTF-8). */
function charLength(b: number): number {
  return b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
}

function remember(cache: Map<string, string>, key: string, value: string): string {
  if (key.length <= 16 && cache.size < 50_000) cache.set(key, value);
  return value;
}
