// The word2vec vocabulary: words and their counts, by descending count, and the three tables
// training draws from it: the subsampling keep probabilities, the negative-sampling alias table
// and the hierarchical-softmax Huffman tree. Building it follows gensim 4.2's scan_vocab and
// prepare_vocab (and prepare_vocab(update=True) for continued training); the Huffman tree is the
// C tool's CreateBinaryTree, bit for bit.
//
// V = vocabulary size, everywhere below.

export interface VocabBuildOptions {
  /** Words seen fewer times are dropped (default 5, gensim's min_count). */
  minCount?: number;
  /** Prunes rare words during the scan when there are more distinct words (gensim's max_vocab_size). */
  maxVocabSize?: number;
  signal?: AbortSignal;
}

export interface VocabStats {
  /** Every token read, including those of dropped words (default: totalWords). */
  rawWordCount?: number;
  /** Sentences read (default 0: unknown). */
  sentenceCount?: number;
  /** How the words are ordered (default 'count'): see Vocab.order. */
  order?: VocabOrder;
}

/**
 * 'count': by descending count, ties in first-seen order, as build() leaves them.
 * 'update': gensim's order after build_vocab(update=True): an earlier vocabulary's ids kept and
 * new words appended in first-seen order, so counts may rise along the ids.
 */
export type VocabOrder = 'count' | 'update';

/** A corpus's word counts before minCount (gensim's raw_vocab, corpus_total_words, corpus_count). */
export interface VocabScan {
  /** Word → count, in first-seen order (a Map keeps it, as Python's dict). */
  counts: Map<string, number>;
  rawWordCount: number;
  sentenceCount: number;
}

/** Walker's alias table: slot i keeps i with probability prob[i], else gives alias[i]. */
export interface AliasTable {
  prob: Float32Array;
  alias: Int32Array;
}

/** Word w's code is codes[w·maxCodeLength ..][0 .. lengths[w]), root first; points[] likewise. */
export interface HuffmanTree {
  /** The branch taken at each inner node on the way down, 0 or 1 (the C tool's vocab[w].code). */
  codes: Uint8Array;
  /** The inner node (a syn1 row, 0 .. V−2) deciding each branch (the C tool's vocab[w].point). */
  points: Int32Array;
  lengths: Uint8Array;
  /** The longest code here, and the row stride of codes and points. */
  maxCodeLength: number;
}

/** word2vec.c's MAX_CODE_LENGTH: deeper trees overflow its fixed arrays. */
export const MAX_CODE_LENGTH = 40;

export class Vocab {
  /** Words by id: descending count, ties in first-seen order. */
  readonly words: string[];
  readonly counts: Float64Array;
  /** The sum of the retained counts: the words training will see per epoch, before subsampling. */
  readonly totalWords: number;
  readonly rawWordCount: number;
  readonly sentenceCount: number;
  readonly order: VocabOrder;
  private readonly ids: Map<string, number>;

  /**
   * A vocabulary from words already in id order (a checkpoint): counts must be positive
   * integers that never increase, as build() leaves them, unless stats.order is 'update'.
   */
  constructor(words: readonly string[], counts: ArrayLike<number>, stats: VocabStats = {}) {
    if (!Array.isArray(words)) throw new Error(`Vocab: words must be an array of strings, got ${typeof words}`);
    if (counts === null || typeof counts !== 'object' || typeof counts.length !== 'number') {
      throw new Error(`Vocab: counts must be an array of numbers, got ${counts === null ? 'null' : typeof counts}`);
    }
    if (counts.length !== words.length) {
      throw new Error(`Vocab: ${words.length} words but ${counts.length} counts`);
    }
    if (words.length === 0) throw new Error('Vocab: needs at least one word');
    const order = stats.order ?? 'count';
    if (order !== 'count' && order !== 'update') throw new Error(`Vocab: order must be 'count' or 'update', got ${String(order)}`);
    const ids = new Map<string, number>();
    let total = 0;
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      if (typeof w !== 'string') throw new Error(`Vocab: words[${i}] must be a string, got ${typeof w}`);
      const seen = ids.get(w);
      if (seen !== undefined) throw new Error(`Vocab: word ${JSON.stringify(w)} appears twice, at ${seen} and ${i}`);
      ids.set(w, i);
      const c = counts[i]!;
      if (!Number.isSafeInteger(c) || c < 1) throw new Error(`Vocab: counts[${i}] must be a positive integer, got ${String(c)}`);
      if (order === 'count' && i > 0 && c > counts[i - 1]!) {
        throw new Error(`Vocab: counts must not increase, but counts[${i}] = ${c} follows counts[${i - 1}] = ${counts[i - 1]}`);
      }
      total += c;
    }
    const raw = stats.rawWordCount ?? total;
    const sentencesRead = stats.sentenceCount ?? 0;
    if (!Number.isSafeInteger(raw) || raw < total) {
      throw new Error(`Vocab: rawWordCount must be an integer ≥ totalWords (${total}), got ${String(raw)}`);
    }
    if (!Number.isSafeInteger(sentencesRead) || sentencesRead < 0) {
      throw new Error(`Vocab: sentenceCount must be a non-negative integer, got ${String(sentencesRead)}`);
    }
    this.words = [...words];
    this.counts = Float64Array.from(counts);
    this.totalWords = total;
    this.rawWordCount = raw;
    this.sentenceCount = sentencesRead;
    this.order = order;
    this.ids = ids;
  }

  /**
   * Counts every token of the corpus (gensim's _scan_vocab), then keeps the words seen at least
   * minCount times, by descending count (prepare_vocab and sort_by_descending_frequency).
   */
  static async build(sentences: AsyncIterable<string[]> | Iterable<string[]>, options: VocabBuildOptions = {}): Promise<Vocab> {
    if (typeof options !== 'object' || options === null) throw new Error('Vocab.build: options must be an object');
    const minCount = checkMinCount('Vocab.build', options.minCount ?? 5);
    const { counts: raw, rawWordCount, sentenceCount } = await scanCounts('Vocab.build', sentences, options);
    if (raw.size === 0) {
      throw new Error(`word2vec: no word reaches minCount ${minCount}: pruning to maxVocabSize ${options.maxVocabSize} left no words`);
    }

    const words: string[] = [];
    const counts: number[] = [];
    let top = '', topCount = 0;
    for (const [w, c] of raw) {
      if (c > topCount) {
        top = w;
        topCount = c;
      }
      if (c >= minCount) {
        words.push(w);
        counts.push(c);
      }
    }
    if (words.length === 0) {
      throw new Error(`word2vec: no word reaches minCount ${minCount}: the most frequent word, ${JSON.stringify(top)}, ` +
        `occurs ${topCount} time${topCount === 1 ? '' : 's'}`);
    }
    // Array.prototype.sort is stable, so ties keep first-seen order.
    const order = words.map((_, i) => i).sort((a, b) => counts[b]! - counts[a]!);
    return new Vocab(order.map((i) => words[i]!), order.map((i) => counts[i]!), { rawWordCount, sentenceCount });
  }

  /** Counts every token of a corpus, as build() does before it applies minCount (gensim's scan_vocab). */
  static async scan(sentences: AsyncIterable<string[]> | Iterable<string[]>, options: Omit<VocabBuildOptions, 'minCount'> = {}): Promise<VocabScan> {
    if (typeof options !== 'object' || options === null) throw new Error('Vocab.scan: options must be an object');
    return scanCounts('Vocab.scan', sentences, options);
  }

  /**
   * This vocabulary grown by another corpus's counts, as gensim 4.2's prepare_vocab(update=True):
   * every word keeps its id and adds its count in `scan`, whether or not that reaches minCount;
   * a new word is appended, in first-seen order, when its count in `scan` reaches minCount (it is
   * not re-sorted: the result's order is 'update'). Corpus totals add up.
   */
  update(scan: VocabScan, minCount: number): Vocab {
    checkMinCount('Vocab.update', minCount);
    const words = [...this.words];
    const counts = Array.from(this.counts, (c, i) => c + (scan.counts.get(this.words[i]!) ?? 0));
    for (const [w, c] of scan.counts) {
      if (c >= minCount && !this.ids.has(w)) {
        words.push(w);
        counts.push(c);
      }
    }
    return new Vocab(words, counts, {
      rawWordCount: this.rawWordCount + scan.rawWordCount, sentenceCount: this.sentenceCount + scan.sentenceCount,
      order: words.length > this.size || this.order === 'update' ? 'update' : 'count',
    });
  }

  /** How many of the scanned corpus's tokens are words of this vocabulary: the words an epoch over it trains. */
  wordsOf(scan: VocabScan): number {
    let n = 0;
    for (const [w, c] of scan.counts) if (this.ids.has(w)) n += c;
    return n;
  }

  get size(): number {
    return this.words.length;
  }

  /** The word's id, or -1 when it is not in the vocabulary. */
  index(word: string): number {
    return this.ids.get(word) ?? -1;
  }

  /**
   * The probability of keeping each word under subsampling, as gensim's prepare_vocab computes
   * it (and the C tool for sample < 1): with threshold t = sample·totalWords,
   * keep = (√(count/t) + 1)·t/count, capped at 1. sample = 0 keeps everything; sample ≥ 1 is
   * gensim's shorthand t = ⌊sample·(3 + √5)/2⌋ (words above about `sample` occurrences are cut).
   */
  keepProbabilities(sample: number): Float32Array {
    const p = this.keep(sample, 'keepProbabilities');
    return Float32Array.from(p);
  }

  /**
   * gensim's `sample_int` per word: ⌊keep·(2³² − 1)⌋, the threshold a uniform 32-bit draw is
   * compared with (the word is dropped when sample_int < draw).
   */
  keepThresholds(sample: number): Uint32Array {
    const p = this.keep(sample, 'keepThresholds');
    const out = new Uint32Array(p.length);
    for (let i = 0; i < p.length; i++) out[i] = Math.floor(p[i]! * 4294967295);
    return out;
  }

  private keep(sample: number, method: string): Float64Array {
    if (typeof sample !== 'number' || !Number.isFinite(sample) || sample < 0) {
      throw new Error(`Vocab.${method}: sample must be a finite number ≥ 0, got ${String(sample)}`);
    }
    const out = new Float64Array(this.size).fill(1);
    if (sample === 0) return out;
    const t = sample < 1 ? sample * this.totalWords : Math.floor(sample * (3 + Math.sqrt(5)) / 2);
    for (let i = 0; i < out.length; i++) {
      const c = this.counts[i]!;
      // Same operations, in the same order, as gensim's numpy expression, so the f64 matches.
      const p = (Math.sqrt(c / t) + 1) * (t / c);
      if (p < 1) out[i] = p;
    }
    return out;
  }

  /**
   * Walker's alias table over count^exponent (Vose's construction, deterministic), for drawing
   * negative samples in O(1): see drawAlias for the rule.
   */
  negativeSamplingTable(exponent = 0.75): AliasTable {
    if (typeof exponent !== 'number' || !Number.isFinite(exponent)) {
      throw new Error(`Vocab.negativeSamplingTable: exponent must be a finite number, got ${String(exponent)}`);
    }
    const V = this.size;
    const weights = new Float64Array(V);
    let sum = 0;
    for (let i = 0; i < V; i++) sum += weights[i] = this.counts[i]! ** exponent;
    // scaled[i] = V·P(i): slot i holds mass 1 in total, scaled[i] of it for i itself.
    const scaled = new Float64Array(V);
    for (let i = 0; i < V; i++) scaled[i] = (weights[i]! * V) / sum;
    const prob = new Float32Array(V);
    const alias = new Int32Array(V);
    const small: number[] = [];
    const large: number[] = [];
    for (let i = V - 1; i >= 0; i--) (scaled[i]! < 1 ? small : large).push(i);
    while (small.length > 0 && large.length > 0) {
      const s = small.pop()!;
      const l = large.pop()!;
      prob[s] = scaled[s]!;
      alias[s] = l;
      // l gives away what s lacks; computed as (l + s) − 1 to lose less precision.
      scaled[l] = scaled[l]! + scaled[s]! - 1;
      (scaled[l]! < 1 ? small : large).push(l);
    }
    // What is left holds mass 1 up to rounding: such slots always keep themselves.
    for (const i of large) {
      prob[i] = 1;
      alias[i] = i;
    }
    for (const i of small) {
      prob[i] = 1;
      alias[i] = i;
    }
    return { prob, alias };
  }

  /**
   * The C tool's CreateBinaryTree: a Huffman tree built with two cursors, one walking the words
   * from the rarest up, one walking the inner nodes in creation order (over the words by
   * descending count: their ids, unless the order is 'update', where they are sorted first,
   * ties by id). Ties go to the inner node, as in word2vec.c (`count[pos1] < count[pos2]`).
   * Inner node V + a is syn1 row a; the root is row V − 2. A one-word vocabulary has no inner
   * node: its code is empty.
   */
  huffman(): HuffmanTree {
    const V = this.size;
    // Leaf k of the tree is word byCount[k].
    const byCount = Array.from({ length: V }, (_, i) => i);
    if (this.order === 'update') byCount.sort((a, b) => this.counts[b]! - this.counts[a]!);
    const count = new Float64Array(2 * V);
    for (let k = 0; k < V; k++) count[k] = this.counts[byCount[k]!]!;
    count.fill(1e15, V);
    const parent = new Int32Array(2 * V);
    const binary = new Uint8Array(2 * V);
    let pos1 = V - 1, pos2 = V;
    for (let a = 0; a < V - 1; a++) {
      let min1: number, min2: number;
      if (pos1 >= 0 && count[pos1]! < count[pos2]!) min1 = pos1--;
      else min1 = pos2++;
      if (pos1 >= 0 && count[pos1]! < count[pos2]!) min2 = pos1--;
      else min2 = pos2++;
      count[V + a] = count[min1]! + count[min2]!;
      parent[min1] = V + a;
      parent[min2] = V + a;
      binary[min2] = 1;
    }
    const root = 2 * V - 2;
    const lengths = new Uint8Array(V);
    let maxLength = 0;
    for (let k = 0; k < V; k++) {
      const w = byCount[k]!;
      let length = 0;
      for (let b = k; b !== root; b = parent[b]!) length++;
      if (length > MAX_CODE_LENGTH) {
        throw new Error(`Vocab.huffman: the code of ${JSON.stringify(this.words[w])} needs ${length} bits, ` +
          `over word2vec's MAX_CODE_LENGTH ${MAX_CODE_LENGTH}`);
      }
      lengths[w] = length;
      if (length > maxLength) maxLength = length;
    }
    const codes = new Uint8Array(V * maxLength);
    const points = new Int32Array(V * maxLength);
    for (let k = 0; k < V; k++) {
      const w = byCount[k]!;
      // Walking up from the leaf gives the code backwards; point d is the node above bit d.
      let d = lengths[w]!;
      for (let b = k; b !== root; b = parent[b]!) {
        d--;
        codes[w * maxLength + d] = binary[b]!;
        points[w * maxLength + d] = parent[b]! - V;
      }
    }
    return { codes, points, lengths, maxCodeLength: maxLength };
  }
}

/**
 * Draws from an alias table with one uniform u in [0, 1), in f64:
 *   x = u·V, i = min(⌊x⌋, V − 1), f = x − i;  the draw is i when f < prob[i], else alias[i].
 * The fraction f carries the bits of u below log2(V), so u needs about log2(V) + 24 random
 * bits (a 53-bit double) for prob's f32 resolution; a 32-bit u coarsens f for large V.
 */
export function drawAlias(table: AliasTable, u: number): number {
  const V = table.prob.length;
  const x = u * V;
  let i = Math.floor(x);
  if (i >= V) i = V - 1;
  return x - i < table.prob[i]! ? i : table.alias[i]!;
}

/**
 * (center, context) pairs in a sentence of `sentenceLength` tokens with a fixed window (no
 * reduced window): each position pairs with up to `window` neighbours on either side, so
 * 2·Σᵢ min(i, window) over positions i = 0 .. L−1. 10 tokens, window 2: 34.
 */
export function countPairs(sentenceLength: number, window: number): number {
  checkCount('countPairs', 'sentenceLength', sentenceLength);
  checkCount('countPairs', 'window', window);
  const L = sentenceLength;
  if (L === 0) return 0;
  const half = L - 1 <= window ? (L * (L - 1)) / 2 : (window * (window + 1)) / 2 + (L - 1 - window) * window;
  return 2 * half;
}

/** Training examples with negative sampling: each pair is one positive and `negative` negatives. */
export function countTrainingExamples(sentenceLength: number, window: number, negative: number): number {
  checkCount('countTrainingExamples', 'negative', negative);
  checkCount('countTrainingExamples', 'sentenceLength', sentenceLength);
  checkCount('countTrainingExamples', 'window', window);
  return countPairs(sentenceLength, window) * (1 + negative);
}

function checkCount(fn: string, name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new Error(`${fn}: ${name} must be a non-negative integer, got ${String(v)}`);
  }
}

function checkMinCount(where: string, minCount: unknown): number {
  if (typeof minCount !== 'number' || !Number.isSafeInteger(minCount) || minCount < 1) {
    throw new Error(`${where}: option minCount must be an integer ≥ 1, got ${String(minCount)}`);
  }
  return minCount;
}

/** gensim's _scan_vocab: every token counted, in first-seen order, pruned as max_vocab_size asks. */
async function scanCounts(where: string, sentences: AsyncIterable<string[]> | Iterable<string[]>,
  options: Omit<VocabBuildOptions, 'minCount'>): Promise<VocabScan> {
  const maxVocabSize = options.maxVocabSize;
  if (maxVocabSize !== undefined && (!Number.isSafeInteger(maxVocabSize) || maxVocabSize < 1)) {
    throw new Error(`${where}: option maxVocabSize must be an integer ≥ 1, got ${String(maxVocabSize)}`);
  }
  const signal = options.signal;
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean')) {
    throw new Error(`${where}: option signal must be an AbortSignal`);
  }
  if (sentences === null || typeof sentences !== 'object' ||
    !(Symbol.asyncIterator in sentences || Symbol.iterator in sentences)) {
    throw new Error(`${where}: sentences must be an iterable or async iterable of token arrays (see sentences())`);
  }
  signal?.throwIfAborted();

  // A Map keeps insertion order as Python's dict does, also after a pruned word comes back.
  const raw = new Map<string, number>();
  let rawWordCount = 0;
  let sentenceCount = 0;
  let minReduce = 1;
  for await (const sentence of sentences) {
    signal?.throwIfAborted();
    if (!Array.isArray(sentence)) {
      throw new Error(`${where}: sentence ${sentenceCount} must be an array of strings, got ${typeof sentence}`);
    }
    for (let i = 0; i < sentence.length; i++) {
      const w = sentence[i];
      if (typeof w !== 'string') {
        throw new Error(`${where}: sentence ${sentenceCount} has ${typeof w} at position ${i}; tokens must be strings`);
      }
      raw.set(w, (raw.get(w) ?? 0) + 1);
    }
    rawWordCount += sentence.length;
    sentenceCount++;
    // gensim checks once per sentence, prunes counts below min_reduce, then raises it: the
    // first prune (min_reduce 1) removes nothing, as in gensim.
    if (maxVocabSize !== undefined && raw.size > maxVocabSize) {
      for (const [w, c] of raw) if (c < minReduce) raw.delete(w);
      minReduce++;
    }
  }
  signal?.throwIfAborted();
  if (rawWordCount === 0) throw new Error('word2vec: the corpus is empty');
  return { counts: raw, rawWordCount, sentenceCount };
}
