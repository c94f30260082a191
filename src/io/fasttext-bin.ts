// fastText's model file (.bin, fastText 0.9.2's FastText::saveModel), on bytes, little-endian:
//   int32 magic 793712314, int32 version (12; 11 is read too)
//   args:  int32 dim, ws, epoch, minCount, neg, wordNgrams, loss (hs 1, ns 2, softmax 3, ova 4),
//          model (cbow 1, sg 2, sup 3), bucket, minn, maxn, lrUpdateRate; float64 t
//   dictionary: int32 size, nwords, nlabels; int64 ntokens, pruneidx_size (−1: not pruned);
//          size entries of (the word's bytes, a 0 byte, int64 count, int8 type: word 0, label 1);
//          pruneidx_size pairs of int32
//   uint8 quant_input (0), then the input matrix: int64 rows (nwords + bucket), int64 cols (dim),
//          rows × cols float32
//   uint8 qout (0), then the output matrix likewise (nwords rows for sg and cbow)
// Quantized models (.ftz) are refused. Every size is checked against the bytes that follow
// before anything of that size is allocated.
import { FormatError } from './errors';

export const FASTTEXT_MAGIC = 793712314;
export const FASTTEXT_VERSION = 12;

export type FastTextLoss = 'hs' | 'ns' | 'softmax' | 'ova';
export type FastTextModelName = 'cbow' | 'skipgram' | 'supervised';

const LOSSES: FastTextLoss[] = ['hs', 'ns', 'softmax', 'ova'];
const MODELS: FastTextModelName[] = ['cbow', 'skipgram', 'supervised'];

/** The args block, as fastText's Args::save writes it. */
export interface FastTextArgs {
  dim: number;
  ws: number;
  epoch: number;
  minCount: number;
  neg: number;
  wordNgrams: number;
  loss: FastTextLoss;
  model: FastTextModelName;
  bucket: number;
  minn: number;
  maxn: number;
  lrUpdateRate: number;
  /** Subsampling threshold. */
  t: number;
}

export interface FastTextBin {
  version: number;
  args: FastTextArgs;
  /** Dictionary entries in file order: the nwords words, then the nlabels labels. */
  words: string[];
  counts: number[];
  /** 0 word, 1 label, per entry. */
  types: Uint8Array;
  nwords: number;
  nlabels: number;
  /** Tokens read when the dictionary was built (fastText's ntokens, for subsampling). */
  ntokens: number;
  /** inputRows × dim (nwords + bucket rows). */
  input: Float32Array;
  inputRows: number;
  /** outputRows × dim. */
  output: Float32Array;
  outputRows: number;
}

/** Whether the bytes start with fastText's magic number. */
export function isFastTextBin(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, true) === FASTTEXT_MAGIC;
}

function fail(field: string, offset: number, what: string): FormatError {
  return new FormatError(`fastText .bin: ${what} (field ${field}, byte offset ${offset})`, field, offset);
}

const decoder = new TextDecoder('utf-8', { fatal: false });
const encoder = new TextEncoder();

export function parseFastTextBin(bytes: Uint8Array): FastTextBin {
  if (!(bytes instanceof Uint8Array)) throw new Error('parseFastTextBin: bytes must be a Uint8Array');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  let p = 0;
  const need = (field: string, k: number, what: string) => {
    if (p + k > n) throw fail(field, p, `the file ends inside ${what}: ${k} bytes needed, ${n - p} left`);
  };
  const i32 = (field: string) => {
    need(field, 4, field);
    const v = view.getInt32(p, true);
    p += 4;
    return v;
  };
  const i64 = (field: string) => {
    need(field, 8, field);
    const v = view.getBigInt64(p, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw fail(field, p, `${field} is ${v}, too large`);
    p += 8;
    return Number(v);
  };
  if (i32('magic') !== FASTTEXT_MAGIC) throw fail('magic', 0, `not a fastText model: the magic number is not ${FASTTEXT_MAGIC}`);
  const version = i32('version');
  if (version !== 11 && version !== 12) throw fail('version', 4, `version ${version} is not one fastText 0.9 writes (11 or 12)`);

  const at = p;
  const dim = i32('dim'), ws = i32('ws'), epoch = i32('epoch'), minCount = i32('minCount'), neg = i32('neg');
  const wordNgrams = i32('wordNgrams'), lossCode = i32('loss'), modelCode = i32('model');
  const bucket = i32('bucket'), minn = i32('minn'), maxn = i32('maxn'), lrUpdateRate = i32('lrUpdateRate');
  need('t', 8, 't');
  const t = view.getFloat64(p, true);
  p += 8;
  if (dim < 1) throw fail('dim', at, `dim must be positive, got ${dim}`);
  const loss = LOSSES[lossCode - 1];
  if (!loss) throw fail('loss', at + 24, `loss ${lossCode} is none of hs 1, ns 2, softmax 3, ova 4`);
  const model = MODELS[modelCode - 1];
  if (!model) throw fail('model', at + 28, `model ${modelCode} is none of cbow 1, sg 2, sup 3`);
  if (bucket < 0) throw fail('bucket', at + 32, `bucket must be ≥ 0, got ${bucket}`);
  // The n-gram lengths this library's subword code takes (fastText's own models use 3 to 6).
  if (maxn < 0 || maxn > 64) throw fail('maxn', at + 40, `maxn must be from 0 to 64, got ${maxn}`);
  if (maxn > 0 && (minn < 1 || minn > maxn)) throw fail('minn', at + 36, `minn must be from 1 to maxn (${maxn}), got ${minn}`);
  // fastText reads version 11 supervised models without character n-grams.
  const args: FastTextArgs = { dim, ws, epoch, minCount, neg, wordNgrams, loss, model, bucket, minn, maxn: version === 11 && model === 'supervised' ? 0 : maxn, lrUpdateRate, t };

  const sizeAt = p;
  const size = i32('size'), nwords = i32('nwords'), nlabels = i32('nlabels');
  const ntokens = i64('ntokens');
  const pruneAt = p;
  const pruneidxSize = i64('pruneidx_size');
  if (size < 0 || nwords < 0 || nlabels < 0 || nwords + nlabels !== size) {
    throw fail('size', sizeAt, `the dictionary has ${size} entries, which must be nwords (${nwords}) + nlabels (${nlabels})`);
  }
  // Each entry takes at least a 0 byte, the count and the type: 10 bytes.
  if (size * 10 > n - p) throw fail('size', sizeAt, `${size} dictionary entries take at least ${size * 10} bytes, ${n - p} are left`);
  const words: string[] = [], counts: number[] = [];
  const seen = new Map<string, number>();
  const types = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const end = bytes.indexOf(0, p);
    if (end < 0) throw fail('word', p, `entry ${i} has no terminating 0 byte`);
    const word = decoder.decode(bytes.subarray(p, end));
    if (word.length === 0) throw fail('word', p, `entry ${i} is empty`);
    if (seen.has(word)) throw fail('word', p, `entry ${i} ("${word}") repeats entry ${seen.get(word)}`);
    seen.set(word, i);
    p = end + 1;
    const count = i64('count');
    if (count < 0) throw fail('count', p - 8, `entry ${i} ("${word}") has count ${count}`);
    // fastText's dictionary is sorted by count, words then labels (Dictionary::threshold).
    if (i > 0 && i !== nwords && count > counts[i - 1]!) {
      throw fail('count', p - 8, `entry ${i} ("${word}") has count ${count}, more than entry ${i - 1}'s ${counts[i - 1]}: fastText sorts its dictionary by count`);
    }
    need('type', 1, 'type');
    const type = bytes[p++]!;
    if (type > 1) throw fail('type', p - 1, `entry ${i} ("${word}") has type ${type}, neither word 0 nor label 1`);
    if ((type === 0) !== (i < nwords)) throw fail('type', p - 1, `entry ${i} ("${word}") is a ${type ? 'label' : 'word'}, but words come first (nwords ${nwords})`);
    words.push(word);
    counts.push(count);
    types[i] = type;
  }
  if (pruneidxSize >= 0) {
    throw fail('pruneidx_size', pruneAt, `the dictionary is pruned (${pruneidxSize} n-gram ids kept), which only quantized models are; not supported`);
  }
  need('quant_input', 1, 'quant_input');
  if (bytes[p] !== 0) throw fail('quant_input', p, 'the input matrix is quantized (a .ftz model); only plain float matrices are supported');
  p++;
  const readMatrix = (name: string) => {
    const mAt = p;
    const rows = i64(`${name} rows`), cols = i64(`${name} cols`);
    if (rows < 0 || cols !== dim) throw fail(name, mAt, `the ${name} matrix is ${rows} × ${cols}, expected dim ${dim} columns`);
    const floats = rows * cols;
    if (floats * 4 > n - p) throw fail(name, mAt, `the ${name} matrix of ${rows} × ${cols} floats needs ${floats * 4} bytes, ${n - p} are left`);
    // A copy (the matrix need not sit at a multiple of 4); float32 little-endian, as x86 writes it.
    const data = new Float32Array(bytes.slice(p, p + floats * 4).buffer);
    for (let i = 0; i < data.length; i++) {
      const x = data[i]!;
      if (x - x !== 0) throw fail(name, p + 4 * i, `value ${i % cols} of row ${Math.floor(i / cols)} of the ${name} matrix is ${x}: vectors must be finite`);
    }
    p += floats * 4;
    return { rows, data };
  };
  const input = readMatrix('input');
  if (input.rows !== nwords + bucket) {
    throw fail('input', p - input.data.length * 4 - 16, `the input matrix has ${input.rows} rows, expected nwords + bucket = ${nwords} + ${bucket}`);
  }
  need('qout', 1, 'qout');
  if (bytes[p] !== 0) throw fail('qout', p, 'the output matrix is quantized; only plain float matrices are supported');
  p++;
  const output = readMatrix('output');
  if (p !== n) throw fail('end', p, `${n - p} bytes follow the output matrix`);
  return {
    version, args, words, counts, types, nwords, nlabels, ntokens,
    input: input.data, inputRows: input.rows, output: output.data, outputRows: output.rows,
  };
}

/** The bytes of a fastText .bin (version 12); words must be non-empty, without whitespace or 0 bytes. */
export function formatFastTextBin(m: Omit<FastTextBin, 'version' | 'inputRows' | 'outputRows' | 'types' | 'nwords' | 'nlabels'> & { types?: Uint8Array }): Uint8Array {
  const { args, words, counts } = m;
  const dim = args.dim;
  if (!Number.isSafeInteger(dim) || dim < 1) throw new Error(`formatFastTextBin: args.dim must be a positive integer, got ${String(dim)}`);
  if (counts.length !== words.length) throw new Error(`formatFastTextBin: ${words.length} words but ${counts.length} counts`);
  const types = m.types ?? new Uint8Array(words.length);
  const nlabels = types.reduce((s, t) => s + t, 0);
  const nwords = words.length - nlabels;
  if (m.input.length % dim || m.output.length % dim) throw new Error(`formatFastTextBin: the matrices must hold whole rows of dim ${dim} floats`);
  const inputRows = m.input.length / dim, outputRows = m.output.length / dim;
  if (inputRows !== nwords + args.bucket) {
    throw new Error(`formatFastTextBin: the input matrix has ${inputRows} rows, expected nwords + bucket = ${nwords} + ${args.bucket}`);
  }
  const encoded = words.map((w, i) => {
    if (typeof w !== 'string' || w.length === 0 || /[\s\0]/.test(w)) {
      throw new Error(`formatFastTextBin: word ${i} (${JSON.stringify(w)}) must be non-empty, without whitespace or NUL, which fastText splits on`);
    }
    return encoder.encode(w);
  });
  const dictBytes = 28 + encoded.reduce((s, w) => s + w.length + 10, 0);
  const total = 8 + 56 + dictBytes + 1 + 16 + m.input.length * 4 + 1 + 16 + m.output.length * 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let p = 0;
  const i32 = (v: number) => { view.setInt32(p, v, true); p += 4; };
  const i64 = (v: number) => { view.setBigInt64(p, BigInt(v), true); p += 8; };
  i32(FASTTEXT_MAGIC);
  i32(FASTTEXT_VERSION);
  for (const v of [args.dim, args.ws, args.epoch, args.minCount, args.neg, args.wordNgrams,
    LOSSES.indexOf(args.loss) + 1, MODELS.indexOf(args.model) + 1, args.bucket, args.minn, args.maxn, args.lrUpdateRate]) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`formatFastTextBin: the args must be non-negative integers and a known loss and model, got ${String(v)}`);
    i32(v);
  }
  view.setFloat64(p, args.t, true);
  p += 8;
  i32(words.length);
  i32(nwords);
  i32(nlabels);
  i64(m.ntokens);
  i64(-1); // not pruned
  for (let i = 0; i < words.length; i++) {
    out.set(encoded[i]!, p);
    p += encoded[i]!.length + 1;
    i64(counts[i]!);
    out[p++] = types[i]!;
  }
  out[p++] = 0; // quant_input
  i64(inputRows);
  i64(dim);
  out.set(new Uint8Array(m.input.buffer, m.input.byteOffset, m.input.byteLength), p);
  p += m.input.byteLength;
  out[p++] = 0; // qout
  i64(outputRows);
  i64(dim);
  out.set(new Uint8Array(m.output.buffer, m.output.byteOffset, m.output.byteLength), p);
  return out;
}
