// The word2vec text and binary formats: bit-exact round trips, the C tool's, gensim's and
// fastText's variants, every malformed file refused with the field and byte offset, the atomic
// writer, and files exchanged with Debian's gensim (required in CI: see tests/references.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { FormatError } from '../../src/io/errors';
import { writeFileAtomic } from '../../src/io/atomic-write';
import { detectWord2VecFormat, formatFloat32, formatWord2Vec, parseWord2Vec } from '../../src/io/word2vec-format';
import { randomArray, rng } from '../kernel-tester';
import { gensimReference, PYTHON } from '../gensim';

const enc = new TextEncoder();
const dir = mkdtempSync(join(tmpdir(), 'w2v-format-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Bytes from strings and float32 values (little-endian), in order. */
function bytes(...parts: (string | number[] | Uint8Array)[]): Uint8Array {
  const chunks = parts.map((p) => {
    if (typeof p === 'string') return enc.encode(p);
    if (p instanceof Uint8Array) return p;
    const b = new Uint8Array(4 * p.length);
    p.forEach((x, i) => new DataView(b.buffer).setFloat32(4 * i, x, true));
    return b;
  });
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function bits(x: Float32Array): Uint32Array {
  return new Uint32Array(x.buffer, x.byteOffset, x.length);
}

/** A model whose values cover the awkward cases: ±0, the smallest subnormal, the largest f32, 1/3. */
function awkwardModel() {
  const words = ['the', 'é', '日本', 'a-b_c', "it's", '𝄞', 'UPPER'];
  const dim = 5;
  const vectors = randomArray(words.length * dim, rng(11), -3, 3);
  vectors.set([0, -0, 1.401298464324817e-45, 3.4028234663852886e38, -3.4028234663852886e38], 0);
  vectors.set([1 / 3, 0.1, 123456792, -2.5e-20, 1e-7], 5);
  return { words, dim, vectors };
}

/** Asserts that `run` throws a FormatError about `field` at `offset`, with both in its message. */
function expectFormatError(run: () => unknown, field: string, offset: number, message?: RegExp): FormatError {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error, 'a FormatError').toBeInstanceOf(FormatError);
  const e = error as FormatError;
  expect({ field: e.field, byteOffset: e.byteOffset }).toEqual({ field, byteOffset: offset });
  expect(e.message).toContain(`field ${field}, byte offset ${offset}`);
  if (message) expect(e.message).toMatch(message);
  return e;
}

describe('round trips', () => {
  test.each(['text', 'binary'] as const)('%s: words and every float32 bit come back', (format) => {
    const model = awkwardModel();
    const file = formatWord2Vec(model, format);
    expect(detectWord2VecFormat(file)).toBe(format);
    const back = parseWord2Vec(file);
    expect(back.words).toEqual(model.words);
    expect(back.dim).toBe(5);
    expect(bits(back.vectors)).toEqual(bits(model.vectors));
    expect(Object.is(back.vectors[1], -0)).toBe(true);
  });

  test('binary layout is the C tool\'s: header, word, space, little-endian floats, newline', () => {
    const file = formatWord2Vec({ words: ['ab', 'ç'], dim: 2, vectors: Float32Array.from([1, -2, 0.5, 0]) }, 'binary');
    expect(file).toEqual(bytes('2 2\nab ', [1, -2], '\nç ', [0.5, 0], '\n'));
  });

  test('text layout: the shortest decimals that round-trip float32', () => {
    const file = formatWord2Vec({ words: ['a', 'b'], dim: 3, vectors: Float32Array.from([0.1, -0, 1e-7, 100, 1 / 3, 2.5]) }, 'text');
    expect(new TextDecoder().decode(file)).toBe('2 3\na 0.1 -0 1e-7\nb 100 0.33333334 2.5\n');
    expect(formatFloat32(Math.fround(0.1))).toBe('0.1');
    expect(formatFloat32(1.401298464324817e-45)).toBe('1e-45');
    expect(formatFloat32(3.4028234663852886e38)).toBe('3.4028235e+38');
    // 16777217 is not a float32: 16777216 is what is stored and written.
    expect(formatFloat32(Math.fround(16777217))).toBe('16777216');
  });

  test('random vectors: text round trip is bit-exact for 20 000 values', () => {
    const words = Array.from({ length: 400 }, (_, i) => `w${i}`);
    const random = rng(5);
    const vectors = randomArray(400 * 50, random, -1, 1).map((x, i) => x * 10 ** ((i % 13) - 6));
    const back = parseWord2Vec(formatWord2Vec({ words, dim: 50, vectors }, 'text'));
    expect(bits(back.vectors)).toEqual(bits(vectors));
  });
});

describe('variants other tools write', () => {
  test('the C tool\'s text: a space after every value; CRLF line ends', () => {
    const c = parseWord2Vec(bytes('2 3\nking 0.100000 -0.200000 0.300000 \nqueen 1.000000 2.000000 3.000000 \n'));
    expect(c.words).toEqual(['king', 'queen']);
    expect([...c.vectors]).toEqual([0.1, -0.2, 0.3, 1, 2, 3].map(Math.fround));
    const crlf = parseWord2Vec(bytes('2 2\r\na 1 2\r\nb 3 4\r\n'));
    expect(crlf.words).toEqual(['a', 'b']);
    expect([...crlf.vectors]).toEqual([1, 2, 3, 4]);
  });

  test('fastText .vec: header, then values each followed by a space', () => {
    const vec = bytes('3 4\n</s> 0.0061 -0.0034 0.0012 0.0022 \nthe -0.065 0.11 0.098 -0.013 \n, 0.03 -0.05 0.21 0.07 \n');
    expect(detectWord2VecFormat(vec)).toBe('text');
    const m = parseWord2Vec(vec);
    expect(m.words).toEqual(['</s>', 'the', ',']);
    expect(m.vectors[4]).toBe(Math.fround(-0.065));
    expect(m.vectors[11]).toBe(Math.fround(0.07));
  });

  test('gensim\'s binary: no newline after each vector; a last text line without newline', () => {
    const m = parseWord2Vec(bytes('2 2\na ', [1, 2], 'b ', [3, 4]));
    expect(m.words).toEqual(['a', 'b']);
    expect([...m.vectors]).toEqual([1, 2, 3, 4]);
    expect([...parseWord2Vec(bytes('1 2\na 1 2')).vectors]).toEqual([1, 2]);
  });

  test('invalid UTF-8 in a word becomes U+FFFD, in both formats', () => {
    const bad = new Uint8Array([0x61, 0xff, 0x62]);
    expect(parseWord2Vec(bytes('1 1\n', bad, ' 1\n')).words).toEqual(['a\uFFFDb']);
    expect(parseWord2Vec(bytes('1 1\n', bad, ' ', [1], '\n'), { format: 'binary' }).words).toEqual(['a\uFFFDb']);
  });

  test('formatWord2Vec refuses what the format cannot hold', () => {
    const v = new Float32Array(2);
    expect(() => formatWord2Vec({ words: ['a b'], dim: 2, vectors: v }, 'text')).toThrow(/word 0 \("a b"\) must be a non-empty string without whitespace/);
    expect(() => formatWord2Vec({ words: [''], dim: 2, vectors: v }, 'binary')).toThrow(/word 0 \(""\)/);
    expect(() => formatWord2Vec({ words: ['a'], dim: 3, vectors: v }, 'text')).toThrow('formatWord2Vec: vectors has 2 floats, expected words·dim = 1·3 = 3');
    expect(() => formatWord2Vec({ words: ['a'], dim: 2, vectors: Float32Array.from([1, NaN]) }, 'binary')).toThrow(/value 1 of word 0 \("a"\) is NaN/);
  });
});

describe('malformed files: FormatError with the field and byte offset', () => {
  test('header', () => {
    expectFormatError(() => parseWord2Vec(bytes('3 2')), 'header', 0, /no newline/);
    expectFormatError(() => parseWord2Vec(bytes('3\na 1\n')), 'header', 0, /"count dim", got "3"/);
    expectFormatError(() => parseWord2Vec(bytes('x 2\na 1 2\n')), 'count', 0, /non-negative integer, got "x"/);
    expectFormatError(() => parseWord2Vec(bytes('-1 2\n')), 'count', 0);
    expectFormatError(() => parseWord2Vec(bytes('2 0\n')), 'dim', 2, /positive integer, got "0"/);
    expectFormatError(() => parseWord2Vec(bytes('2 2.5\n'), { format: 'text' }), 'dim', 2);
    expectFormatError(() => parseWord2Vec(bytes('2  -3\n'), { format: 'binary' }), 'dim', 3);
  });

  test.each(['text', 'binary'] as const)('%s: a header promising 1e9 × 1000 values is refused at once, before allocating', (format) => {
    const file = bytes('1000000000 1000\n', 'a 1 2 3\n');
    const t0 = performance.now();
    const e = expectFormatError(() => parseWord2Vec(file, { format }), 'count', 16, /promises 1000000000 words of 1000 values/);
    expect(e.message).toContain('only 8 bytes follow the header');
    expect(performance.now() - t0).toBeLessThan(50);
  });

  test('text: truncated, wrong number of values, not a number, NaN and Inf, duplicates', () => {
    // Long enough for 3 shortest records, but only 2 are there.
    expectFormatError(() => parseWord2Vec(bytes('3 2\na 1.5 2.5\nb 3.5 4.5\n')), 'count', 24, /ends after 2 of the 3 words/);
    expectFormatError(() => parseWord2Vec(bytes('2 3\na 1 2 3\nbb 1.5 2\n')), 'values', 12, /line 3 \(word "bb"\) has 2 values, expected dim = 3/);
    expectFormatError(() => parseWord2Vec(bytes('2 2\na 1 2\nb 1 2 3\n')), 'values', 10, /has 3 values/);
    expectFormatError(() => parseWord2Vec(bytes('1 2\na 1 x\n'), { format: 'text' }), 'value', 8, /holds "x", which is not a number/);
    expectFormatError(() => parseWord2Vec(bytes('1 2\na 1 0x10\n')), 'value', 8, /"0x10"/);
    expectFormatError(() => parseWord2Vec(bytes('1 2\na 1 1.2.3\n')), 'value', 8);
    expectFormatError(() => parseWord2Vec(bytes('1 2\na nan 1\n')), 'value', 6, /holds nan: vectors must be finite/);
    expectFormatError(() => parseWord2Vec(bytes('1 2\na 1 -inf\n')), 'value', 8, /-inf/);
    expectFormatError(() => parseWord2Vec(bytes('1 2\na 1 1e39\n')), 'value', 8, /infinite as a float32/);
    expectFormatError(() => parseWord2Vec(bytes('2 1\na 1\na 2\n')), 'word', 8, /word 2 \("a"\) is a duplicate of word 1/);
    expectFormatError(() => parseWord2Vec(bytes('2 1\na 1\n 2 3\n')), 'word', 8, /line 3 has no word/);
  });

  test('binary: truncated, no space after a word, NaN, duplicates', () => {
    const e = expectFormatError(() => parseWord2Vec(bytes('2 2\naaaa ', [1, 2], '\nbbbb ', [3], 'x')),
      'count', 23, /ends inside the vector of word 2 of 2 \("bbbb"\): 5 of its 8 bytes/);
    expect(e).toBeInstanceOf(Error);
    expectFormatError(() => parseWord2Vec(bytes('2 1\na ', [1], '\nbbbbbbbbbbb'), { format: 'binary' }), 'count', 11, /no space after the word/);
    expectFormatError(() => parseWord2Vec(bytes('1 2\na ', [1, NaN], '\n')), 'value', 10, /value 1 of word 1 \("a"\) is NaN/);
    expectFormatError(() => parseWord2Vec(bytes('1 2\na ', [Infinity, 1], '\n')), 'value', 6, /is Infinity/);
    expectFormatError(() => parseWord2Vec(bytes('2 1\na ', [1], '\na ', [2], '\n')), 'word', 11, /duplicate/);
  });
});

describe('writeFileAtomic', () => {
  test('writes the bytes, replacing an old file', async () => {
    const path = join(dir, 'model.bin');
    writeFileSync(path, 'old');
    await writeFileAtomic(path, bytes('new bytes'));
    expect(readFileSync(path, 'utf8')).toBe('new bytes');
  });

  test('on failure the target is untouched and no temporary file is left', async () => {
    const folder = join(dir, 'fail');
    mkdirSync(join(folder, 'target'), { recursive: true });
    // Renaming a file over a folder fails after the temporary file is written.
    await expect(writeFileAtomic(join(folder, 'target'), bytes('x'))).rejects.toThrow();
    expect(readdirSync(folder)).toEqual(['target']);
    await expect(writeFileAtomic(join(dir, 'missing', 'f.bin'), bytes('x'))).rejects.toThrow(/ENOENT/);
  });
});

const gensim = gensimReference('format.test.ts: gensim round trips');

describe('with gensim', () => {
  test.skipIf(!gensim)('gensim reads our text and binary files, writes them back, and we read those bit-exactly', () => {
    const model = awkwardModel();
    for (const format of ['text', 'binary'] as const) {
      const ours = join(dir, `ours.${format}`), theirs = join(dir, `theirs.${format}`);
      writeFileSync(ours, formatWord2Vec(model, format));
      const binary = format === 'binary' ? 'True' : 'False';
      const words = execFileSync(PYTHON, ['-c', [
        'import sys, json',
        'from gensim.models import KeyedVectors',
        `kv = KeyedVectors.load_word2vec_format(sys.argv[1], binary=${binary})`,
        `kv.save_word2vec_format(sys.argv[2], binary=${binary})`,
        'print(json.dumps(kv.index_to_key))',
      ].join('\n'), ours, theirs], { encoding: 'utf8' });
      expect(JSON.parse(words), format).toEqual(model.words);
      const back = parseWord2Vec(readFileSync(theirs));
      expect(back.words, format).toEqual(model.words);
      expect(bits(back.vectors), format).toEqual(bits(model.vectors));
    }
  });
});
