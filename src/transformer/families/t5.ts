// T5 (modeling_t5.py): t5-small/base/…, flan-t5 (T5 v1.1's layout) and mT5 (modeling_mt5.py,
// the same code). An encoder-decoder of pre-norm blocks:
//   x + SelfAttention(layer_norm(x)), [x + EncDecAttention(layer_norm(x), encoder)], x + FFN(layer_norm(x))
// with T5LayerNorm everywhere (an RMS norm: no mean, no bias, the variance in f32, eps
// layer_norm_epsilon) and a final_layer_norm at the end of each stack. Attention projects
// D → H·d_kv (d_kv need not be D/H) with no biases, and its scores q·kᵀ are not scaled (Mesh
// TensorFlow folds 1/√d_kv into the initialisation). There are no absolute positions: block 0 of
// each stack holds relative_attention_bias (buckets × H), bucketed by relative distance
// (relative-position.ts: bidirectional in the encoder, causal in the decoder, up to
// relative_attention_max_distance) and added to the self-attention scores of every layer of its
// stack; cross-attention has none. The token embedding (`shared`) is not scaled.
// FFN (feed_forward_proj, T5Config): "relu" (T5: wo(relu(wi(x)))), "gated-ACT"
// (wo(ACT(wi_0(x)) · wi_1(x)); "gated-gelu" means gelu_new, flan-t5's); a config.json's own
// dense_act_fn and is_gated_act, which T5Config saves, win (PretrainedConfig sets them last).
// Head: tie_word_embeddings (T5's default): the decoder's output × d_model^-0.5, then sharedᵀ;
// untied (flan-t5, mT5): lm_head, unscaled.
// Config (T5Config / MT5Config defaults): vocab_size 32128 / 250112, d_model 512, d_kv 64, d_ff
// 2048 / 1024, num_layers 6 / 8, num_decoder_layers = num_layers, num_heads 8 / 6,
// relative_attention_num_buckets 32, relative_attention_max_distance 128, layer_norm_epsilon
// 1e-6, feed_forward_proj "relu" / "gated-gelu", tie_word_embeddings true / false, pad 0, eos 1,
// decoder_start_token_id (checkpoints set 0; the pad when absent).
// T5 has no position limit; maxPositions (what generation and translate() cap lengths to) is the
// legacy n_positions when a config has it, else 512 (T5's tokenizer model_max_length).
import { showJson } from '../../io/json-bytes';
import type { ConfigReader } from '../config-reader';
import type { TransformerConfig } from '../config';
import { F32Table, packTiedHead } from '../embedding-table';
import type { Attention, Block, FeedForward } from '../block';
import { Seq2SeqModel } from '../seq2seq';
import type { Weights } from '../weights';
import type { FamilyModule } from './family';

const DEFAULTS = {
  t5: { V: 32128, F: 2048, L: 6, H: 8, ff: 'relu', tie: true },
  mt5: { V: 250112, F: 1024, L: 8, H: 6, ff: 'gated-gelu', tie: false },
} as const;

type ModelType = keyof typeof DEFAULTS;

/** Activation names dense_act_fn may take (config-reader's): named when feed_forward_proj's is not one. */
const ACTIVATION_NAMES = 'relu, gelu, gelu_new, gelu_fast, gelu_pytorch_tanh, silu, swish';

/** T5Config's reading of feed_forward_proj ("relu", "gated-gelu", …), then dense_act_fn and is_gated_act as saved. */
function feedForward(r: ConfigReader, fallback: string): Pick<TransformerConfig, 'activation' | 'gatedFfn'> {
  const proj = r.json['feed_forward_proj'] ?? fallback;
  if (typeof proj !== 'string') throw r.fail('feed_forward_proj', `feed_forward_proj must be a string, got ${showJson(proj)}`);
  const parts = proj.split('-');
  if ((parts.length > 1 && parts[0] !== 'gated') || parts.length > 2) {
    throw r.fail('feed_forward_proj', `feed_forward_proj ${showJson(proj)} is not supported: T5 takes "ACT" or "gated-ACT" ("relu", "gated-gelu")`);
  }
  // T5Config: "for backwards compatibility", gated-gelu is gelu_new (the tanh approximation).
  const act = proj === 'gated-gelu' ? 'gelu_new' : parts[parts.length - 1]!;
  if (r.json['dense_act_fn'] === undefined || r.json['dense_act_fn'] === null) {
    if (!ACTIVATION_NAMES.split(', ').includes(act)) {
      throw r.fail('feed_forward_proj', `feed_forward_proj ${showJson(proj)} is not supported: its activation "${act}" is not one of ${ACTIVATION_NAMES}`);
    }
  }
  return { activation: r.activation('dense_act_fn', act), gatedFfn: r.bool('is_gated_act', parts[0] === 'gated') };
}

function readConfig(r: ConfigReader, modelType: string): TransformerConfig {
  const d = DEFAULTS[modelType as ModelType];
  const D = r.int('d_model', 512);
  const H = r.int('num_heads', d.H);
  const L = r.layers('num_layers', d.L);
  const buckets = r.int('relative_attention_num_buckets', 32, 4);
  const maxDistance = r.int('relative_attention_max_distance', 128);
  // The decoder's exact buckets reach buckets/2: the logarithmic ones need room beyond (log(max/exact) > 0).
  if (maxDistance <= buckets >> 1) {
    throw r.fail('relative_attention_max_distance', `relative_attention_max_distance (${maxDistance}) must exceed half of relative_attention_num_buckets (${buckets})`);
  }
  const V = r.int('vocab_size', d.V);
  const t = r.tokens(V, 0);
  const eos = r.tokenId('eos_token_id', V, 1);
  const config: TransformerConfig = {
    family: modelType, kind: 'encoder-decoder',
    dModel: D, heads: H, dHead: r.int('d_kv', 64), dFF: r.int('d_ff', d.F),
    encoderLayers: L, decoderLayers: r.json['num_decoder_layers'] === null ? L : r.layers('num_decoder_layers', L),
    vocabSize: V, maxPositions: r.int('n_positions', 512),
    positions: 'relative', relativeAttention: { buckets, maxDistance }, attentionScale: 1,
    typeVocabSize: 0,
    norm: 'pre', normKind: 'rms', embeddingNorm: false, finalNorm: true,
    ...feedForward(r, d.ff),
    layerNormEps: r.positive('layer_norm_epsilon', 1e-6),
    bias: false,
    scaleEmbedding: false,
    tieWordEmbeddings: r.bool('tie_word_embeddings', d.tie),
    shareEncoderDecoderEmbeddings: true,
    ...t,
    decoderStartTokenId: r.tokenId('decoder_start_token_id', V, t.padTokenId)!,
    ...r.head(modelType, HEADS[modelType as ModelType]),
  };
  if (eos === undefined) delete config.eosTokenId;
  else config.eosTokenId = eos;
  return config;
}

const HEADS: Record<ModelType, Record<string, 'base'>> = {
  t5: { T5ForConditionalGeneration: 'base', T5Model: 'base' },
  mt5: { MT5ForConditionalGeneration: 'base', MT5Model: 'base' },
};

/** The shared token table: `shared.weight`, or a copy under a stack's embed_tokens when a file kept only that. */
function sharedName(w: Weights): string {
  return ['shared.weight', 'encoder.embed_tokens.weight', 'decoder.embed_tokens.weight'].find((n) => w.has(n)) ?? 'shared.weight';
}

function load(c: TransformerConfig, w: Weights) {
  const D = c.dModel, F = c.dFF, eps = c.layerNormEps, HDh = c.heads * c.dHead;
  const embedding = w.embedding(sharedName(w), c.vocabSize, D);
  const attention = (p: string): Attention => ({
    q: w.linear(`${p}.q`, D, HDh, false), k: w.linear(`${p}.k`, D, HDh, false), v: w.linear(`${p}.v`, D, HDh, false), o: w.linear(`${p}.o`, HDh, D, false),
  });
  const ffn = (p: string): FeedForward => (c.gatedFfn
    ? { gate: w.linear(`${p}.wi_0`, D, F, false), up: w.linear(`${p}.wi_1`, D, F, false), down: w.linear(`${p}.wo`, F, D, false) }
    : { up: w.linear(`${p}.wi`, D, F, false), down: w.linear(`${p}.wo`, F, D, false) });
  // Encoder blocks: layer.0 self-attention, layer.1 FFN; decoder blocks: layer.1 cross-attention, layer.2 FFN.
  const block = (stack: 'encoder' | 'decoder', i: number): Block => {
    const l = `${stack}.block.${i}.layer`, f = stack === 'decoder' ? 2 : 1;
    return {
      self: attention(`${l}.0.SelfAttention`),
      selfNorm: w.rmsNorm(`${l}.0.layer_norm`, D, eps),
      ...(stack === 'decoder' ? { cross: attention(`${l}.1.EncDecAttention`), crossNorm: w.rmsNorm(`${l}.1.layer_norm`, D, eps) } : {}),
      ffn: ffn(`${l}.${f}.DenseReluDense`),
      ffnNorm: w.rmsNorm(`${l}.${f}.layer_norm`, D, eps),
    };
  };
  const { buckets } = c.relativeAttention!;
  const table = (stack: string) =>
    new F32Table(w.vector(`${stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight`, buckets * c.heads), buckets, c.heads);
  const model = new Seq2SeqModel(w.runtime, c, {
    embedding,
    // Tied: the decoder's output × d_model^-0.5 (in f32, as torch multiplies by the Python float), then sharedᵀ.
    lmHead: c.tieWordEmbeddings ? packTiedHead(w.runtime, embedding) : w.linear('lm_head', D, c.vocabSize, false).weight,
    ...(c.tieWordEmbeddings ? { outputScale: Math.fround(D ** -0.5) } : {}),
    finalLogitsBias: undefined,
    positions: undefined,
    encoder: Array.from({ length: c.encoderLayers }, (_, i) => block('encoder', i)),
    decoder: Array.from({ length: c.decoderLayers }, (_, i) => block('decoder', i)),
    encoderNorm: w.rmsNorm('encoder.final_layer_norm', D, eps),
    decoderNorm: w.rmsNorm('decoder.final_layer_norm', D, eps),
    relativeBias: { encoder: table('encoder'), decoder: table('decoder') },
  });
  return { kind: 'seq2seq' as const, model };
}

export const t5: FamilyModule = {
  modelTypes: ['t5', 'mt5'],
  heads: { ...HEADS.t5, ...HEADS.mt5 },
  headTensors: {},
  readConfig,
  load,
  countExtras: (c) => {
    const table = c.relativeAttention!.buckets * c.heads;
    return { 'encoder.relativeBias': table, 'decoder.relativeBias': table };
  },
};
