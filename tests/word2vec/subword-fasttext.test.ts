// Our fastText .bin against Debian's fastText 0.9.2 (/usr/bin/fasttext), both ways: its
// print-word-vectors on our .bin gives our vector(word) to its printed precision (5 digits),
// for known and unknown words, ASCII or not; a model it trained loads here with its own
// print-word-vectors values and saves back to the same bytes. Then the .bin reader's errors.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FormatError, init, Word2Vec, type Runtime } from '../../src/index';
import { FASTTEXT_MAGIC, formatFastTextBin, parseFastTextBin } from '../../src/io/fasttext-bin';
import { toolReference } from '../references';
import { morphologyCorpus } from './subword-corpus';

const FASTTEXT = '/usr/bin/fasttext';
const haveFastText = toolReference(FASTTEXT, 'fasttext', 'fastText .bin round trips with Debian\'s fastText');

/** Words to ask for: known, unknown, non-ASCII, and one shorter than every n-gram but "<a>". */
const QUERIES = ['king', 'kings', 'the', 'ünd', 'kingdoms', 'queendom', 'ünder', '日本', 'a', 'zzzz'];

/** fastText's print-word-vectors: word → the printed numbers (strings). */
function printWordVectors(bin: string, words: string[]): Map<string, string[]> {
  const out = execFileSync(FASTTEXT, ['print-word-vectors', bin], { input: words.join('\n') + '\n', encoding: 'utf8' });
  const rows = new Map<string, string[]>();
  for (const line of out.trim().split('\n')) {
    const [word, ...values] = line.trim().split(' ');
    rows.set(word!, values);
  }
  return rows;
}

/** Our vector against fastText's printout: every value equal once rounded to 5 significant digits, as fastText prints. */
function expectPrinted(model: Word2Vec, printed: Map<string, string[]>, words: string[]): void {
  for (const w of words) {
    const theirs = printed.get(w);
    expect(theirs, `fastText printed ${w}`).toBeDefined();
    const ours = Array.from(model.vector(w), (x) => Number(x.toPrecision(5)));
    expect(ours, w).toEqual(theirs!.map(Number));
  }
}

let wasm: Runtime, dir: string, corpusPath: string;
const corpus = morphologyCorpus(3000, 4);
beforeAll(async () => {
  wasm = await init({ simd: process.env.WASM_NLP_EXPECT_RELAXED === '1' ? 'relaxed' : 'baseline' });
  dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-fasttext-'));
  corpusPath = join(dir, 'corpus.txt');
  writeFileSync(corpusPath, corpus + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!haveFastText)('Debian\'s fastText reads our .bin', () => {
  for (const model of ['skipgram', 'cbow'] as const) {
    test(`${model}: print-word-vectors gives our vector() of known and unknown words`, async () => {
      const m = await Word2Vec.train(corpus, { model, dim: 12, minCount: 2, epochs: 1, maxn: 5, bucket: 3001, runtime: wasm });
      const path = join(dir, `ours-${model}.bin`);
      await m.save(path, { format: 'fasttext' });
      expect(m.has('kings') && !m.has('kingdoms')).toBe(true);
      expectPrinted(m, printWordVectors(path, QUERIES), QUERIES);
    });
  }
});

describe.skipIf(!haveFastText)('a model fastText trained, loaded here', () => {
  for (const [command, loss] of [['skipgram', 'ns'], ['cbow', 'hs']] as const) {
    test(`fasttext ${command} -loss ${loss}: our vector() is its print-word-vectors; saving gives its bytes back`, async () => {
      const out = join(dir, `theirs-${command}`);
      execFileSync(FASTTEXT, [command, '-input', corpusPath, '-output', out, '-dim', '12', '-bucket', '2003', '-minn', '2', '-maxn', '4',
        '-epoch', '1', '-thread', '1', '-minCount', '2', '-loss', loss, '-verbose', '0']);
      const bytes = new Uint8Array(readFileSync(`${out}.bin`));
      const m = await Word2Vec.load(`${out}.bin`, { runtime: wasm });
      expect(m.subwords).toEqual({ minn: 2, maxn: 4, bucket: 2003 });
      expect(m.has('</s>')).toBe(true); // fastText's end of line is a word of its vocabulary
      expectPrinted(m, printWordVectors(`${out}.bin`, QUERIES), QUERIES);
      // Its .vec holds the same words and vectors (to its 5 digits).
      const vec = await Word2Vec.load(`${out}.vec`, { runtime: wasm });
      expect(vec.vocab).toEqual(m.vocab);
      expect(m.toBytes('fasttext')).toEqual(bytes);
    });
  }

  test('a supervised classifier is refused: it holds labels, not word vectors', async () => {
    const labelled = join(dir, 'labelled.txt');
    writeFileSync(labelled, '__label__a the king rules\n__label__b the river runs\n'.repeat(20));
    execFileSync(FASTTEXT, ['supervised', '-input', labelled, '-output', join(dir, 'sup'), '-epoch', '1', '-verbose', '0']);
    await expect(Word2Vec.load(join(dir, 'sup.bin'), { runtime: wasm })).rejects.toThrow(/supervised classifier \(2 labels\)/);
  });
});

describe('the .bin reader refuses broken files, naming the field', () => {
  // A small valid file of our own, then damaged copies.
  const args = { dim: 4, ws: 5, epoch: 1, minCount: 1, neg: 5, wordNgrams: 1, loss: 'ns' as const, model: 'skipgram' as const, bucket: 3, minn: 3, maxn: 6, lrUpdateRate: 100, t: 1e-4 };
  const good = formatFastTextBin({ args, words: ['ab', 'c'], counts: [5, 2], ntokens: 7, input: new Float32Array(5 * 4).fill(0.5), output: new Float32Array(2 * 4) });

  test('a valid file parses back to what was written', () => {
    const m = parseFastTextBin(good);
    expect(m).toMatchObject({ version: 12, args, words: ['ab', 'c'], counts: [5, 2], nwords: 2, nlabels: 0, ntokens: 7, inputRows: 5, outputRows: 2 });
    expect(new DataView(good.buffer).getInt32(0, true)).toBe(FASTTEXT_MAGIC);
  });

  const damaged = (at: number, value: number, size: 1 | 4 = 4) => {
    const b = good.slice();
    if (size === 4) new DataView(b.buffer).setInt32(at, value, true);
    else b[at] = value;
    return b;
  };
  // Offsets: 0 magic, 4 version, 8..63 args (loss at 32), 64 size, dictionary entries from 92.
  const dictEnd = 92 + 3 + 9 + 2 + 9;
  const cases: [string, Uint8Array, string, RegExp][] = [
    ['a later version', damaged(4, 13), 'version', /version 13 is not one fastText 0\.9 writes/],
    ['an unknown loss', damaged(32, 9), 'loss', /loss 9 is none of/],
    ['more entries than the file holds', damaged(64, 1_000_000), 'size', /dictionary has 1000000 entries/],
    ['a quantized input matrix', damaged(dictEnd, 1, 1), 'quant_input', /quantized \(a \.ftz model\)/],
    ['truncated inside the input matrix', good.slice(0, dictEnd + 40), 'input', /needs 80 bytes, 23 are left/],
    ['bytes after the output matrix', Uint8Array.from([...good, 0]), 'end', /1 bytes follow the output matrix/],
    ['a NaN in the input matrix', (() => { const b = good.slice(); new DataView(b.buffer).setFloat32(132 + 4 * 6, NaN, true); return b; })(),
      'input', /value 2 of row 1 of the input matrix is NaN: vectors must be finite/],
  ];
  for (const [what, bytes, field, message] of cases) {
    test(what, () => {
      let error: unknown;
      try {
        parseFastTextBin(bytes);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(FormatError);
      expect((error as FormatError).field).toBe(field);
      expect((error as Error).message).toMatch(message);
    });
  }
});
