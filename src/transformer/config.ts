// The configuration of the classic transformer (issue 5, part 1), and its reading from a Hugging
// Face config.json for the three families we run: BERT, DistilBERT and Marian (opus-mt).
//
// The semantics below were read from Hugging Face transformers' sources (src/transformers/...):
// - activations.py, ACT2CLS: "gelu" is GELUActivation = nn.functional.gelu, the exact erf form
//   x·½(1 + erf(x/√2)); "gelu_new", "gelu_fast" and "gelu_pytorch_tanh" are the tanh form
//   ½x(1 + tanh(√(2/π)(x + 0.044715x³))); "swish" and "silu" are nn.SiLU; "relu" is nn.ReLU.
// - models/bert: BertConfig defaults (vocab_size 30522, hidden_size 768, 12 layers, 12 heads,
//   intermediate_size 3072, hidden_act "gelu", max_position_embeddings 512, type_vocab_size 2,
//   layer_norm_eps 1e-12, pad_token_id 0, position_embedding_type "absolute"); every LayerNorm
//   (embeddings and layers) uses config.layer_norm_eps; post-LN; BertPooler = dense d×d + tanh.
// - models/distilbert: DistilBertConfig defaults (vocab_size 30522, dim 768, n_layers 6,
//   n_heads 12, hidden_dim 3072, activation "gelu", max_position_embeddings 512,
//   sinusoidal_pos_embds false, pad_token_id 0); every LayerNorm is nn.LayerNorm(dim, eps=1e-12),
//   fixed in the code; no token types; create_sinusoidal_embeddings interleaves (sin at even
//   columns, cos at odd ones) and stores the table in the checkpoint.
// - models/marian: MarianConfig defaults (vocab_size 58101, decoder_vocab_size = vocab_size,
//   d_model 1024, 12+12 layers, 16 heads, ffn 4096, activation "gelu", max_position_embeddings
//   1024, scale_embedding false, pad 58100, eos 0, decoder_start 58100, forced_eos 0,
//   share_encoder_decoder_embeddings true); every LayerNorm is nn.LayerNorm(d_model), eps 1e-5
//   (PyTorch's default), post-LN, no LayerNorm on the embeddings and none at the end of a stack;
//   embeddings × √d_model when scale_embedding; MarianSinusoidalPositionalEmbedding puts
//   sin(pos/10000^(2i/d)) in columns [0, d/2) and the cos in [d/2, d) — no interleaving — and
//   positions start at 0 (arange(past_key_values_length, ...), no offset of 2 as in BART);
//   MarianMTModel's lm_head is tied to the shared embedding and adds final_logits_bias, a buffer.
//   The current code no longer reads normalize_before, static_position_embeddings,
//   normalize_embedding or add_final_layer_norm (old configs still carry them): values other than
//   Marian's own are refused here rather than silently run differently.

import { FormatError } from '../io/errors';
import { bomLength, parseJsonBytes, showJson } from '../io/json-bytes';

export type Family = 'bert' | 'distilbert' | 'marian' | 'custom';
export type Activation = 'gelu' | 'gelu_tanh' | 'relu' | 'silu';

export interface TransformerConfig {
  family: Family;
  kind: 'encoder' | 'decoder' | 'encoder-decoder';
  dModel: number;
  heads: number;
  /** dModel / heads. */
  dHead: number;
  dFF: number;
  encoderLayers: number;
  decoderLayers: number;
  vocabSize: number;
  maxPositions: number;
  positions: 'learned' | 'sinusoidal';
  /**
   * Column layout of a sinusoidal table: 'split' (Marian: sin in the first half, cos in the
   * second) or 'interleaved' (DistilBERT, XLM: sin at even columns, cos at odd). Default 'split'.
   */
  sinusoidalLayout?: 'split' | 'interleaved';
  /** BERT's token types (segments); 0 if none. */
  typeVocabSize: number;
  norm: 'post' | 'pre';
  /** A LayerNorm right after the embeddings (BERT, DistilBERT). */
  embeddingNorm: boolean;
  /** A LayerNorm at the end of each stack (pre-LN models). */
  finalNorm: boolean;
  activation: Activation;
  layerNormEps: number;
  /** Biases in the Linear layers. */
  bias: boolean;
  /** Token embeddings × √dModel (Marian). */
  scaleEmbedding: boolean;
  padTokenId: number;
  bosTokenId?: number;
  eosTokenId?: number;
  decoderStartTokenId?: number;
  forcedBosTokenId?: number;
  forcedEosTokenId?: number;
  /** Tokens generation never emits (Marian: the pad token, from bad_words_ids). */
  suppressTokenIds?: number[];
  /** The output projection is the token embedding matrix. */
  tieWordEmbeddings: boolean;
  /** Encoder and decoder share one token embedding (encoder-decoder only; default true). */
  shareEncoderDecoderEmbeddings?: boolean;
  /** Set for sequence-classification checkpoints (…ForSequenceClassification). */
  numLabels?: number;
  /** Label names by class index. */
  id2label?: string[];
  problemType?: 'regression' | 'single_label_classification' | 'multi_label_classification';
}

type Json = Record<string, unknown>;

/** Layer counts past this are refused: the layers are built in arrays of that length. */
const MAX_LAYERS = 10_000;

/** Deepest nesting read from config.json text: HF configs nest 3 (bad_words_ids, task_specific_params). */
const MAX_DEPTH = 32;

/** Byte offsets of the keys of configs read from text, for FormatError (0 for configs given as objects). */
const keyOffsets = new WeakMap<object, Map<string, number>>();

/**
 * Reads a Hugging Face config.json (its bytes, its text, or parsed) of a BERT, DistilBERT or
 * Marian checkpoint. Every problem is a FormatError whose field is the key ("id2label.3" inside
 * an object) and whose byteOffset is where the key starts in the bytes (0 when given parsed).
 */
export function configFromHuggingFace(json: unknown): TransformerConfig {
  if (typeof json === 'string' || json instanceof Uint8Array) {
    const parsed = parseConfigBytes(typeof json === 'string' ? new TextEncoder().encode(json) : json);
    json = parsed.value;
    if (json !== null && typeof json === 'object') keyOffsets.set(json, parsed.keys);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw fail(null, 'config.json', `expected an object, got ${showJson(json)}`);
  }
  const c = json as Json;
  const modelType = c['model_type'];
  if (modelType === undefined) throw fail(c, 'model_type', 'model_type is missing (expected "bert", "distilbert" or "marian")');
  switch (modelType) {
    case 'bert': return bert(c);
    case 'distilbert': return distilbert(c);
    case 'marian': return marian(c);
    default:
      throw fail(c, 'model_type', `model_type ${showJson(modelType)} is not supported (supported: "bert", "distilbert", "marian")`);
  }
}

function bert(c: Json): TransformerConfig {
  const dModel = int(c, 'hidden_size', 768);
  const heads = int(c, 'num_attention_heads', 12);
  const positionType = c['position_embedding_type'] ?? 'absolute';
  if (positionType !== 'absolute') {
    throw fail(c, 'position_embedding_type', `position_embedding_type ${showJson(positionType)} is not supported (only "absolute")`);
  }
  if (c['is_decoder'] === true) throw fail(c, 'is_decoder', 'is_decoder true is not supported for bert (encoders only)');
  if (c['add_cross_attention'] === true) throw fail(c, 'add_cross_attention', 'add_cross_attention true is not supported for bert');
  const vocabSize = int(c, 'vocab_size', 30522);
  return withLabels(c, 'BertForSequenceClassification', {
    family: 'bert', kind: 'encoder',
    dModel, heads, dHead: headSize(c, dModel, heads, 'hidden_size', 'num_attention_heads'),
    dFF: int(c, 'intermediate_size', 3072),
    encoderLayers: int(c, 'num_hidden_layers', 12, 1, MAX_LAYERS), decoderLayers: 0,
    vocabSize, maxPositions: int(c, 'max_position_embeddings', 512), positions: 'learned',
    typeVocabSize: int(c, 'type_vocab_size', 2, 0),
    norm: 'post', embeddingNorm: true, finalNorm: false,
    activation: activation(c, 'hidden_act', 'gelu'),
    layerNormEps: positive(c, 'layer_norm_eps', 1e-12),
    bias: true, scaleEmbedding: false,
    tieWordEmbeddings: bool(c, 'tie_word_embeddings', true),
    ...tokens(c, vocabSize, 0),
  });
}

function distilbert(c: Json): TransformerConfig {
  const dModel = int(c, 'dim', 768);
  const heads = int(c, 'n_heads', 12);
  const sinusoidal = bool(c, 'sinusoidal_pos_embds', false);
  const vocabSize = int(c, 'vocab_size', 30522);
  return withLabels(c, 'DistilBertForSequenceClassification', {
    family: 'distilbert', kind: 'encoder',
    dModel, heads, dHead: headSize(c, dModel, heads, 'dim', 'n_heads'),
    dFF: int(c, 'hidden_dim', 4 * 768),
    encoderLayers: int(c, 'n_layers', 6, 1, MAX_LAYERS), decoderLayers: 0,
    vocabSize, maxPositions: int(c, 'max_position_embeddings', 512),
    positions: sinusoidal ? 'sinusoidal' : 'learned',
    ...(sinusoidal ? { sinusoidalLayout: 'interleaved' as const } : {}),
    typeVocabSize: 0,
    norm: 'post', embeddingNorm: true, finalNorm: false,
    activation: activation(c, 'activation', 'gelu'),
    layerNormEps: 1e-12,
    bias: true, scaleEmbedding: false,
    tieWordEmbeddings: bool(c, 'tie_word_embeddings', true),
    ...tokens(c, vocabSize, 0),
  });
}

function marian(c: Json): TransformerConfig {
  const dModel = int(c, 'd_model', 1024);
  const heads = int(c, 'encoder_attention_heads', 16);
  const decoderHeads = int(c, 'decoder_attention_heads', 16);
  if (decoderHeads !== heads) {
    throw fail(c, 'decoder_attention_heads', `decoder_attention_heads (${decoderHeads}) differs from encoder_attention_heads (${heads}); ` +
      'one head count for both stacks is supported');
  }
  const dFF = int(c, 'encoder_ffn_dim', 4096);
  const decoderFF = int(c, 'decoder_ffn_dim', 4096);
  if (decoderFF !== dFF) {
    throw fail(c, 'decoder_ffn_dim', `decoder_ffn_dim (${decoderFF}) differs from encoder_ffn_dim (${dFF}); one FFN width is supported`);
  }
  const vocabSize = int(c, 'vocab_size', 58101);
  const decoderVocab = c['decoder_vocab_size'] === null ? vocabSize : int(c, 'decoder_vocab_size', vocabSize);
  if (decoderVocab !== vocabSize) {
    throw fail(c, 'decoder_vocab_size', `decoder_vocab_size (${decoderVocab}) differs from vocab_size (${vocabSize}); ` +
      'separate source and target vocabularies are not supported');
  }
  // Keys the current MarianModel ignores: only Marian's own values describe what it computes.
  const legacy: [string, unknown][] = [
    ['normalize_before', false], ['static_position_embeddings', true], ['normalize_embedding', false],
    ['add_final_layer_norm', false],
  ];
  for (const [key, expected] of legacy) {
    if (c[key] !== undefined && c[key] !== expected) {
      throw fail(c, key, `${key} ${showJson(c[key])} is not supported for marian: Hugging Face's MarianModel ` +
        `always runs as ${key} = ${String(expected)} (post-LN, sinusoidal positions, no extra LayerNorms)`);
    }
  }
  const badWords = c['bad_words_ids'];
  const suppress = new Set<number>();
  if (badWords !== undefined && badWords !== null) {
    if (!Array.isArray(badWords) || !badWords.every((w) => Array.isArray(w) && w.length === 1 && isTokenId(w[0], vocabSize))) {
      throw fail(c, 'bad_words_ids', `bad_words_ids ${showJson(badWords)} is not supported: only single tokens ([[id], ...]) ` +
        `with ids in [0, ${vocabSize})`);
    }
    for (const [id] of badWords as [number][]) suppress.add(id);
  }
  const t = tokens(c, vocabSize, 58100);
  // Every opus-mt config lists the pad token as a bad word: it starts the decoder, never follows.
  suppress.add(t.padTokenId);
  const config: TransformerConfig = {
    family: 'marian', kind: 'encoder-decoder',
    dModel, heads, dHead: headSize(c, dModel, heads, 'd_model', 'encoder_attention_heads'), dFF,
    encoderLayers: int(c, 'encoder_layers', 12, 1, MAX_LAYERS), decoderLayers: int(c, 'decoder_layers', 12, 1, MAX_LAYERS),
    vocabSize, maxPositions: int(c, 'max_position_embeddings', 1024),
    positions: 'sinusoidal', sinusoidalLayout: 'split',
    typeVocabSize: 0,
    norm: 'post', embeddingNorm: false, finalNorm: false,
    activation: activation(c, 'activation_function', 'gelu'),
    layerNormEps: 1e-5,
    bias: true,
    scaleEmbedding: bool(c, 'scale_embedding', false),
    tieWordEmbeddings: bool(c, 'tie_word_embeddings', true),
    shareEncoderDecoderEmbeddings: bool(c, 'share_encoder_decoder_embeddings', true),
    ...t,
    decoderStartTokenId: tokenId(c, 'decoder_start_token_id', vocabSize, 58100)!,
    forcedEosTokenId: tokenId(c, 'forced_eos_token_id', vocabSize, 0),
    eosTokenId: tokenId(c, 'eos_token_id', vocabSize, 0),
    suppressTokenIds: [...suppress].sort((a, b) => a - b),
  };
  // A null id (e.g. forced_eos_token_id: null) means none: no key rather than an undefined one.
  for (const k of ['eosTokenId', 'forcedEosTokenId'] as const) if (config[k] === undefined) delete config[k];
  return config;
}

// --- fields -------------------------------------------------------------------------------------

function configError(field: string, at: number, what: string): FormatError {
  return new FormatError(`config.json: ${what} (field ${field}, byte offset ${at})`, field, at);
}

function parseConfigBytes(bytes: Uint8Array) {
  return parseJsonBytes(bytes, bomLength(bytes), bytes.length, { field: 'config.json', maxDepth: MAX_DEPTH, subject: 'config.json', fail: configError });
}

/**
 * An error about top-level `key` of config.json found by a later check (against the weights,
 * say), at the key's byte offset in `bytes`.
 */
export function configKeyError(bytes: Uint8Array, key: string, what: string): FormatError {
  return configError(key, parseConfigBytes(bytes).keys.get(key) ?? 0, what);
}

/** The error for a key of config `c` ("a.b" for key b of object a), at the key's byte offset when known. */
function fail(c: Json | null, field: string, what: string): FormatError {
  return configError(field, (c && keyOffsets.get(c)?.get(field.replace('.', '\u0000'))) ?? 0, what);
}

function int(c: Json, key: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const v = c[key] ?? fallback;
  if (!Number.isSafeInteger(v) || (v as number) < min) {
    throw fail(c, key, `${key} must be an integer ≥ ${min}, got ${showJson(c[key])}`);
  }
  if ((v as number) > max) throw fail(c, key, `${key} must be at most ${max}, got ${showJson(c[key])}`);
  return v as number;
}

function positive(c: Json, key: string, fallback: number): number {
  const v = c[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw fail(c, key, `${key} must be a positive number, got ${showJson(c[key])}`);
  }
  return v;
}

function bool(c: Json, key: string, fallback: boolean): boolean {
  const v = c[key] ?? fallback;
  if (typeof v !== 'boolean') throw fail(c, key, `${key} must be true or false, got ${showJson(c[key])}`);
  return v;
}

const ACTIVATIONS: Record<string, Activation> = {
  gelu: 'gelu', gelu_new: 'gelu_tanh', gelu_fast: 'gelu_tanh', gelu_pytorch_tanh: 'gelu_tanh',
  relu: 'relu', silu: 'silu', swish: 'silu',
};

function activation(c: Json, key: string, fallback: string): Activation {
  const v = c[key] ?? fallback;
  const a = typeof v === 'string' ? ACTIVATIONS[v] : undefined;
  if (!a || !Object.hasOwn(ACTIVATIONS, v as string)) {
    throw fail(c, key, `${key} ${showJson(c[key])} is not supported (supported: ${Object.keys(ACTIVATIONS).join(', ')})`);
  }
  return a;
}

function headSize(c: Json, dModel: number, heads: number, dKey: string, hKey: string): number {
  if (dModel % heads !== 0) throw fail(c, dKey, `${dKey} (${dModel}) is not divisible by ${hKey} (${heads})`);
  return dModel / heads;
}

function isTokenId(v: unknown, vocabSize: number): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) < vocabSize;
}

/** A token id in [0, vocabSize), the fallback when absent; undefined when null (and no fallback given). */
function tokenId(c: Json, key: string, vocabSize: number, fallback?: number): number | undefined {
  const v = c[key];
  if (v === undefined && fallback !== undefined && !isTokenId(fallback, vocabSize)) {
    throw fail(c, key, `${key} is missing, and its default ${fallback} is not a token id in [0, ${vocabSize})`);
  }
  if (v === undefined) return fallback;
  if (v === null) return undefined;
  if (!isTokenId(v, vocabSize)) throw fail(c, key, `${key} must be a token id in [0, ${vocabSize}), got ${showJson(v)}`);
  return v;
}

function tokens(c: Json, vocabSize: number, pad: number) {
  const padTokenId = tokenId(c, 'pad_token_id', vocabSize, pad);
  if (padTokenId === undefined) throw fail(c, 'pad_token_id', `pad_token_id must be a token id in [0, ${vocabSize}), got null`);
  const out: Pick<TransformerConfig, 'padTokenId' | 'bosTokenId' | 'eosTokenId' | 'forcedBosTokenId' | 'forcedEosTokenId'> = { padTokenId };
  const optional = [['bos_token_id', 'bosTokenId'], ['eos_token_id', 'eosTokenId'],
    ['forced_bos_token_id', 'forcedBosTokenId'], ['forced_eos_token_id', 'forcedEosTokenId']] as const;
  for (const [key, field] of optional) {
    const id = tokenId(c, key, vocabSize);
    if (id !== undefined) out[field] = id;
  }
  return out;
}

const PROBLEM_TYPES = ['regression', 'single_label_classification', 'multi_label_classification'] as const;

/**
 * Labels, for a sequence-classification checkpoint only (architectures names the class): other
 * configs carry HF's default LABEL_0/LABEL_1 (opus-mt even three), which mean nothing.
 */
function withLabels(c: Json, head: string, config: TransformerConfig): TransformerConfig {
  const architectures = c['architectures'];
  if (architectures !== undefined && architectures !== null &&
      (!Array.isArray(architectures) || !architectures.every((a) => typeof a === 'string'))) {
    throw fail(c, 'architectures', `architectures must be an array of class names, got ${showJson(architectures)}`);
  }
  if (!Array.isArray(architectures) || !architectures.includes(head)) return config;
  let names: string[] | undefined;
  const id2label = c['id2label'];
  if (id2label !== undefined && id2label !== null) {
    if (typeof id2label !== 'object' || Array.isArray(id2label)) throw fail(c, 'id2label', `id2label must be an object, got ${showJson(id2label)}`);
    const entries = Object.entries(id2label as Json);
    names = new Array<string>(entries.length);
    for (const [k, v] of entries) {
      const i = /^(0|[1-9]\d*)$/.test(k) ? Number(k) : NaN;
      if (!(i < entries.length) || typeof v !== 'string') {
        throw fail(c, `id2label.${k}`, `id2label must map 0…${entries.length - 1} to names, got "${k}": ${showJson(v)}`);
      }
      names[i] = v;
    }
    const label2id = c['label2id'];
    if (label2id !== undefined && label2id !== null) {
      if (typeof label2id !== 'object' || Array.isArray(label2id)) throw fail(c, 'label2id', `label2id must be an object, got ${showJson(label2id)}`);
      for (const [name, i] of Object.entries(label2id as Json)) {
        if (names[i as number] !== name) {
          throw fail(c, 'label2id', `label2id "${name}": ${showJson(i)} disagrees with id2label`);
        }
      }
    }
  }
  const numLabels = c['num_labels'] === undefined ? (names?.length ?? 2) : int(c, 'num_labels', 2);
  if (numLabels < 1) throw fail(c, 'id2label', 'id2label names no label: a classification head needs at least one');
  if (names && names.length !== numLabels) {
    throw fail(c, 'num_labels', `num_labels (${numLabels}) disagrees with id2label, which has ${names.length} labels`);
  }
  const problemType = c['problem_type'];
  if (problemType !== undefined && problemType !== null && !(PROBLEM_TYPES as readonly unknown[]).includes(problemType)) {
    throw fail(c, 'problem_type', `problem_type ${showJson(problemType)} is not supported (supported: ${PROBLEM_TYPES.join(', ')})`);
  }
  return {
    ...config, numLabels,
    id2label: names ?? Array.from({ length: numLabels }, (_, i) => `LABEL_${i}`),
    ...(typeof problemType === 'string' ? { problemType: problemType as TransformerConfig['problemType'] } : {}),
  };
}

/** Throws an Error naming the field if a hand-written config is inconsistent. */
export function validateConfig(config: TransformerConfig): void {
  const sizes = ['dModel', 'heads', 'dHead', 'dFF', 'vocabSize', 'maxPositions'] as const;
  for (const k of sizes) {
    if (!Number.isSafeInteger(config[k]) || config[k] < 1) throw new Error(`TransformerConfig: ${k} must be a positive integer, got ${showJson(config[k])}`);
  }
  for (const k of ['encoderLayers', 'decoderLayers', 'typeVocabSize'] as const) {
    if (!Number.isSafeInteger(config[k]) || config[k] < 0) throw new Error(`TransformerConfig: ${k} must be a non-negative integer, got ${showJson(config[k])}`);
  }
  if (config.heads * config.dHead !== config.dModel) {
    throw new Error(`TransformerConfig: heads · dHead (${config.heads} · ${config.dHead}) must equal dModel (${config.dModel})`);
  }
  if (!['encoder', 'decoder', 'encoder-decoder'].includes(config.kind)) throw new Error(`TransformerConfig: kind ${showJson(config.kind)} is not supported`);
  if (config.kind === 'encoder' && config.decoderLayers !== 0) throw new Error('TransformerConfig: an encoder has decoderLayers 0');
  if (config.kind === 'decoder' && config.encoderLayers !== 0) throw new Error('TransformerConfig: a decoder has encoderLayers 0');
  if (!['learned', 'sinusoidal'].includes(config.positions)) throw new Error(`TransformerConfig: positions ${showJson(config.positions)} is not supported`);
  if (config.numLabels !== undefined && (!Number.isSafeInteger(config.numLabels) || config.numLabels < 1)) {
    throw new Error(`TransformerConfig: numLabels must be a positive integer, got ${showJson(config.numLabels)}`);
  }
}
