// The fuzzer's mutations: a seeded generator, then byte-level edits (bit flips, runs of special
// bytes, truncation, splices), edits of the numbers written as text, and edits of JSON values
// (inflated, negative, huge and non-numeric numbers, wrong types, deep and huge values).
// Everything draws from one Rng, so an iteration is replayed from (seed, target, iteration).

/** xorshift128+ on 32-bit halves would do; sfc32 is smaller and passes PractRand. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9; this.b = 0x243f6a88; this.c = 0xb7e15162; this.d = seed >>> 0;
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : Math.floor((this.u32() / 2 ** 32) * n);
  }

  chance(p: number): boolean {
    return this.u32() / 2 ** 32 < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

/** The generator of one iteration: a hash of the run's seed, the target's name and the iteration. */
export function iterationRng(seed: number, target: string, iteration: number): Rng {
  let h = 0x811c9dc5 ^ seed;
  for (const ch of `${target}:${iteration}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return new Rng(Math.imul(h ^ iteration, 0x9e3779b1) ^ seed);
}

// --- bytes ------------------------------------------------------------------------------------

const SPECIAL_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x20, 0x0a, 0x0d, 0x09, 0x22, 0x5c, 0x7b, 0x5d, 0x2c, 0x3a, 0x30, 0x39, 0x2d, 0xc0, 0xef];

/** Numbers as text that break parsers: negatives, overflow of u32/i32/f32/safe integers, non-numbers. */
export const TEXT_NUMBERS = ['-1', '0', '1', '-0', '2147483648', '4294967295', '4294967296', '9007199254740993', '18446744073709551616',
  '1e9', '100000000', '99999999999999999999999', '1e309', '-1e309', '1e39', '3.5', '0.5', '1e-50', 'NaN', 'nan', 'inf', '-inf',
  'Infinity', '0x10', '1_0', '+5', '1e', '.', '', ' ', '00000000000000000001'];

/** Numbers as JSON values. */
export const JSON_NUMBERS = [0, -1, 1, 2, -0, 0.5, 1.5, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e308,
  -1e308, 1e15, 1e9, 65536, 1e-300, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];

export function flipBits(rng: Rng, b: Uint8Array): Uint8Array {
  if (b.length === 0) return b;
  const out = b.slice();
  for (let n = 1 + rng.int(4); n > 0; n--) out[rng.int(out.length)]! ^= 1 << rng.int(8);
  return out;
}

export function setRun(rng: Rng, b: Uint8Array): Uint8Array {
  if (b.length === 0) return b;
  const out = b.slice();
  const at = rng.int(out.length), len = 1 + rng.int(rng.chance(0.8) ? 8 : 256);
  const value = rng.chance(0.5) ? rng.pick(SPECIAL_BYTES) : -1;
  for (let i = at; i < Math.min(out.length, at + len); i++) out[i] = value < 0 ? rng.int(256) : value;
  return out;
}

export function truncate(rng: Rng, b: Uint8Array): Uint8Array {
  return b.slice(0, rng.int(b.length));
}

/** Copies a range of the bytes over another place, or inserts it there (duplicated records, overlaps). */
export function splice(rng: Rng, b: Uint8Array): Uint8Array {
  if (b.length < 2) return b;
  const from = rng.int(b.length), len = 1 + rng.int(Math.min(b.length - from, rng.chance(0.5) ? 64 : 4096));
  const to = rng.int(b.length);
  const chunk = b.slice(from, from + len);
  if (rng.chance(0.5)) {
    const out = b.slice();
    out.set(chunk.subarray(0, Math.min(chunk.length, out.length - to)), to);
    return out;
  }
  return concat([b.subarray(0, to), chunk, b.subarray(to)]);
}

export function deleteRange(rng: Rng, b: Uint8Array): Uint8Array {
  if (b.length < 2) return b;
  const at = rng.int(b.length), len = 1 + rng.int(Math.min(b.length - at, 64));
  return concat([b.subarray(0, at), b.subarray(at + len)]);
}

/** Replaces a run of ASCII digits (a count, a length, a value) with one of TEXT_NUMBERS. */
export function replaceNumber(rng: Rng, b: Uint8Array, limit = b.length): Uint8Array {
  const digits: number[] = [];
  for (let i = 0; i < Math.min(limit, b.length); i++) {
    const isDigit = b[i]! >= 0x30 && b[i]! <= 0x39;
    if (isDigit && (i === 0 || !(b[i - 1]! >= 0x30 && b[i - 1]! <= 0x39))) digits.push(i);
  }
  if (digits.length === 0) return flipBits(rng, b);
  const at = rng.pick(digits);
  let end = at;
  while (end < b.length && ((b[end]! >= 0x30 && b[end]! <= 0x39) || b[end] === 0x2e)) end++;
  return concat([b.subarray(0, at), new TextEncoder().encode(rng.pick(TEXT_NUMBERS)), b.subarray(end)]);
}

/** One to three byte-level mutations. */
export function mutateBytes(rng: Rng, b: Uint8Array): Uint8Array {
  const ops = [flipBits, flipBits, setRun, truncate, splice, deleteRange, (r: Rng, x: Uint8Array) => replaceNumber(r, x)];
  let out = b;
  for (let n = 1 + rng.int(3); n > 0; n--) out = rng.pick(ops)(rng, out);
  return out;
}

export function concat(chunks: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(chunks));
}

// --- JSON -------------------------------------------------------------------------------------

/** Nested arrays `depth` deep, as text: a stack-overflow probe for anything recursive. */
export function deepJsonText(depth: number): string {
  return '['.repeat(depth) + '0' + ']'.repeat(depth);
}

/** A value to put where another was: numbers, wrong types, deep and huge values. */
export function oddValue(rng: Rng): unknown {
  switch (rng.int(9)) {
    case 0: case 1: case 2: return rng.pick(JSON_NUMBERS);
    case 3: return rng.pick([null, true, false, '', 'F32', 'BF16', 'I64', 'x', '../x', '__proto__', 'toString']);
    case 4: return rng.pick(TEXT_NUMBERS);
    case 5: return [];
    case 6: return {};
    case 7: return Array.from({ length: rng.pick([1, 2, 3, 1000, 100_000]) }, () => rng.pick(JSON_NUMBERS));
    default: return JSON.parse(deepJsonText(rng.pick([4, 10, 40, 1000])));
  }
}

type Slot = { parent: Record<string, unknown> | unknown[]; key: string | number };

/** Up to `limit` places in a JSON value, each a parent and a key, in a random sample of the tree. */
function slots(rng: Rng, value: unknown, limit = 2000): Slot[] {
  const out: Slot[] = [];
  const visit = (v: unknown, depth: number) => {
    if (out.length >= limit || depth > 50 || v === null || typeof v !== 'object') return;
    const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v as object);
    // Big objects (a vocabulary) are sampled, not walked.
    const sample = entries.length > 64 ? Array.from({ length: 16 }, () => rng.pick(entries)) : entries;
    for (const [k, x] of sample) {
      out.push({ parent: v as Record<string, unknown>, key: k });
      visit(x, depth + 1);
    }
  };
  visit(value, 0);
  return out;
}

/** Edits one to three places of a (cloned) JSON value: replace, delete, add a key, swap, inflate a number. */
export function mutateJsonValue(rng: Rng, value: unknown): unknown {
  const root = { root: structuredClone(value) } as Record<string, unknown>;
  for (let n = 1 + rng.int(3); n > 0; n--) {
    const all = slots(rng, root['root']);
    if (all.length === 0) {
      root['root'] = oddValue(rng);
      continue;
    }
    const { parent, key } = rng.pick(all);
    const p = parent as Record<string | number, unknown>;
    const op = rng.int(10);
    if (op < 5) p[key] = oddValue(rng);
    else if (op === 5) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete p[key];
    } else if (op === 6 && !Array.isArray(parent)) p[rng.pick(['__proto__', 'x', '', 'constructor', String(key) + ' '])] = oddValue(rng);
    else if (op === 7) p[key] = structuredClone(rng.pick(all).parent);
    else {
      const x = p[key];
      // Numbers scaled, negated, nudged: sizes that disagree with the data, by a little or a lot.
      p[key] = typeof x === 'number' ? rng.pick([x + 1, x - 1, -x, x * 2, x * 1000, x + 2 ** 32, x / 2, x + 0.5]) : oddValue(rng);
    }
  }
  return root['root'];
}

/** A JSON text mutated: as a value (re-serialized), or as text (duplicate keys, deep nests, bytes). */
export function mutateJsonText(rng: Rng, text: string): Uint8Array {
  const enc = new TextEncoder();
  const op = rng.int(10);
  if (op < 6) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return mutateBytes(rng, enc.encode(text));
    }
    return enc.encode(JSON.stringify(mutateJsonValue(rng, value), null, rng.chance(0.5) ? 2 : undefined));
  }
  if (op === 6) {
    // A duplicated key: the first "key": of the text again, with another value.
    const m = /"([^"\\]{1,40})"\s*:/g;
    const keys = [...text.matchAll(m)];
    if (keys.length > 0) {
      const k = rng.pick(keys);
      return enc.encode(`${text.slice(0, k.index)}"${k[1]}": ${JSON.stringify(oddValue(rng))}, ${text.slice(k.index)}`);
    }
  }
  if (op === 7) {
    // A deep or huge value spliced in as text after a colon.
    const colons = [...text.matchAll(/:/g)];
    if (colons.length > 0) {
      const at = rng.pick(colons).index! + 1;
      const inner = rng.chance(0.5) ? deepJsonText(rng.pick([100, 10_000, 200_000])) : `[${'1e308,'.repeat(rng.pick([10, 100_000]))}1]`;
      const rest = text.slice(at).replace(/^\s*("[^"]*"|[^,}\]]*)/, '');
      return enc.encode(text.slice(0, at) + inner + rest);
    }
  }
  const bytes = enc.encode(text);
  return op === 8 ? replaceNumber(rng, bytes) : mutateBytes(rng, bytes);
}
