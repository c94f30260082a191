// Corpus input: every kind of source a user may hand to word2vec (text, lines, token arrays,
// bytes from a file, a Blob or a stream) turned into one thing, an async stream of sentences
// as token arrays. Bytes are decoded as they arrive, so a multi-GB file is never read whole,
// and a line with no newline in sight is cut at whitespace rather than gathered into one
// string. The semantics follow gensim's LineSentence: a sentence is a line, tokens are split
// on whitespace, long sentences are cut into consecutive pieces of `maxSentenceLength`.
//
// The browser bundle is built with __BROWSER__ = true, which drops the Node branch (and its
// node:fs import) entirely.
declare const __BROWSER__: boolean;

export type CorpusSource =
  | string
  | Iterable<string | string[]>
  | AsyncIterable<string | string[]>
  | Blob
  | ReadableStream<Uint8Array>
  | { path: string | URL }
  /** A file: URL, read as a path (Node only). */
  | URL;

export interface SentencesOptions {
  /** Splits one line into tokens (default: runs of Unicode whitespace, as Python's str.split()). */
  tokenizer?: (line: string) => string[];
  /** Longer sentences are yielded as consecutive pieces (default 10000, gensim's MAX_WORDS_IN_BATCH). */
  maxSentenceLength?: number;
}

/** gensim's MAX_WORDS_IN_BATCH: its LineSentence cuts longer lines into pieces of this many words. */
export const MAX_SENTENCE_LENGTH = 10000;

/**
 * A line longer than this many characters is handed to the tokenizer in pieces, each cut at a
 * whitespace boundary, so a 100 MB line never becomes one JS string. A piece can only exceed it
 * by one input slice (SLICE_CHARS) or by a single token longer than the cap, which stays whole.
 */
export const LINE_CAP_CHARS = 1 << 20;

/** Decoded text is walked in slices of at most this many characters (substrings are cheap). */
const SLICE_CHARS = 1 << 16;

/** File reads, in bytes. */
const READ_CHUNK_BYTES = 1 << 16;

/**
 * The token arrays of each sentence of `source`, in order. A line (or string item) with no
 * tokens yields nothing, as in gensim's LineSentence. Token arrays from an iterable are used
 * as given (not copied) when they fit in `maxSentenceLength`.
 */
export async function* sentences(source: CorpusSource, options: SentencesOptions = {}): AsyncGenerator<string[]> {
  if (typeof options !== 'object' || options === null) throw new Error('sentences: options must be an object');
  const tokenizer = options.tokenizer;
  if (tokenizer !== undefined && typeof tokenizer !== 'function') {
    throw new Error(`sentences: option tokenizer must be a function (line: string) => string[], got ${describe(tokenizer)}`);
  }
  const maxLength = options.maxSentenceLength ?? MAX_SENTENCE_LENGTH;
  if (!Number.isSafeInteger(maxLength) || maxLength < 1) {
    throw new Error(`sentences: option maxSentenceLength must be a positive integer, got ${String(maxLength)}`);
  }
  const lines = new LineTokens(tokenizer ?? splitWhitespace, maxLength);
  const kind = kindOf(source);

  if (kind === 'items') {
    let index = 0;
    for await (const item of source as AsyncIterable<unknown> | Iterable<unknown>) {
      if (typeof item === 'string') {
        yield* lines.text(item, index);
        yield* lines.end(index);
      } else if (Array.isArray(item)) {
        yield* tokenArray(item, index, maxLength);
      } else {
        throw new Error(`sentences: sentence ${index} must be a string (a line) or an array of strings (tokens), ` +
          `got ${describe(item)}${item instanceof Uint8Array ? ' (for bytes, pass { path }, a Blob or a ReadableStream)' : ''}`);
      }
      index++;
    }
    return;
  }

  // Everything else is corpus text, one sentence per line.
  if (kind === 'string') {
    yield* lines.text(source as string);
  } else {
    for await (const chunk of decode(byteChunks(source, kind))) yield* lines.text(chunk);
  }
  yield* lines.end();
}

/** Python's str.split() whitespace: Unicode White_Space plus the separators U+001C..U+001F. */
const WHITESPACE = /[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

function isWhitespace(c: number): boolean {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c === 0x85 || c === 0xa0 || c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/** The default tokenizer: split on runs of whitespace, no empty tokens (as Python's str.split()). */
export function splitWhitespace(line: string): string[] {
  const parts = line.split(WHITESPACE);
  // Only the first and last parts can be empty (leading or trailing whitespace).
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length > 0 && parts[0] === '') parts.shift();
  return parts;
}

/**
 * Turns text, fed in chunks of any size, into sentences: splits lines on \n (dropping the \r of
 * \r\n), hands lines to the tokenizer in pieces of about LINE_CAP_CHARS cut at whitespace, and
 * yields the tokens of each line in sentences of at most `maxLength`.
 */
class LineTokens {
  /** The current line's text not yet given to the tokenizer. */
  private pending = '';
  /** pending[0 .. noSpaceBefore) holds no cut point: scans for one start past it, never twice. */
  private noSpaceBefore = 0;
  /** Tokens of the current line not yet yielded (fewer than maxLength). */
  private current: string[] = [];
  private lineNo = 0;

  constructor(private readonly tokenizer: (line: string) => string[], private readonly maxLength: number) {}

  /** Feeds text; `item` is the iterable's item index, for messages, when the text is one item. */
  *text(chunk: string, item?: number): Generator<string[]> {
    for (let s = 0; s < chunk.length; s += SLICE_CHARS) {
      const slice = chunk.length <= SLICE_CHARS ? chunk : chunk.slice(s, s + SLICE_CHARS);
      let start = 0;
      for (let nl = slice.indexOf('\n'); nl >= 0; nl = slice.indexOf('\n', start)) {
        let line = this.pending + slice.slice(start, nl);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        this.pending = '';
        this.noSpaceBefore = 0;
        yield* this.tokens(line, item);
        yield* this.endLine();
        start = nl + 1;
      }
      this.pending += start === 0 ? slice : slice.slice(start);
      if (this.pending.length > LINE_CAP_CHARS) yield* this.cut(item);
    }
  }

  /** Ends the input (or one iterable item): the last line needs no newline. */
  *end(item?: number): Generator<string[]> {
    let line = this.pending;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    this.pending = '';
    this.noSpaceBefore = 0;
    if (line.length > 0) yield* this.tokens(line, item);
    yield* this.endLine();
  }

  /**
   * Gives the tokenizer the pending text up to its last whitespace; the rest (which starts with
   * that whitespace, so a token cut by the cap stays whole) waits for more text.
   */
  private *cut(item?: number): Generator<string[]> {
    const p = this.pending;
    let k = p.length - 1;
    const stop = Math.max(this.noSpaceBefore, 1);
    while (k >= stop && !isWhitespace(p.charCodeAt(k))) k--;
    if (k < stop) {
      // One token longer than the cap: it stays whole, and this text is not scanned again.
      this.noSpaceBefore = p.length;
      return;
    }
    // The rest is one partial token after its whitespace: nothing in it to scan again.
    this.pending = p.slice(k);
    this.noSpaceBefore = this.pending.length;
    yield* this.tokens(p.slice(0, k), item);
  }

  private *tokens(text: string, item?: number): Generator<string[]> {
    const tokens = this.tokenizer(text);
    if (!Array.isArray(tokens)) {
      throw new Error(`sentences: the tokenizer must return an array of strings, got ${describe(tokens)} for ${this.where(item)}`);
    }
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (typeof t !== 'string') {
        throw new Error(`sentences: the tokenizer returned ${describe(t)} at position ${i} for ${this.where(item)}; tokens must be strings`);
      }
      this.current.push(t);
      if (this.current.length === this.maxLength) {
        yield this.current;
        this.current = [];
      }
    }
  }

  private *endLine(): Generator<string[]> {
    this.lineNo++;
    if (this.current.length > 0) {
      yield this.current;
      this.current = [];
    }
  }

  private where(item?: number): string {
    return item === undefined ? `line ${this.lineNo + 1}` : `sentence ${item}`;
  }
}

function* tokenArray(tokens: unknown[], index: number, maxLength: number): Generator<string[]> {
  for (let i = 0; i < tokens.length; i++) {
    if (typeof tokens[i] !== 'string') {
      throw new Error(`sentences: sentence ${index} has ${describe(tokens[i])} at position ${i}; tokens must be strings`);
    }
  }
  const words = tokens as string[];
  if (words.length <= maxLength) {
    if (words.length > 0) yield words;
    return;
  }
  for (let i = 0; i < words.length; i += maxLength) yield words.slice(i, i + maxLength);
}

type Kind = 'string' | 'items' | 'blob' | 'stream' | 'path';

/** Which kind of source this is, checked before anything is read. */
function kindOf(source: unknown): Kind {
  if (typeof source === 'string') return 'string';
  if (typeof source !== 'object' || source === null) {
    throw new Error(`sentences: corpus must be a string, an iterable or async iterable of lines or token arrays, ` +
      `a Blob, a ReadableStream or { path }, got ${describe(source)}`);
  }
  if (typeof URL !== 'undefined' && source instanceof URL) return 'path';
  if (typeof Blob !== 'undefined' && source instanceof Blob) return 'blob';
  if (typeof (source as ReadableStream).getReader === 'function') return 'stream';
  if (Symbol.asyncIterator in source || Symbol.iterator in source) return 'items';
  if ('path' in source) {
    const p = (source as { path: unknown }).path;
    if (typeof p === 'string' || (typeof URL !== 'undefined' && p instanceof URL)) return 'path';
    throw new Error(`sentences: corpus.path must be a string or a file: URL, got ${describe(p)}`);
  }
  throw new Error(`sentences: corpus must be a string, an iterable or async iterable of lines or token arrays, ` +
    `a Blob, a ReadableStream or { path }, got ${describe(source)}`);
}

/** UTF-8 decoding as bytes arrive; invalid bytes become U+FFFD (fatal: false), never an error. */
async function* decode(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  for await (const chunk of chunks) {
    const text = decoder.decode(chunk, { stream: true });
    if (text.length > 0) yield text;
  }
  // A sequence cut off by the end of the input is replaced too.
  const rest = decoder.decode();
  if (rest.length > 0) yield rest;
}

function byteChunks(source: unknown, kind: Kind): AsyncIterable<Uint8Array> {
  if (kind === 'blob') return streamChunks((source as Blob).stream());
  if (kind === 'stream') return streamChunks(source as ReadableStream<Uint8Array>);
  const p = source instanceof URL ? source : (source as { path: string | URL }).path;
  return fileChunks(p);
}

/** Reads a stream with a reader (async iteration of ReadableStream is missing in Safari). */
async function* streamChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  let done = false;
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) {
        done = true;
        return;
      }
      if (!(r.value instanceof Uint8Array)) {
        throw new Error(`sentences: the stream must yield Uint8Array chunks, got ${describe(r.value)}`);
      }
      yield r.value;
    }
  } finally {
    // The consumer stopped early (or failed): let the stream's source stop too.
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

async function* fileChunks(path: string | URL): AsyncGenerator<Uint8Array> {
  if (path instanceof URL && path.protocol !== 'file:') {
    throw new Error(`sentences: only file: URLs can be read as paths, got ${path.protocol} (fetch it and pass response.body)`);
  }
  if (!__BROWSER__ && typeof process !== 'undefined' && process.versions?.node) {
    const { createReadStream } = await import('node:fs');
    const stream = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
    try {
      for await (const chunk of stream) yield chunk as Uint8Array;
    } finally {
      stream.destroy();
    }
    return;
  }
  throw new Error('sentences: a file path corpus is Node-only; in a browser pass a Blob/File or a ReadableStream');
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x !== 'object') return typeof x;
  return (x as object).constructor?.name ?? 'object';
}
