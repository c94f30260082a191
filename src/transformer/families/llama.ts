// The Llama family (modeling_llama.py) and the two that copy it, Mistral (modeling_mistral.py) and
// Qwen2 (modeling_qwen2.py); SmolLM, SmolLM2 and TinyLlama are model_type "llama". Pre-norm
// decoder layers: x + attn(input_layernorm(x)), then + mlp(post_attention_layernorm(x)), RMSNorm
// (the variance in f32, eps rms_norm_eps) everywhere and after the last layer (model.norm);
// attention with grouped-query heads (num_key_value_heads) of width head_dim (default
// hidden_size / num_attention_heads), q and k rotated by RoPE (rotate_half, θ = rope_theta,
// rope_scaling none, linear or llama3: rope.ts) and scores q·kᵀ/√head_dim; the MLP
// down_proj(act(gate_proj(x)) · up_proj(x)) with act = hidden_act (silu: SwiGLU); an LM head tied
// to embed_tokens or its own lm_head.
// Biases: Llama's attention_bias puts one on q, k, v and o, mlp_bias on gate, up and down (both
// default false); Qwen2 always has them on q, k and v and never on o; Mistral never.
// Sliding window (keys older than the window are masked: key j is hidden from the query at p
// when j ≤ p − sliding_window, _prepare_4d_causal_attention_mask_with_cache_position): Mistral's
// sliding_window (default 4096; null for none) applies to every layer; Qwen2's only when
// use_sliding_window is true (configuration_qwen2.py sets sliding_window None otherwise), and then
// to the layers from max_window_layers on (its layer_types). A window longer than the sequence is
// a no-op.
// Config defaults (LlamaConfig / MistralConfig / Qwen2Config): vocab_size 32000 / 32000 / 151936,
// hidden_size 4096, intermediate_size 11008 / 14336 / 22016, 32 layers, 32 heads, KV heads = heads
// / 8 / = heads, max_position_embeddings 2048 / 131072 / 32768, rms_norm_eps 1e-6, rope_theta 10000,
// tie_word_embeddings false, bos 1 / 1 / none, eos 2 / 2 / none, pad none.
import { showJson } from '../../io/json-bytes';
import type { ConfigReader } from '../config-reader';
import type { RopeScaling, TransformerConfig } from '../config';
import { DecoderOnlyModel } from '../decoder-only';
import { packTiedHead } from '../embedding-table';
import type { Block } from '../block';
import type { Weights } from '../weights';
import { causalLmClasses, causalLmTokens } from './causal-lm';
import type { FamilyModule } from './family';

const DEFAULTS = {
  llama: { V: 32000, F: 11008, kvHeads: undefined, positions: 2048, bos: 1, eos: 2 },
  mistral: { V: 32000, F: 14336, kvHeads: 8, positions: 4096 * 32, bos: 1, eos: 2 },
  qwen2: { V: 151936, F: 22016, kvHeads: undefined, positions: 32768, bos: -1, eos: -1 },
} as const;

type ModelType = keyof typeof DEFAULTS;

/** rope_scaling as modeling_rope_utils reads it ("type" is the older name of "rope_type"); undefined for none. */
function ropeScaling(r: ConfigReader): RopeScaling | undefined {
  const s = r.json['rope_scaling'];
  if (s === undefined || s === null) return undefined;
  if (typeof s !== 'object' || Array.isArray(s)) throw r.fail('rope_scaling', `rope_scaling must be an object or null, got ${showJson(s)}`);
  const o = s as Record<string, unknown>;
  const type = o['rope_type'] ?? o['type'];
  if (type === 'default') return undefined;
  const num = (key: string, positive = true) => {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || (positive && v <= 0)) throw r.fail(`rope_scaling.${key}`, `rope_scaling.${key} must be a positive number, got ${showJson(v)}`);
    return v;
  };
  if (type === 'linear') return { type: 'linear', factor: num('factor') };
  if (type === 'llama3') {
    const scaling = {
      type: 'llama3' as const, factor: num('factor'), lowFreqFactor: num('low_freq_factor'), highFreqFactor: num('high_freq_factor'),
      originalMaxPositions: num('original_max_position_embeddings'),
    };
    if (scaling.highFreqFactor <= scaling.lowFreqFactor) {
      throw r.fail('rope_scaling.high_freq_factor', `rope_scaling.high_freq_factor (${scaling.highFreqFactor}) must exceed low_freq_factor (${scaling.lowFreqFactor})`);
    }
    return scaling;
  }
  throw r.fail('rope_scaling', `rope_scaling type ${showJson(type)} is not supported (supported: null, "default", "linear", "llama3")`);
}

/** The window and the layers it applies to, per family (see the header); undefined for none. */
function slidingWindow(r: ConfigReader, modelType: ModelType, layers: number): TransformerConfig['slidingWindow'] {
  if (modelType === 'llama') return undefined;
  if (modelType === 'mistral') {
    if (r.json['sliding_window'] === null) return undefined;
    return { size: r.int('sliding_window', 4096), fromLayer: 0 };
  }
  const use = r.bool('use_sliding_window', false);
  const fromLayer = use ? r.int('max_window_layers', 28, 0) : layers;
  const size = use && r.json['sliding_window'] !== null ? r.int('sliding_window', 4096) : undefined;
  const layerTypes = r.json['layer_types'];
  if (layerTypes !== undefined && layerTypes !== null) {
    const want = Array.from({ length: layers }, (_, i) => (size !== undefined && i >= fromLayer ? 'sliding_attention' : 'full_attention'));
    if (!Array.isArray(layerTypes) || layerTypes.length !== layers || layerTypes.some((t, i) => t !== want[i])) {
      throw r.fail('layer_types', `layer_types ${showJson(layerTypes)} is not supported: only what use_sliding_window, sliding_window and max_window_layers imply (${showJson(want)})`);
    }
  }
  return size !== undefined && fromLayer < layers ? { size, fromLayer } : undefined;
}

function readConfig(r: ConfigReader, modelType: string): TransformerConfig {
  const type = modelType as ModelType, d = DEFAULTS[type];
  const D = r.int('hidden_size', 4096);
  const H = r.int('num_attention_heads', 32);
  const KVH = r.json['num_key_value_heads'] === null ? H : r.int('num_key_value_heads', d.kvHeads ?? H);
  if (H % KVH !== 0) throw r.fail('num_key_value_heads', `num_key_value_heads (${KVH}) must divide num_attention_heads (${H})`);
  const Dh = r.json['head_dim'] === undefined || r.json['head_dim'] === null ? r.headWidth(D, H, 'hidden_size', 'num_attention_heads') : r.int('head_dim', 0);
  if (Dh % 2 !== 0) throw r.fail('head_dim', `head_dim (${Dh}) must be even: rotary positions rotate pairs of columns`);
  const partial = r.json['partial_rotary_factor'];
  if (partial !== undefined && partial !== null && partial !== 1) throw r.fail('partial_rotary_factor', `partial_rotary_factor ${showJson(partial)} is not supported for ${modelType} (only 1)`);
  const L = r.layers('num_hidden_layers', 32);
  const V = r.int('vocab_size', d.V);
  // Llama's pretraining_tp splits the projections into slices whose results are summed: the same function.
  const attentionBias = type === 'llama' ? r.bool('attention_bias', false) : false;
  const linearBiases = type === 'qwen2' ? { qkv: true, o: false, ffn: false }
    : { qkv: attentionBias, o: attentionBias, ffn: type === 'llama' ? r.bool('mlp_bias', false) : false };
  const window = slidingWindow(r, type, L);
  const scaling = ropeScaling(r);
  return {
    family: modelType, kind: 'decoder',
    dModel: D, heads: H, dHead: Dh, ...(KVH !== H ? { kvHeads: KVH } : {}),
    dFF: r.int('intermediate_size', d.F),
    encoderLayers: 0, decoderLayers: L,
    vocabSize: V, maxPositions: r.int('max_position_embeddings', d.positions),
    positions: 'rotary',
    rotary: { dim: Dh, theta: r.positive('rope_theta', 10000), ...(scaling ? { scaling } : {}) },
    ...(window ? { slidingWindow: window } : {}),
    typeVocabSize: 0,
    norm: 'pre', normKind: 'rms', embeddingNorm: false, finalNorm: true,
    activation: r.activation('hidden_act', 'silu'),
    gatedFfn: true,
    layerNormEps: r.positive('rms_norm_eps', 1e-6),
    bias: linearBiases.qkv || linearBiases.o || linearBiases.ffn,
    linearBiases,
    scaleEmbedding: false,
    tieWordEmbeddings: r.bool('tie_word_embeddings', false),
    ...causalLmTokens(r, V, d),
    ...r.head(modelType, HEADS[type]),
  };
}

const HEADS: Record<ModelType, ReturnType<typeof causalLmClasses>> = {
  llama: causalLmClasses('LlamaForCausalLM', 'LlamaModel'),
  mistral: causalLmClasses('MistralForCausalLM', 'MistralModel'),
  qwen2: causalLmClasses('Qwen2ForCausalLM', 'Qwen2Model'),
};

function load(c: TransformerConfig, w: Weights) {
  const D = c.dModel, F = c.dFF, eps = c.layerNormEps, H = c.heads, KVH = c.kvHeads ?? H, Dh = c.dHead;
  const b = c.linearBiases!;
  // …ForCausalLM puts the base model under "model."; a bare …Model checkpoint has no prefix.
  const p = w.has('model.embed_tokens.weight') ? 'model.' : '';
  const embedding = w.embedding(`${p}embed_tokens.weight`, c.vocabSize, D);
  const blocks = Array.from({ length: c.decoderLayers }, (_, i): Block => {
    const l = `${p}layers.${i}`;
    return {
      self: {
        q: w.linear(`${l}.self_attn.q_proj`, D, H * Dh, b.qkv),
        k: w.linear(`${l}.self_attn.k_proj`, D, KVH * Dh, b.qkv),
        v: w.linear(`${l}.self_attn.v_proj`, D, KVH * Dh, b.qkv),
        o: w.linear(`${l}.self_attn.o_proj`, H * Dh, D, b.o),
      },
      selfNorm: w.rmsNorm(`${l}.input_layernorm`, D, eps),
      ffn: {
        gate: w.linear(`${l}.mlp.gate_proj`, D, F, b.ffn),
        up: w.linear(`${l}.mlp.up_proj`, D, F, b.ffn),
        down: w.linear(`${l}.mlp.down_proj`, F, D, b.ffn),
      },
      ffnNorm: w.rmsNorm(`${l}.post_attention_layernorm`, D, eps),
    };
  });
  const finalNorm = w.rmsNorm(`${p}norm`, D, eps);
  // Tied: the embedding is the head (a file may keep a copy as lm_head.weight, not read).
  const lmHead = c.tieWordEmbeddings ? packTiedHead(w.runtime, embedding) : w.linear('lm_head', D, c.vocabSize, false).weight;
  return { kind: 'decoder' as const, model: new DecoderOnlyModel(w.runtime, c, { embedding, positions: undefined, blocks, finalNorm, lmHead }) };
}

export const llama: FamilyModule = {
  modelTypes: ['llama', 'mistral', 'qwen2'],
  heads: { ...HEADS.llama, ...HEADS.mistral, ...HEADS.qwen2 },
  headTensors: {},
  readConfig,
  load,
  countExtras: () => ({}),
};
