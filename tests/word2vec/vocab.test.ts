// The vocabulary: counts, order, minCount, gensim's maxVocabSize pruning, keep probabilities,
// the alias table for negative sampling, the C tool's Huffman tree, pair counts, the errors,
// and gensim's own vocabulary on the same corpus (Debian's python3-gensim, required in CI: see
// tests/references.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sentences } from '../../src/io/corpus';
import {
  countPairs, countTrainingExamples, drawAlias, MAX_CODE_LENGTH, Vocab, type VocabBuildOptions,
} from '../../src/word2vec/vocab';
import { rng } from '../kernel-tester';
import { gensimReference, PYTHON } from '../gensim';

const build = (text: string | string[][], options?: VocabBuildOptions) => Vocab.build(sentences(text), options);

describe('building', () => {
  it('counts every token; descending count, ties in first-seen order', async () => {
    const v = await build('b a c a\nb d a\n\nd x y y x', { minCount: 1 });
    // a 3, b 2, d 2, y 2, x 2, c 1: b before d (seen first), x before y.
    expect(v.words).toEqual(['a', 'b', 'd', 'x', 'y', 'c']);
    expect([...v.counts]).toEqual([3, 2, 2, 2, 2, 1]);
    expect(v.size).toBe(6);
    expect(v.totalWords).toBe(12);
    expect(v.rawWordCount).toBe(12);
    expect(v.sentenceCount).toBe(3);
    expect(v.index('d')).toBe(2);
    expect(v.index('zzz')).toBe(-1);
    expect(v.index('constructor')).toBe(-1);
  });

  it('minCount drops rare words from the vocabulary and totalWords, not from rawWordCount', async () => {
    const v = await build('b a c a\nb d a\n\nd x y y x', { minCount: 2 });
    expect(v.words).toEqual(['a', 'b', 'd', 'x', 'y']);
    expect(v.totalWords).toBe(11);
    expect(v.rawWordCount).toBe(12);
    const five = await build('a '.repeat(5) + 'b '.repeat(4) + 'c');
    expect(five.words).toEqual(['a']); // the default minCount is 5
  });

  it('maxVocabSize prunes as gensim: after a sentence, counts below min_reduce go, then min_reduce + 1', async () => {
    // {a1 b1} · {a1 b1 c1}: 3 > 2, prune < 1 (nothing) · {a2 b1 c1 d1}: prune < 2 → {a2}
    // · {a2 e1} · {a3 e1 c1}: prune < 3 → {a3}.
    const v = await build([['a', 'b'], ['c'], ['a', 'd'], ['e'], ['a', 'c']], { minCount: 1, maxVocabSize: 2 });
    expect(v.words).toEqual(['a']);
    expect([...v.counts]).toEqual([3]);
    expect(v.rawWordCount).toBe(8);
    expect(v.sentenceCount).toBe(5);
  });

  it('a pruned word that comes back is first seen again (Python dict order)', async () => {
    // {p1 q1} · {p1 q1 r1}: prune < 1 · {p1 q2 r1}: prune < 2 → {q2} · {q2 p2}: a tie, q first.
    const pruned = await build([['p', 'q'], ['r'], ['q'], ['p', 'p']], { minCount: 1, maxVocabSize: 2 });
    expect(pruned.words).toEqual(['q', 'p']);
    expect([...pruned.counts]).toEqual([2, 2]);
    const unpruned = await build([['p', 'q'], ['r'], ['q'], ['p', 'p']], { minCount: 1 });
    expect(unpruned.words).toEqual(['p', 'q', 'r']);
    expect([...unpruned.counts]).toEqual([3, 2, 1]);
  });

  it('accepts a plain iterable of token arrays', async () => {
    const v = await Vocab.build([['x', 'y'], ['x']], { minCount: 1 });
    expect(v.words).toEqual(['x', 'y']);
  });

  it('the constructor takes words in id order (checkpoints) and checks them', () => {
    const v = new Vocab(['the', 'cat', 'sat'], [5, 3, 3], { rawWordCount: 20, sentenceCount: 2 });
    expect(v.index('sat')).toBe(2);
    expect(v.totalWords).toBe(11);
    expect(v.rawWordCount).toBe(20);
    expect(new Vocab(['a'], new Float64Array([4])).rawWordCount).toBe(4);
    expect(() => new Vocab(['a', 'b'], [1])).toThrow('Vocab: 2 words but 1 counts');
    expect(() => new Vocab([], [])).toThrow('Vocab: needs at least one word');
    expect(() => new Vocab(['a', 'b', 'a'], [3, 2, 1])).toThrow('Vocab: word "a" appears twice, at 0 and 2');
    expect(() => new Vocab(['a', 'b'], [1, 2])).toThrow('Vocab: counts must not increase, but counts[1] = 2 follows counts[0] = 1');
    expect(() => new Vocab(['a', 'b'], [2, 0.5])).toThrow('Vocab: counts[1] must be a positive integer, got 0.5');
    expect(() => new Vocab(['a', 7 as unknown as string], [2, 1])).toThrow('Vocab: words[1] must be a string, got number');
    expect(() => new Vocab(['a'], [2], { rawWordCount: 1 })).toThrow('rawWordCount must be an integer ≥ totalWords (2), got 1');
  });
});

describe('errors', () => {
  it('an empty corpus, and no word reaching minCount, say which', async () => {
    await expect(build('')).rejects.toThrow('word2vec: the corpus is empty');
    await expect(build(' \n\t\n')).rejects.toThrow('word2vec: the corpus is empty');
    await expect(build('a b a c')).rejects.toThrow('word2vec: no word reaches minCount 5: the most frequent word, "a", occurs 2 times');
    await expect(build([['p', 'q', 'r'], ['q'], ['p'], ['s', 's']], { minCount: 1, maxVocabSize: 2 }))
      .rejects.toThrow('word2vec: no word reaches minCount 1: pruning to maxVocabSize 2 left no words');
  });

  it('options are checked before the corpus is read', async () => {
    let read = false;
    const corpus = (async function* () {
      read = true;
      yield ['a'];
    })();
    await expect(Vocab.build(corpus, { minCount: 0 })).rejects.toThrow('Vocab.build: option minCount must be an integer ≥ 1, got 0');
    await expect(Vocab.build(corpus, { minCount: 2.5 })).rejects.toThrow('got 2.5');
    await expect(Vocab.build(corpus, { maxVocabSize: 0 })).rejects.toThrow('Vocab.build: option maxVocabSize must be an integer ≥ 1, got 0');
    await expect(Vocab.build(corpus, { maxVocabSize: NaN })).rejects.toThrow('got NaN');
    await expect(Vocab.build('a b' as unknown as string[][])).rejects.toThrow('sentences must be an iterable or async iterable of token arrays');
    await expect(Vocab.build([['a', 1 as unknown as string]], { minCount: 1 })).rejects.toThrow('sentence 0 has number at position 1');
    expect(read).toBe(false);
  });

  it('an AbortSignal stops the scan', async () => {
    await expect(build('a b', { signal: AbortSignal.abort() })).rejects.toThrow(/aborted/i);
    const controller = new AbortController();
    let n = 0;
    const corpus = (async function* () {
      for (;;) {
        if (++n === 3) controller.abort();
        yield ['a', 'b'];
      }
    })();
    await expect(Vocab.build(corpus, { signal: controller.signal })).rejects.toThrow(/aborted/i);
    expect(n).toBe(3);
  });
});

describe('subsampling', () => {
  // totalWords 111; with sample 0.01 the threshold t is 1.11.
  const v = new Vocab(['a', 'b', 'c'], [100, 10, 1]);

  it('keep = (√(count/t) + 1)·t/count, capped at 1, against hand-computed values', () => {
    const p = v.keepProbabilities(0.01);
    expect(p).toBeInstanceOf(Float32Array);
    // (√(100/1.11) + 1)·0.0111 = (9.491580 + 1)·0.0111; (√(10/1.11) + 1)·0.111 = (3.001501 + 1)·0.111.
    expect(p[0]).toBeCloseTo(0.1164565, 6);
    expect(p[1]).toBeCloseTo(0.4441666, 6);
    expect(p[2]).toBe(1); // (√(1/1.11) + 1)·1.11 = 2.16, capped
    expect([...v.keepProbabilities(0)]).toEqual([1, 1, 1]);
    // gensim's shorthand for sample ≥ 1: t = ⌊2·(3 + √5)/2⌋ = 5; (√20 + 1)·0.05 = 0.2736068.
    const s2 = v.keepProbabilities(2);
    expect(s2[0]).toBeCloseTo(0.2736068, 6);
    expect([s2[1], s2[2]]).toEqual([1, 1]);
  });

  it('keepThresholds are gensim sample_int: ⌊keep·(2³² − 1)⌋', () => {
    expect([...v.keepThresholds(0.01)]).toEqual([500177019, 1907681127, 4294967295]);
    expect([...v.keepThresholds(0)]).toEqual([4294967295, 4294967295, 4294967295]);
  });

  it('sample out of range', () => {
    expect(() => v.keepProbabilities(-1e-3)).toThrow('Vocab.keepProbabilities: sample must be a finite number ≥ 0, got -0.001');
    expect(() => v.keepThresholds(NaN)).toThrow('Vocab.keepThresholds: sample must be a finite number ≥ 0, got NaN');
  });
});

describe('negative sampling: the alias table', () => {
  // 20 words, Zipf-like with ties, plus a very frequent and a very rare one.
  const counts = [100000, 5000, 2500, 1700, 1250, 1000, 1000, 700, 600, 500, 400, 300, 300, 250, 100, 50, 20, 5, 2, 1];
  const v = new Vocab(counts.map((_, i) => `w${i}`), counts);

  function target(exponent: number): number[] {
    const w = counts.map((c) => c ** exponent);
    const sum = w.reduce((a, b) => a + b, 0);
    return w.map((x) => x / sum);
  }

  /** The probability of each outcome that the table encodes: its own slot share plus what aliases give it. */
  function encoded(prob: Float32Array, alias: Int32Array): number[] {
    const V = prob.length;
    const mass = new Array<number>(V).fill(0);
    for (let i = 0; i < V; i++) {
      mass[i]! += prob[i]! / V;
      mass[alias[i]!]! += (1 - prob[i]!) / V;
    }
    return mass;
  }

  it('is exact: the mass per outcome equals count^e / Σ within 1e-6', () => {
    for (const e of [0.75, 1, 0, 0.5, -0.5]) {
      const { prob, alias } = v.negativeSamplingTable(e);
      const want = target(e);
      const got = encoded(prob, alias);
      for (let i = 0; i < counts.length; i++) expect(Math.abs(got[i]! - want[i]!), `exponent ${e}, word ${i}`).toBeLessThan(1e-6);
      for (let i = 0; i < counts.length; i++) {
        expect(prob[i]).toBeGreaterThanOrEqual(0);
        expect(prob[i]).toBeLessThanOrEqual(1);
        expect(alias[i]).toBeGreaterThanOrEqual(0);
        expect(alias[i]).toBeLessThan(counts.length);
      }
    }
    expect(v.negativeSamplingTable().prob).toEqual(v.negativeSamplingTable(0.75).prob);
  });

  it('10^6 draws follow count^0.75 within 4.5 standard deviations per word', () => {
    const table = v.negativeSamplingTable();
    const random = rng(7);
    const N = 1_000_000;
    const seen = new Array<number>(counts.length).fill(0);
    for (let n = 0; n < N; n++) seen[drawAlias(table, random())]!++;
    const want = target(0.75);
    let chi2 = 0;
    for (let i = 0; i < counts.length; i++) {
      const expected = N * want[i]!;
      const sd = Math.sqrt(expected * (1 - want[i]!));
      expect(Math.abs(seen[i]! - expected), `word ${i}: ${seen[i]} draws, expected ${expected.toFixed(0)}`).toBeLessThan(4.5 * sd);
      chi2 += (seen[i]! - expected) ** 2 / expected;
    }
    // 19 degrees of freedom: P(χ² > 43.8) = 0.001.
    expect(chi2).toBeLessThan(43.8);
  });

  it('drawAlias: the rule at the edges of [0, 1)', () => {
    const table = { prob: new Float32Array([0.5, 1]), alias: new Int32Array([1, 1]) };
    expect(drawAlias(table, 0)).toBe(0); // slot 0, fraction 0 < 0.5
    expect(drawAlias(table, 0.2499)).toBe(0);
    expect(drawAlias(table, 0.25)).toBe(1); // slot 0, fraction 0.5: the alias
    expect(drawAlias(table, 0.5)).toBe(1);
    expect(drawAlias(table, 1 - 2 ** -53)).toBe(1);
  });

  it('exponent must be finite', () => {
    expect(() => v.negativeSamplingTable(NaN)).toThrow('Vocab.negativeSamplingTable: exponent must be a finite number, got NaN');
  });
});

describe('hierarchical softmax: the Huffman tree of word2vec.c', () => {
  /** Word w's code as a string of bits, and its points. */
  function code(t: ReturnType<Vocab['huffman']>, w: number): { bits: string; points: number[] } {
    const at = w * t.maxCodeLength;
    return {
      bits: [...t.codes.subarray(at, at + t.lengths[w]!)].join(''),
      points: [...t.points.subarray(at, at + t.lengths[w]!)],
    };
  }

  it('counts [5, 4, 3, 2, 1]: the tree worked out by hand from CreateBinaryTree', () => {
    // Merges: 1+2 → node 5 (row 0); 3 ties node 5: the inner node goes first → 5+3 → node 6 (row 1);
    // 4+5 → node 7 (row 2); 6+7 → node 8, the root (row 3 = V − 2). The second of each pair gets bit 1.
    const t = new Vocab(['a', 'b', 'c', 'd', 'e'], [5, 4, 3, 2, 1]).huffman();
    expect(t.maxCodeLength).toBe(3);
    expect([...t.lengths]).toEqual([2, 2, 2, 3, 3]);
    expect([0, 1, 2, 3, 4].map((w) => code(t, w))).toEqual([
      { bits: '11', points: [3, 2] },
      { bits: '10', points: [3, 2] },
      { bits: '01', points: [3, 1] },
      { bits: '001', points: [3, 1, 0] },
      { bits: '000', points: [3, 1, 0] },
    ]);
  });

  it('two words, one word', () => {
    const two = new Vocab(['a', 'b'], [3, 3]).huffman();
    expect([code(two, 0), code(two, 1)]).toEqual([{ bits: '1', points: [0] }, { bits: '0', points: [0] }]);
    const one = new Vocab(['a'], [3]).huffman();
    expect([...one.lengths]).toEqual([0]);
    expect(one.maxCodeLength).toBe(0);
  });

  it('a larger vocabulary: prefix-free, Kraft equality, frequent words never longer, optimal cost', () => {
    const random = rng(11);
    const counts = Array.from({ length: 300 }, () => 1 + Math.floor(1000 * random() ** 4)).sort((a, b) => b - a);
    const V = counts.length;
    const t = new Vocab(counts.map((_, i) => `w${i}`), counts).huffman();
    const codes = counts.map((_, w) => code(t, w));
    const bits = codes.map((c) => c.bits);
    // Prefix-free: sorted, a prefix would sit right before a word it starts.
    const sorted = [...bits].sort();
    for (let i = 1; i < V; i++) expect(sorted[i]!.startsWith(sorted[i - 1]!), `${sorted[i - 1]} prefixes ${sorted[i]}`).toBe(false);
    expect(bits.reduce((s, b) => s + 2 ** -b.length, 0)).toBeCloseTo(1, 12);
    for (let w = 1; w < V; w++) expect(t.lengths[w]!).toBeGreaterThanOrEqual(t.lengths[w - 1]!);
    // Every path starts at the root, V − 2; points index the V − 1 inner nodes, all of them used.
    const used = new Set<number>();
    for (const c of codes) {
      expect(c.points[0]).toBe(V - 2);
      for (const p of c.points) used.add(p);
    }
    expect(Math.min(...used)).toBe(0);
    expect(used.size).toBe(V - 1);
    // Same weighted length as a textbook Huffman code (the sum of all merge costs).
    const heap = [...counts];
    let cost = 0;
    while (heap.length > 1) {
      heap.sort((a, b) => a - b);
      const m = heap.shift()! + heap.shift()!;
      cost += m;
      heap.push(m);
    }
    expect(counts.reduce((s, c, w) => s + c * t.lengths[w]!, 0)).toBe(cost);
  });

  it('a code longer than MAX_CODE_LENGTH (40) is an error', () => {
    // Fibonacci counts make a path-shaped tree: 42 words give the two rarest (w40, w41) 41-bit codes.
    const fib = [1, 1];
    while (fib.length < 42) fib.push(fib[fib.length - 1]! + fib[fib.length - 2]!);
    const counts = fib.reverse();
    expect(MAX_CODE_LENGTH).toBe(40);
    expect(() => new Vocab(counts.map((_, i) => `w${i}`), counts).huffman())
      .toThrow('the code of "w40" needs 41 bits, over word2vec\'s MAX_CODE_LENGTH 40');
    const ok = new Vocab(counts.slice(1).map((_, i) => `w${i}`), counts.slice(1)).huffman();
    expect(ok.maxCodeLength).toBe(40);
  });
});

describe('pair counts with a fixed window', () => {
  it('the textbook check: 10 tokens, window 2 → 34 pairs, 204 examples with 5 negatives', () => {
    expect(countPairs(10, 2)).toBe(34);
    expect(countTrainingExamples(10, 2, 5)).toBe(34 + 170);
  });

  it('equals counting every (center, context) pair', () => {
    for (let L = 0; L <= 12; L++) {
      for (let w = 0; w <= 6; w++) {
        let n = 0;
        for (let i = 0; i < L; i++) for (let j = Math.max(0, i - w); j <= Math.min(L - 1, i + w); j++) if (j !== i) n++;
        expect(countPairs(L, w), `L ${L}, window ${w}`).toBe(n);
      }
    }
  });

  it('arguments must be non-negative integers', () => {
    expect(() => countPairs(-1, 2)).toThrow('countPairs: sentenceLength must be a non-negative integer, got -1');
    expect(() => countPairs(10, 1.5)).toThrow('countPairs: window must be a non-negative integer, got 1.5');
    expect(() => countTrainingExamples(10, 2, -5)).toThrow('countTrainingExamples: negative must be a non-negative integer, got -5');
  });
});

const hasGensim = gensimReference('vocab.test.ts: gensim vocabulary comparison');

describe('against gensim 4', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-vocab-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // 30 words with distinct counts 31 .. 2 (so the order has no ties to break) and 40 words seen
  // once, shuffled into lines of 7 tokens.
  const random = rng(3);
  const tokens: string[] = [];
  for (let k = 0; k < 30; k++) for (let n = 0; n < 31 - k; n++) tokens.push(`w${k}`);
  for (let k = 0; k < 40; k++) tokens.push(`once${k}`);
  for (let i = tokens.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [tokens[i], tokens[j]] = [tokens[j]!, tokens[i]!];
  }
  const lines: string[] = [];
  for (let i = 0; i < tokens.length; i += 7) lines.push(tokens.slice(i, i + 7).join(' '));
  const file = join(dir, 'corpus.txt');
  writeFileSync(file, lines.join('\n') + '\n');

  function gensimVocab(maxVocabSize: number | null): { words: string[]; counts: number[]; sampleInt: number[]; sentences: number; rawWords: number } {
    const script = `
import json, sys
from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence
m = Word2Vec(vector_size=8, min_count=2, sample=1e-3, workers=1, max_vocab_size=${maxVocabSize ?? 'None'})
m.build_vocab(LineSentence(sys.argv[1]))
words = m.wv.index_to_key
print(json.dumps({
  'words': words,
  'counts': [int(m.wv.get_vecattr(w, 'count')) for w in words],
  'sampleInt': [int(m.wv.get_vecattr(w, 'sample_int')) for w in words],
  'sentences': m.corpus_count,
  'rawWords': m.corpus_total_words,
}))
`;
    const r = spawnSync(PYTHON, ['-c', script, file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`gensim failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  it.skipIf(!hasGensim)('words in order, counts, sample_int and corpus totals equal gensim (minCount 2, sample 1e-3)', async () => {
    const g = gensimVocab(null);
    const v = await Vocab.build(sentences({ path: file }), { minCount: 2 });
    expect(v.words).toEqual(g.words);
    expect([...v.counts]).toEqual(g.counts);
    expect([...v.keepThresholds(1e-3)]).toEqual(g.sampleInt);
    expect(v.sentenceCount).toBe(g.sentences);
    expect(v.rawWordCount).toBe(g.rawWords);
  });

  it.skipIf(!hasGensim)('maxVocabSize pruning keeps the same words with the same counts as gensim max_vocab_size', async () => {
    const g = gensimVocab(25);
    const v = await Vocab.build(sentences({ path: file }), { minCount: 2, maxVocabSize: 25 });
    // Pruning did remove counts: fewer than the 30 words seen twice or more survive, or with less.
    expect(v.totalWords).toBeLessThan(30 * 33 / 2);
    // gensim orders ties by numpy's argsort reversed (reverse first-seen order for small
    // vocabularies, unspecified for larger ones); ours keep first-seen order. Compare word → count.
    expect(new Map(v.words.map((w, i) => [w, v.counts[i]]))).toEqual(new Map(g.words.map((w, i) => [w, g.counts[i]])));
    expect([...v.counts]).toEqual(g.counts);
  });
});
