// Subwords as fastText (0.9.2) defines them: a word's input vector is the mean of its own row
// and the rows of its character n-grams. The n-grams are those of "<word>" with minn to maxn
// UTF-8 characters (the bytes of a character stay together; a lone "<" or ">" is never one),
// each hashed with fastText's FNV-1a over its bytes taken as signed chars, into `bucket` rows
// that follow the vocabulary's: row V + hash % bucket. Repeated n-grams repeat their row, as in
// fastText, and weigh in the mean accordingly. The word "</s>" (fastText's end of line) has no
// n-grams. Shape letters: V words, dim values per row.

export interface SubwordParams {
  /** Shortest n-gram, in characters. */
  minn: number;
  /** Longest n-gram, in characters (0: no n-grams). */
  maxn: number;
  /** Rows the n-grams are hashed into, after the V word rows. */
  bucket: number;
}

/** fastText's end-of-line token: a word without n-grams. */
export const EOS = '</s>';

const encoder = new TextEncoder();

/** fastText's Dictionary::hash: FNV-1a on the bytes as int8 (a byte ≥ 0x80 is sign-extended to 32 bits). */
export function fnv1a(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let h = 2166136261;
  for (let i = start; i < end; i++) h = Math.imul((h ^ ((bytes[i]! << 24) >> 24)) >>> 0, 16777619) >>> 0;
  return h;
}

/**
 * The bucket (0 .. bucket − 1) of each character n-gram of `word`, in fastText's order (by
 * start character, then length): Dictionary::computeSubwords on "<" + word + ">". Appends to out.
 */
export function ngramBuckets(word: string, params: SubwordParams, out: number[] = []): number[] {
  const { minn, maxn, bucket } = params;
  if (maxn <= 0 || word === EOS) return out;
  const b = encoder.encode(`<${word}>`);
  const n = b.length;
  for (let i = 0; i < n; i++) {
    if ((b[i]! & 0xc0) === 0x80) continue; // inside a character
    // FNV-1a extends byte by byte, so each longer n-gram continues the shorter one's hash.
    let h = 2166136261;
    for (let j = i, chars = 1; j < n && chars <= maxn; chars++) {
      h = Math.imul((h ^ ((b[j++]! << 24) >> 24)) >>> 0, 16777619) >>> 0;
      while (j < n && (b[j]! & 0xc0) === 0x80) h = Math.imul((h ^ ((b[j++]! << 24) >> 24)) >>> 0, 16777619) >>> 0;
      if (chars >= minn && !(chars === 1 && (i === 0 || j === n))) out.push(h % bucket);
    }
  }
  return out;
}

/** The n-grams themselves (for messages and tests), in the order of ngramBuckets. */
export function ngrams(word: string, params: Pick<SubwordParams, 'minn' | 'maxn'>): string[] {
  const chars = [...`<${word}>`];
  const out: string[] = [];
  if (params.maxn <= 0 || word === EOS) return out;
  for (let i = 0; i < chars.length; i++) {
    for (let len = 1; len <= params.maxn && i + len <= chars.length; len++) {
      if (len >= params.minn && !(len === 1 && (i === 0 || i + len === chars.length))) out.push(chars.slice(i, i + len).join(''));
    }
  }
  return out;
}

/**
 * The input rows of every vocabulary word, as the kernel reads them: word w's rows are
 * rows[offsets[w] .. offsets[w + 1]), its own row w first, then V + bucket of each n-gram.
 */
export function subwordTable(words: readonly string[], params: SubwordParams): { offsets: Int32Array; rows: Int32Array } {
  const V = words.length;
  const offsets = new Int32Array(V + 1);
  let rows = new Int32Array(Math.max(16, V * 16));
  let n = 0;
  const buckets: number[] = [];
  for (let w = 0; w < V; w++) {
    buckets.length = 0;
    ngramBuckets(words[w]!, params, buckets);
    if (n + 1 + buckets.length > rows.length) {
      const grown = new Int32Array(Math.max(2 * rows.length, n + 1 + buckets.length));
      grown.set(rows.subarray(0, n));
      rows = grown;
    }
    rows[n++] = w;
    for (const h of buckets) rows[n++] = V + h;
    offsets[w + 1] = n;
  }
  return { offsets, rows: rows.slice(0, n) };
}

/**
 * fastText's getWordVector over an input matrix of (V + bucket) × dim: the mean of the word's
 * rows (its own, if it has one, and its n-grams'), summed in f32 in list order and multiplied
 * by the f32 1/n, as fastText computes it, so that the values are fastText's to the bit. A word
 * with no rows (an unknown word too short for minn) gives zeros, as in fastText. Where the f32
 * sum overflows (values near float32's limit), the mean is taken in f64 instead.
 */
export function meanOfRows(input: Float32Array, dim: number, rows: ArrayLike<number>, out = new Float32Array(dim), outAt = 0): Float32Array {
  const acc = out.subarray(outAt, outAt + dim);
  acc.fill(0);
  for (let k = 0; k < rows.length; k++) {
    const at = rows[k]! * dim;
    for (let d = 0; d < dim; d++) acc[d] = acc[d]! + input[at + d]!;
  }
  if (rows.length > 0) {
    const inv = Math.fround(1 / rows.length);
    for (let d = 0; d < dim; d++) acc[d] = acc[d]! * inv;
    // Rows of huge (finite) values overflow the f32 sum where fastText would give ±Infinity;
    // the mean itself is within float32's range: summed again in f64, it is finite.
    if (!acc.every(Number.isFinite)) {
      for (let d = 0; d < dim; d++) {
        let sum = 0;
        for (let k = 0; k < rows.length; k++) sum += input[rows[k]! * dim + d]!;
        acc[d] = sum / rows.length;
      }
    }
  }
  return out;
}

/**
 * Checks the subword options (maxn > 0 turns subwords on) and the input matrix they imply.
 * `option` names the API's options in messages.
 */
export function checkSubwordParams(p: { minn: unknown; maxn: unknown; bucket: unknown }, explicit: { minn?: unknown; bucket?: unknown } = {}): void {
  const int = (name: string, v: unknown, min: number, max: number) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new Error(`word2vec: option ${name} must be an integer from ${min} to ${max}, got ${String(v)}`);
    }
  };
  int('maxn', p.maxn, 0, 64);
  int('minn', p.minn, 1, 64);
  // Rows are i32 in the kernel: V + bucket must stay below 2^31.
  int('bucket', p.bucket, 1, 2 ** 30);
  const maxn = p.maxn as number;
  if (maxn === 0) {
    for (const name of ['minn', 'bucket'] as const) {
      if (explicit[name] !== undefined) {
        throw new Error(`word2vec: option ${name} has no effect without subwords: set maxn > 0 (fastText's default: minn 3, maxn 6) to train them`);
      }
    }
    return;
  }
  if ((p.minn as number) > maxn) throw new Error(`word2vec: option minn (${String(p.minn)}) must not exceed maxn (${maxn})`);
}

/**
 * fastText's start for an input matrix: every row, words' and n-grams', uniform in
 * [−1/dim, 1/dim) (fastText 0.9.2's DenseMatrix::uniform(1 / dim)), here from a seeded
 * mulberry32 so that one thread is reproducible. Rows of `stride` floats, the padding left 0.
 */
export function initSubwordRows(input: Float32Array, rows: number, dim: number, stride: number, seed: number): void {
  let s = seed >>> 0;
  const scale = 2 / dim;
  for (let r = 0; r < rows; r++) {
    const at = r * stride;
    for (let d = 0; d < dim; d++) {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      input[at + d] = (((t ^ (t >>> 14)) >>> 0) / 2 ** 32 - 0.5) * scale;
    }
  }
}

/**
 * The subword side of a trained or loaded model: the input matrix of (V + bucket) × dim and the
 * parameters. vector(word) answers for any word, as fastText's getWordVector.
 */
export class SubwordVectors {
  readonly params: SubwordParams;
  readonly dim: number;
  /** (V + bucket) × dim, row-major: V word rows, then the n-gram buckets. */
  readonly input: Float32Array;
  /** V: the word rows before the buckets. */
  readonly words: number;

  constructor(input: Float32Array, words: number, dim: number, params: SubwordParams) {
    checkSubwordParams(params);
    if (params.maxn <= 0) throw new Error('SubwordVectors: maxn must be > 0');
    if (!Number.isSafeInteger(words) || words < 0) throw new Error(`SubwordVectors: words must be a non-negative integer, got ${String(words)}`);
    if (input.length !== (words + params.bucket) * dim) {
      throw new Error(`SubwordVectors: the input matrix has ${input.length} floats, expected (words + bucket) · dim = ` +
        `(${words} + ${params.bucket}) · ${dim} = ${(words + params.bucket) * dim}`);
    }
    this.params = { minn: params.minn, maxn: params.maxn, bucket: params.bucket };
    this.dim = dim;
    this.input = input;
    this.words = words;
  }

  /** The rows whose mean is the word's vector: its own (id ≥ 0), then its n-grams'. */
  rows(word: string, id: number): number[] {
    const out: number[] = id >= 0 ? [id] : [];
    const start = out.length;
    ngramBuckets(word, this.params, out);
    for (let k = start; k < out.length; k++) out[k] = out[k]! + this.words;
    return out;
  }

  /** fastText's getWordVector: `id` is the word's row, or −1 for a word outside the vocabulary. */
  vector(word: string, id: number): Float32Array {
    return meanOfRows(this.input, this.dim, this.rows(word, id));
  }

  /** The vectors of the V vocabulary words, V × dim (what fastText's .vec holds). */
  wordVectors(words: readonly string[]): Float32Array {
    const out = new Float32Array(words.length * this.dim);
    for (let w = 0; w < words.length; w++) meanOfRows(this.input, this.dim, this.rows(words[w]!, w), out, w * this.dim);
    return out;
  }
}
