// loadModel: a Hugging Face model folder (config.json, model.safetensors or its sharded index,
// tokenizer.json) into the family's model class, on a runtime's kernels.
import { Tokenizer } from '@huggingface/tokenizers';
import { init, type Runtime } from '../runtime';
import { parseSafetensors, parseShardIndex, type SafetensorsFile } from '../io/safetensors';
import { configFromHuggingFace } from './config';
import { modelFiles, type ModelFiles, type ModelSource } from './files';
import { generationDefaults } from './generation-config';
import { TextEncoderModel } from './text-encoder';
import { loadBert } from './models/bert';
import { loadDistilBert } from './models/distilbert';
import { loadMarian } from './models/marian';
import { TextSeq2SeqModel } from './text-seq2seq';

export interface LoadModelOptions {
  /** The runtime whose kernels run the model (default: a new one with `threads`). */
  runtime?: Runtime;
  threads?: number;
}

export async function loadModel(source: ModelSource, options: LoadModelOptions = {}): Promise<TextEncoderModel | TextSeq2SeqModel> {
  const files = modelFiles(source);
  const configBytes = await need(files, 'config.json');
  const config = configFromHuggingFace(new TextDecoder().decode(configBytes));
  const weights = await loadWeights(files);
  const tokenizer = await loadTokenizer(files);
  const runtime = options.runtime ?? await init({ threads: options.threads ?? 1 });
  const get = (name: string) => {
    const st = weights.get(name);
    if (!st) throw new Error(`loadModel: the checkpoint in ${files.where} has no tensor ${name}`);
    // NaN or Inf in a weight is reported here, naming the tensor, not found later as NaN outputs.
    return st.tensor(name, { checkFinite: true });
  };
  const has = (name: string) => weights.has(name);
  if (config.family === 'bert') return new TextEncoderModel(loadBert(runtime, config, get, has), tokenizer);
  if (config.family === 'distilbert') return new TextEncoderModel(loadDistilBert(runtime, config, get, has), tokenizer);
  if (config.family === 'marian') {
    const generation = await files.read('generation_config.json');
    const defaults = generation ? generationDefaults(new TextDecoder().decode(generation), 'generation_config.json')
      : generationDefaults(new TextDecoder().decode(configBytes), 'config.json');
    return new TextSeq2SeqModel(loadMarian(runtime, config, get, has), tokenizer, defaults);
  }
  throw new Error(`loadModel: ${config.family} checkpoints are not supported (BERT, DistilBERT and Marian are)`);
}

async function need(files: ModelFiles, name: string): Promise<Uint8Array> {
  const bytes = await files.read(name);
  if (!bytes) throw new Error(`loadModel: ${files.where} has no ${name}`);
  return bytes;
}

/** Tensor name → the safetensors file holding it: model.safetensors, or the shards of its index. */
async function loadWeights(files: ModelFiles): Promise<Map<string, SafetensorsFile>> {
  const byName = new Map<string, SafetensorsFile>();
  const single = await files.read('model.safetensors');
  if (single) {
    const st = parseSafetensors(single);
    for (const n of st.names) byName.set(n, st);
    return byName;
  }
  const index = await files.read('model.safetensors.index.json');
  if (!index) throw new Error(`loadModel: ${files.where} has neither model.safetensors nor model.safetensors.index.json (PyTorch .bin files are not read: they are pickles)`);
  const { weightMap, shards } = parseShardIndex(new TextDecoder().decode(index));
  const parsed = new Map<string, SafetensorsFile>();
  for (const shard of shards) parsed.set(shard, parseSafetensors(await need(files, shard)));
  for (const [name, shard] of weightMap) {
    const st = parsed.get(shard)!;
    if (!st.has(name)) throw new Error(`loadModel: the index puts ${name} in ${shard}, which does not hold it`);
    byName.set(name, st);
  }
  return byName;
}

async function loadTokenizer(files: ModelFiles): Promise<Tokenizer> {
  const json = JSON.parse(new TextDecoder().decode(await need(files, 'tokenizer.json')));
  const configBytes = await files.read('tokenizer_config.json');
  const config = configBytes ? JSON.parse(new TextDecoder().decode(configBytes)) : {};
  return new Tokenizer(json, config);
}
