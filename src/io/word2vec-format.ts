// The word2vec file formats, as the C tool and gensim write them, on bytes (so the same code
// runs in Node and in browsers):
//   text:   "count dim\n", then count lines "word v1 v2 … vdim\n". The C tool and fastText's
//           .vec put a space before each newline; it is tolerated, as are CRLF line ends.
//   binary: "count dim\n", then per word its UTF-8 bytes, a space, dim little-endian float32
//           and a newline. The C tool writes that newline, gensim 4 does not: both are read.
// Every size the header claims is checked against the bytes that follow before the count×dim
// floats are allocated, so a corrupt or hostile header cannot ask for gigabytes.
import { FormatError } from './errors';
import { bomLength } from './json-bytes';

export type Word2VecFormat = 'text' | 'binary';

export interface Word2VecData {
  /** Words by row: word i owns vectors[i·dim, (i+1)·dim). */
  words: string[];
  dim: number;
  /** count×dim, row-major. */
  vectors: Float32Array;
}

export interface ParseWord2VecOptions {
  /** Default 'auto': detectWord2VecFormat decides. */
  format?: Word2VecFormat | 'auto';
}

const NL = 0x0a, CR = 0x0d, SPACE = 0x20, TAB = 0x09;
/** The header is two integers: anything longer than this is not a header. */
const MAX_HEADER_BYTES = 100;

// Invalid UTF-8 in a word becomes U+FFFD: the C tool cuts long words at a byte count, which can
// split a character, and one bad word should not make a whole model unreadable.
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const encoder = new TextEncoder();

export function parseWord2Vec(bytes: Uint8Array, options: ParseWord2VecOptions = {}): Word2VecData {
  if (!(bytes instanceof Uint8Array)) throw new Error('parseWord2Vec: bytes must be a Uint8Array');
  const format = options.format ?? 'auto';
  if (format !== 'auto' && format !== 'text' && format !== 'binary') {
    throw new Error(`parseWord2Vec: option format must be 'text', 'binary' or 'auto', got ${String(format)}`);
  }
  const f = format === 'auto' ? detectWord2VecFormat(bytes) : format;
  const header = readHeader(bytes, f);
  return f === 'text' ? parseText(bytes, header) : parseBinary(bytes, header);
}

/**
 * Text or binary, from the bytes of the first vector: in a text file they are printable ASCII
 * up to the end of the line, in a binary file (float32 bits) practically never. Files with
 * dim = 1 are the one case where a binary vector can look like text: pass the format for those.
 */
export function detectWord2VecFormat(bytes: Uint8Array): Word2VecFormat {
  const { dim, start } = readHeader(bytes, 'file');
  const space = bytes.indexOf(SPACE, start);
  if (space < 0) return 'text';
  const end = Math.min(bytes.length, space + 1 + 4 * dim);
  if (space + 1 < end && bytes[space + 1] === NL) return 'binary';
  for (let p = space + 1; p < end; p++) {
    const b = bytes[p]!;
    if (b === NL) break;
    if ((b < 0x20 || b > 0x7e) && b !== TAB && b !== CR) return 'binary';
  }
  return 'text';
}

/** The bytes of a word2vec file; words must be non-empty without whitespace, values finite. */
export function formatWord2Vec(data: { words: readonly string[]; dim: number; vectors: Float32Array }, format: Word2VecFormat): Uint8Array {
  const { words, dim, vectors } = data;
  if (format !== 'text' && format !== 'binary') throw new Error(`formatWord2Vec: format must be 'text' or 'binary', got ${String(format)}`);
  if (!Number.isSafeInteger(dim) || dim < 1) throw new Error(`formatWord2Vec: dim must be a positive integer, got ${String(dim)}`);
  if (!(vectors instanceof Float32Array)) throw new Error('formatWord2Vec: vectors must be a Float32Array');
  if (vectors.length !== words.length * dim) {
    throw new Error(`formatWord2Vec: vectors has ${vectors.length} floats, expected words·dim = ${words.length}·${dim} = ${words.length * dim}`);
  }
  words.forEach((w, i) => {
    if (typeof w !== 'string' || w.length === 0 || /[\s]/.test(w)) {
      throw new Error(`formatWord2Vec: word ${i} (${JSON.stringify(w)}) must be a non-empty string without whitespace, ` +
        'which the format uses as separator');
    }
  });
  for (let i = 0; i < vectors.length; i++) {
    if (!Number.isFinite(vectors[i]!)) {
      throw new Error(`formatWord2Vec: value ${i % dim} of word ${Math.floor(i / dim)} ("${words[Math.floor(i / dim)]}") is ${vectors[i]}; ` +
        'a word2vec file holds finite numbers only');
    }
  }
  const header = `${words.length} ${dim}\n`;
  return format === 'text' ? formatText(header, words, dim, vectors) : formatBinary(header, words, dim, vectors);
}

/**
 * The shortest decimal that reads back as the same float32 (and '-0' for negative zero), so a
 * text file round-trips bit for bit. The digits are binary-searched between 1 and 9 (9 always
 * round-trips an f32): whatever it returns round-trips, and it is the shortest but for values
 * next to a power of two, where it may be one digit longer.
 */
export function formatFloat32(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  let lo = 1, hi = 9;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (Math.fround(Number(x.toPrecision(mid))) === x) hi = mid;
    else lo = mid + 1;
  }
  return String(Number(x.toPrecision(lo)));
}

// --- reading --------------------------------------------------------------------------------

interface Header {
  /** 'text', 'binary' or 'file' (while detecting), for messages. */
  format: string;
  count: number;
  dim: number;
  /** Offset of the first byte after the header line. */
  start: number;
}

function fail(format: string, field: string, offset: number, what: string): FormatError {
  return new FormatError(`word2vec ${format}: ${what} (field ${field}, byte offset ${offset})`, field, offset);
}

function readHeader(bytes: Uint8Array, format: string): Header {
  const bom = bomLength(bytes);
  const end = bytes.indexOf(NL, bom);
  if (end < 0 || end - bom > MAX_HEADER_BYTES) {
    throw fail(format, 'header', bom, end < 0
      ? 'no header line "count dim" (the file has no newline)'
      : `no header line "count dim" (the first line is ${end - bom} bytes long)`);
  }
  const tokens: { text: string; at: number }[] = [];
  for (let p = bom; p < end;) {
    while (p < end && (bytes[p] === SPACE || bytes[p] === TAB || bytes[p] === CR)) p++;
    const at = p;
    while (p < end && bytes[p] !== SPACE && bytes[p] !== TAB && bytes[p] !== CR) p++;
    if (p > at) tokens.push({ text: decoder.decode(bytes.subarray(at, p)), at });
  }
  if (tokens.length !== 2) {
    throw fail(format, 'header', bom, `the header must be "count dim", got "${decoder.decode(bytes.subarray(bom, end)).trim()}"`);
  }
  const [c, d] = tokens as [{ text: string; at: number }, { text: string; at: number }];
  const count = /^\d+$/.test(c.text) ? Number(c.text) : NaN;
  if (!Number.isSafeInteger(count)) throw fail(format, 'count', c.at, `the word count must be a non-negative integer, got "${c.text}"`);
  const dim = /^\d+$/.test(d.text) ? Number(d.text) : NaN;
  if (!Number.isSafeInteger(dim) || dim < 1) throw fail(format, 'dim', d.at, `the dimension must be a positive integer, got "${d.text}"`);
  return { format, count, dim, start: end + 1 };
}

/** Throws unless `count` records of at least `minRecordBytes` each fit in what follows the header. */
function checkRoom(bytes: Uint8Array, h: Header, minRecordBytes: number, minBytes: number): void {
  const room = bytes.length - h.start;
  if (room < minBytes) {
    throw fail(h.format, 'count', h.start, `the header promises ${h.count} words of ${h.dim} values, which take at least ` +
      `${minBytes} bytes (${minRecordBytes} per word), but only ${room} bytes follow the header`);
  }
}

function parseText(bytes: Uint8Array, h: Header): Word2VecData {
  const { count, dim } = h;
  // The shortest record is "w 0 0 … 0": 2·dim + 1 bytes, and a newline between records.
  checkRoom(bytes, h, 2 * dim + 2, count === 0 ? 0 : count * (2 * dim + 2) - 1);
  const words: string[] = [];
  const vectors = new Float32Array(count * dim);
  const seen = new Map<string, number>();
  const n = bytes.length;
  let p = h.start;
  for (let i = 0; i < count; i++) {
    const line = i + 2;
    if (p >= n) throw fail('text', 'count', n, `the file ends after ${i} of the ${count} words the header promises`);
    let eol = bytes.indexOf(NL, p);
    if (eol < 0) eol = n;
    let q = p;
    while (q < eol && bytes[q] !== SPACE && bytes[q] !== TAB) q++;
    const word = decoder.decode(bytes.subarray(p, q));
    if (word.length === 0 || word === '\r') throw fail('text', 'word', p, `line ${line} has no word`);
    checkDuplicate('text', seen, word, i, p);
    let values = 0;
    for (;;) {
      while (q < eol && (bytes[q] === SPACE || bytes[q] === TAB || bytes[q] === CR)) q++;
      if (q >= eol) break;
      const s = q;
      let plain = true;
      for (; q < eol && bytes[q] !== SPACE && bytes[q] !== TAB && bytes[q] !== CR; q++) plain &&= isNumberByte(bytes[q]!);
      if (values < dim) vectors[i * dim + values] = parseValue(bytes, s, q, plain, word, line);
      values++;
    }
    if (values !== dim) {
      throw fail('text', 'values', p, `line ${line} (word "${word}") has ${values} values, expected dim = ${dim}`);
    }
    words.push(word);
    p = eol + 1;
  }
  return { words, dim, vectors };
}

/** Digits, sign, point and exponent: the bytes of a plain decimal number. */
function isNumberByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || b === 0x2b || b === 0x2d || b === 0x2e || b === 0x65 || b === 0x45;
}

function parseValue(bytes: Uint8Array, s: number, e: number, plain: boolean, word: string, line: number): number {
  // Plain decimals only: Number() alone would also take "0x1f", "Infinity" and "1_0" is refused anyway.
  const text = plain ? String.fromCharCode.apply(null, bytes.subarray(s, e) as unknown as number[]) : decoder.decode(bytes.subarray(s, e));
  const x = plain ? Number(text) : NaN;
  if (Number.isNaN(x)) {
    const special = /^[+-]?(nan|inf|infinity)$/i.test(text);
    throw fail('text', 'value', s, special
      ? `line ${line} (word "${word}") holds ${text}: vectors must be finite`
      : `line ${line} (word "${word}") holds "${text}", which is not a number`);
  }
  const f = Math.fround(x);
  if (!Number.isFinite(f)) {
    throw fail('text', 'value', s, `line ${line} (word "${word}") holds ${text}, which is infinite as a float32: vectors must be finite`);
  }
  return f;
}

function parseBinary(bytes: Uint8Array, h: Header): Word2VecData {
  const { count, dim } = h;
  const vectorBytes = 4 * dim;
  // The shortest record: a 1-byte word, the space, the floats (the newline is optional).
  checkRoom(bytes, h, vectorBytes + 2, count * (vectorBytes + 2));
  const words: string[] = [];
  const vectors = new Float32Array(count * dim);
  const seen = new Map<string, number>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  let p = h.start;
  for (let i = 0; i < count; i++) {
    // The newline that ends the previous record in the C tool's files (gensim strips it too).
    while (p < n && bytes[p] === NL) p++;
    const space = bytes.indexOf(SPACE, p);
    if (space < 0) {
      throw fail('binary', 'count', p, `the file ends in word ${i + 1} of the ${count} the header promises (no space after the word)`);
    }
    const word = decoder.decode(bytes.subarray(p, space));
    if (word.length === 0) throw fail('binary', 'word', p, `word ${i + 1} is empty`);
    checkDuplicate('binary', seen, word, i, p);
    const v = space + 1;
    if (v + vectorBytes > n) {
      throw fail('binary', 'count', v, `the file ends inside the vector of word ${i + 1} of ${count} ("${word}"): ` +
        `${n - v} of its ${vectorBytes} bytes are there`);
    }
    for (let j = 0; j < dim; j++) {
      const x = view.getFloat32(v + 4 * j, true);
      if (!Number.isFinite(x)) {
        throw fail('binary', 'value', v + 4 * j, `value ${j} of word ${i + 1} ("${word}") is ${x}: vectors must be finite`);
      }
      vectors[i * dim + j] = x;
    }
    words.push(word);
    p = v + vectorBytes;
  }
  return { words, dim, vectors };
}

function checkDuplicate(format: string, seen: Map<string, number>, word: string, i: number, offset: number): void {
  const first = seen.get(word);
  if (first !== undefined) {
    throw fail(format, 'word', offset, `word ${i + 1} ("${word}") is a duplicate of word ${first + 1}`);
  }
  seen.set(word, i);
}

// --- writing --------------------------------------------------------------------------------

function formatText(header: string, words: readonly string[], dim: number, vectors: Float32Array): Uint8Array {
  // Encoded a megabyte at a time: one string for a large model would be hundreds of MB.
  const chunks: Uint8Array[] = [encoder.encode(header)];
  let parts: string[] = [], length = 0;
  for (let i = 0; i < words.length; i++) {
    let line = words[i]!;
    for (let j = 0; j < dim; j++) line += ' ' + formatFloat32(vectors[i * dim + j]!);
    parts.push(line, '\n');
    length += line.length;
    if (length > 1 << 20) {
      chunks.push(encoder.encode(parts.join('')));
      parts = [];
      length = 0;
    }
  }
  chunks.push(encoder.encode(parts.join('')));
  return concat(chunks);
}

function formatBinary(header: string, words: readonly string[], dim: number, vectors: Float32Array): Uint8Array {
  const head = encoder.encode(header);
  const encoded = words.map((w) => encoder.encode(w));
  const size = head.length + encoded.reduce((s, w) => s + w.length + 2 + 4 * dim, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(head, 0);
  let p = head.length;
  for (let i = 0; i < words.length; i++) {
    out.set(encoded[i]!, p);
    p += encoded[i]!.length;
    out[p++] = SPACE;
    for (let j = 0; j < dim; j++, p += 4) view.setFloat32(p, vectors[i * dim + j]!, true);
    out[p++] = NL;
  }
  return out;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}
