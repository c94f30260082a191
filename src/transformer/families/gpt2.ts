// GPT-2 (modeling_gpt2.py; gpt2, distilgpt2): token (wte) + learned position (wpe) embeddings,
// pre-LN blocks x + attn(ln_1(x)), then + mlp(ln_2(x)), a final LayerNorm ln_f, and an LM head tied
// to wte. Its Linear layers are Conv1D, whose weight is stored in × out (transposed relative to
// torch.nn.Linear): attn.c_attn (D → 3D: q, k, v side by side in its columns), attn.c_proj,
// mlp.c_fc (D → n_inner) and mlp.c_proj, all with biases; the activation gelu_new (tanh form).
// Scores q·kᵀ/√Dh (scale_attn_weights), causal (the attn.bias buffers some files still store
// are the causal mask, not read).
// Config (GPT2Config defaults): vocab_size 50257, n_positions 1024, n_embd 768, n_layer 12,
// n_head 12, n_inner null (4·n_embd), activation_function "gelu_new", layer_norm_epsilon 1e-5,
// bos = eos = 50256, tie_word_embeddings true. What the code computes otherwise —
// scale_attn_weights false, scale_attn_by_inverse_layer_idx true, add_cross_attention true — is
// refused by name (reorder_and_upcast_attn only changes the order of f32 operations: accepted).
import type { ConfigReader } from '../config-reader';
import type { TransformerConfig } from '../config';
import { DecoderOnlyModel } from '../decoder-only';
import { packTiedHead } from '../embedding-table';
import type { Block } from '../block';
import type { Linear, Weights } from '../weights';
import { causalLmClasses, causalLmTokens } from './causal-lm';
import type { FamilyModule } from './family';

const HEADS = causalLmClasses('GPT2LMHeadModel', 'GPT2Model');

function readConfig(r: ConfigReader): TransformerConfig {
  const D = r.int('n_embd', 768);
  const H = r.int('n_head', 12);
  r.fixed('scale_attn_weights', true, 'for gpt2: unscaled attention scores are not implemented');
  r.fixed('scale_attn_by_inverse_layer_idx', false, 'for gpt2: scores scaled by 1 / (layer + 1) are not implemented');
  r.fixed('add_cross_attention', false, 'for gpt2: cross-attention blocks (an encoder-decoder use) are not implemented');
  const V = r.int('vocab_size', 50257);
  return {
    family: 'gpt2', kind: 'decoder',
    dModel: D, heads: H, dHead: r.headWidth(D, H, 'n_embd', 'n_head'),
    dFF: r.json['n_inner'] === null ? 4 * D : r.int('n_inner', 4 * D),
    encoderLayers: 0, decoderLayers: r.layers('n_layer', 12),
    vocabSize: V, maxPositions: r.int('n_positions', 1024),
    positions: 'learned',
    typeVocabSize: 0,
    norm: 'pre', embeddingNorm: false, finalNorm: true,
    activation: r.activation('activation_function', 'gelu_new'),
    layerNormEps: r.positive('layer_norm_epsilon', 1e-5),
    bias: true, scaleEmbedding: false,
    tieWordEmbeddings: r.bool('tie_word_embeddings', true),
    ...causalLmTokens(r, V, { bos: 50256, eos: 50256 }),
    ...r.head('gpt2', HEADS),
  };
}

function load(c: TransformerConfig, w: Weights) {
  const D = c.dModel, F = c.dFF, eps = c.layerNormEps;
  // GPT2LMHeadModel puts the base model under "transformer."; gpt2's own file is a bare GPT2Model.
  const p = w.has('transformer.wte.weight') ? 'transformer.' : '';
  const embedding = w.embedding(`${p}wte.weight`, c.vocabSize, D);
  const positions = w.embedding(`${p}wpe.weight`, c.maxPositions, D);
  const blocks = Array.from({ length: c.decoderLayers }, (_, i): Block => {
    const l = `${p}h.${i}`;
    const [q, k, v] = w.conv1d(`${l}.attn.c_attn`, D, D, 3) as [Linear, Linear, Linear];
    return {
      self: { q, k, v, o: w.conv1d(`${l}.attn.c_proj`, D, D)[0]! },
      selfNorm: w.norm(`${l}.ln_1`, D, eps),
      ffn: { up: w.conv1d(`${l}.mlp.c_fc`, D, F)[0]!, down: w.conv1d(`${l}.mlp.c_proj`, F, D)[0]! },
      ffnNorm: w.norm(`${l}.ln_2`, D, eps),
    };
  });
  const finalNorm = w.norm(`${p}ln_f`, D, eps);
  const lmHead = c.tieWordEmbeddings ? packTiedHead(w.runtime, embedding) : w.linear('lm_head', D, c.vocabSize, false).weight;
  return { kind: 'decoder' as const, model: new DecoderOnlyModel(w.runtime, c, { embedding, positions, blocks, finalNorm, lmHead }) };
}

export const gpt2: FamilyModule = {
  modelTypes: ['gpt2'],
  heads: HEADS,
  headTensors: {},
  readConfig,
  load,
  countExtras: () => ({}),
};
