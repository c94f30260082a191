// loadModel: a Hugging Face model folder (config.json, model.safetensors or its sharded index,
// tokenizer.json) into the family's model class, on a runtime's kernels.
import type { Tokenizer } from '@huggingface/tokenizers';
import { init, type Runtime } from '../runtime';
import { FormatError } from '../io/errors';
import { parseSafetensors, parseShardIndex, type ByteSource, type SafetensorsFile } from '../io/safetensors';
import { recordAllocations } from './allocations';
import { WASM32_LIMIT_BYTES } from '../wasm/arena';
import { configFromHuggingFace, configKeyError, type TransformerConfig } from './config';
import { countParameters } from './count-parameters';
import { modelFiles, type ModelFiles, type ModelSource } from './files';
import { generationDefaults } from './generation-config';
import { TextEncoderModel } from './text-encoder';
import { tokenizerFromFiles } from './tokenizer-file';
import { loadBert } from './models/bert';
import { loadDistilBert } from './models/distilbert';
import { loadMarian } from './models/marian';
import { TextSeq2SeqModel } from './text-seq2seq';

export interface LoadModelOptions {
  /**
   * The runtime whose kernels run the model, and stays yours to dispose (default: a new one
   * with `threads`, which the model's dispose() ends, workers included).
   */
  runtime?: Runtime;
  threads?: number;
}

export async function loadModel(source: ModelSource, options: LoadModelOptions = {}): Promise<TextEncoderModel | TextSeq2SeqModel> {
  const files = modelFiles(source);
  // Weight files opened to be read tensor by tensor are closed once the model is built (or not).
  const opened: { close(): void }[] = [];
  try {
    return await loadFrom(files, options, opened);
  } finally {
    for (const file of opened) file.close();
  }
}

async function loadFrom(files: ModelFiles, options: LoadModelOptions, opened: { close(): void }[]): Promise<TextEncoderModel | TextSeq2SeqModel> {
  const configBytes = await need(files, 'config.json');
  const config = configFromHuggingFace(configBytes);
  checkWeightsFit(config, options.runtime?.arena?.limitBytes ?? WASM32_LIMIT_BYTES);
  const weights = await loadWeights(files, opened);
  checkPositionTable(config, weights, configBytes);
  const tokenizer = await loadTokenizer(files, config);
  const runtime = options.runtime ?? await init({ threads: options.threads ?? 1 });
  runtime.arena?.reserve(f32Bytes(weights));
  const get = (name: string, use?: { transient?: boolean }) => {
    const st = weights.get(name);
    if (!st) throw new FormatError(`loadModel: the checkpoint in ${files.where} has no tensor ${name}`, name, 0);
    // NaN or Inf in a weight is reported here, naming the tensor, not found later as NaN outputs.
    // A weight the model copies away at once is read without a float32 copy of its own.
    return (use?.transient ? st.view(name, { checkFinite: true }) : undefined) ?? st.tensor(name, { checkFinite: true });
  };
  const has = (name: string) => weights.has(name);
  // A load that fails half-way frees what it had allocated, and names a misshapen tensor's bytes.
  const recording = recordAllocations(runtime);
  const build = async (runtime: Runtime): Promise<TextEncoderModel | TextSeq2SeqModel> => {
    if (config.family === 'bert') return new TextEncoderModel(loadBert(runtime, config, get, has), tokenizer);
    if (config.family === 'distilbert') return new TextEncoderModel(loadDistilBert(runtime, config, get, has), tokenizer);
    if (config.family === 'marian') {
      const generation = await files.read('generation_config.json');
      const defaults = generation ? generationDefaults(new TextDecoder().decode(generation), 'generation_config.json')
        : generationDefaults(new TextDecoder().decode(configBytes), 'config.json');
      return new TextSeq2SeqModel(loadMarian(runtime, config, get, has), tokenizer, defaults);
    }
    throw new Error(`loadModel: ${config.family} checkpoints are not supported (BERT, DistilBERT and Marian are)`);
  };
  try {
    const model = await build(recording.runtime);
    if (!options.runtime) {
      // The runtime made here belongs to the model: its workers end with it.
      const disposeWeights = model.dispose.bind(model);
      model.dispose = () => {
        disposeWeights();
        runtime.dispose();
      };
    }
    return model;
  } catch (e) {
    recording.freeAll();
    if (!options.runtime) runtime.dispose();
    throw locate(e, weights);
  } finally {
    recording.stop();
  }
}

/**
 * A model whose weights, as f32 in WebAssembly memory, would not fit in the runtime's memory
 * limit (4 GiB at most: wasm32) is refused from its config, before any weight file is read.
 */
function checkWeightsFit(config: TransformerConfig, limitBytes: number): void {
  const parameters = countParameters(config).total;
  if (parameters * 4 > limitBytes) {
    // The sizes of several keys make the count: the field is the file itself.
    throw new FormatError(`loadModel: config.json describes ${parameters} parameters, which need ${parameters * 4} bytes as f32, ` +
      `over the memory limit of ${limitBytes} bytes${limitBytes === WASM32_LIMIT_BYTES ? ' (wasm32 addresses 4 GiB)' : ''}`, 'config.json', 0);
  }
}

/** Bytes the checkpoint's float tensors take as f32: about what the model puts in WASM memory. */
function f32Bytes(weights: Map<string, SafetensorsFile>): number {
  let bytes = 0;
  for (const [name, st] of weights) {
    const { dtype, shape } = st.info(name);
    if (dtype === 'F32' || dtype === 'F16' || dtype === 'BF16' || dtype === 'F64') bytes += 4 * shape.reduce((a, b) => a * b, 1);
  }
  return bytes;
}

async function need(files: ModelFiles, name: string): Promise<Uint8Array> {
  const bytes = await files.read(name);
  if (!bytes) throw new FormatError(`loadModel: ${files.where} has no ${name}`, name, 0);
  return bytes;
}

/** Tensor name → the safetensors file holding it: model.safetensors, or the shards of its index. */
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

async function loadWeights(files: ModelFiles, opened: { close(): void }[]): Promise<Map<string, SafetensorsFile>> {
  const byName = new Map<string, SafetensorsFile>();
  const single = await safetensorsBytes(files, 'model.safetensors', opened);
  if (single) {
    const st = inFile('model.safetensors', () => parseSafetensors(single));
    for (const n of st.names) byName.set(n, st);
    return byName;
  }
  const index = await files.read('model.safetensors.index.json');
  if (!index) {
    throw new FormatError(`loadModel: ${files.where} has neither model.safetensors nor model.safetensors.index.json ` +
      '(PyTorch .bin files are not read: they are pickles)', 'model.safetensors', 0);
  }
  const { weightMap, shards, entryOffsets } = inFile('model.safetensors.index.json', () => parseShardIndex(index));
  const parsed = new Map<string, SafetensorsFile>();
  for (const shard of shards) {
    const bytes = await safetensorsBytes(files, shard, opened);
    if (!bytes) throw new FormatError(`loadModel: ${files.where} has no ${shard}`, shard, 0);
    parsed.set(shard, inFile(shard, () => parseSafetensors(bytes)));
  }
  for (const [name, shard] of weightMap) {
    const st = parsed.get(shard)!;
    if (!st.has(name)) {
      throw new FormatError(`loadModel: model.safetensors.index.json puts ${name} in ${shard}, which does not hold it`,
        'weight_map', entryOffsets.get(name) ?? 0);
    }
    byName.set(name, st);
  }
  return byName;
}

async function loadTokenizer(files: ModelFiles, config: TransformerConfig): Promise<Tokenizer> {
  return tokenizerFromFiles(await need(files, 'tokenizer.json'), await files.read('tokenizer_config.json'), config);
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

/** A shape error of a tensor (layers.checkLength names it, at offset 0) moved to the tensor's bytes. */
function locate(e: unknown, weights: Map<string, SafetensorsFile>): unknown {
  const st = e instanceof FormatError && e.byteOffset === 0 ? weights.get(e.field) : undefined;
  if (!st) return e;
  const { byteOffset, dtype, shape } = st.info((e as FormatError).field);
  return new FormatError(`${(e as FormatError).message} (the tensor is ${dtype} [${shape.join(', ')}] at byte offset ${byteOffset})`,
    (e as FormatError).field, byteOffset);
}

/**
 * Sinusoidal positions that the checkpoint does not store (Marian's) are computed from the
 * config: maxPositions × dModel floats, allowed no larger than the checkpoint itself, as every
 * other allocation of a load.
 */
function checkPositionTable(config: TransformerConfig, weights: Map<string, SafetensorsFile>, configBytes: Uint8Array): void {
  if (config.family !== 'marian') return;
  const files = new Set(weights.values());
  let checkpointBytes = 0;
  for (const st of files) for (const n of st.names) checkpointBytes += st.info(n).byteLength;
  const tableBytes = 4 * config.maxPositions * config.dModel;
  if (tableBytes > checkpointBytes) {
    throw configKeyError(configBytes, 'max_position_embeddings', `max_position_embeddings ${config.maxPositions} × d_model ${config.dModel} asks for a ` +
      `${tableBytes}-byte position table, larger than the checkpoint's ${checkpointBytes} bytes of weights`);
  }
}
