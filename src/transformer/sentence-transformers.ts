// A sentence-transformers folder: modules.json lists the modules the checkpoint's embeddings go
// through after the transformer — Pooling (1_Pooling/config.json says which modes) and
// Normalize — so that embed() computes what SentenceTransformer.encode() does by default.
import { FormatError } from '../io/errors';
import { bomLength, parseJsonBytes, showJson } from '../io/json-bytes';
import type { ModelFiles } from './files';
import type { Pooling } from './pooling';

export interface SentenceEmbedding {
  /** The modes to concatenate, in sentence-transformers' order. */
  pooling: Pooling[];
  normalize: boolean;
  /** sentence_bert_config.json's max_seq_length: the longest text SentenceTransformer embeds (it cuts longer ones). */
  maxSeqLength?: number;
  /** sentence_bert_config.json's do_lower_case: texts are lower-cased before tokenizing. */
  lowerCase?: boolean;
}

const MODULE = 'sentence_transformers.models.';

/** Pooling config keys in the order Pooling.forward concatenates their vectors. */
const MODES: [string, Pooling][] = [
  ['pooling_mode_cls_token', 'cls'], ['pooling_mode_max_tokens', 'max'], ['pooling_mode_mean_tokens', 'mean'],
  ['pooling_mode_mean_sqrt_len_tokens', 'mean_sqrt_len'], ['pooling_mode_weightedmean_tokens', 'weightedmean'], ['pooling_mode_lasttoken', 'lasttoken'],
];

function readJson(bytes: Uint8Array, file: string): { value: unknown; keys: Map<string, number> } {
  const fail = (field: string, at: number, what: string) => new FormatError(`${file}: ${what} (field ${field}, byte offset ${at})`, field, at);
  return parseJsonBytes(bytes, bomLength(bytes), bytes.length, { field: file, maxDepth: 16, subject: file, fail });
}

/** The folder's sentence embedding, or undefined when it has no modules.json (a plain Hugging Face folder). */
export async function readSentenceTransformer(files: ModelFiles, D: number): Promise<SentenceEmbedding | undefined> {
  const bytes = await files.read('modules.json');
  if (!bytes) return undefined;
  const { value, keys } = readJson(bytes, 'modules.json');
  const fail = (what: string, field = 'modules.json') => new FormatError(`modules.json: ${what}`, field, keys.get(field) ?? 0);
  if (!Array.isArray(value)) throw fail(`expected an array of modules, got ${showJson(value)}`);
  let pooling: Pooling[] | undefined;
  let normalize = false;
  for (const [i, m] of value.entries()) {
    const type = (m as { type?: unknown })?.type, path = (m as { path?: unknown })?.path;
    if (typeof type !== 'string' || typeof path !== 'string') throw fail(`module ${i} must have a string type and path, got ${showJson(m)}`);
    const name = type.startsWith(MODULE) ? type.slice(MODULE.length) : type;
    if (name === 'Transformer') {
      if (path !== '' && path !== '.') throw fail(`module ${i}: a Transformer in the subfolder "${path}" is not supported (the folder's own config.json and weights are read)`);
    } else if (name === 'Pooling') {
      pooling = await readPooling(files, path, D);
    } else if (name === 'Normalize') {
      normalize = true;
    } else {
      throw fail(`module ${i} (${type}) is not supported: embed() runs Transformer, Pooling and Normalize modules`);
    }
  }
  if (!pooling) throw fail('no Pooling module: the folder does not say how to pool token states into a sentence embedding');
  return { pooling, normalize, ...await readTransformerConfig(files) };
}

/** sentence_bert_config.json, the Transformer module's settings: max_seq_length and do_lower_case. */
async function readTransformerConfig(files: ModelFiles): Promise<Pick<SentenceEmbedding, 'maxSeqLength' | 'lowerCase'>> {
  const file = 'sentence_bert_config.json';
  const bytes = await files.read(file);
  if (!bytes) return {};
  const { value, keys } = readJson(bytes, file);
  const c = value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : {};
  const fail = (key: string, what: string) => new FormatError(`${file}: ${key} ${what}, got ${showJson(c[key])} (field ${key}, byte offset ${keys.get(key) ?? 0})`, key, keys.get(key) ?? 0);
  const out: Pick<SentenceEmbedding, 'maxSeqLength' | 'lowerCase'> = {};
  const max = c['max_seq_length'];
  if (max !== undefined && max !== null) {
    if (!Number.isSafeInteger(max) || (max as number) < 1) throw fail('max_seq_length', 'must be a positive integer');
    out.maxSeqLength = max as number;
  }
  const lower = c['do_lower_case'];
  if (lower !== undefined && lower !== null) {
    if (typeof lower !== 'boolean') throw fail('do_lower_case', 'must be true or false');
    if (lower) out.lowerCase = true;
  }
  return out;
}

async function readPooling(files: ModelFiles, path: string, D: number): Promise<Pooling[]> {
  const file = `${path.replace(/\/$/, '')}/config.json`;
  const bytes = await files.read(file);
  if (!bytes) throw new FormatError(`loadModel: modules.json names a Pooling module in "${path}", which has no config.json`, file, 0);
  const { value, keys } = readJson(bytes, file);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new FormatError(`${file}: expected a JSON object`, file, 0);
  const c = value as Record<string, unknown>;
  const fail = (key: string, what: string) => new FormatError(`${file}: ${what} (field ${key}, byte offset ${keys.get(key) ?? 0})`, key, keys.get(key) ?? 0);
  const width = c['word_embedding_dimension'];
  if (width !== undefined && width !== D) throw fail('word_embedding_dimension', `word_embedding_dimension ${showJson(width)} differs from the model's width ${D}`);
  const modes: Pooling[] = [];
  for (const [key, mode] of MODES) {
    const v = c[key] ?? false;
    if (typeof v !== 'boolean') throw fail(key, `${key} must be true or false, got ${showJson(v)}`);
    if (v) modes.push(mode);
  }
  if (modes.length === 0) throw fail('pooling_mode_mean_tokens', 'no pooling mode is set');
  return modes;
}
