// loadModel: a Hugging Face model folder (config.json, model.safetensors or its sharded index,
// tokenizer.json; a sentence-transformers folder's modules.json) into the family's model (the
// registry, families/index.ts, finds it by model_type), wrapped with its tokenizer into the
// class users call: TextEncoderModel, TextSeq2SeqModel or TextGenerationModel, told apart by `kind`.
import type { Tokenizer } from '@huggingface/tokenizers';
import { init, type Runtime } from '../runtime';
import { FormatError } from '../io/errors';
import { recordAllocations } from './allocations';
import { openCheckpoint, type Checkpoint } from './checkpoint';
import { WASM32_LIMIT_BYTES } from '../wasm/arena';
import type { TransformerConfig } from './config';
import { configKeyError } from './config-reader';
import { countParameters } from './count-parameters';
import { configFromHuggingFace, familyOf } from './families/index';
import { modelFiles, type ModelFiles, type ModelSource } from './files';
import { GenerationConfigFile, type GenerationDefaults, type GenerationTokens } from './generation-config';
import { readSentenceTransformer } from './sentence-transformers';
import { TextEncoderModel } from './text-encoder';
import { modelMaxLength, undecodableIds } from './tokenizer-file';
import { readTokenizer } from '../tokenizer/load';
import { TextSeq2SeqModel } from './text-seq2seq';
import { TextGenerationModel } from './text-generation';
import { readChatTemplate } from './chat-template';
import { configDeclaresQ8, isFloatDtype, isQuantizedShape, SCALE_SUFFIX } from './q8-format';
import { modelWeights, WEIGHT_DTYPES, type TensorSource, type WeightDtype } from './weights';
import { HUB_OPTION_KEYS, type HubOptions, type LoadProgressEvent } from '../hub/options';
import { checkOptionNames, type ForeignOption } from '../io/option-names';

/**
 * The HubOptions (revision, endpoint, cacheDir, localFilesOnly) find a hub id's files;
 * onProgress reports downloads, then the tensors as they load; signal aborts either.
 */
export interface LoadModelOptions extends HubOptions {
  /**
   * The runtime whose kernels run the model, and stays yours to dispose (default: a new one
   * with `threads`, which the model's dispose() ends, workers included).
   */
  runtime?: Runtime;
  threads?: number;
  /**
   * 'f32', or 'q8': every Linear layer's weights (LM and classification heads included) and every
   * embedding table as int8 with one scale per output channel or row, a quarter of the memory,
   * and matmuls on int8; LayerNorms, biases, attention and the KV cache stay f32. Default 'q8' for
   * a checkpoint quantizeCheckpoint wrote (read as it is stored), else 'f32'; 'f32' on such a
   * checkpoint dequantizes it.
   */
  dtype?: WeightDtype;
  /**
   * The kind of model expected: 'encoder' (BERT, RoBERTa, MPNet…: embed, classify, heads),
   * 'seq2seq' (Marian: translate) or 'decoder' (GPT-2, Llama, Mistral, Qwen2: generate). A
   * checkpoint of another kind is refused. With it the result is typed as that class.
   */
  kind?: ModelKind;
}

/** What loadModel gives: an encoder, a sequence-to-sequence model or a text generator, told apart by `kind`. */
export type TextModel = TextEncoderModel | TextSeq2SeqModel | TextGenerationModel;
export type ModelKind = TextModel['kind'];
const KINDS: readonly ModelKind[] = ['encoder', 'seq2seq', 'decoder'];
const KIND_NAMES: Record<ModelKind, string> = { encoder: 'an encoder', seq2seq: 'a sequence-to-sequence model', decoder: 'a decoder-only (text generation) model' };

const OPTION_KEYS: readonly (keyof LoadModelOptions)[] = ['runtime', 'threads', 'dtype', 'kind', ...HUB_OPTION_KEYS];

/** What transformers.js users write, said in our names. */
const TJS = 'transformers.js';
export const TRANSFORMERS_JS_OPTIONS: Readonly<Record<string, ForeignOption>> = {
  cache_dir: { tool: TJS, ours: 'cacheDir' },
  local_files_only: { tool: TJS, ours: 'localFilesOnly' },
  progress_callback: { tool: TJS, ours: 'onProgress' },
  device: { tool: TJS, note: 'wasm-nlp runs on the CPU through WebAssembly; there is no device option (threads sets the workers)' },
};

/**
 * Loads a Hugging Face model: a hub id ('org/name', through the cache shared with Python's
 * huggingface_hub in Node, the Cache API in browsers), a folder (a directory, a URL) or files in
 * memory. The family comes from config.json; `kind` says which class you expect, and types the result.
 */
export function loadModel(source: ModelSource, options: LoadModelOptions & { kind: 'encoder' }): Promise<TextEncoderModel>;
export function loadModel(source: ModelSource, options: LoadModelOptions & { kind: 'seq2seq' }): Promise<TextSeq2SeqModel>;
export function loadModel(source: ModelSource, options: LoadModelOptions & { kind: 'decoder' }): Promise<TextGenerationModel>;
export function loadModel(source: ModelSource, options?: LoadModelOptions): Promise<TextModel>;
export async function loadModel(source: ModelSource, options: LoadModelOptions = {}): Promise<TextModel> {
  checkOptions(options);
  const files = modelFiles(source, hubOptions(options));
  // Weight files opened to be read tensor by tensor are closed once the model is built (or not).
  const opened: { close(): void }[] = [];
  try {
    return await loadFrom(files, options, opened);
  } finally {
    for (const file of opened) file.close();
  }
}

/** The options modelFiles takes. */
function hubOptions(options: LoadModelOptions): HubOptions {
  const { revision, endpoint, cacheDir, localFilesOnly, onProgress, signal } = options;
  return { revision, endpoint, cacheDir, localFilesOnly, onProgress, signal };
}

function checkOptions(options: LoadModelOptions): void {
  if (options === null || typeof options !== 'object') throw new Error(`loadModel: options must be an object, got ${String(options)}`);
  checkOptionNames('loadModel', options, OPTION_KEYS, TRANSFORMERS_JS_OPTIONS);
  if (options.dtype !== undefined && !WEIGHT_DTYPES.includes(options.dtype)) {
    throw new Error(`loadModel: option dtype must be ${WEIGHT_DTYPES.map((d) => `'${d}'`).join(' or ')}, got ${String(options.dtype)}`);
  }
  if (options.kind !== undefined && !KINDS.includes(options.kind)) {
    throw new Error(`loadModel: option kind must be ${KINDS.map((k) => `'${k}'`).join(' or ')}, got ${String(options.kind)}`);
  }
}

async function loadFrom(files: ModelFiles, options: LoadModelOptions, opened: { close(): void }[]): Promise<TextModel> {
  const configBytes = await need(files, 'config.json');
  const config = configFromHuggingFace(configBytes);
  const family = familyOf(config.family)!;
  const kind: ModelKind = config.kind === 'encoder' ? 'encoder' : config.kind === 'decoder' ? 'decoder' : 'seq2seq';
  if (options.kind !== undefined && options.kind !== kind) {
    throw new Error(`loadModel: ${files.where} holds ${KIND_NAMES[kind]} (${config.family}), not ${KIND_NAMES[options.kind]} as option kind asks for`);
  }
  const sentenceEmbedding = kind === 'encoder' ? await readSentenceTransformer(files, config.dModel) : undefined;
  // The dtype as far as config.json tells, to check the fit before any weight file is read.
  const declared = options.dtype ?? (configDeclaresQ8(configBytes) ? 'q8' : undefined);
  checkWeightsFit(config, options.runtime?.arena?.limitBytes ?? WASM32_LIMIT_BYTES, declared ?? 'f32');
  const checkpoint = await openCheckpoint(files, opened, 'loadModel');
  const dtype = declared ?? (checkpoint.isQ8 ? 'q8' : 'f32');
  checkPositionTable(config, checkpoint, configBytes);
  const tokenizer = await loadTokenizer(files, config);
  if (config.kind !== 'encoder') {
    // Rows of the embedding that no token decodes to are never generated.
    const undecodable = undecodableIds(tokenizer, config.vocabSize);
    if (undecodable.length > 0) config.suppressTokenIds = [...new Set([...(config.suppressTokenIds ?? []), ...undecodable])].sort((a, b) => a - b);
  }
  options.signal?.throwIfAborted();
  const runtime = options.runtime ?? await init({ threads: options.threads ?? 1 });
  runtime.arena?.reserve(weightBytes(checkpoint, dtype));
  // A load that fails half-way frees what it had allocated, and names a misshapen tensor's bytes.
  const recording = recordAllocations(runtime);
  const weights = modelWeights(recording.runtime, counted(checkpoint, options.onProgress, options.signal), dtype);
  const build = async (): Promise<TextModel> => {
    const built = family.load(config, weights);
    // The tensors the family did not ask for (a head it has no use for) count as loaded with it.
    const total = tensorCount(checkpoint);
    options.onProgress?.({ stage: 'load', loaded: total, total });
    if (built.kind === 'encoder') {
      return new TextEncoderModel(built.model, tokenizer, { sentenceEmbedding, modelMaxLength: modelMaxLength(await files.read('tokenizer_config.json')) });
    }
    // The generation keys of config.json when there is no generation_config.json (HF's from_model_config).
    const generation = await files.read('generation_config.json');
    const generationFile = new GenerationConfigFile(generation ?? configBytes, generation ? 'generation_config.json' : 'config.json');
    const defaults = generationFile.defaults();
    if (built.kind === 'decoder') {
      const tokens = generation ? generationFile.tokens(config.vocabSize) : undefined;
      return new TextGenerationModel(built.model, tokenizer, decoderDefaults(config, defaults, tokens), await chatTemplateOf(files));
    }
    return new TextSeq2SeqModel(built.model, tokenizer, defaults);
  };
  try {
    const model = await build();
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
    throw locate(e, checkpoint);
  } finally {
    recording.stop();
  }
}

/**
 * A decoder's generation defaults: the sampling keys, max_length and beams, with
 * generation_config.json's max_new_tokens and token ids (`tokens`, when the folder has one),
 * which win over config.json's for generation as in Hugging Face (the config is changed in
 * place: eos, more eos ids, pad, bos).
 */
function decoderDefaults(config: TransformerConfig, defaults: GenerationDefaults, tokens: GenerationTokens | undefined) {
  if (tokens?.eos) {
    config.eosTokenId = tokens.eos[0];
    if (tokens.eos.length > 1) config.moreEosTokenIds = tokens.eos.slice(1);
    else delete config.moreEosTokenIds;
  }
  if (tokens?.bos !== undefined) config.bosTokenId = tokens.bos;
  // HF pads finished rows with pad_token_id, or the first EOS when there is none.
  if (tokens?.pad !== undefined) config.padTokenId = tokens.pad;
  const { doSample, temperature, topK, topP, minP, repetitionPenalty, maxLength, numBeams, lengthPenalty, earlyStopping } = defaults;
  const out = {
    doSample, temperature, topK, topP, minP, repetitionPenalty, maxLength, numBeams, lengthPenalty, earlyStopping,
    maxNewTokens: tokens ? defaults.maxNewTokens : undefined,
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

/** The chat template of a decoder's folder: chat_template.jinja, else tokenizer_config.json's chat_template. */
async function chatTemplateOf(files: ModelFiles) {
  const text = (bytes: Uint8Array | undefined) => (bytes ? new TextDecoder().decode(bytes) : undefined);
  return readChatTemplate(text(await files.read('tokenizer_config.json')), text(await files.read('chat_template.jinja')));
}

/** The checkpoint's tensors, a q8 weight's scales counted with it. */
function tensorCount(checkpoint: Checkpoint): number {
  let n = 0;
  for (const name of checkpoint.byName.keys()) if (!name.endsWith(SCALE_SUFFIX)) n++;
  return n;
}

/**
 * The checkpoint as the family reads it, reporting each tensor read for the first time
 * ({stage: 'load', loaded, total}) and stopping at an abort. Counting names, not calls: a tied
 * table read twice counts once.
 */
function counted(checkpoint: Checkpoint, onProgress: ((e: LoadProgressEvent) => void) | undefined, signal: AbortSignal | undefined): TensorSource {
  if (!onProgress && !signal) return checkpoint;
  const total = tensorCount(checkpoint);
  const seen = new Set<string>();
  const read = (name: string) => {
    signal?.throwIfAborted();
    if (seen.has(name) || !checkpoint.byName.has(name)) return;
    seen.add(name);
    // Never total here: the last event, after the model is built, says the load is done.
    if (seen.size < total) onProgress?.({ stage: 'load', loaded: seen.size, total });
  };
  return {
    has: (name) => checkpoint.has(name),
    float: (name, o) => (read(name), checkpoint.float(name, o)),
    quantized: (name, o) => (read(name), checkpoint.quantized(name, o)),
  };
}

/**
 * A model whose weights, in WebAssembly memory, would not fit in the runtime's memory limit (4
 * GiB at most: wasm32) is refused from its config, before any weight file is read. In q8 a
 * weight matrix or embedding table takes 1 byte a value, everything else 4.
 */
function checkWeightsFit(config: TransformerConfig, limitBytes: number, dtype: WeightDtype): void {
  const parameters = countParameters(config).total;
  // The matrices alone: what q8 stores as int8.
  const matrices = countParameters(config, { biases: false, layerNormGammas: false, layerNormBetas: false }).total;
  const bytes = (d: WeightDtype) => (d === 'q8' ? matrices + 4 * (parameters - matrices) : 4 * parameters);
  if (bytes(dtype) > limitBytes) {
    const hint = dtype === 'f32' && bytes('q8') <= limitBytes ? `; with int8 weights (option dtype 'q8') they would need ${bytes('q8')}` : '';
    // The sizes of several keys make the count: the field is the file itself.
    throw new FormatError(`loadModel: config.json describes ${parameters} parameters, which need ${bytes(dtype)} bytes ` +
      `${dtype === 'q8' ? 'with int8 weights (q8)' : 'as f32'}, over the memory limit of ${limitBytes} bytes` +
      `${limitBytes === WASM32_LIMIT_BYTES ? ' (wasm32 addresses 4 GiB)' : ''}${hint}`, 'config.json', 0);
  }
}

/**
 * Bytes the checkpoint's weights take in `dtype`: about what the model puts in WASM memory. In q8
 * the matrices (q8-format's rule) take 1 byte a value.
 */
function weightBytes(checkpoint: Checkpoint, dtype: WeightDtype): number {
  let bytes = 0;
  for (const [name, st] of checkpoint.byName) {
    const { dtype: stored, shape } = st.info(name);
    if (!isFloatDtype(stored) && stored !== 'I8') continue;
    bytes += (dtype === 'q8' && isQuantizedShape(shape) ? 1 : 4) * shape.reduce((a, b) => a * b, 1);
  }
  return bytes;
}

async function need(files: ModelFiles, name: string): Promise<Uint8Array> {
  const bytes = await files.read(name);
  if (!bytes) throw new FormatError(`loadModel: ${files.where} has no ${name}`, name, 0);
  return bytes;
}

/** The folder's tokenizer in whatever form it has (tokenizer.json, SentencePiece, vocab.txt), checked against the model's sizes. */
async function loadTokenizer(files: ModelFiles, config: TransformerConfig): Promise<Tokenizer> {
  const typeVocabSize = config.ignoresTokenTypeIds ? 0 : config.typeVocabSize;
  return readTokenizer(files, { ...config, typeVocabSize });
}

/** A shape error of a tensor (layers.checkLength names it, at offset 0) moved to the tensor's bytes. */
function locate(e: unknown, checkpoint: Checkpoint): unknown {
  const st = e instanceof FormatError && e.byteOffset === 0 ? checkpoint.byName.get(e.field) : undefined;
  if (!st) return e;
  const { byteOffset, dtype, shape } = st.info((e as FormatError).field);
  return new FormatError(`${(e as FormatError).message} (the tensor is ${dtype} [${shape.join(', ')}] at byte offset ${byteOffset})`,
    (e as FormatError).field, byteOffset);
}

/**
 * Sinusoidal positions that the checkpoint does not store (Marian's) are computed from the
 * config: maxPositions × dModel floats, allowed no larger than the checkpoint itself (as f32:
 * an int8 tensor counts 4 bytes a value), as every other allocation of a load.
 */
function checkPositionTable(config: TransformerConfig, checkpoint: Checkpoint, configBytes: Uint8Array): void {
  // Encoder-decoders compute theirs (Marian's); DistilBERT's sinusoidal table is in its checkpoint.
  if (config.positions !== 'sinusoidal' || config.kind === 'encoder') return;
  const files = new Set(checkpoint.byName.values());
  let checkpointBytes = 0;
  for (const st of files) for (const n of st.names) checkpointBytes += st.info(n).byteLength * (st.info(n).dtype === 'I8' ? 4 : 1);
  const tableBytes = 4 * config.maxPositions * config.dModel;
  if (tableBytes > checkpointBytes) {
    throw configKeyError(configBytes, 'max_position_embeddings', `max_position_embeddings ${config.maxPositions} × d_model ${config.dModel} asks for a ` +
      `${tableBytes}-byte position table, larger than the checkpoint's ${checkpointBytes} bytes of weights`);
  }
}
