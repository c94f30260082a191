// Corpus input: every source kind gives the same sentences; lines, CRLF, invalid UTF-8, custom
// tokenizers, long lines streamed in pieces and sentence splitting, and the errors. Then what
// is refused as not text (binary files, other encodings), gzip, streams read once, and the
// corpus fingerprint a checkpoint records.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  corpusFingerprint, fnv1a64, gunzipWeb, invalidUtf8, LINE_CAP_CHARS, sentences, splitWhitespace, TEXT_CHECK_BYTES,
  type CorpusSource, type SentencesOptions,
} from '../../src/io/corpus';
import { rng } from '../kernel-tester';

const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-corpus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(source: CorpusSource, options?: SentencesOptions): Promise<string[][]> {
  const out: string[][] = [];
  for await (const s of sentences(source, options)) out.push(s);
  return out;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** A ReadableStream that delivers exactly these chunks, and records whether it was cancelled. */
function byteStream(chunks: Uint8Array[]): ReadableStream<Uint8Array> & { cancelled: boolean } {
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < chunks.length) c.enqueue(chunks[i++]!);
      else c.close();
    },
    cancel() {
      (stream as { cancelled?: boolean }).cancelled = true;
    },
  }) as ReadableStream<Uint8Array> & { cancelled: boolean };
  stream.cancelled = false;
  return stream;
}

const TEXT = 'the cat\r\nsat  on\tthe mat\n\n   \nend';
const SENTENCES = [['the', 'cat'], ['sat', 'on', 'the', 'mat'], ['end']];

describe('sources', () => {
  it('a string is corpus text: lines on \\n and \\r\\n, blank lines yield nothing', async () => {
    expect(await collect(TEXT)).toEqual(SENTENCES);
    expect(await collect(TEXT + '\r\n')).toEqual(SENTENCES);
    expect(await collect('')).toEqual([]);
  });

  it('the default tokenizer splits on every Unicode whitespace run, as Python str.split()', async () => {
    const line = ' a\u00a0b\u3000c\u2028d\u2003\u2003e\u000bf\u001fg\u0085h \u200bi ';
    // U+200B (zero width space) is not whitespace, in Unicode or in Python.
    expect(await collect(line)).toEqual([['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', '\u200bi']]);
    expect(splitWhitespace('')).toEqual([]);
    expect(splitWhitespace('   ')).toEqual([]);
  });

  it('arrays: strings are lines, token arrays are used as given (not copied)', async () => {
    const tokens = ['c', 'd'];
    const got = await collect(['a b', tokens, [], 'e\nf g']);
    expect(got).toEqual([['a', 'b'], ['c', 'd'], ['e'], ['f', 'g']]);
    expect(got[1]).toBe(tokens);
  });

  it('generators and async generators', async () => {
    function* gen() {
      yield 'the cat';
      yield ['sat', 'on', 'the', 'mat'];
      yield 'end';
    }
    async function* agen() {
      yield* gen();
    }
    const want = [['the', 'cat'], ['sat', 'on', 'the', 'mat'], ['end']];
    expect(await collect(gen())).toEqual(want);
    expect(await collect(agen())).toEqual(want);
  });

  it('a Blob (or File)', async () => {
    expect(await collect(new Blob([TEXT.slice(0, 11), TEXT.slice(11)]))).toEqual(SENTENCES);
    expect(await collect(new File([utf8(TEXT)], 'corpus.txt'))).toEqual(SENTENCES);
  });

  it('a ReadableStream, with a UTF-8 character and a \\r\\n cut across chunks', async () => {
    const bytes = utf8('café au\r\nlait\n');
    const e = bytes.indexOf(0xc3); // é is c3 a9
    const cr = bytes.indexOf(0x0d);
    const chunks = [bytes.slice(0, e + 1), bytes.slice(e + 1, cr + 1), bytes.slice(cr + 1)];
    expect(await collect(byteStream(chunks))).toEqual([['café', 'au'], ['lait']]);
    // A tokenizer that keeps whole lines shows the \r of \r\n is dropped, even across chunks.
    const whole = (line: string) => [line];
    expect(await collect(byteStream(chunks), { tokenizer: whole })).toEqual([['café au'], ['lait']]);
  });

  it('a file path, and a file: URL, streamed', async () => {
    const file = join(dir, 'small.txt');
    writeFileSync(file, TEXT);
    expect(await collect({ path: file })).toEqual(SENTENCES);
    expect(await collect(pathToFileURL(file))).toEqual(SENTENCES);
    expect(await collect({ path: pathToFileURL(file) })).toEqual(SENTENCES);
  });

  it('invalid UTF-8 is replaced with U+FFFD, not fatal, also at the very end', async () => {
    // 2 invalid sequences in 209 bytes: under the 1% that is refused (below) only with text around them.
    const text = utf8('x '.repeat(100) + '\n');
    const bytes = new Uint8Array([...text, 0x61, 0xff, 0x62, 0x20, 0x63, 0x0a, 0x64, 0xe2, 0x82]);
    const want = [Array(100).fill('x'), ['a\ufffdb', 'c'], ['d\ufffd']];
    expect(await collect(new Blob([bytes]), { allowBinary: false })).toEqual(want);
    const file = join(dir, 'invalid.txt');
    writeFileSync(file, bytes);
    expect(await collect({ path: file })).toEqual(want);
    // The short file alone is 2 invalid sequences in 9 bytes: allowBinary reads it as it is.
    expect(await collect(new Blob([bytes.subarray(text.length)]), { allowBinary: true })).toEqual(want.slice(1));
  });

  it('stopping early cancels a stream', async () => {
    // The first MiB is held until it is checked for text: the stream is cancelled after that.
    const middle = utf8('e f\n'.repeat(TEXT_CHECK_BYTES / 4 + 1));
    const stream = byteStream([utf8('a b\nc d\n'), middle, utf8('g h\n')]);
    for await (const s of sentences(stream)) {
      expect(s).toEqual(['a', 'b']);
      break;
    }
    expect(stream.cancelled).toBe(true);
    // Without the check nothing is held back.
    const small = byteStream([utf8('a b\nc d\n'), utf8('e f\n')]);
    for await (const s of sentences(small, { allowBinary: true })) {
      expect(s).toEqual(['a', 'b']);
      break;
    }
    expect(small.cancelled).toBe(true);
  });
});

describe('tokenizer and sentence length', () => {
  it('a custom tokenizer replaces the default, for text and string items, not for token arrays', async () => {
    const comma = (line: string) => line.split(',').filter((t) => t.length > 0);
    expect(await collect('a b,c\nd,,e', { tokenizer: comma })).toEqual([['a b', 'c'], ['d', 'e']]);
    expect(await collect(['x,y', ['p q']], { tokenizer: comma })).toEqual([['x', 'y'], ['p q']]);
  });

  it('maxSentenceLength cuts long sentences into consecutive pieces, lines and token arrays alike', async () => {
    const want = [['a', 'b', 'c'], ['d', 'e', 'f'], ['g'], ['h']];
    expect(await collect('a b c d e f g\nh', { maxSentenceLength: 3 })).toEqual(want);
    expect(await collect([['a', 'b', 'c', 'd', 'e', 'f', 'g'], ['h']], { maxSentenceLength: 3 })).toEqual(want);
    // Exactly the maximum gives one sentence, no empty piece after it.
    expect(await collect('a b c', { maxSentenceLength: 3 })).toEqual([['a', 'b', 'c']]);
  });

  it('the default maximum is 10000 tokens (gensim MAX_WORDS_IN_BATCH)', async () => {
    const line = Array.from({ length: 25000 }, (_, i) => `w${i}`).join(' ');
    const got = await collect(line);
    expect(got.map((s) => s.length)).toEqual([10000, 10000, 5000]);
    expect(got[2]![4999]).toBe('w24999');
  });
});

describe('long lines', () => {
  // Tokens of varied lengths and separators, so the 1 MiB cuts land inside tokens and inside
  // whitespace runs; about 5.2 MiB, no newline anywhere.
  const tokens: string[] = [];
  const parts: string[] = [];
  for (let i = 0, size = 0; size < 5.2 * 1024 * 1024; i++) {
    const t = `t${i}${'x'.repeat(i % 17)}`;
    const sep = i % 11 === 0 ? ' \t ' : ' ';
    tokens.push(t);
    parts.push(t, sep);
    size += t.length + sep.length;
  }
  const line = parts.join('');
  const file = join(dir, 'long-line.txt');
  writeFileSync(file, line);

  /** Compares the concatenated sentences with `tokens` without building one huge diff. */
  function expectTokens(got: string[][], max: number): void {
    let k = 0, wrong = -1;
    for (const s of got) {
      expect(s.length).toBeLessThanOrEqual(max);
      for (const t of s) {
        if (wrong < 0 && t !== tokens[k]) wrong = k;
        k++;
      }
    }
    expect(wrong, `first wrong token at ${wrong}`).toBe(-1);
    expect(k).toBe(tokens.length);
  }

  it('a 5 MiB line from a file comes in pieces of at most 1 MiB of text, tokens intact', async () => {
    let calls = 0, longest = 0;
    const spy = (text: string) => {
      calls++;
      longest = Math.max(longest, text.length);
      return splitWhitespace(text);
    };
    const got = await collect({ path: file }, { tokenizer: spy });
    // The line is never one string: the tokenizer sees at most the cap plus one 64 Ki slice.
    expect(longest).toBeLessThanOrEqual(LINE_CAP_CHARS + 65536);
    expect(calls).toBeGreaterThanOrEqual(5);
    expect(got.slice(0, -1).every((s) => s.length === 10000)).toBe(true);
    expectTokens(got, 10000);
  });

  it('the default tokenizer, and a string source, give the same tokens', async () => {
    expectTokens(await collect({ path: file }), 10000);
    expectTokens(await collect(line, { maxSentenceLength: 777 }), 777);
  });

  it('a single token longer than the cap stays whole', async () => {
    const huge = 'y'.repeat(LINE_CAP_CHARS + 300000);
    const got = await collect(byteStream([utf8('a '), utf8(huge.slice(0, 500000)), utf8(huge.slice(500000) + ' b\nc')]));
    expect(got.length).toBe(2);
    expect(got[0]!.length).toBe(3);
    expect(got[0]![0]).toBe('a');
    expect(got[0]![1]!.length).toBe(huge.length);
    expect(got[0]![1] === huge).toBe(true);
    expect(got[0]![2]).toBe('b');
    expect(got[1]).toEqual(['c']);
  });
});

describe('errors', () => {
  it('a token array with a non-string names the sentence and position', async () => {
    await expect(collect([['a'], ['b', 3 as unknown as string]])).rejects.toThrow('sentence 1 has number at position 1');
    await expect(collect([['a'], 7 as unknown as string])).rejects.toThrow('sentence 1 must be a string (a line) or an array of strings');
  });

  it('a tokenizer that does not return strings names the line', async () => {
    await expect(collect('a\nb', { tokenizer: () => 'x' as unknown as string[] }))
      .rejects.toThrow('the tokenizer must return an array of strings, got string for line 1');
    await expect(collect('a\nb', { tokenizer: (l) => (l === 'b' ? [1 as unknown as string] : [l]) }))
      .rejects.toThrow('the tokenizer returned number at position 0 for line 2');
    await expect(collect(['a', 'b'], { tokenizer: (l) => (l === 'b' ? [null as unknown as string] : [l]) }))
      .rejects.toThrow('for sentence 1');
  });

  it('bad options name the option and the value', async () => {
    await expect(collect('a', { tokenizer: 'split' as unknown as (l: string) => string[] }))
      .rejects.toThrow('option tokenizer must be a function (line: string) => string[], got string');
    await expect(collect('a', { maxSentenceLength: 0 })).rejects.toThrow('option maxSentenceLength must be a positive integer, got 0');
    await expect(collect('a', { maxSentenceLength: 2.5 })).rejects.toThrow('got 2.5');
    await expect(collect('a', { allowBinary: 'yes' as unknown as boolean })).rejects.toThrow('option allowBinary must be true or false, got yes');
  });

  it('unknown options are refused with the close names', async () => {
    await expect(collect('a', { maxSentenceLen: 5 } as SentencesOptions))
      .rejects.toThrow('sentences: unknown option maxSentenceLen (did you mean maxSentenceLength?)');
    await expect(collect('a', { allow_binary: true } as SentencesOptions)).rejects.toThrow('allow_binary (did you mean allowBinary?)');
    await expect(collect('a', { lowercase: true } as SentencesOptions))
      .rejects.toThrow('sentences: unknown option lowercase; the options are tokenizer, maxSentenceLength, allowBinary');
  });

  it('sources that are not corpora', async () => {
    await expect(collect(42 as unknown as string)).rejects.toThrow('sentences: corpus must be a string, an iterable');
    await expect(collect(null as unknown as string)).rejects.toThrow('got null');
    await expect(collect({ path: 5 } as unknown as CorpusSource)).rejects.toThrow('corpus.path must be a string or a file: URL, got number');
    await expect(collect(new URL('https://example.com/corpus.txt'))).rejects.toThrow('only file: URLs can be read as paths, got https:');
    // A Node stream of Buffers is an async iterable, but not of lines: the message says what to pass.
    await expect(collect(Readable.from([Buffer.from('a b')]))).rejects.toThrow('(for bytes, pass { path }, a Blob or a ReadableStream)');
    await expect(collect({ path: join(dir, 'missing.txt') })).rejects.toThrow('ENOENT');
  });
});

/** The first `n` bytes of a file. */
function head(path: string, n: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const b = new Uint8Array(n);
    return b.subarray(0, readSync(fd, b, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

describe('what is not text is refused before a word of it is used', () => {
  // The case: the first MB of an executable "trained" 388 words such as "\u0000\u0012\u0000".
  const exe = join(dir, 'executable');
  writeFileSync(exe, head(process.execPath, 1 << 20));
  const firstNul = head(process.execPath, 1 << 20).indexOf(0);

  it('an executable: its first NUL byte is named, and nothing is yielded', async () => {
    expect(firstNul).toBeGreaterThanOrEqual(0);
    let yielded = 0;
    const read = async () => { for await (const s of sentences({ path: exe })) yielded += s.length; };
    await expect(read()).rejects.toThrow(`corpus ${exe}: byte ${firstNul} is NUL (0x00): this is a binary file (or UTF-16), not UTF-8 text; pass allowBinary: true to read it anyway`);
    expect(yielded).toBe(0);
    // allowBinary: true reads it as before.
    expect((await collect({ path: exe }, { allowBinary: true })).length).toBeGreaterThan(0);
  });

  it('every byte source is checked: a Blob, a stream, a file: URL, a gzipped file; and a string', async () => {
    const bytes = new Uint8Array([...utf8('some text\n'), 0, ...utf8('more\n')]);
    await expect(collect(new Blob([bytes]))).rejects.toThrow('corpus (a Blob): byte 10 is NUL');
    await expect(collect(byteStream([bytes.subarray(0, 4), bytes.subarray(4)]))).rejects.toThrow('corpus (a ReadableStream): byte 10 is NUL');
    const file = join(dir, 'nul.txt');
    writeFileSync(file, bytes);
    await expect(collect(pathToFileURL(file))).rejects.toThrow(`corpus ${pathToFileURL(file).href}: byte 10 is NUL`);
    const gz = join(dir, 'nul.txt.gz');
    writeFileSync(gz, gzipSync(bytes));
    // Offsets are of the text, after gunzip.
    await expect(collect({ path: gz })).rejects.toThrow(`corpus ${gz}: byte 10 is NUL`);
    await expect(collect('some text\n\0more')).rejects.toThrow('sentences: the corpus string holds NUL (U+0000) at character 10');
    expect(await collect('a\0b', { allowBinary: true })).toEqual([['a\0b']]);
  });

  it('text in another encoding: more than 1% invalid UTF-8 is refused, naming the first offset and the share', async () => {
    // Latin-1 "é" is the byte e9 followed by ASCII: invalid UTF-8.
    const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
    const many = latin1('caf\xe9 cr\xe8me br\xfbl\xe9e\n'.repeat(50)); // 4 invalid in 18 bytes
    await expect(collect(new Blob([many]))).rejects.toThrow(
      `corpus (a Blob) is not UTF-8 text: 200 invalid sequences in its first ${many.length} bytes (22.2%, over 1%), the first at byte 3; convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8), or pass allowBinary: true`);
    // 1% exactly is accepted: 1 invalid byte in 100.
    const few = new Uint8Array([...utf8('a'.repeat(97) + ' '), 0xe9, 0x62]);
    expect(await collect(new Blob([few]))).toEqual([['a'.repeat(97), '\ufffdb']]);
    const over = new Uint8Array([...utf8('a'.repeat(96) + ' '), 0xe9, 0xe9, 0x62]);
    await expect(collect(new Blob([over]))).rejects.toThrow('2 invalid sequences in its first 100 bytes (2.0%, over 1%), the first at byte 97');
    // A string a decoder already replaced: the same share of U+FFFD.
    await expect(collect(new TextDecoder().decode(many))).rejects.toThrow('sentences: the corpus string is 22.2% U+FFFD');
  });

  it('only the first MiB is checked: a NUL past it is read (as a token character)', async () => {
    const bytes = new Uint8Array(TEXT_CHECK_BYTES + 8).fill(0x61);
    bytes.fill(0x20, 0, 1);
    bytes[TEXT_CHECK_BYTES + 3] = 0;
    const got = await collect(new Blob([bytes]));
    expect(got.flat().join('').includes('\0')).toBe(true);
  });

  it('invalidUtf8 counts what TextDecoder replaces, on random bytes', () => {
    const random = rng(13);
    const alphabet = [0x41, 0x80, 0xbf, 0xc2, 0xc0, 0xe0, 0xa0, 0xed, 0x9f, 0xf0, 0x90, 0xf4, 0x8f, 0xf5, 0xff, 0xe2, 0x82, 0xac];
    for (let t = 0; t < 3000; t++) {
      const n = 1 + Math.floor(random() * 12);
      // Ends in ASCII, so no sequence is cut by the end (those are not counted: they may go on).
      const bytes = Uint8Array.from({ length: n + 1 }, (_, i) => (i === n ? 0x41 : alphabet[Math.floor(random() * alphabet.length)]!));
      const decoded = new TextDecoder().decode(bytes);
      const want = [...decoded].filter((c) => c === '\ufffd').length;
      const got = invalidUtf8(bytes);
      expect([Array.from(bytes), got.count]).toEqual([Array.from(bytes), want]);
    }
    // The offset of the first: the byte where the first U+FFFD's sequence starts.
    expect(invalidUtf8(utf8('ab\u00e9c')).count).toBe(0);
    expect(invalidUtf8(new Uint8Array([0x61, 0x62, 0xc3, 0x28, 0xff]))).toEqual({ count: 2, first: 2 });
    // Cut at the end: not counted.
    expect(invalidUtf8(new Uint8Array([0x61, 0xe2, 0x82]))).toEqual({ count: 0, first: -1 });
  });
});

describe('gzip', () => {
  const text = 'the cat sat\non the mat\n'.repeat(2000) + 'end';
  const want = [...Array.from({ length: 2000 }, () => [['the', 'cat', 'sat'], ['on', 'the', 'mat']]).flat(), ['end']];

  it('a gzipped file, Blob or stream is read as its text, in any chunking', async () => {
    const gz = gzipSync(utf8(text));
    const file = join(dir, 'text.gz');
    writeFileSync(file, gz);
    expect(await collect({ path: file })).toEqual(want);
    expect(await collect(new Blob([gz]))).toEqual(want);
    // One byte first: the magic is split across chunks.
    expect(await collect(byteStream([gz.subarray(0, 1), gz.subarray(1, 100), gz.subarray(100)]))).toEqual(want);
  });

  it("the browsers' gunzip (DecompressionStream) gives the same bytes, and the same errors", async () => {
    const gz = gzipSync(utf8(text));
    async function* chunks(b: Uint8Array, size: number) {
      for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
    }
    const parts: Uint8Array[] = [];
    for await (const c of gunzipWeb(chunks(gz, 777), 'corpus x')) parts.push(c);
    expect(Buffer.concat(parts).toString('utf8')).toBe(text);
    const drain = async (b: Uint8Array) => { for await (const _ of gunzipWeb(chunks(b, 50), 'corpus x')) { /* read all */ } };
    await expect(drain(gz.subarray(0, 60))).rejects.toThrow('corpus x: the gzip data is corrupt or cut short (');
    // A failing source is its own error, not the gzip data's.
    async function* failing() {
      yield gz.subarray(0, 30);
      throw new Error('EIO: the disk went away');
    }
    await expect((async () => { for await (const _ of gunzipWeb(failing(), 'corpus x')) { /* read all */ } })()).rejects.toThrow('EIO: the disk went away');
  });

  it('corrupt or cut-short gzip data is named as such', async () => {
    const gz = gzipSync(utf8(text));
    const file = join(dir, 'cut.gz');
    writeFileSync(file, gz.subarray(0, 60));
    await expect(collect({ path: file })).rejects.toThrow(`corpus ${file}: the gzip data is corrupt or cut short (`);
    const bad = gz.slice();
    bad.fill(0xff, 20, 40);
    await expect(collect(new Blob([bad]))).rejects.toThrow('corpus (a Blob): the gzip data is corrupt or cut short (');
  });
});

describe('streams are read once', () => {
  it('a ReadableStream read a second time is an error, not an empty corpus', async () => {
    const stream = byteStream([utf8('a b\n')]);
    expect(await collect(stream)).toEqual([['a', 'b']]);
    await expect(collect(stream)).rejects.toThrow('sentences: this ReadableStream was read already; a corpus read more than once must be a file ({ path }), a Blob or a string');
  });
});

describe('the corpus fingerprint', () => {
  it('FNV-1a 64 test vectors', () => {
    expect(fnv1a64(utf8(''))).toBe('cbf29ce484222325');
    expect(fnv1a64(utf8('a'))).toBe('af63dc4c8601ec8c');
    expect(fnv1a64(utf8('foobar'))).toBe('85944171f73967e8');
  });

  it('a file, a Blob and a string of the same text agree; size and both ends tell corpora apart', async () => {
    // 2.5 MiB with multi-byte characters, so that the string's UTF-8 size and cuts are exercised.
    const text = Array.from({ length: 140000 }, (_, i) => `wört${i} 東京 ${i % 13}`).join('\n');
    const bytes = utf8(text);
    expect(bytes.length).toBeGreaterThan(2.5 * (1 << 20));
    const file = join(dir, 'fp.txt');
    writeFileSync(file, bytes);
    const f = await corpusFingerprint({ path: file });
    expect(f).toEqual({ name: file, bytes: bytes.length, head: fnv1a64(bytes.subarray(0, 1 << 20)), tail: fnv1a64(bytes.subarray(bytes.length - (1 << 20))) });
    expect({ ...(await corpusFingerprint(text)), name: file }).toEqual(f);
    expect({ ...(await corpusFingerprint(new Blob([bytes]))), name: file }).toEqual(f);
    // One byte changed in the last MiB changes the tail only; one in the middle is not seen (by design: 2 MiB read).
    const changed = bytes.slice();
    changed[changed.length - 5] = 0x41;
    const g = await corpusFingerprint(new Blob([changed]));
    expect([g.head === f.head, g.tail === f.tail]).toEqual([true, false]);
    expect(await corpusFingerprint({ path: '-' })).toEqual({ name: 'standard input' });
    expect(await corpusFingerprint(['a b'])).toEqual({ name: 'lines or token arrays' });
    await expect(corpusFingerprint({ path: join(dir, 'missing.txt') })).rejects.toThrow(`corpus ${join(dir, 'missing.txt')} does not exist`);
    await expect(corpusFingerprint({ path: dir })).rejects.toThrow(`corpus ${dir} is a folder, not a file`);
  });
});
