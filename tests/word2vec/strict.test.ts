// word2vec refuses mistakes (issue 13), through the API: unknown option names (gensim's and
// fastText's translated), save formats from the extension (read back by gensim), output paths
// checked before training and named in errors, binary corpora, and resuming: the corpus
// fingerprint, options that may and may not change, checkpoints without a fingerprint.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fnv1a64 } from '../../src/io/corpus';
import { init, Word2Vec, type Runtime } from '../../src/index';
import { parseCheckpoint } from '../../src/word2vec/checkpoint';
import type { ResumeInfo } from '../../src/word2vec/word2vec';
import { gensimReference, PYTHON } from '../gensim';

/** Sentences of word classes that share contexts, seeded. */
function corpusText(lines: number, seed = 3): string {
  let s = seed;
  const random = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const pick = (xs: string[]) => xs[Math.floor(random() * xs.length)]!;
  const subjects = ['king', 'queen', 'man', 'woman', 'boy', 'girl'], verbs = ['rules', 'sees', 'loves'], places = ['castle', 'city', 'river', 'forest'];
  return Array.from({ length: lines }, () => Array.from({ length: 3 }, () => `the ${pick(subjects)} ${pick(verbs)} the ${pick(places)}`).join(' and ')).join('\n') + '\n';
}

/** A corpus that fails the test if anything reads it: the checks must come first. */
const unreadable = { [Symbol.asyncIterator]() { throw new Error('the corpus was read'); } } as unknown as AsyncIterable<string>;

let rt: Runtime, dir: string;
const text = corpusText(2000);
const OPTIONS = { dim: 8, minCount: 1, epochs: 2, seed: 5 };
beforeAll(async () => {
  rt = await init({ simd: 'baseline' });
  dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-strict-'));
});
afterAll(() => {
  rt.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('unknown option names', () => {
  test("gensim's names (the issue's { vector_size: 20, min_count: 1, workers: 2 }) are refused, saying ours with the values", async () => {
    await expect(Word2Vec.train(unreadable, { vector_size: 20, min_count: 1, workers: 2, runtime: rt } as never)).rejects.toThrow(
      "word2vec: unknown options vector_size (gensim's name for dim), min_count (gensim's name for minCount), workers (gensim's name for threads); " +
      'write { dim: 20, minCount: 1, threads: 2 }');
    // Values translated: sg 0 is CBOW, hs 1 hierarchical softmax; fastText's names too.
    await expect(Word2Vec.train(unreadable, { sg: 0, hs: 1 } as never)).rejects.toThrow(
      "word2vec: unknown options sg (gensim's name for model), hs (gensim and the word2vec C tool's name for loss); write { model: 'cbow', loss: 'hs' }");
    await expect(Word2Vec.train(unreadable, { ws: 3, epoch: 10, neg: 7, thread: 2, lr: 0.05, minCount: 1 } as never)).rejects.toThrow(
      "word2vec: unknown options ws (fastText's name for window), epoch (fastText's name for epochs), neg (fastText's name for negative), " +
      "thread (fastText's name for threads), lr (fastText's name for alpha); write { window: 3, epochs: 10, negative: 7, threads: 2, alpha: 0.05 }");
    await expect(Word2Vec.train(unreadable, { cbow_mean: 1 } as never)).rejects.toThrow(
      "word2vec: unknown option cbow_mean (gensim's; model: 'cbow' always averages the context, as cbow_mean=1)");
    await expect(Word2Vec.train(unreadable, { corpus_file: 'x.txt' } as never)).rejects.toThrow(
      "corpus_file (gensim's; the corpus is the first argument of Word2Vec.train: a string, lines, { path }, a Blob or a stream)");
  });

  test('{ truncate: true } and typos: the close names, or the list', async () => {
    await expect(Word2Vec.train(unreadable, { truncate: true } as never)).rejects.toThrow(
      /^word2vec: unknown option truncate; the options are dim, window, negative, minCount, maxVocabSize, sample, /);
    await expect(Word2Vec.train(unreadable, { dimm: 20, mincount: 1, Epochs: 3 } as never)).rejects.toThrow(
      'word2vec: unknown options dimm (did you mean dim?), mincount (did you mean minCount?), Epochs (did you mean epochs?)');
    // Object.prototype's names are not options either.
    await expect(Word2Vec.train(unreadable, JSON.parse('{"constructor": 1}'))).rejects.toThrow('word2vec: unknown option constructor');
  });

  test('loading, saving and resuming check their names too', async () => {
    const model = await Word2Vec.train(text, { ...OPTIONS, runtime: rt });
    await expect(Word2Vec.load(model.toBytes('binary'), { runtime: rt, binary: true } as never)).rejects.toThrow(
      'Word2Vec.load: unknown option binary; the options are runtime');
    await expect(model.save(join(dir, 'v.txt'), { fromat: 'text' } as never)).rejects.toThrow('Word2Vec.save: unknown option fromat (did you mean format?)');
    await expect(Word2Vec.resume(text, model, { epoch: 3 } as never)).rejects.toThrow(
      "Word2Vec.resume: unknown option epoch (fastText's name for epochs); write { epochs: 3 }");
    await expect(Word2Vec.resume(text, model, { onResum: () => {} } as never)).rejects.toThrow('did you mean onResume?');
  });
});

const gensim = gensimReference('strict.test.ts: save(path) formats read by gensim');

describe('save(path): the format from the extension', () => {
  let model: Word2Vec;
  beforeAll(async () => {
    model = await Word2Vec.train(text, { ...OPTIONS, runtime: rt });
  });

  test('.txt and .vec are text, .bin binary, .ckpt a checkpoint; another extension needs { format }', async () => {
    for (const [name, format] of [['vectors.txt', 'text'], ['vectors.vec', 'text'], ['VECTORS.BIN', 'binary'], ['run.ckpt', 'checkpoint']] as const) {
      await model.save(join(dir, name));
      expect(readFileSync(join(dir, name)).equals(Buffer.from(model.toBytes(format))), name).toBe(true);
    }
    await expect(model.save(join(dir, 'vectors.w2v'))).rejects.toThrow(
      `Word2Vec.save: cannot tell the format of ${join(dir, 'vectors.w2v')} from its extension: name it .bin (binary), .txt or .vec (text) or .ckpt (checkpoint), or pass { format: 'binary' | 'text' | 'checkpoint' }`);
    await expect(model.save(join(dir, 'vectors'))).rejects.toThrow('cannot tell the format');
    expect(readdirSync(dir).filter((f) => f.startsWith('vectors.w2v') || f === 'vectors')).toEqual([]);
    // An explicit format wins over the extension.
    await model.save(join(dir, 'vectors.w2v'), { format: 'text' });
    expect(readFileSync(join(dir, 'vectors.w2v'), 'utf8')).toBe(new TextDecoder().decode(model.toBytes('text')));
  });

  test(".bin of a subword model is fastText's .bin model; .vec its word vectors", async () => {
    const sub = await Word2Vec.train(text, { ...OPTIONS, epochs: 1, maxn: 4, minn: 3, bucket: 1000, runtime: rt });
    await sub.save(join(dir, 'sub.bin'));
    expect(readFileSync(join(dir, 'sub.bin')).equals(Buffer.from(sub.toBytes('fasttext')))).toBe(true);
    await sub.save(join(dir, 'sub.vec'));
    expect(readFileSync(join(dir, 'sub.vec')).equals(Buffer.from(sub.toBytes('text')))).toBe(true);
  });

  test.skipIf(!gensim)("gensim reads model.save('vectors.txt') as text and model.save('vectors.bin') as binary, bit for bit", async () => {
    for (const [name, binary] of [['g.txt', 'False'], ['g.bin', 'True']] as const) {
      const path = join(dir, name);
      await model.save(path);
      const out = JSON.parse(execFileSync(PYTHON, ['-c', [
        'import sys, json',
        'from gensim.models import KeyedVectors',
        `kv = KeyedVectors.load_word2vec_format(sys.argv[1], binary=${binary})`,
        "print(json.dumps({'words': kv.index_to_key, 'vectors': kv.vectors.astype('<f4').tobytes().hex()}))",
      ].join('\n'), path], { encoding: 'utf8' }));
      expect(out.words, name).toEqual(model.vocab);
      expect(out.vectors, name).toBe(Buffer.from(model.vectors.buffer, model.vectors.byteOffset, model.vectors.byteLength).toString('hex'));
    }
  });
});

describe('output paths: checked before training, named in errors', () => {
  test('checkpointPath in a missing folder, or a folder: refused before the corpus is read', async () => {
    const ck = join(dir, 'nodir', 'run.ckpt');
    await expect(Word2Vec.train(unreadable, { checkpointPath: ck, runtime: rt })).rejects.toThrow(
      `word2vec: option checkpointPath ${ck}: the folder ${join(dir, 'nodir')} does not exist`);
    await expect(Word2Vec.train(unreadable, { checkpointPath: dir, runtime: rt })).rejects.toThrow(
      `word2vec: option checkpointPath ${dir} is a folder; give a file name (in it, or beside it)`);
  });

  test('save into a missing folder or onto a folder: the target is named, never the temporary file, none is left', async () => {
    const model = await Word2Vec.train(text, { ...OPTIONS, runtime: rt });
    // The issue's relative path, as typed (relative to the working directory).
    const rel = relative(process.cwd(), join(dir, 'nodir', 'out.bin'));
    const e = await model.save(rel).then(() => undefined, (x: Error) => x);
    expect(e?.message).toBe(`cannot write ${rel}: the folder ${relative(process.cwd(), join(dir, 'nodir'))} does not exist (ENOENT)`);
    expect((e as NodeJS.ErrnoException).code).toBe('ENOENT');
    const folder = join(dir, 'a-folder.bin');
    mkdirSync(folder);
    const f = await model.save(folder).then(() => undefined, (x: Error) => x);
    expect(f?.message).toBe(`cannot write ${folder}: it is a folder (EISDIR)`);
    expect(f?.message).not.toMatch(/\.tmp/);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('binary corpora', () => {
  test('the first MiB of an executable is refused with its first NUL; allowBinary trains on it', async () => {
    const exe = join(dir, 'exe');
    const bytes = readFileSync(process.execPath).subarray(0, 1 << 20);
    writeFileSync(exe, bytes);
    await expect(Word2Vec.train({ path: exe }, { ...OPTIONS, runtime: rt })).rejects.toThrow(
      `corpus ${exe}: byte ${bytes.indexOf(0)} is NUL (0x00): this is a binary file (or UTF-16), not UTF-8 text; pass allowBinary: true to read it anyway`);
    const model = await Word2Vec.train({ path: exe }, { ...OPTIONS, epochs: 1, minCount: 5, allowBinary: true, runtime: rt });
    expect(model.size).toBeGreaterThan(0);
    await expect(Word2Vec.train(text, { allowBinary: 'yes' } as never)).rejects.toThrow('word2vec: option allowBinary must be true or false, got yes');
  });
});

describe('resume', () => {
  let path: string;
  let file: string;
  beforeAll(async () => {
    file = join(dir, 'corpus.txt');
    writeFileSync(file, text);
    path = join(dir, 'resume.ckpt');
    const model = await Word2Vec.train({ path: file }, { ...OPTIONS, runtime: rt });
    await model.save(path);
  });

  test('the checkpoint records the corpus: name, size, hashes of its first and last MiB, tokens', () => {
    const ck = parseCheckpoint(readFileSync(path));
    const bytes = new TextEncoder().encode(text);
    expect(ck.corpus).toEqual({ name: file, bytes: bytes.length, head: fnv1a64(bytes), tail: fnv1a64(bytes), tokens: ck.vocab.rawWordCount });
    expect(ck.vocab.rawWordCount).toBe(text.split(/\s+/).filter(Boolean).length);
  });

  test('on another corpus: refused before training, naming both', async () => {
    const other = join(dir, 'other.txt');
    writeFileSync(other, corpusText(2000, 4));
    const size = (n: number) => n.toLocaleString('en-US');
    const ck = parseCheckpoint(readFileSync(path));
    let progress = 0;
    await expect(Word2Vec.resume({ path: other }, path, { epochs: 3, runtime: rt, onProgress: () => progress++ })).rejects.toThrow(
      `Word2Vec.resume: the checkpoint ${path} was trained on another corpus: ${file} (${size(ck.corpus!.bytes!)} bytes, ` +
      `${size(ck.vocab.rawWordCount)} tokens, first MiB ${ck.corpus!.head}); this one is ${other} (${size(readFileSync(other).length)} bytes, ` +
      `first MiB ${fnv1a64(readFileSync(other))})`);
    expect(progress).toBe(0);
  });

  test('a stream has no fingerprint: its tokens are counted as it is read, and another count is refused', async () => {
    const ck = parseCheckpoint(readFileSync(path));
    const fewer = text.split('\n').slice(0, 1500).join('\n');
    const e = await Word2Vec.resume(new Blob([fewer]).stream(), path, { epochs: 3, runtime: rt }).then(() => undefined, (x: Error) => x);
    expect(e?.message).toBe(`Word2Vec.resume: the checkpoint ${path} was trained on another corpus: ${file} (${ck.corpus!.bytes!.toLocaleString('en-US')} bytes, ` +
      `${ck.vocab.rawWordCount.toLocaleString('en-US')} tokens, first MiB ${ck.corpus!.head}); ` +
      `this one, a ReadableStream, has ${fewer.split(/\s+/).filter(Boolean).length.toLocaleString('en-US')} tokens`);
    // The same text as a stream resumes.
    const a = await Word2Vec.resume(new Blob([text]).stream(), path, { epochs: 3, runtime: rt });
    const b = await Word2Vec.resume({ path: file }, path, { epochs: 3, runtime: rt });
    expect(a.vectors).toEqual(b.vectors);
  });

  test('options that cannot change are refused if they differ; epochs and threads are applied and reported', async () => {
    for (const [option, value, was] of [['dim', 9, '8'], ['window', 3, '5'], ['model', 'cbow', "'skipgram'"], ['loss', 'hs', "'ns'"], ['minCount', 2, '1'], ['seed', 6, '5']] as const) {
      await expect(Word2Vec.resume(unreadable, path, { [option]: value, runtime: rt })).rejects.toThrow(
        `Word2Vec.resume: option ${option} is ${typeof value === 'string' ? `'${value}'` : value}, but the checkpoint ${path} was trained with ${option} ${was}; ` +
        'it cannot change when a run resumes (only epochs and threads can)');
    }
    await expect(Word2Vec.resume(unreadable, path, { epochs: 1, runtime: rt })).rejects.toThrow(
      `Word2Vec.resume: option epochs is 1, but the checkpoint ${path} has trained 2 epochs already`);
    // The checkpoint's own values are accepted.
    const infos: ResumeInfo[] = [];
    const same = await Word2Vec.resume({ path: file }, path, { dim: 8, model: 'skipgram', runtime: rt, onResume: (i) => infos.push(i) });
    expect(same.vectors).toEqual((await Word2Vec.load(path, { runtime: rt })).vectors); // 2 of 2 epochs: nothing more to train
    expect(infos[0]).toMatchObject({ epoch: 2, chunk: 0, epochs: 2, changed: [] });
    const more = await Word2Vec.resume({ path: file }, path, { epochs: 4, threads: 2, runtime: rt, onResume: (i) => infos.push(i) });
    expect(infos[1]).toMatchObject({ epoch: 2, epochs: 4, changed: [{ option: 'epochs', from: 2, to: 4 }, { option: 'threads', from: 1, to: 2 }] });
    expect(more.lossPerEpoch).toHaveLength(4);
  });

  test('a checkpoint from before the fingerprint still loads and resumes (its token count is checked)', async () => {
    // The header as an older version wrote it: no corpus field.
    const ck = readFileSync(path);
    const length = ck.readUInt32LE(16);
    const header = JSON.parse(ck.subarray(20, 20 + length).toString('utf8'));
    delete header.corpus;
    const json = Buffer.from(JSON.stringify(header));
    const start = Math.ceil((20 + json.length) / 4) * 4;
    const old = Buffer.alloc(start + ck.length - Math.ceil((20 + length) / 4) * 4);
    ck.copy(old, 0, 0, 16);
    old.writeUInt32LE(json.length, 16);
    json.copy(old, 20);
    ck.copy(old, start, Math.ceil((20 + length) / 4) * 4);
    expect(parseCheckpoint(old).corpus).toBeUndefined();
    const resumed = await Word2Vec.resume({ path: file }, old, { epochs: 3, runtime: rt });
    const current = await Word2Vec.resume({ path: file }, path, { epochs: 3, runtime: rt });
    expect(resumed.vectors).toEqual(current.vectors);
    await expect(Word2Vec.resume(text.slice(0, 5000), old, { epochs: 3, runtime: rt })).rejects.toThrow(
      'Word2Vec.resume: the checkpoint was trained on another corpus: its corpus (');
  });

  test('an aborted run\'s checkpoint records its corpus too', async () => {
    const ckPath = join(dir, 'aborted.ckpt');
    const controller = new AbortController();
    let batches = 0;
    const big = corpusText(30000);
    await expect(Word2Vec.train(big, {
      ...OPTIONS, runtime: rt, signal: controller.signal, checkpointPath: ckPath,
      onProgress: () => { if (++batches === 1) controller.abort(); },
    })).rejects.toThrow(/abort/i);
    const ck = parseCheckpoint(readFileSync(ckPath));
    expect(ck.corpus).toMatchObject({ name: 'a string', bytes: new TextEncoder().encode(big).length, tokens: ck.vocab.rawWordCount });
    await expect(Word2Vec.resume(text, ckPath, { runtime: rt })).rejects.toThrow('Word2Vec.resume: the checkpoint');
    const resumed = await Word2Vec.resume(big, ckPath, { runtime: rt });
    expect(resumed.vectors).toEqual((await Word2Vec.train(big, { ...OPTIONS, runtime: rt })).vectors);
  });
});
