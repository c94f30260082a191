// Corpus input: every source kind gives the same sentences; lines, CRLF, invalid UTF-8, custom
// tokenizers, long lines streamed in pieces and sentence splitting, and the errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LINE_CAP_CHARS, sentences, splitWhitespace, type CorpusSource, type SentencesOptions } from '../../src/io/corpus';

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
    const bytes = new Uint8Array([0x61, 0xff, 0x62, 0x20, 0x63, 0x0a, 0x64, 0xe2, 0x82]);
    const want = [['a\ufffdb', 'c'], ['d\ufffd']];
    expect(await collect(new Blob([bytes]))).toEqual(want);
    const file = join(dir, 'invalid.txt');
    writeFileSync(file, bytes);
    expect(await collect({ path: file })).toEqual(want);
  });

  it('stopping early cancels a stream', async () => {
    const stream = byteStream([utf8('a b\nc d\n'), utf8('e f\n')]);
    for await (const s of sentences(stream)) {
      expect(s).toEqual(['a', 'b']);
      break;
    }
    expect(stream.cancelled).toBe(true);
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
