// Marian (opus-mt translation models, modeling_marian.py): a post-LN encoder-decoder, SiLU
// ("swish"), embeddings × √d_model when scale_embedding, sinusoidal positions from 0 (computed
// here: checkpoints do not store them), an LM head tied to the shared embedding plus
// final_logits_bias (a buffer).
// Config (MarianConfig defaults): vocab_size 58101, decoder_vocab_size = vocab_size, d_model
// 1024, 12+12 layers, 16 heads, ffn 4096, activation "gelu", max_position_embeddings 1024,
// scale_embedding false, pad 58100, eos 0, decoder_start 58100, forced_eos 0,
// share_encoder_decoder_embeddings true; every LayerNorm is nn.LayerNorm(d_model), eps 1e-5
// (PyTorch's default), no LayerNorm on the embeddings and none at the end of a stack.
// MarianSinusoidalPositionalEmbedding puts sin(pos/10000^(2i/d)) in columns [0, d/2) and the
// cos in [d/2, d) — no interleaving — and positions start at 0 (no offset of 2 as in BART).
// The current code no longer reads normalize_before, static_position_embeddings,
// normalize_embedding or add_final_layer_norm (old configs still carry them): values other than
// Marian's own are refused rather than silently run differently.
import { showJson } from '../../io/json-bytes';
import { isTokenId, type ConfigReader } from '../config-reader';
import type { TransformerConfig } from '../config';
import { packTiedHead } from '../embedding-table';
import type { Attention, Block } from '../block';
import { Seq2SeqModel } from '../seq2seq';
import type { Weights } from '../weights';
import type { FamilyModule } from './family';

/**
 * Marian's table (MarianSinusoidalPositionalEmbedding): column i < D/2 is sin(pos / 10000^(2i/D)),
 * column D/2 + i the cos of the same angle; computed in f64, stored as f32.
 */
export function sinusoidalPositions(maxPositions: number, D: number): Float32Array {
  const out = new Float32Array(maxPositions * D);
  const half = Math.ceil(D / 2);
  for (let pos = 0; pos < maxPositions; pos++) {
    for (let i = 0; i < half; i++) {
      const angle = pos / Math.pow(10000, (2 * i) / D);
      out[pos * D + i] = Math.sin(angle);
      if (half + i < D) out[pos * D + half + i] = Math.cos(angle);
    }
  }
  return out;
}

function readConfig(r: ConfigReader): TransformerConfig {
  const D = r.int('d_model', 1024);
  const H = r.int('encoder_attention_heads', 16);
  const decoderHeads = r.int('decoder_attention_heads', 16);
  if (decoderHeads !== H) {
    throw r.fail('decoder_attention_heads', `decoder_attention_heads (${decoderHeads}) differs from encoder_attention_heads (${H}); ` +
      'one head count for both stacks is supported');
  }
  const F = r.int('encoder_ffn_dim', 4096);
  const decoderF = r.int('decoder_ffn_dim', 4096);
  if (decoderF !== F) throw r.fail('decoder_ffn_dim', `decoder_ffn_dim (${decoderF}) differs from encoder_ffn_dim (${F}); one FFN width is supported`);
  const V = r.int('vocab_size', 58101);
  const decoderV = r.json['decoder_vocab_size'] === null ? V : r.int('decoder_vocab_size', V);
  if (decoderV !== V) {
    throw r.fail('decoder_vocab_size', `decoder_vocab_size (${decoderV}) differs from vocab_size (${V}); separate source and target vocabularies are not supported`);
  }
  // Keys the current MarianModel ignores: only Marian's own values describe what it computes.
  const legacy: [string, unknown][] = [
    ['normalize_before', false], ['static_position_embeddings', true], ['normalize_embedding', false], ['add_final_layer_norm', false],
  ];
  for (const [key, expected] of legacy) {
    r.fixed(key, expected, `for marian: Hugging Face's MarianModel always runs as ${key} = ${String(expected)} (post-LN, sinusoidal positions, no extra LayerNorms)`);
  }
  const badWords = r.json['bad_words_ids'];
  const suppress = new Set<number>();
  if (badWords !== undefined && badWords !== null) {
    if (!Array.isArray(badWords) || !badWords.every((w) => Array.isArray(w) && w.length === 1 && isTokenId(w[0], V))) {
      throw r.fail('bad_words_ids', `bad_words_ids ${showJson(badWords)} is not supported: only single tokens ([[id], ...]) with ids in [0, ${V})`);
    }
    for (const [id] of badWords as [number][]) suppress.add(id);
  }
  r.head('marian', marian.heads);
  const t = r.tokens(V, 58100);
  // Every opus-mt config lists the pad token as a bad word: it starts the decoder, never follows.
  suppress.add(t.padTokenId);
  const config: TransformerConfig = {
    family: 'marian', kind: 'encoder-decoder',
    dModel: D, heads: H, dHead: r.headWidth(D, H, 'd_model', 'encoder_attention_heads'), dFF: F,
    encoderLayers: r.layers('encoder_layers', 12), decoderLayers: r.layers('decoder_layers', 12),
    vocabSize: V, maxPositions: r.int('max_position_embeddings', 1024),
    positions: 'sinusoidal', sinusoidalLayout: 'split',
    typeVocabSize: 0,
    norm: 'post', embeddingNorm: false, finalNorm: false,
    activation: r.activation('activation_function', 'gelu'),
    layerNormEps: 1e-5,
    bias: true,
    scaleEmbedding: r.bool('scale_embedding', false),
    tieWordEmbeddings: r.bool('tie_word_embeddings', true),
    shareEncoderDecoderEmbeddings: r.bool('share_encoder_decoder_embeddings', true),
    ...t,
    decoderStartTokenId: r.tokenId('decoder_start_token_id', V, 58100)!,
    forcedEosTokenId: r.tokenId('forced_eos_token_id', V, 0),
    eosTokenId: r.tokenId('eos_token_id', V, 0),
    suppressTokenIds: [...suppress].sort((a, b) => a - b),
  };
  // A null id (e.g. forced_eos_token_id: null) means none: no key rather than an undefined one.
  for (const k of ['eosTokenId', 'forcedEosTokenId'] as const) if (config[k] === undefined) delete config[k];
  return config;
}

function load(c: TransformerConfig, w: Weights) {
  const D = c.dModel, F = c.dFF, eps = c.layerNormEps;
  // One table for the encoder's tokens, the decoder's and (transposed) the LM head.
  const embedding = w.embedding('model.shared.weight', c.vocabSize, D);
  const attention = (p: string): Attention => ({
    q: w.linear(`${p}.q_proj`, D, D), k: w.linear(`${p}.k_proj`, D, D), v: w.linear(`${p}.v_proj`, D, D), o: w.linear(`${p}.out_proj`, D, D),
  });
  const block = (l: string, withCross: boolean): Block => ({
    self: attention(`${l}.self_attn`),
    selfNorm: w.norm(`${l}.self_attn_layer_norm`, D, eps),
    ...(withCross ? { cross: attention(`${l}.encoder_attn`), crossNorm: w.norm(`${l}.encoder_attn_layer_norm`, D, eps) } : {}),
    ffn: { up: w.linear(`${l}.fc1`, D, F), down: w.linear(`${l}.fc2`, F, D) },
    ffnNorm: w.norm(`${l}.final_layer_norm`, D, eps),
  });
  const model = new Seq2SeqModel(w.runtime, c, {
    embedding,
    lmHead: packTiedHead(w.runtime, embedding),
    finalLogitsBias: w.has('final_logits_bias') ? w.tensor('final_logits_bias', c.vocabSize) : undefined,
    positions: sinusoidalPositions(c.maxPositions, D),
    encoder: Array.from({ length: c.encoderLayers }, (_, i) => block(`model.encoder.layers.${i}`, false)),
    decoder: Array.from({ length: c.decoderLayers }, (_, i) => block(`model.decoder.layers.${i}`, true)),
  });
  return { kind: 'seq2seq' as const, model };
}

export const marian: FamilyModule = {
  modelTypes: ['marian'],
  heads: { MarianMTModel: 'base', MarianModel: 'base' },
  headTensors: {},
  readConfig,
  load,
  countExtras: () => ({}),
};
