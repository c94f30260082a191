// The Llama family (families/llama.ts: Llama, SmolLM, TinyLlama, Mistral, Qwen2) against
// tools/make_decoder_fixtures.py: Hugging Face's modeling_llama / _mistral / _qwen2 in torch, its
// RoPE cross-checked there against a complex-number formulation and its grouped-query attention
// against attention over grouped (not repeated) keys. Variants: GQA with a tied head; head_dim ≠
// D/H with rope_scaling linear and an untied lm_head; rope_scaling llama3 with an eos_token_id list
// that ends greedy search; Mistral with a sliding window shorter than the sequence (a bare
// MistralModel file); Qwen2 with q/k/v biases and a sliding window it does not use.
import { expect, test } from 'vitest';
import { configFromHuggingFace } from '../../src/transformer/families/index';
import { describeDecoders } from './decoder-fixtures';

describeDecoders(['llama', 'llama-head-dim', 'llama3', 'mistral', 'qwen2']);

const base = {
  model_type: 'llama', hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4,
  num_key_value_heads: 2, vocab_size: 100, max_position_embeddings: 64,
};

test('the keys are read as Hugging Face reads them', () => {
  const c = configFromHuggingFace(JSON.stringify(base));
  expect(c).toMatchObject({
    kind: 'decoder', dModel: 32, heads: 4, kvHeads: 2, dHead: 8, positions: 'rotary', rotary: { dim: 8, theta: 10000 },
    normKind: 'rms', gatedFfn: true, activation: 'silu', layerNormEps: 1e-6, tieWordEmbeddings: false,
    linearBiases: { qkv: false, o: false, ffn: false }, bosTokenId: 1, eosTokenId: 2, padTokenId: 2,
  });
  expect(c.slidingWindow).toBeUndefined();
  expect(configFromHuggingFace(JSON.stringify({ ...base, head_dim: 16 }))).toMatchObject({ dHead: 16, rotary: { dim: 16 } });
  expect(configFromHuggingFace(JSON.stringify({ ...base, attention_bias: true, mlp_bias: true })).linearBiases).toEqual({ qkv: true, o: true, ffn: true });
  expect(configFromHuggingFace(JSON.stringify({ ...base, model_type: 'qwen2' })).linearBiases).toEqual({ qkv: true, o: false, ffn: false });
  expect(configFromHuggingFace(JSON.stringify({ ...base, eos_token_id: [7, 9], pad_token_id: null }))).toMatchObject({ eosTokenId: 7, moreEosTokenIds: [9], padTokenId: 7 });
  // Mistral: the window applies to every layer, 4096 by default; null turns it off.
  expect(configFromHuggingFace(JSON.stringify({ ...base, model_type: 'mistral' })).slidingWindow).toEqual({ size: 4096, fromLayer: 0 });
  expect(configFromHuggingFace(JSON.stringify({ ...base, model_type: 'mistral', sliding_window: null })).slidingWindow).toBeUndefined();
  // Qwen2: only with use_sliding_window, from max_window_layers on.
  const qwen = { ...base, model_type: 'qwen2', sliding_window: 8, max_window_layers: 1 };
  expect(configFromHuggingFace(JSON.stringify(qwen)).slidingWindow).toBeUndefined();
  expect(configFromHuggingFace(JSON.stringify({ ...qwen, use_sliding_window: true })).slidingWindow).toEqual({ size: 8, fromLayer: 1 });
  expect(configFromHuggingFace(JSON.stringify({ ...qwen, use_sliding_window: true, max_window_layers: 2 })).slidingWindow).toBeUndefined();
  expect(configFromHuggingFace(JSON.stringify({ ...base, rope_scaling: { type: 'linear', factor: 4 } })).rotary!.scaling).toEqual({ type: 'linear', factor: 4 });
  expect(configFromHuggingFace(JSON.stringify({ ...base, rope_scaling: { rope_type: 'default' } })).rotary!.scaling).toBeUndefined();
});

test('what is not built is refused, naming the key', () => {
  const refused: [Record<string, unknown>, string][] = [
    [{ num_key_value_heads: 3 }, 'num_key_value_heads (3) must divide num_attention_heads (4) (field num_key_value_heads'],
    [{ rope_scaling: { rope_type: 'yarn', factor: 4 } }, 'rope_scaling type "yarn" is not supported (supported: null, "default", "linear", "llama3") (field rope_scaling'],
    [{ rope_scaling: { rope_type: 'dynamic', factor: 2 } }, 'rope_scaling type "dynamic" is not supported'],
    [{ rope_scaling: { type: 'linear' } }, 'rope_scaling.factor must be a positive number, got undefined (field rope_scaling.factor'],
    [{ rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 4, high_freq_factor: 1, original_max_position_embeddings: 8192 } },
      'rope_scaling.high_freq_factor (1) must exceed low_freq_factor (4)'],
    [{ partial_rotary_factor: 0.5 }, 'partial_rotary_factor 0.5 is not supported for llama (only 1) (field partial_rotary_factor'],
    [{ head_dim: 7 }, 'head_dim (7) must be even'],
    [{ hidden_act: 'gelu_10' }, 'hidden_act "gelu_10" is not supported'],
    [{ eos_token_id: [1, 100] }, 'eos_token_id must be a token id or a list of token ids in [0, 100), got [1,100] (field eos_token_id'],
    [{ architectures: ['LlamaForSequenceClassification'] }, 'architectures names LlamaForSequenceClassification, which is not supported for llama'],
    [{ model_type: 'qwen2', use_sliding_window: true, sliding_window: 8, max_window_layers: 0, layer_types: ['full_attention', 'sliding_attention'] },
      'layer_types ["full_attention","sliding_attention"] is not supported'],
  ];
  for (const [keys, message] of refused) expect(() => configFromHuggingFace(JSON.stringify({ ...base, ...keys })), JSON.stringify(keys)).toThrow(message);
});
