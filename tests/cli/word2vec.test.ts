// The word2vec commands in-process: train on a small corpus file (plain and gzipped), then
// similar, analogy and eval on the saved file, each checked against the library's own answer
// for the same input; and the one-line errors.
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
      analogies: evaluateAnalogies(model, questions, { restrictVocab: model.size }),
      similarity: evaluateSimilarity(model, pairs),
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
    // A value the API refuses is a usage error told with the flag.
    expectOneLineError(await cli(['train', corpus, '-o', join(dir, 'x.bin'), '--alpha', '-1']), 2, "train: option --alpha must be a number > 0, got -1 (see 'wasm-nlp train --help')");
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

/** A ReadableStream of these bytes, in chunks of `chunk` bytes, as standard input would deliver them. */
function stdinOf(bytes: Uint8Array, chunk = 4096): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + chunk));
      at += chunk;
    },
  });
}

describe('mistakes are refused before training, in the command line\'s terms (issue 13)', () => {
  test('--threads 1000: exit 2, in flags, not the API\'s "init: option threads"', async () => {
    expectOneLineError(await cli(['train', corpus, '--threads', '1000']), 2,
      "wasm-nlp: train: option --threads must be an integer from 1 to 256, got '1000' (see 'wasm-nlp train --help')");
    expectOneLineError(await cli(['embed', 'some-model', 'x', '--threads', '1000']), 2, "embed: option --threads must be an integer from 1 to 256, got '1000'");
  });

  test('fastText\'s, the C tool\'s and gensim\'s option names say ours', async () => {
    const cases: [string[], string][] = [
      [['-dim', '20'], 'train: unknown option -dim; options take two dashes: --dim'],
      [['-ws', '5'], "train: unknown option -ws; fastText's -ws is --window here"],
      [['-epoch', '5'], "train: unknown option -epoch; fastText's -epoch is --epochs here"],
      [['-minCount', '1'], "train: unknown option -minCount; fastText's -minCount is --min-count here"],
      [['-neg', '5'], "train: unknown option -neg; fastText's -neg is --negative here"],
      [['-loss', 'hs'], 'train: unknown option -loss; options take two dashes: --loss'],
      [['-thread', '2'], "train: unknown option -thread; fastText's -thread is --threads here"],
      [['-lr', '0.05'], "train: unknown option -lr; fastText's -lr is --alpha here"],
      [['-size', '20'], "train: unknown option -size; the word2vec C tool's -size is --dim here"],
      [['-cbow', '1'], "train: unknown option -cbow; the word2vec C tool's -cbow is --model cbow (for -cbow 1) here"],
      [['-iter', '5'], "train: unknown option -iter; the word2vec C tool's -iter is --epochs here"],
      [['--vector_size', '20'], "train: unknown option --vector_size; gensim's --vector_size is --dim here"],
      [['--min_count', '1'], 'train: unknown option --min_count (did you mean --min-count?)'],
      [['--workers', '2'], "train: unknown option --workers; gensim's --workers is --threads here"],
      [['--sg', '1'], "train: unknown option --sg; gensim's --sg is --model skipgram (sg=1) or --model cbow (sg=0) here"],
      [['--epoch', '3'], "train: unknown option --epoch; fastText's --epoch is --epochs here"],
    ];
    for (const [flags, message] of cases) expectOneLineError(await cli(['train', corpus, ...flags]), 2, message);
  });

  test('the output\'s extension picks the format; an unknown one needs --format', async () => {
    const txt = join(dir, 'ext.txt'), vec = join(dir, 'ext.vec'), bin = join(dir, 'ext.bin');
    for (const out of [txt, vec, bin]) expect((await cli(['train', corpus, '-o', out, ...TRAIN])).code).toBe(0);
    expect(readFileSync(txt, 'utf8').split('\n')[0]).toMatch(/^\d+ 16$/);
    expect(readFileSync(vec).equals(readFileSync(txt))).toBe(true);
    expect(readFileSync(bin).equals(readFileSync(vectors))).toBe(true); // binary, as the first test's
    const r = await cli(['train', corpus, '-o', join(dir, 'vectors.w2v'), ...TRAIN]);
    expectOneLineError(r, 2, `train: cannot tell the format of ${join(dir, 'vectors.w2v')} from its extension: name it .bin, .txt, .vec or .ckpt, or give --format`);
    expect(r.stderr).not.toMatch(/epoch/); // refused before training
    expect((await cli(['train', corpus, '-o', join(dir, 'vectors.w2v'), '--format', 'text', ...TRAIN])).code).toBe(0);
 
    // Subwords: .bin is fastText's model; an option the API refuses is told as the flag.
    const sub = await cli(['train', corpus, '-o', join(dir, 'sub.bin'), ...TRAIN, '--maxn', '4', '--bucket', '1000', '--json']);
    expect(sub.code).toBe(0);
    expect(JSON.parse(sub.stdout).format).toBe('fasttext');
    expect((await Word2Vec.load(join(dir, 'sub.bin'), { runtime: rt })).subwords).toMatchObject({ minn: 3, maxn: 4, bucket: 1000 });
    expectOneLineError(await cli(['train', corpus, '-o', join(dir, 'x.bin'), ...TRAIN, '--minn', '2']), 2,
      "train: option --minn has no effect without subwords: set maxn > 0 (fastText's default: minn 3, maxn 6) to train them (see 'wasm-nlp train --help')");
  });

  test('a bad output or checkpoint path is refused before training, naming the path (never a temporary file)', async () => {
    const nodir = join(dir, 'nodir', 'out.bin');
    const r = await cli(['train', corpus, '-o', nodir, ...TRAIN]);
    expectOneLineError(r, 1, `wasm-nlp: output ${nodir}: the folder ${join(dir, 'nodir')} does not exist`);
    expect(r.stderr).not.toMatch(/epoch|\.tmp/);
    // The relative path, as typed.
    expectOneLineError(await cli(['train', corpus, '-o', 'nodir/out.bin', ...TRAIN]), 1, 'wasm-nlp: output nodir/out.bin: the folder nodir does not exist');
    expectOneLineError(await cli(['train', corpus, '-o', dir, ...TRAIN]), 1, `wasm-nlp: output ${dir} is a folder; give a file name (in it, or beside it)`);
    expectOneLineError(await cli(['train', corpus, '-o', join(corpus, 'v.bin'), ...TRAIN]), 1, `output ${join(corpus, 'v.bin')}: ${corpus} is not a folder`);
    const ck = join(dir, 'nodir', 'run.ckpt');
    const c = await cli(['train', corpus, '-o', join(dir, 'ok.bin'), '--checkpoint', ck, ...TRAIN]);
    expectOneLineError(c, 1, `wasm-nlp: checkpoint ${ck}: the folder ${join(dir, 'nodir')} does not exist`);
    expect(c.stderr).not.toMatch(/epoch/);
    expectOneLineError(await cli(['train', corpus, '--resume', join(dir, 'none.ckpt'), '-o', join(dir, 'ok.bin')]), 1, `checkpoint ${join(dir, 'none.ckpt')} does not exist`);
 
    // A folder this process may not write in (root included: /proc/1 refuses even root here).
    let writable = true;
    try {
      accessSync('/proc/1', constants.W_OK | constants.X_OK);
    } catch {
      writable = false;
    }
    if (writable) console.warn('word2vec.test.ts: /proc/1 is writable here; the unwritable-folder case is not checked');
    else expectOneLineError(await cli(['train', corpus, '-o', '/proc/1/out.bin', ...TRAIN]), 1, 'wasm-nlp: output /proc/1/out.bin: the folder /proc/1 is not writable (E');
  });

  test('a binary file as corpus is refused naming the byte; --allow-binary trains on it', async () => {
    // The case: the first MB of an executable.
    const exe = join(dir, 'exe-head');
    writeFileSync(exe, readFileSync(process.execPath).subarray(0, 1 << 20));
    const nul = readFileSync(exe).indexOf(0);
    const r = await cli(['train', exe, '-o', join(dir, 'exe.bin'), ...TRAIN]);
    expectOneLineError(r, 1, `wasm-nlp: corpus ${exe}: byte ${nul} is NUL (0x00): this is a binary file (or UTF-16), not UTF-8 text; pass --allow-binary to read it anyway`);
    expect(r.stderr).not.toMatch(/epoch/);
    const allowed = await cli(['train', exe, '-o', join(dir, 'exe.bin'), ...TRAIN, '--allow-binary', '--epochs', '1']);
    expect(allowed.code).toBe(0);
    // A Latin-1 file: over 1% invalid UTF-8, the first offset named.
    const latin1 = join(dir, 'latin1.txt');
    writeFileSync(latin1, Buffer.from('caf\xe9 cr\xe8me br\xfbl\xe9e\n'.repeat(200), 'latin1'));
    expectOneLineError(await cli(['train', latin1, '-o', join(dir, 'l.bin'), ...TRAIN]), 1,
      `wasm-nlp: corpus ${latin1} is not UTF-8 text: 800 invalid sequences in its first 3600 bytes (22.2%, over 1%), the first at byte 3`);
  });

  test('train - reads standard input: the same vectors as the file', async () => {
    const out = join(dir, 'stdin.bin');
    const r = await cli(['train', '-', '-o', out, ...TRAIN], {}, { stdin: stdinOf(readFileSync(corpus)) });
    expect(r.code).toBe(0);
    expect(readFileSync(out).equals(readFileSync(vectors))).toBe(true);
    // Gzipped on standard input too.
    const gz = await cli(['train', '-', '-o', out, ...TRAIN], {}, { stdin: stdinOf(gzipSync(readFileSync(corpus)), 100) });
    expect(gz.code).toBe(0);
    expect(readFileSync(out).equals(readFileSync(vectors))).toBe(true);
  });

  describe('--resume', () => {
    let ckpt: string;
    beforeAll(async () => {
      ckpt = join(dir, 'two-epochs.ckpt');
      expect((await cli(['train', corpus, '-o', ckpt, ...TRAIN])).code).toBe(0);
    });

    test('on another corpus: refused before training, naming both', async () => {
      const other = join(dir, 'other.txt');
      writeFileSync(other, familyCorpus(300).replace(/cat/g, 'lion'));
      const size = (p: string) => readFileSync(p).length.toLocaleString('en-US');
      const r = await cli(['train', other, '--resume', ckpt, '-o', join(dir, 'r.bin'), '--epochs', '3', ...BASELINE]);
      expectOneLineError(r, 1, `wasm-nlp: Word2Vec.resume: the checkpoint ${ckpt} was trained on another corpus: ${corpus} (${size(corpus)} bytes, `);
      expect(r.stderr).toContain(`tokens, first MiB `);
      expect(r.stderr).toContain(`); this one is ${other} (${size(other)} bytes, first MiB `);
      expect(r.stderr).not.toMatch(/epoch \d/);
    });

    test('an option that cannot change is refused; epochs and threads change and are reported', async () => {
      expectOneLineError(await cli(['train', corpus, '--resume', ckpt, '-o', join(dir, 'r.bin'), '--dim', '50']), 2,
        `wasm-nlp: train: option --dim is 50, but the checkpoint ${ckpt} was trained with dim 16; it cannot change when a run resumes (only epochs and threads can)`);
      expectOneLineError(await cli(['train', corpus, '--resume', ckpt, '-o', join(dir, 'r.bin'), '--model', 'cbow']), 2,
        "train: option --model is 'cbow', but the checkpoint");
      // The same value as the checkpoint's is fine; a smaller epochs than done is not.
      expectOneLineError(await cli(['train', corpus, '--resume', ckpt, '-o', join(dir, 'r.bin'), '--epochs', '1']), 2,
        `train: option --epochs is 1, but the checkpoint ${ckpt} has trained 2 epochs already`);
      const out = join(dir, 'more.bin');
      const r = await cli(['train', corpus, '--resume', ckpt, '-o', out, '--epochs', '3', '--dim', '16', ...BASELINE]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`resuming ${ckpt}: 2 epochs done; training to epoch 3; changed: --epochs 2 → 3\n`);
      // What the library gives for the same resume, bit for bit (one thread).
      const expected = await Word2Vec.resume(readFileSync(corpus, 'utf8'), ckpt, { epochs: 3, runtime: rt });
      expect((await Word2Vec.load(out, { runtime: rt })).vectors).toEqual(expected.vectors);
      expect(expected.lossPerEpoch).toHaveLength(3);
      const threads = await cli(['train', corpus, '--resume', ckpt, '-o', out, '--epochs', '3', '--threads', '2', ...BASELINE]);
      expect(threads.code).toBe(0);
      expect(threads.stderr).toContain('changed: --epochs 2 → 3, --threads 1 → 2\n');
    });
  });
});
