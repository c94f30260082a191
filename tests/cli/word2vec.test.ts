// The word2vec commands in-process: train on a small corpus file (plain and gzipped), then
// similar, analogy and eval on the saved file, each checked against the library's own answer
// for the same input; and the one-line errors.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { evaluateAnalogies, evaluateSimilarity, init, Word2Vec, type Runtime } from '../../src/index';
import { cli, expectOneLineError } from './capture';

/** Sentences over three word families that share contexts (animals, colours, places), seeded. */
function familyCorpus(lines: number): string {
  let s = 7;
  const random = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const pick = (xs: string[]) => xs[Math.floor(random() * xs.length)]!;
  const animals = ['cat', 'dog', 'horse', 'cow', 'sheep', 'goat'];
  const colours = ['red', 'green', 'blue', 'white', 'black', 'grey'];
  const places = ['field', 'barn', 'hill', 'river', 'road', 'yard'];
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const words: string[] = [];
    for (let j = 0; j < 4; j++) words.push('a', pick(colours), pick(animals), 'in', 'the', pick(places));
    out.push(words.join(' '));
  }
  return out.join('\n') + '\n';
}

const TRAIN = ['--dim', '16', '--epochs', '2', '--min-count', '2', '--sample', '0', '--threads', '1', '--seed', '3', '--simd', 'baseline'];
/** Queries on the build the reference runtime uses, so scores agree to the bit. */
const BASELINE = ['--simd', 'baseline'];
const OPTIONS = { dim: 16, epochs: 2, minCount: 2, sample: 0, threads: 1, seed: 3 };

let dir: string, corpus: string, vectors: string, rt: Runtime;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-cli-'));
  corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, familyCorpus(300));
  vectors = join(dir, 'vectors.bin');
  rt = await init({ simd: 'baseline' });
});
afterAll(() => {
  rt.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('train', () => {
  test('saves the vectors the library trains from the same text and options, bit for bit', async () => {
    const r = await cli(['train', corpus, '-o', vectors, ...TRAIN, '--json']);
    expect(r.stderr).toMatch(/100\.0%/); // plain progress lines on a non-TTY stderr
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    const expected = await Word2Vec.train(readFileSync(corpus, 'utf8'), { ...OPTIONS, runtime: rt });
    expect(summary).toMatchObject({ output: vectors, format: 'binary', words: expected.size, dim: 16 });
    expect(summary.lossPerEpoch).toEqual(expected.lossPerEpoch);
    expect(Buffer.from(readFileSync(vectors)).equals(Buffer.from(expected.toBytes('binary')))).toBe(true);
  });

  test('a gzipped corpus gives the same vectors; --format vec writes the text format', async () => {
    const gz = join(dir, 'corpus.txt.gz');
    writeFileSync(gz, gzipSync(readFileSync(corpus)));
    const out = join(dir, 'from-gz.vec');
    const r = await cli(['train', gz, '-o', out, ...TRAIN, '--format', 'vec']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+ words × 16 in .*; saved .*from-gz\.vec \(vec\)\n$/);
    const fromGz = await Word2Vec.load(out, { runtime: rt });
    const plain = await Word2Vec.load(vectors, { runtime: rt });
    expect(fromGz.vocab).toEqual(plain.vocab);
    expect(fromGz.vectors).toEqual(plain.vectors);
    expect(readFileSync(out, 'utf8').split('\n')[0]).toBe(`${plain.size} 16`);
  });

  test('a checkpoint (from the extension) resumes to the same vectors as one run', async () => {
    const ckpt = join(dir, 'one-epoch.ckpt');
    expect((await cli(['train', corpus, '-o', ckpt, ...TRAIN, '--epochs', '1'])).code).toBe(0);
    const resumed = join(dir, 'resumed.bin');
    // The checkpoint says 1 epoch; resume trains nothing more but must give its vectors back.
    expect((await cli(['train', corpus, '-o', resumed, '--resume', ckpt, '--simd', 'baseline'])).code).toBe(0);
    const a = await Word2Vec.load(ckpt, { runtime: rt }), b = await Word2Vec.load(resumed, { runtime: rt });
    expect(b.vectors).toEqual(a.vectors);
  });
});

describe('queries on the saved vectors', () => {
  test('similar equals the library\'s mostSimilar', async () => {
    const model = await Word2Vec.load(vectors, { runtime: rt });
    const r = await cli(['similar', vectors, 'cat', 'red', '--top', '4', '--json', ...BASELINE]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { word: 'cat', neighbours: model.mostSimilar('cat', 4) },
      { word: 'red', neighbours: model.mostSimilar('red', 4) },
    ]);
    // The neighbours of an animal are animals: what training on the families must find.
    expect(model.mostSimilar('cat', 5).every((n) => ['dog', 'horse', 'cow', 'sheep', 'goat'].includes(n.word))).toBe(true);
    const text = await cli(['similar', vectors, 'cat', '-n', '2', ...BASELINE]);
    const [first, second] = model.mostSimilar('cat', 2);
    expect(text.stdout).toBe(`cat:\n  ${first!.word.padEnd(5)}  ${first!.similarity.toFixed(4)}\n  ${second!.word.padEnd(5)}  ${second!.similarity.toFixed(4)}\n`);
  });

  test('analogy equals the library\'s analogy, both methods', async () => {
    const model = await Word2Vec.load(vectors, { runtime: rt });
    for (const method of ['add', 'mul'] as const) {
      const r = await cli(['analogy', vectors, 'cat', 'dog', 'red', '--top', '3', '--method', method, '--json', ...BASELINE]);
      expect(JSON.parse(r.stdout)).toEqual({ a: 'cat', b: 'dog', c: 'red', answers: model.analogy('cat', 'dog', 'red', { topN: 3, method }) });
    }
  });

  test('eval equals evaluateAnalogies and evaluateSimilarity', async () => {
    const questions = join(dir, 'questions.txt'), pairs = join(dir, 'pairs.txt');
    writeFileSync(questions, ': colours\nred green blue white\nblack grey red green\n: animals\ncat dog cow sheep\ncat dog unicorn sheep\n');
    writeFileSync(pairs, 'cat dog 9\ncat red 1\nred green 8\nfield barn 7\nhorse road 2\n');
    const model = await Word2Vec.load(vectors, { runtime: rt });
    const r = await cli(['eval', vectors, '--analogies', questions, '--similarity', pairs, '--json', ...BASELINE]);
    expect(r.code).toBe(0);
    const expected = {
      analogies: evaluateAnalogies(model, readFileSync(questions, 'utf8'), { restrictVocab: model.size }),
      similarity: evaluateSimilarity(model, readFileSync(pairs, 'utf8')),
    };
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(expected.analogies.total).toBe(3); // the unicorn question is skipped
    const text = await cli(['eval', vectors, '--analogies', questions]);
    expect(text.stdout.split('\n')[0]).toBe(`analogies: ${(expected.analogies.accuracy * 100).toFixed(1)}% (${expected.analogies.correct}/3), 25.0% of questions skipped (words out of vocabulary)`);
  });
});

describe('errors: one line, no stack, exit 1 (the job failed) or 2 (the call was wrong)', () => {
  test('usage', async () => {
    expectOneLineError(await cli(['trian']), 2, "unknown command 'trian'");
    expectOneLineError(await cli(['train']), 2, "train: missing <corpus> (see 'wasm-nlp train --help')");
    expectOneLineError(await cli(['train', corpus, '--dims', '3']), 2, 'train: unknown option --dims');
    expectOneLineError(await cli(['train', corpus, '--dim', 'x']), 2, "train: option --dim must be an integer ≥ 1, got 'x'");
    expectOneLineError(await cli(['eval', vectors]), 2, 'eval: give --analogies FILE, --similarity FILE or both');
  });

  test('files and bad input', async () => {
    expectOneLineError(await cli(['train', join(dir, 'nope.txt')]), 1, `corpus ${join(dir, 'nope.txt')} does not exist`);
    expectOneLineError(await cli(['train', dir]), 1, `corpus ${dir} is not a file`);
    expectOneLineError(await cli(['train', corpus, '-o', join(dir, 'x.bin'), '--alpha', '-1']), 1, 'word2vec: option alpha must be a number > 0, got -1');
    expectOneLineError(await cli(['similar', vectors, 'unicorn']), 1, 'unicorn');
    expectOneLineError(await cli(['similar', corpus, 'cat']), 1, 'word2vec');
    const broken = join(dir, 'broken.gz');
    writeFileSync(broken, gzipSync(readFileSync(corpus)).subarray(0, 200));
    expectOneLineError(await cli(['train', broken, '-o', join(dir, 'y.bin')]), 1, `corpus ${broken}: the gzip data is corrupt or cut short`);
  });

  test('WASM_NLP_DEBUG=1 adds the stack', async () => {
    const r = await cli(['similar', vectors, 'unicorn'], { WASM_NLP_DEBUG: '1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});
