// The training checkpoint: everything needed to resume training exactly where it stopped.
//   bytes 0..15  magic "wasm-nlp w2v ck1"
//   16..19       u32 length L of the JSON header (little-endian)
//   20..20+L     JSON: vocabulary (words, counts, and order 'update' after continued training
//                with updateVocab), options, dim, output rows, progress, and
//                the corpus's fingerprint (name, bytes, hashes of its first and last MiB,
//                tokens; absent from checkpoints written before it was added, which still load)
//   then, at the next multiple of 4: syn0 (vocab × dim f32), syn1 (rows × dim f32)
// Every size is checked against the bytes before anything of that size is allocated.
import type { CorpusFingerprint } from '../io/corpus';
import { FormatError } from '../io/errors';
import { parseJsonBytes, showJson } from '../io/json-bytes';
import { modelOptions, resolveOptions, type ResolvedOptions } from './options';
import type { ModelState, TrainingProgress } from './train';
import { Vocab } from './vocab';

const MAGIC = 'wasm-nlp w2v ck1';

/**
 * trainWord2Vec writes the checkpoint of an aborted run from the options it was given, so
 * Word2Vec.train and resume hand it the corpus's fingerprint on them, under this symbol: a
 * symbol key is invisible to the option-name check, to JSON and to users.
 */
export const CORPUS_FINGERPRINT: unique symbol = Symbol('wasm-nlp corpus fingerprint');

/** The fingerprint riding on a run's options, if any. */
export function fingerprintOf(options: object): CorpusFingerprint | undefined {
  return (options as { [CORPUS_FINGERPRINT]?: CorpusFingerprint })[CORPUS_FINGERPRINT];
}

export function isCheckpoint(bytes: Uint8Array): boolean {
  return bytes.length >= 16 && new TextDecoder().decode(bytes.subarray(0, 16)) === MAGIC;
}

export function checkpointBytes(w: ModelState & { corpus?: CorpusFingerprint }): Uint8Array {
  const options = modelOptions(w.options);
  const fingerprint = w.corpus ?? fingerprintOf(w.options);
  const header = new TextEncoder().encode(JSON.stringify({
    words: w.vocab.words, counts: Array.from(w.vocab.counts), totalWords: w.vocab.totalWords, rawWordCount: w.vocab.rawWordCount,
    ...(w.vocab.order !== 'count' ? { order: w.vocab.order } : {}),
    options, dim: w.dim, outputRows: w.syn1.length / w.dim, progress: w.progress,
    // A continued run's corpus is not the one the vocabulary counted: its fingerprint has its tokens.
    ...(fingerprint ? { corpus: { ...fingerprint, tokens: fingerprint.tokens ?? w.vocab.rawWordCount } } : {}),
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

export type Checkpoint = ModelState & { corpus?: CorpusFingerprint };

/** A valid header nests 3 deep ({progress: {lossPerEpoch: [...]}}). */
const MAX_DEPTH = 8;

function checkpointError(field: string, at: number, what: string): FormatError {
  return new FormatError(`word2vec checkpoint: ${what} (field ${field}, byte offset ${at})`, field, at);
}

export function parseCheckpoint(bytes: Uint8Array): Checkpoint {
  if (!isCheckpoint(bytes)) throw checkpointError('magic', 0, 'the magic bytes are missing');
  if (bytes.length < 20) throw checkpointError('header', 16, 'truncated before the header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(16, true);
  if (20 + length > bytes.length) {
    throw checkpointError('header', 16, `the header claims ${length} bytes, the file has ${bytes.length - 20} after byte 20`);
  }
  const { value, keys } = parseJsonBytes(bytes, 20, 20 + length, { field: 'header', maxDepth: MAX_DEPTH, subject: 'the header', fail: checkpointError });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw checkpointError('header', 20, 'the header is not a JSON object');
  const h = value as Record<string, unknown>;
  const fail = (field: string, why: string): never => {
    throw checkpointError(field, keys.get(field) ?? 20, `header field ${field} ${why}`);
  };
  const words = h.words, counts = h.counts;
  if (!Array.isArray(words) || !words.every((w) => typeof w === 'string' && w.length > 0)) fail('words', 'must be an array of non-empty strings');
  if (!Array.isArray(counts) || counts.length !== (words as string[]).length) fail('counts', 'must be an array as long as words');
  const dim = h.dim as number, rows = h.outputRows as number;
  if (!Number.isSafeInteger(dim) || dim < 1) fail('dim', `must be a positive integer, got ${showJson(h.dim)}`);
  const V = (words as string[]).length;
  let vocab: Vocab;
  try {
    vocab = new Vocab(words as string[], counts as number[], { rawWordCount: h.rawWordCount as number, ...(h.order !== undefined ? { order: h.order as 'update' } : {}) });
  } catch (e) {
    const message = (e as Error).message;
    return fail(/^Vocab: (counts|rawWordCount|order)/.exec(message)?.[1] ?? 'words', `is invalid: ${message}`);
  }
  let options: ResolvedOptions;
  try {
    options = resolveOptions(h.options as object);
  } catch (e) {
    return fail('options', `are invalid: ${(e as Error).message}`);
  }
  if (options.dim !== dim) fail('options', `say dim ${options.dim}, the vectors have dim ${dim}`);
  // As train.ts sizes syn1: a row per inner node of the Huffman tree (hs), else a row per word.
  const wantRows = options.loss === 'hs' ? Math.max(V - 1, 1) : V;
  if (rows !== wantRows) fail('outputRows', `must be ${wantRows} for ${V} words and loss "${options.loss}", got ${showJson(h.outputRows)}`);
  checkProgress(h.progress, options.epochs, (why) => fail('progress', why));
  const corpus = h.corpus === undefined ? undefined : checkFingerprint(h.corpus, (why) => fail('corpus', why));
  const start = Math.ceil((20 + length) / 4) * 4;
  const need = start + 4 * dim * (V + rows);
  if (need !== bytes.length) {
    throw checkpointError('vectors', Math.min(start, bytes.length), `${V} words and ${rows} output rows of ${dim} floats need ${need} bytes, the file has ${bytes.length}`);
  }
  // A copy into a buffer of its own: a Node Buffer's slice() is a view of a shared pool.
  const floats = new Float32Array((bytes.length - start) / 4);
  new Uint8Array(floats.buffer).set(bytes.subarray(start));
  for (let i = 0; i < floats.length; i++) {
    if (!Number.isFinite(floats[i])) {
      throw checkpointError('vectors', start + 4 * i, `a weight is ${floats[i]} (${i < V * dim ? 'syn0' : 'syn1'} element ${i < V * dim ? i : i - V * dim})`);
    }
  }
  return {
    vocab, options, dim, syn0: floats.subarray(0, V * dim), syn1: floats.subarray(V * dim), progress: h.progress as TrainingProgress,
    ...(corpus ? { corpus } : {}),
  };
}

/** The corpus fingerprint: a name, and a size, hashes and a token count where they were known. */
function checkFingerprint(c: unknown, fail: (why: string) => never): CorpusFingerprint {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) fail('must be an object');
  const { name, bytes, head, tail, tokens } = c as Record<string, unknown>;
  if (typeof name !== 'string') fail(`name must be a string, got ${showJson(name)}`);
  for (const [key, v] of [['bytes', bytes], ['tokens', tokens]] as const) {
    if (v !== undefined && (!Number.isSafeInteger(v) || (v as number) < 0)) fail(`${key} must be a non-negative integer, got ${showJson(v)}`);
  }
  for (const [key, v] of [['head', head], ['tail', tail]] as const) {
    if (v !== undefined && (typeof v !== 'string' || !/^[0-9a-f]{16}$/.test(v))) fail(`${key} must be 16 hex digits, got ${showJson(v)}`);
  }
  return {
    name: name as string,
    ...(bytes !== undefined ? { bytes: bytes as number } : {}), ...(head !== undefined ? { head: head as string } : {}),
    ...(tail !== undefined ? { tail: tail as string } : {}), ...(tokens !== undefined ? { tokens: tokens as number } : {}),
  };
}

/** Where training stopped: whole epochs and chunks done, within the run's epochs, and finite losses. */
function checkProgress(p: unknown, epochs: number, fail: (why: string) => never): void {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) fail('must be an object');
  const { epoch, chunk, words, lossPerEpoch, examplesPerEpoch, epochWords } = p as Record<string, unknown>;
  if (epochWords !== undefined && (!Number.isSafeInteger(epochWords) || (epochWords as number) < 1)) fail(`epochWords must be a positive integer, got ${showJson(epochWords)}`);
  if (!Number.isSafeInteger(epoch) || (epoch as number) < 0 || (epoch as number) > epochs) fail(`epoch must be an integer from 0 to epochs (${epochs}), got ${showJson(epoch)}`);
  for (const [name, v] of [['chunk', chunk], ['words', words]] as const) {
    if (!Number.isSafeInteger(v) || (v as number) < 0) fail(`${name} must be a non-negative integer, got ${showJson(v)}`);
  }
  for (const [name, v] of [['lossPerEpoch', lossPerEpoch], ['examplesPerEpoch', examplesPerEpoch]] as const) {
    if (!Array.isArray(v) || v.length > epochs || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)) {
      fail(`${name} must be an array of at most ${epochs} finite non-negative numbers`);
    }
  }
}
