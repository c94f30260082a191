// The configuration every model here is built from: the shape of its blocks (see block.ts),
// its embeddings and positions, its special tokens and the head its checkpoint adds. Each
// family module (families/*.ts) reads its own config.json keys into it, with the semantics of
// Hugging Face's modeling code, which each module cites; configFromHuggingFace (families/index.ts)
// finds the family by model_type.
import { showJson } from '../io/json-bytes';

/**
 * The config.json model_type of a registered family ('bert', 'roberta', 'xlm-roberta', 'mpnet',
 * 'marian', …: families/index.ts), or 'custom' for a hand-written config (custom-decoder.ts).
 */
export type Family = string;
export type Activation = 'gelu' | 'gelu_tanh' | 'relu' | 'silu';

/** The task head a checkpoint's class (config.json's architectures) adds to the base model. */
export type HeadKind = 'sequence-classification' | 'token-classification' | 'question-answering' | 'masked-lm';

export interface TransformerConfig {
  family: Family;
  kind: 'encoder' | 'decoder' | 'encoder-decoder';
  dModel: number;
  heads: number;
  /** dModel / heads, except in a decoder or encoder-decoder whose config sets its head width (Llama's head_dim, T5's d_kv): q then projects D → H·Dh. */
  dHead: number;
  /** Key/value heads (grouped-query attention: Llama's num_key_value_heads); default heads. Divides heads. */
  kvHeads?: number;
  dFF: number;
  encoderLayers: number;
  decoderLayers: number;
  vocabSize: number;
  /** Rows of the position table. */
  maxPositions: number;
  /**
   * 'rotary': no table, the queries and keys rotate (config.rotary). 'relative': no table, a bias
   * by relative distance in the attention scores only (T5: config.relativeAttention).
   */
  positions: 'learned' | 'sinusoidal' | 'rotary' | 'relative';
  /** Rotary positions (Llama's RoPE): the first `dim` columns of each head rotate, rotate_half style. */
  rotary?: RotaryConfig;
  /** Causal self-attention sees only the last `size` positions (its own included), in the layers from `fromLayer` on (Mistral: all; Qwen2: from max_window_layers). */
  slidingWindow?: { size: number; fromLayer: number };
  /**
   * Column layout of a sinusoidal table: 'split' (Marian: sin in the first half, cos in the
   * second) or 'interleaved' (DistilBERT, XLM: sin at even columns, cos at odd). Default 'split'.
   */
  sinusoidalLayout?: 'split' | 'interleaved';
  /**
   * Position ids count only the tokens that are not padding, from padTokenId + 1, and padding
   * sits at padTokenId (RoBERTa's create_position_ids_from_input_ids; MPNet): so padding never
   * shifts positions, and a sequence holds at most maxPositions − padTokenId − 1 tokens.
   */
  paddingAwarePositions?: boolean;
  /**
   * A relative position bias (MPNet, T5): buckets of relative distance, each a learned bias per
   * head, added to the self-attention scores (relative-position.ts).
   */
  relativeAttention?: { buckets: number; maxDistance: number };
  /** What attention multiplies q·kᵀ by (default 1/√dHead; T5: 1, its scale folded into the weights). */
  attentionScale?: number;
  /** BERT's token types (segments); 0 if none. */
  typeVocabSize: number;
  /**
   * The tokenizer's segment ids are not model inputs (RoBERTa's tokenizer lists no
   * token_type_ids among them, while its post-processor marks a pair's second text 1): every
   * token reads row 0 of the token-type table.
   */
  ignoresTokenTypeIds?: boolean;
  /** Where the norms sit in a block: 'post' (BERT, Marian) or 'pre' (GPT-2). */
  norm: 'post' | 'pre';
  /** A LayerNorm right after the embeddings (BERT, DistilBERT). */
  embeddingNorm: boolean;
  /** A LayerNorm at the end of each stack (pre-LN models). */
  finalNorm: boolean;
  activation: Activation;
  layerNormEps: number;
  /** Biases in the Linear layers. */
  bias: boolean;
  /** Which Linear layers have biases when not all or none (Qwen2: q, k and v only); overrides `bias`. */
  linearBiases?: { qkv: boolean; o: boolean; ffn: boolean };
  /** 'rms': every norm is an RMSNorm (a gamma, no beta: Llama, T5). Default 'layer'. */
  normKind?: 'layer' | 'rms';
  /** The FFN is gated, Down(act(Gate·h) ⊙ Up·h) (Llama's SwiGLU). */
  gatedFfn?: boolean;
  /** Token embeddings × √dModel (Marian). */
  scaleEmbedding: boolean;
  padTokenId: number;
  bosTokenId?: number;
  eosTokenId?: number;
  /** More tokens that end generation besides eosTokenId (an eos_token_id list's others: Llama 3). */
  moreEosTokenIds?: number[];
  decoderStartTokenId?: number;
  forcedBosTokenId?: number;
  forcedEosTokenId?: number;
  /** Tokens generation never emits (Marian: the pad token, from bad_words_ids). */
  suppressTokenIds?: number[];
  /** The output projection is the token embedding matrix. */
  tieWordEmbeddings: boolean;
  /** Encoder and decoder share one token embedding (encoder-decoder only; default true). */
  shareEncoderDecoderEmbeddings?: boolean;
  /** The head of the checkpoint's class (…ForSequenceClassification, …ForMaskedLM, …). */
  head?: HeadKind;
  /** Set for the classification heads (sequence and token). */
  numLabels?: number;
  /** Label names by class index. */
  id2label?: string[];
  problemType?: 'regression' | 'single_label_classification' | 'multi_label_classification';
}

/**
 * Hugging Face's rope_scaling (modeling_rope_utils.py): none ('default'), 'linear' (positions
 * divided by factor: inv_freq / factor) or 'llama3' (inv_freq scaled by wavelength bands).
 */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number };

export interface RotaryConfig {
  /** Rotating columns of each head (even, ≤ dHead). */
  dim: number;
  /** rope_theta: the base of the frequencies. */
  theta: number;
  scaling?: RopeScaling;
}

/** Tokens a sequence may hold: the position table's rows, less those padding-aware positions skip. */
export function maxTokens(config: TransformerConfig): number {
  return config.paddingAwarePositions ? config.maxPositions - config.padTokenId - 1 : config.maxPositions;
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
  // Decoders project to heads of their own width (Llama's head_dim, T5's d_kv); encoders do not.
  if (config.kind === 'encoder' && config.heads * config.dHead !== config.dModel) {
    throw new Error(`TransformerConfig: heads · dHead (${config.heads} · ${config.dHead}) must equal dModel (${config.dModel})`);
  }
  if (config.kvHeads !== undefined && (!Number.isSafeInteger(config.kvHeads) || config.kvHeads < 1 || config.heads % config.kvHeads !== 0)) {
    throw new Error(`TransformerConfig: kvHeads must be a positive integer dividing heads (${config.heads}), got ${showJson(config.kvHeads)}`);
  }
  if ((config.positions === 'rotary') !== (config.rotary !== undefined)) throw new Error("TransformerConfig: rotary must be given exactly when positions is 'rotary'");
  if (config.rotary) {
    const { dim, theta } = config.rotary;
    if (!Number.isSafeInteger(dim) || dim < 2 || dim % 2 !== 0 || dim > config.dHead) {
      throw new Error(`TransformerConfig: rotary.dim must be an even integer from 2 to dHead (${config.dHead}), got ${showJson(dim)}`);
    }
    if (typeof theta !== 'number' || !(theta > 0) || !Number.isFinite(theta)) throw new Error(`TransformerConfig: rotary.theta must be a positive number, got ${showJson(theta)}`);
  }
  if (config.slidingWindow !== undefined && (!Number.isSafeInteger(config.slidingWindow.size) || config.slidingWindow.size < 1)) {
    throw new Error(`TransformerConfig: slidingWindow.size must be a positive integer, got ${showJson(config.slidingWindow.size)}`);
  }
  if (!['encoder', 'decoder', 'encoder-decoder'].includes(config.kind)) throw new Error(`TransformerConfig: kind ${showJson(config.kind)} is not supported`);
  if (config.kind === 'encoder' && config.decoderLayers !== 0) throw new Error('TransformerConfig: an encoder has decoderLayers 0');
  if (config.kind === 'decoder' && config.encoderLayers !== 0) throw new Error('TransformerConfig: a decoder has encoderLayers 0');
  if ((config.positions === 'relative') && config.relativeAttention === undefined) throw new Error("TransformerConfig: positions 'relative' needs relativeAttention");
  if (!['learned', 'sinusoidal', 'rotary', 'relative'].includes(config.positions)) throw new Error(`TransformerConfig: positions ${showJson(config.positions)} is not supported`);
  if (config.numLabels !== undefined && (!Number.isSafeInteger(config.numLabels) || config.numLabels < 1)) {
    throw new Error(`TransformerConfig: numLabels must be a positive integer, got ${showJson(config.numLabels)}`);
  }
}
