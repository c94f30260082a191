// The weights of a Hugging Face model folder: model.safetensors, or the shards its index names
// (else pytorch_model.bin or its shards, read as data: io/pytorch.ts), opened for reading tensor
// by tensor (only their headers are read here), and the tensors by name as the loader wants
// them: float ones as f32, those of a wasm-nlp-q8 checkpoint (q8-format.ts) as int8 values and
// per-row scales, or dequantized when asked for as floats.
import { FormatError } from '../io/errors';
import { parsePytorch } from '../io/pytorch';
import { parseSafetensors, parseShardIndex, type ByteSource, type SafetensorsFile } from '../io/safetensors';
import type { QuantizedWeights } from '../kernels/types';
import type { ModelFiles } from './files';
import { checkDequantizable, dequantize, isQ8File, isQuantizedShape, Q8_MARKER, readScales, SCALE_SUFFIX } from './q8-format';
import type { TensorSource } from './weights';

export interface Checkpoint extends TensorSource {
  /** Tensor name → the file holding it (safetensors, or a pytorch_model.bin read through the same interface). */
  readonly byName: ReadonlyMap<string, SafetensorsFile>;
  /** Tensor name → that file's name (model.safetensors, pytorch_model.bin, or a shard's). */
  readonly fileNames: ReadonlyMap<string, string>;
  /** Its weights are marked wasm-nlp-q8 (quantizeCheckpoint wrote them). */
  readonly isQ8: boolean;
}

/**
 * Opens the checkpoint of `files`. Files read piece by piece are added to `opened` (the caller
 * closes them once the model is built, or not). `caller` starts every message ('loadModel').
 */
export async function openCheckpoint(files: ModelFiles, opened: { close(): void }[], caller: string): Promise<Checkpoint> {
  const { byName, fileNames } = await safetensorsFiles(files, opened, caller);
  const file = (name: string): SafetensorsFile => {
    const st = byName.get(name);
    if (!st) throw new FormatError(`${caller}: the checkpoint in ${files.where} has no tensor ${name}`, name, 0);
    return st;
  };
  const quantized = (name: string, options: { transient?: boolean } = {}): QuantizedWeights | undefined => {
    const st = file(name);
    const { dtype, shape, byteOffset } = st.info(name);
    if (dtype !== 'I8') return undefined;
    const where = fileNames.get(name)!;
    if (!isQ8File(st)) {
      throw new FormatError(`${caller}: tensor ${name} in ${where} is I8, but ${where} is not a ${Q8_MARKER} checkpoint ` +
        `(its __metadata__ has no "quantization": "${Q8_MARKER}"), so it has no scales to read it with`, name, byteOffset);
    }
    if (!isQuantizedShape(shape)) {
      throw new FormatError(`${caller}: tensor ${name} in ${where} is I8 [${shape.join(', ')}]; ${Q8_MARKER} quantizes only ` +
        'matrices (2 dimensions, both more than 1)', name, byteOffset);
    }
    // The scales first: the values may be the file's bytes in place, valid until the next read.
    const scales = readScales(name, shape[0]!, byteOffset, byName.get(name + SCALE_SUFFIX), where);
    const values = st.int8Tensor(name, { view: options.transient === true });
    checkDequantizable(name, values, scales, shape[1]!, byteOffset, where);
    return { values, scales };
  };
  return {
    byName, fileNames,
    isQ8: [...new Set(byName.values())].some(isQ8File),
    has: (name) => byName.has(name),
    quantized,
    float: (name, options = {}) => {
      const st = file(name);
      const q = quantized(name);
      if (q) return dequantize(q, st.info(name).shape[0]!, st.info(name).shape[1]!);
      // NaN or Inf in a weight is reported here, naming the tensor, not found later as NaN outputs.
      // A weight the model copies away at once is read without a float32 copy of its own.
      // The file is named too: a sharded checkpoint's shards give offsets of their own.
      return inFile(fileNames.get(name)!, () =>
        (options.transient ? st.view(name, { checkFinite: true }) : undefined) ?? st.tensor(name, { checkFinite: true }));
    },
  };
}

/**
 * A safetensors file as a ByteSource read piece by piece where the files can be opened (a
 * directory in Node): the weights then pass through memory one tensor at a time, and a model's
 * peak is its weights in WASM memory plus one tensor, not plus the whole file. Else its bytes.
 */
async function safetensorsBytes(files: ModelFiles, name: string, opened: { close(): void }[]): Promise<Uint8Array | ByteSource | undefined> {
  if (!files.open) return files.read(name);
  const file = await files.open(name);
  if (file) opened.push(file);
  return file;
}

/**
 * Tensor name → the file holding it: model.safetensors, or the shards of its index; else, read
 * without running it (io/pytorch.ts), pytorch_model.bin or the shards of its index. safetensors
 * is preferred where a folder has both, as Hugging Face's from_pretrained does.
 */
async function safetensorsFiles(files: ModelFiles, opened: { close(): void }[], caller: string) {
  const safetensors = await weightFiles(files, opened, caller, 'model.safetensors', parseSafetensors);
  if (safetensors) return safetensors;
  const pytorch = await weightFiles(files, opened, caller, 'pytorch_model.bin', parsePytorch);
  if (pytorch) return pytorch;
  throw new FormatError(`${caller}: ${files.where} has neither model.safetensors nor model.safetensors.index.json, ` +
    'nor pytorch_model.bin or pytorch_model.bin.index.json', 'model.safetensors', 0);
}

/** The weights of `single` (model.safetensors, pytorch_model.bin), or of the shards `single`.index.json names; undefined if neither is there. */
async function weightFiles(files: ModelFiles, opened: { close(): void }[], caller: string, single: string,
  parse: (input: Uint8Array | ByteSource) => SafetensorsFile) {
  const byName = new Map<string, SafetensorsFile>();
  const fileNames = new Map<string, string>();
  const whole = await safetensorsBytes(files, single, opened);
  if (whole) {
    const st = inFile(single, () => parse(whole));
    for (const n of st.names) {
      byName.set(n, st);
      fileNames.set(n, single);
    }
    return { byName, fileNames };
  }
  const indexName = `${single}.index.json`;
  const index = await files.read(indexName);
  if (!index) return undefined;
  const { weightMap, shards, entryOffsets } = inFile(indexName, () => parseShardIndex(index));
  const parsed = new Map<string, SafetensorsFile>();
  for (const shard of shards) {
    const bytes = await safetensorsBytes(files, shard, opened);
    if (!bytes) throw new FormatError(`${caller}: ${files.where} has no ${shard}`, shard, 0);
    parsed.set(shard, inFile(shard, () => parse(bytes)));
  }
  for (const [name, shard] of weightMap) {
    const st = parsed.get(shard)!;
    if (!st.has(name)) {
      throw new FormatError(`${caller}: ${indexName} puts ${name} in ${shard}, which does not hold it`,
        'weight_map', entryOffsets.get(name) ?? 0);
    }
    byName.set(name, st);
    fileNames.set(name, shard);
  }
  return { byName, fileNames };
}

/** A FormatError of a file, its message prefixed with the file's name (a shard's, say). */
function inFile<T>(file: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof FormatError) throw new FormatError(`${file}: ${e.message}`, e.field, e.byteOffset);
    throw e;
  }
}
