// JSON.parse on bytes, with what JSON.parse does not give: byte offsets for error messages, a
// bound on nesting (deep values overflow the stack of anything recursive that touches them
// later: JSON.stringify, String(), a tokenizer), strict UTF-8, and refused duplicate keys
// (which JSON.parse silently resolves to the last one). Used for the safetensors header, the
// shard index, config.json and tokenizer.json.
import type { FormatError } from './errors';

export interface JsonBytesOptions {
  /** The FormatError field for problems of the text itself (bad UTF-8, bad JSON, depth, duplicates). */
  field: string;
  /** Deepest nesting accepted, counting the outermost object as 1. */
  maxDepth: number;
  /** What the text is, for messages: 'the header', 'config.json'. */
  subject: string;
  /** Appended to the depth message, e.g. ' (a valid header nests 3)'. */
  depthNote?: string;
  /** Makes the error: the format's own message prefix. */
  fail: (field: string, offset: number, what: string) => FormatError;
}

export interface JsonBytes {
  value: unknown;
  /** Byte offset of every key at depth 1 ("name") and 2 ("name\0field"): the first, if repeated. */
  keys: Map<string, number>;
}

const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** 3 if the bytes start with a UTF-8 byte order mark (some editors write one), else 0. */
export function bomLength(bytes: Uint8Array): number {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
}

/** A JSON value for an error message: at most `max` characters, and never a stack overflow. */
export function showJson(v: unknown, max = 80): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch {
    return 'a value too deep to print';
  }
  if (s === undefined) return String(v);
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

export function parseJsonBytes(bytes: Uint8Array, start: number, end: number, o: JsonBytesOptions): JsonBytes {
  const bad = firstInvalidUtf8(bytes, start, end);
  if (bad >= 0) throw o.fail(o.field, bad, `${o.subject} is not valid UTF-8`);
  const text = strictDecoder.decode(bytes.subarray(start, end));
  const scan = scanJson(bytes, start, end, o);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // V8 names the position of some errors only ("Unexpected token" has none): find the byte here.
    const message = e instanceof Error ? e.message : String(e);
    throw o.fail(o.field, firstSyntaxError(bytes, start, end), `${o.subject} is not valid JSON: ${message}`);
  }
  if (scan.duplicate) throw scan.duplicate;
  return { value, keys: scan.keys };
}

/** An open object or array; `path` is the top-level key it belongs to, `last` the last key read. */
interface Frame { object: boolean; expectKey: boolean; keys: Set<string>; path: string; last?: string }

function scanJson(bytes: Uint8Array, start: number, end: number, o: JsonBytesOptions):
  { keys: Map<string, number>; duplicate: FormatError | null } {
  const keys = new Map<string, number>();
  const stack: Frame[] = [];
  let duplicate: FormatError | null = null;
  for (let p = start; p < end; p++) {
    const b = bytes[p]!;
    if (b === 0x22 /* " */) {
      let q = p + 1;
      while (q < end && bytes[q] !== 0x22) q += bytes[q] === 0x5c /* \ */ ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.object && top.expectKey && q < end) {
        let key: string | undefined;
        try {
          key = JSON.parse(strictDecoder.decode(bytes.subarray(p, q + 1))) as string;
        } catch {
          // A bad escape: JSON.parse of the whole text reports it.
        }
        if (key !== undefined) {
          if (top.keys.has(key) && !duplicate) {
            duplicate = o.fail(o.field, p, `the key "${key}" appears twice in ${top.path === '' ? o.subject : `"${top.path}"`}`);
          }
          top.keys.add(key);
          if (stack.length === 1) {
            if (!keys.has(key)) keys.set(key, p);
          } else if (stack.length === 2 && !keys.has(`${top.path}\u0000${key}`)) keys.set(`${top.path}\u0000${key}`, p);
          top.expectKey = false;
          top.last = key;
        }
      }
      p = q;
    } else if (b === 0x7b /* { */ || b === 0x5b /* [ */) {
      const parent = stack[stack.length - 1];
      const path = stack.length === 1 && parent?.last !== undefined ? parent.last : (parent?.path ?? '');
      stack.push({ object: b === 0x7b, expectKey: b === 0x7b, keys: new Set(), path });
      if (stack.length > o.maxDepth) {
        throw o.fail(o.field, p, `${o.subject} nests deeper than ${o.maxDepth} levels${o.depthNote ?? ''}`);
      }
    } else if (b === 0x7d /* } */ || b === 0x5d /* ] */) {
      stack.pop();
    } else if (b === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.object) top.expectKey = true;
    }
  }
  return { keys, duplicate };
}

/** Offset of the first byte that breaks UTF-8 (overlongs, surrogates and > U+10FFFF included), or -1. */
function firstInvalidUtf8(bytes: Uint8Array, start: number, end: number): number {
  for (let p = start; p < end;) {
    const b = bytes[p]!;
    if (b < 0x80) { p++; continue; }
    let n: number, min: number, cp: number;
    if (b >= 0xc2 && b <= 0xdf) { n = 1; min = 0x80; cp = b & 0x1f; }
    else if (b >= 0xe0 && b <= 0xef) { n = 2; min = 0x800; cp = b & 0x0f; }
    else if (b >= 0xf0 && b <= 0xf4) { n = 3; min = 0x10000; cp = b & 0x07; }
    else return p;
    if (p + n >= end) return p;
    for (let i = 1; i <= n; i++) {
      const c = bytes[p + i]!;
      if ((c & 0xc0) !== 0x80) return p;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return p;
    p += n + 1;
  }
  return -1;
}

/**
 * The offset of the first byte at which bytes[start, end) stops being JSON (RFC 8259), or `end`
 * if the text ends early. Recursive, but only after scanJson has bounded the depth.
 */
function firstSyntaxError(bytes: Uint8Array, start: number, end: number): number {
  let p = start;
  const fail = (): never => {
    throw p;
  };
  const peek = () => (p < end ? bytes[p]! : -1);
  const ws = () => {
    while (p < end && (bytes[p] === 0x20 || bytes[p] === 0x09 || bytes[p] === 0x0a || bytes[p] === 0x0d)) p++;
  };
  const literal = (word: string) => {
    for (let i = 0; i < word.length; i++, p++) if (peek() !== word.charCodeAt(i)) fail();
  };
  const digits = () => {
    const from = p;
    while (peek() >= 0x30 && peek() <= 0x39) p++;
    if (p === from) fail();
  };
  const string = () => {
    p++; // the opening quote
    for (;;) {
      const b = peek();
      if (b < 0x20) fail(); // a control character, or the end
      p++;
      if (b === 0x22) return;
      if (b !== 0x5c) continue;
      const x = peek();
      if (x === 0x75 /* u */) {
        p++;
        for (let i = 0; i < 4; i++, p++) if (!/[0-9a-fA-F]/.test(String.fromCharCode(peek()))) fail();
      } else if ('"\\/bfnrt'.includes(String.fromCharCode(x)) && x >= 0) p++;
      else fail();
    }
  };
  const value = (): void => {
    ws();
    const b = peek();
    if (b === 0x7b /* { */) {
      p++;
      ws();
      if (peek() === 0x7d) {
        p++;
        return;
      }
      for (;;) {
        ws();
        if (peek() !== 0x22) fail();
        string();
        ws();
        if (peek() !== 0x3a /* : */) fail();
        p++;
        value();
        ws();
        if (peek() === 0x2c) { p++; continue; }
        if (peek() === 0x7d) { p++; return; }
        fail();
      }
    } else if (b === 0x5b /* [ */) {
      p++;
      ws();
      if (peek() === 0x5d) {
        p++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (peek() === 0x2c) { p++; continue; }
        if (peek() === 0x5d) { p++; return; }
        fail();
      }
    } else if (b === 0x22) string();
    else if (b === 0x74) literal('true');
    else if (b === 0x66) literal('false');
    else if (b === 0x6e) literal('null');
    else if (b === 0x2d || (b >= 0x30 && b <= 0x39)) {
      if (b === 0x2d) p++;
      if (peek() === 0x30) p++;
      else digits();
      if (peek() === 0x2e) { p++; digits(); }
      if (peek() === 0x65 || peek() === 0x45) {
        p++;
        if (peek() === 0x2b || peek() === 0x2d) p++;
        digits();
      }
    } else fail();
  };
  try {
    value();
    ws();
    return p < end ? p : start;
  } catch (at) {
    return Math.min(at as number, end);
  }
}
