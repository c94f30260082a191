// GPT-2 (families/gpt2.ts) against tools/make_decoder_fixtures.py: Hugging Face's modeling_gpt2 in
// torch (Conv1D weights stored in × out, c_attn split into q, k, v, learned positions, gelu_new,
// ln_f, a head tied to wte), cross-checked there against torch.nn.TransformerEncoderLayer. The file
// also stores the attn.bias causal-mask buffers old checkpoints carry, which are not read.
import { expect, test } from 'vitest';
import { configFromHuggingFace } from '../../src/transformer/families/index';
import { describeDecoders } from './decoder-fixtures';

describeDecoders(['gpt2']);

const base = { model_type: 'gpt2', n_embd: 32, n_head: 4, n_layer: 2, n_positions: 64, vocab_size: 100, bos_token_id: 5, eos_token_id: 5 };

test('the keys are read as Hugging Face reads them', () => {
  expect(configFromHuggingFace(JSON.stringify(base))).toMatchObject({
    kind: 'decoder', dModel: 32, heads: 4, dHead: 8, dFF: 128, decoderLayers: 2, maxPositions: 64, positions: 'learned',
    norm: 'pre', finalNorm: true, activation: 'gelu_tanh', layerNormEps: 1e-5, bias: true, tieWordEmbeddings: true,
    eosTokenId: 5, padTokenId: 5,
  });
  expect(configFromHuggingFace(JSON.stringify({ ...base, n_inner: 40 })).dFF).toBe(40);
  expect(configFromHuggingFace(JSON.stringify({ ...base, n_inner: null })).dFF).toBe(128);
});

test('what is not built is refused, naming the key', () => {
  const refused: [Record<string, unknown>, string][] = [
    [{ scale_attn_weights: false }, 'scale_attn_weights false is not supported for gpt2: unscaled attention scores are not implemented (field scale_attn_weights'],
    [{ scale_attn_by_inverse_layer_idx: true }, 'scale_attn_by_inverse_layer_idx true is not supported'],
    [{ add_cross_attention: true }, 'add_cross_attention true is not supported'],
    [{ n_embd: 30 }, 'n_embd (30) is not divisible by n_head (4) (field n_embd'],
    [{ activation_function: 'gelu_10' }, 'activation_function "gelu_10" is not supported'],
    [{ architectures: ['GPT2DoubleHeadsModel'] }, 'architectures names GPT2DoubleHeadsModel, which is not supported for gpt2'],
  ];
  for (const [keys, message] of refused) expect(() => configFromHuggingFace(JSON.stringify({ ...base, ...keys })), JSON.stringify(keys)).toThrow(message);
});
