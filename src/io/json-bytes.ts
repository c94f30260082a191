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
const encoder = new TextEncoder();

export function parseJsonBytes(bytes: Uint8Array, start: number, end: number, o: JsonBytesOptions): JsonBytes {
  const bad = firstInvalidUtf8(bytes, start, end);
  if (bad >= 0) throw o.fail(o.field, bad, `${o.subject} is not valid UTF-8`);
  const text = strictDecoder.decode(bytes.subarray(start, end));
  const scan = scanJson(bytes, start, end, o);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const position = /position (\d+)/.exec(message);
    // V8 names the position of some errors; "Unexpected end" is at the end; others: the start.
    const at = position ? start + encoder.encode(text.slice(0, Number(position[1]))).length
      : /end of JSON input/.test(message) ? end : start;
    throw o.fail(o.field, at, `${o.subject} is not valid JSON: ${message}`);
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
