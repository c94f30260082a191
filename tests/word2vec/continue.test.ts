// Continued training, as gensim's build_vocab(more, update=True) then train(more): the vocabulary
// update worked out by hand and compared with Debian's gensim 4.2, the vectors of old words kept
// and moved only by training, new rows as a fresh start gives them, the learning rate restarting,
// one-thread reproducibility (also from a checkpoint, and across an abort), and the errors.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, Word2Vec, type Runtime } from '../../src/index';
import { Vocab } from '../../src/word2vec/vocab';
import { gensimReference, PYTHON } from '../gensim';
import { rng } from '../kernel-tester';

/** A tiny grammar: `subjects` verb `objects`, so that training has classes to find. */
function grammarCorpus(sentences: number, seed: number, subjects: string[], objects: string[]): string {
  const random = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  const verbs = ['rules', 'sees', 'loves', 'finds', 'keeps', 'visits'];
  const lines: string[] = [];
  for (let i = 0; i < sentences; i++) {
    const words: string[] = [];
    for (let j = 0; j < 3; j++) words.push('the', pick(subjects), pick(verbs), 'the', pick(objects), random() < 0.3 ? 'and' : 'then');
    lines.push(words.join(' '));
  }
  return lines.join('\n');
}

// The second corpus lacks man, woman, garden and river, and brings prince, princess, tower, village.
const first = grammarCorpus(600, 1, ['king', 'queen', 'man', 'woman'], ['castle', 'city', 'garden', 'river']);
const second = grammarCorpus(600, 2, ['king', 'queen', 'prince', 'princess'], ['castle', 'city', 'tower', 'village']);
const absentFromSecond = ['man', 'woman', 'garden', 'river'];
const added = ['prince', 'princess', 'tower', 'village'];

let wasm: Runtime, dir: string, base: Word2Vec;
// sample 1e-2: the default 1e-3 drops most of so small a vocabulary's tokens, and its vectors all end up alike.
const baseOptions = { dim: 16, window: 3, minCount: 2, epochs: 5, sample: 1e-2, seed: 5, threads: 1 };
beforeAll(async () => {
  wasm = await init({ simd: process.env.WASM_NLP_EXPECT_RELAXED === '1' ? 'relaxed' : 'baseline' });
  dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-continue-'));
  base = await Word2Vec.train(first, { ...baseOptions, runtime: wasm });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const row = (m: Word2Vec, word: string) => m.vectors.subarray(m.vocab.indexOf(word) * m.dim, (m.vocab.indexOf(word) + 1) * m.dim);
const countOf = (m: Word2Vec, word: string) => m.counts![m.vocab.indexOf(word)];
const tokensOf = (text: string) => text.split(/\s+/).filter(Boolean);

describe('the vocabulary update (gensim 4.2 prepare_vocab(update=True))', () => {
  // Worked out by hand. The model's words a0..a7 (counts 9..2; r1 and r2 seen once, dropped).
  // The new corpus: a0 ×5, a3 ×1 (below minCount here, but counted), a5 ×2, r1 ×1 (still
  // dropped: only this corpus's count decides), r2 ×3 (added with 3, not 4), n0 ×4, n1 ×2, n2 ×1
  // (dropped), n3 ×6. New words come in first-seen order: n3, r2, n0, n1.
  const oldTokens: string[] = [];
  for (let k = 0; k < 8; k++) for (let n = 0; n < 9 - k; n++) oldTokens.push(`a${k}`);
  oldTokens.push('r1', 'r2');
  const random = rng(9);
  for (let i = oldTokens.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [oldTokens[i], oldTokens[j]] = [oldTokens[j]!, oldTokens[i]!];
  }
  const oldLines: string[] = [];
  for (let i = 0; i < oldTokens.length; i += 6) oldLines.push(oldTokens.slice(i, i + 6).join(' '));
  const newLines = ['a0 n3 r2 a5 n0', 'n3 a0 r1 n1 n3', 'a0 n0 n3 a3 r2', 'n2 a5 n0 a0 n3', 'a0 n0 n1 r2 n3'];
  const expectedWords = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'n3', 'r2', 'n0', 'n1'];
  const expectedCounts = [14, 8, 7, 7, 5, 6, 3, 2, 6, 3, 4, 2];

  test('old words keep their ids and add their counts, new words reaching minCount are appended in first-seen order', async () => {
    const model = await Word2Vec.train(oldLines.join('\n'), { dim: 8, minCount: 2, epochs: 1, runtime: wasm });
    expect(model.vocab).toEqual(expectedWords.slice(0, 8));
    const more = await model.train(newLines.join('\n'), { updateVocab: true, runtime: wasm });
    expect(more.vocab).toEqual(expectedWords);
    expect(more.counts).toEqual(expectedCounts);
    // The model itself is left as it was.
    expect(model.vocab).toHaveLength(8);
    // With minCount 4 for the update, only n3 (6) and n0 (4) join; a3 and a5 still add their counts.
    const strict = await model.train(newLines.join('\n'), { updateVocab: true, minCount: 4, runtime: wasm });
    expect(strict.vocab).toEqual([...expectedWords.slice(0, 8), 'n3', 'n0']);
    expect(strict.counts).toEqual([14, 8, 7, 7, 5, 6, 3, 2, 6, 4]);
  });

  test('Vocab.update and a Huffman tree over words not sorted by count', async () => {
    const vocab = await Vocab.build(oldLines.map((l) => l.split(' ')), { minCount: 2 });
    const scan = await Vocab.scan(newLines.map((l) => l.split(' ')));
    const next = vocab.update(scan, 2);
    expect(next.words).toEqual(expectedWords);
    expect([...next.counts]).toEqual(expectedCounts);
    expect(next.order).toBe('update');
    expect(next.rawWordCount).toBe(oldTokens.length + 25);
    // The corpus's words in the vocabulary: all 25 tokens but r1 and n2.
    expect(next.wordsOf(scan)).toBe(23);
    expect(vocab.wordsOf(scan)).toBe(5 + 1 + 2);
    // The tree of the updated order is the tree of the same words sorted by count (ties by id), permuted.
    const byCount = expectedWords.map((_, i) => i).sort((a, b) => expectedCounts[b]! - expectedCounts[a]!);
    const sorted = new Vocab(byCount.map((i) => expectedWords[i]!), byCount.map((i) => expectedCounts[i]!));
    const t = next.huffman(), s = sorted.huffman();
    const code = (tree: typeof t, w: number) => [...tree.codes.subarray(w * tree.maxCodeLength, w * tree.maxCodeLength + tree.lengths[w]!)].join('') +
      ':' + [...tree.points.subarray(w * tree.maxCodeLength, w * tree.maxCodeLength + tree.lengths[w]!)].join(',');
    byCount.forEach((w, k) => expect(code(t, w)).toBe(code(s, k)));
    // Counts that rise along the ids are still refused for the default order.
    expect(() => new Vocab(['a', 'b'], [1, 2])).toThrow('counts must not increase');
    expect(() => new Vocab(['a', 'b'], [1, 2], { order: 'sorted' as 'count' })).toThrow("Vocab: order must be 'count' or 'update', got sorted");
  });

  const hasGensim = gensimReference('continue.test.ts: gensim build_vocab(update=True) comparison');
  test.skipIf(!hasGensim)('words, order and counts equal gensim 4.2 build_vocab(update=True)', async () => {
    const a = join(dir, 'old.txt'), b = join(dir, 'new.txt');
    writeFileSync(a, oldLines.join('\n') + '\n');
    writeFileSync(b, newLines.join('\n') + '\n');
    const script = `
import json, sys
from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence
m = Word2Vec(LineSentence(sys.argv[1]), vector_size=8, min_count=2, workers=1, epochs=1, seed=1)
before = list(m.wv.index_to_key)
m.build_vocab(LineSentence(sys.argv[2]), update=True)
m.train(LineSentence(sys.argv[2]), total_examples=m.corpus_count, epochs=m.epochs)
words = m.wv.index_to_key
print(json.dumps({'before': before, 'words': words, 'counts': [int(m.wv.get_vecattr(w, 'count')) for w in words]}))
`;
    const r = spawnSync(PYTHON, ['-c', script, a, b], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`gensim failed: ${r.stderr}`);
    const g = JSON.parse(r.stdout) as { before: string[]; words: string[]; counts: number[] };
    const model = await Word2Vec.train({ path: a }, { dim: 8, minCount: 2, epochs: 1, runtime: wasm });
    expect(model.vocab).toEqual(g.before);
    const more = await model.train({ path: b }, { updateVocab: true, runtime: wasm });
    expect(more.vocab).toEqual(g.words);
    expect(more.counts).toEqual(g.counts);
    expect(g.words).toEqual(expectedWords);
  });
});

describe('the vectors', () => {
  test('old vectors are kept, not reset; new rows are a fresh start\'s rows; words absent from the corpus do not move', async () => {
    // A learning rate of 1e-12 leaves every vector where it starts, to float rounding.
    const still = await base.train(second, { updateVocab: true, alpha: 1e-12, minAlpha: 1e-12, runtime: wasm });
    const V0 = base.vocab.length, dim = base.dim;
    expect(still.vocab.slice(0, V0)).toEqual(base.vocab);
    expect([...still.vocab.slice(V0)].sort()).toEqual([...added].sort());
    for (let i = 0; i < V0 * dim; i++) expect(Math.abs(still.vectors[i]! - base.vectors[i]!)).toBeLessThan(1e-9);
    // Element k of a fresh start is the k-th draw of the seed's stream, (u − 0.5)/dim (the C tool's
    // range), so the new rows continue the stream where the model's rows end (gensim 4.2's
    // prep_vectors keeps the same property for its own generator).
    const random = rng(baseOptions.seed);
    for (let k = 0; k < V0 * dim; k++) random();
    for (let k = V0 * dim; k < still.vectors.length; k++) {
      expect(Math.abs(still.vectors[k]! - Math.fround((random() - 0.5) / dim))).toBeLessThan(1e-9);
    }

    const moved = await base.train(second, { updateVocab: true, runtime: wasm });
    // Words the new corpus lacks are never an input there: their vectors stay to the bit.
    for (const w of absentFromSecond) expect(row(moved, w)).toEqual(row(base, w));
    // Words it has are trained further.
    for (const w of ['king', 'castle', 'the']) expect(row(moved, w)).not.toEqual(row(base, w));
    // And the new words learnt their class from the contexts they share with the old ones.
    const sim = (a: string, bs: string[]) => bs.reduce((s, b) => s + moved.similarity(a, b), 0) / bs.length;
    expect(sim('prince', ['king', 'queen', 'princess'])).toBeGreaterThan(sim('prince', ['castle', 'city', 'tower', 'village']));
    expect(sim('village', ['castle', 'city', 'tower'])).toBeGreaterThan(sim('village', ['king', 'queen', 'prince', 'princess']));
  });

  test('without updateVocab: the vocabulary and counts stay, the corpus\'s new words are skipped', async () => {
    const more = await base.train(second, { runtime: wasm });
    expect(more.vocab).toEqual(base.vocab);
    expect(more.counts).toEqual(base.counts);
    for (const w of absentFromSecond) expect(row(more, w)).toEqual(row(base, w));
    expect(row(more, 'king')).not.toEqual(row(base, 'king'));
    expect(more.lossPerEpoch).toHaveLength(baseOptions.epochs);
  });

  test('the learning rate falls from alpha to minAlpha again over the continued run, counted on the new corpus', async () => {
    const events: { alpha: number; fraction: number }[] = [];
    const alpha = 0.02, minAlpha = 0.001, epochs = 2;
    await base.train(second, { updateVocab: true, alpha, minAlpha, epochs, runtime: wasm, onProgress: (e) => events.push(e) });
    // One chunk per epoch here; a chunk reports the rate of its last sentence, set from the
    // words before it: (e + 1)·N − L of E·N, with N the new corpus's words (all in the
    // vocabulary now) and L its last line's. The model's own counts (and so its first corpus) play no part.
    const N = tokensOf(second).length, L = tokensOf(second.split('\n').at(-1)!).length;
    expect(events).toHaveLength(epochs);
    events.forEach((e, i) => {
      const expected = alpha - (alpha - minAlpha) * (((i + 1) * N - L) / (epochs * N));
      expect(Math.abs(e.alpha / expected - 1)).toBeLessThan(1e-5);
    });
    expect(events.at(-1)!.fraction).toBe(1);
  });

  test('hierarchical softmax continues on its tree; softmax grows its output rows', async () => {
    const hs = await Word2Vec.train(first, { ...baseOptions, loss: 'hs', runtime: wasm });
    const more = await hs.train(second, { runtime: wasm });
    expect(more.vocab).toEqual(hs.vocab);
    expect(row(more, 'king')).not.toEqual(row(hs, 'king'));
    const softmax = await Word2Vec.train(first, { ...baseOptions, loss: 'softmax', runtime: wasm });
    const grown = await softmax.train(second, { updateVocab: true, runtime: wasm });
    expect(grown.vocab.slice(softmax.vocab.length).sort()).toEqual([...added].sort());
    expect(grown.lossPerEpoch.every((l) => Number.isFinite(l) && l > 0)).toBe(true);
  });
});

describe('reproducibility', () => {
  test('one thread: the continued run is the same to the bit, from the model or from its checkpoint', async () => {
    const a = await base.train(second, { updateVocab: true, epochs: 2, runtime: wasm });
    const b = await base.train(second, { updateVocab: true, epochs: 2, runtime: wasm });
    expect(b.vectors).toEqual(a.vectors);
    expect(b.lossPerEpoch).toEqual(a.lossPerEpoch);
    const path = join(dir, 'base.ckpt');
    await base.save(path);
    const loaded = await Word2Vec.load(path, { runtime: wasm });
    const c = await loaded.train(second, { updateVocab: true, epochs: 2, runtime: wasm });
    expect(c.vocab).toEqual(a.vocab);
    expect(c.vectors).toEqual(a.vectors);
    // The continued model's checkpoint keeps gensim's order (counts rising along the ids) and reloads.
    const again = await Word2Vec.load(c.toBytes('checkpoint'), { runtime: wasm });
    expect(again.vocab).toEqual(c.vocab);
    expect(again.counts).toEqual(c.counts);
    const d = await again.train(first, { epochs: 1, runtime: wasm });
    const e = await c.train(first, { epochs: 1, runtime: wasm });
    expect(d.vectors).toEqual(e.vectors);
  });

  test('an aborted continued run resumes from its checkpoint to the uninterrupted run\'s vectors', async () => {
    const options = { updateVocab: true, epochs: 3, runtime: wasm };
    const full = await base.train(second, options);
    const path = join(dir, 'continued.ckpt');
    const controller = new AbortController();
    await expect(base.train(second, {
      ...options, signal: controller.signal, checkpointPath: path, onProgress: () => controller.abort(),
    })).rejects.toThrow(/abort/i);
    expect(existsSync(path)).toBe(true);
    const resumed = await Word2Vec.resume(second, path, { runtime: wasm });
    expect(resumed.vocab).toEqual(full.vocab);
    expect(resumed.vectors).toEqual(full.vectors);
    expect(resumed.lossPerEpoch).toEqual(full.lossPerEpoch);
    // Its corpus is the second one: the first is refused.
    await expect(Word2Vec.resume(first, path, { runtime: wasm })).rejects.toThrow(/trained on another corpus/);
  });
});

describe('errors', () => {
  test('a model loaded from vectors cannot continue: no output weights', async () => {
    const vectors = await Word2Vec.load(base.toBytes('text'), { runtime: wasm });
    await expect(vectors.train(second, { runtime: wasm })).rejects.toThrow(
      'Word2Vec.train: this model was loaded from vectors, which hold only the input vectors; continued training needs the output weights too');
  });

  test('options: strict names, the model\'s shape fixed, hs with updateVocab, minCount without it', async () => {
    await expect(base.train(second, { update: true } as never)).rejects.toThrow(
      "Word2Vec.train: unknown option update (gensim's build_vocab()'s name for updateVocab); write { updateVocab: true }");
    await expect(base.train(second, { start_alpha: 0.01 } as never)).rejects.toThrow("start_alpha (gensim's train()'s name for alpha)");
    await expect(base.train(second, { updateVocab: 1 as unknown as boolean })).rejects.toThrow('Word2Vec.train: option updateVocab must be true or false, got 1');
    await expect(base.train(second, { dim: 32 })).rejects.toThrow(
      'Word2Vec.train: option dim is 32, but this model was trained with dim 16; continued training cannot change dim, model, loss, maxn, minn, bucket');
    await expect(base.train(second, { model: 'cbow' })).rejects.toThrow("option model is 'cbow', but this model was trained with model 'skipgram'");
    await expect(base.train(second, { minCount: 1 })).rejects.toThrow(
      'Word2Vec.train: option minCount applies to the words added with updateVocab: true; without it the vocabulary stays');
    await expect(base.train(second, { updateVocab: true, epochs: 0 })).rejects.toThrow('option epochs must be an integer ≥ 1, got 0');
    const hs = await Word2Vec.train(first, { ...baseOptions, loss: 'hs', epochs: 1, runtime: wasm });
    await expect(hs.train(second, { updateVocab: true, runtime: wasm })).rejects.toThrow(
      "Word2Vec.train: updateVocab with loss 'hs' is not supported: new counts give a new Huffman tree");
  });

  test('a corpus with no word of the model', async () => {
    await expect(base.train('zebra yak gnu', { runtime: wasm })).rejects.toThrow(
      "Word2Vec.train: none of the corpus's 3 tokens is a word of the model; pass updateVocab: true to add its words");
    await expect(base.train('zebra yak gnu', { updateVocab: true, runtime: wasm })).rejects.toThrow(
      "none of the corpus's 3 tokens is a word of the model or occurs minCount (2) times");
    await expect(base.train('', { runtime: wasm })).rejects.toThrow('word2vec: the corpus is empty');
  });

  test('subword (fastText) models are refused', async () => {
    const sub = await Word2Vec.train(first, { ...baseOptions, epochs: 1, maxn: 4, bucket: 1000, runtime: wasm });
    await expect(sub.train(second, { runtime: wasm })).rejects.toThrow('Word2Vec.train: continued training of subword (fastText) models is not supported yet');
  });
});
