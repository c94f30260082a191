// The training checkpoint: everything needed to resume training exactly where it stopped.
//   bytes 0..15  magic "wasm-nlp w2v ck1"
//   16..19       u32 length L of the JSON header (little-endian)
//   20..20+L     JSON: vocabulary (words, counts), options, dim, output rows, progress
//   then, at the next multiple of 4: syn0 (vocab × dim f32), syn1 (rows × dim f32)
// Every size is checked against the bytes before anything of that size is allocated.
import { FormatError } from '../io/errors';
import { resolveOptions, type ResolvedOptions } from './options';
import type { ModelState, TrainingProgress } from './train';
import { Vocab } from './vocab';

const MAGIC = 'wasm-nlp w2v ck1';

/** The options a checkpoint keeps: every plain one (not callbacks, signals or runtimes). */
const KEPT = ['dim', 'window', 'negative', 'minCount', 'maxVocabSize', 'sample', 'nsExponent', 'alpha', 'minAlpha',
  'epochs', 'model', 'loss', 'threads', 'seed', 'sharedNegatives'] as const;

export function isCheckpoint(bytes: Uint8Array): boolean {
  return bytes.length >= 16 && new TextDecoder().decode(bytes.subarray(0, 16)) === MAGIC;
}

export function checkpointBytes(w: ModelState): Uint8Array {
  const options = Object.fromEntries(KEPT.filter((k) => w.options[k] !== undefined).map((k) => [k, w.options[k]]));
  const header = new TextEncoder().encode(JSON.stringify({
    words: w.vocab.words, counts: Array.from(w.vocab.counts), totalWords: w.vocab.totalWords, rawWordCount: w.vocab.rawWordCount,
    options, dim: w.dim, outputRows: w.syn1.length / w.dim, progress: w.progress,
  }));
  const start = Math.ceil((20 + header.length) / 4) * 4;
  const out = new Uint8Array(start + 4 * (w.syn0.length + w.syn1.length));
  out.set(new TextEncoder().encode(MAGIC));
  new DataView(out.buffer).setUint32(16, header.length, true);
  out.set(header, 20);
  const floats = new Float32Array(out.buffer, start);
  floats.set(w.syn0);
  floats.set(w.syn1, w.syn0.length);
  return out;
}

export type Checkpoint = ModelState;

export function parseCheckpoint(bytes: Uint8Array): Checkpoint {
  if (!isCheckpoint(bytes)) throw new FormatError('word2vec checkpoint: the magic bytes are missing', 'magic', 0);
  if (bytes.length < 20) throw new FormatError('word2vec checkpoint: truncated before the header length', 'header', 16);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(16, true);
  if (20 + length > bytes.length) {
    throw new FormatError(`word2vec checkpoint: the header claims ${length} bytes, the file has ${bytes.length - 20} after byte 20`, 'header', 16);
  }
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + length)));
  } catch (e) {
    throw new FormatError(`word2vec checkpoint: the header is not JSON (${(e as Error).message})`, 'header', 20);
  }
  const fail = (field: string, why: string): never => {
    throw new FormatError(`word2vec checkpoint: header field ${field} ${why}`, field, 20);
  };
  if (typeof h !== 'object' || h === null) fail('header', 'is not an object');
  const words = h.words, counts = h.counts;
  if (!Array.isArray(words) || !words.every((w) => typeof w === 'string')) fail('words', 'must be an array of strings');
  if (!Array.isArray(counts) || counts.length !== (words as string[]).length) fail('counts', 'must be an array as long as words');
  const dim = h.dim as number, rows = h.outputRows as number;
  if (!Number.isSafeInteger(dim) || dim < 1) fail('dim', `must be a positive integer, got ${String(h.dim)}`);
  if (!Number.isSafeInteger(rows) || rows < 0) fail('outputRows', `must be a non-negative integer, got ${String(h.outputRows)}`);
  const V = (words as string[]).length;
  const start = Math.ceil((20 + length) / 4) * 4;
  const need = start + 4 * dim * (V + rows);
  if (need !== bytes.length) {
    throw new FormatError(`word2vec checkpoint: ${V} words and ${rows} output rows of ${dim} floats need ${need} bytes, the file has ${bytes.length}`, 'vectors', start);
  }
  let options: ResolvedOptions;
  try {
    options = resolveOptions(h.options as object);
  } catch (e) {
    return fail('options', `are invalid: ${(e as Error).message}`);
  }
  const progress = h.progress as TrainingProgress;
  if (typeof progress !== 'object' || progress === null || !Number.isSafeInteger(progress.epoch) || !Number.isSafeInteger(progress.chunk)
    || !Array.isArray(progress.lossPerEpoch)) fail('progress', 'is malformed');
  const vocab = new Vocab(words as string[], counts as number[], { rawWordCount: h.rawWordCount as number });
  const floats = new Float32Array(bytes.slice(start).buffer);
  for (let i = 0; i < floats.length; i++) {
    if (!Number.isFinite(floats[i])) {
      throw new FormatError(`word2vec checkpoint: a weight is ${floats[i]} (${i < V * dim ? 'syn0' : 'syn1'} element ${i < V * dim ? i : i - V * dim})`, 'vectors', start + 4 * i);
    }
  }
  return { vocab, options, dim, syn0: floats.subarray(0, V * dim), syn1: floats.subarray(V * dim), progress };
}
