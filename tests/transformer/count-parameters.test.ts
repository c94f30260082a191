// countParameters: the textbook figures of issue 5 (biases and betas left out), the published
// counts of bert-base-uncased, distilbert-base-uncased and Helsinki-NLP/opus-mt-en-de, and
// torch.nn.Transformer's own count of the same layers (Debian's python3-torch, required in CI: see
// tests/references.ts).
import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import type { TransformerConfig } from '../../src/transformer/config';
import { configFromHuggingFace } from '../../src/transformer/families/index';
import { countParameters } from '../../src/transformer/count-parameters';
import { PYTHON, pythonReference } from '../references';

const hasTorch = pythonReference('torch', 'python3-torch', 'count-parameters.test.ts: torch comparison');

/** The textbook's model: d = 768, FFN 768→384→768, vocabulary 30000, no positions counted. */
function textbook(kind: TransformerConfig['kind'], encoderLayers: number, decoderLayers: number): TransformerConfig {
  return {
    family: 'custom', kind, dModel: 768, heads: 12, dHead: 64, dFF: 384, encoderLayers, decoderLayers, vocabSize: 30000,
    maxPositions: 512, positions: 'sinusoidal', typeVocabSize: 0, norm: 'post', embeddingNorm: false, finalNorm: false,
    activation: 'relu', layerNormEps: 1e-5, bias: true, scaleEmbedding: false, padTokenId: 0, tieWordEmbeddings: true,
  };
}
const NO_BIASES_OR_BETAS = { biases: false, layerNormBetas: false } as const;

describe('the textbook figures of issue 5, biases and LayerNorm betas left out', () => {
  test('token embedding 30000×768, one self-attention block, one FFN', () => {
    const c = countParameters(textbook('encoder', 1, 0), NO_BIASES_OR_BETAS);
    expect(c.breakdown['embeddings.tokens']).toBe(23_040_000);
    expect(c.breakdown['encoder.selfAttention']).toBe(2_359_296); // 4·768²
    expect(c.breakdown['encoder.ffn']).toBe(589_824); // 2·768·384
  });

  test('8 encoder layers with two 768-gammas each: 46,645,248 with the token embedding', () => {
    // 46,645,248 = 23,040,000 (token embedding) + 8 × (2,359,296 + 589,824 + 2·768) = 23,040,000 + 23,605,248.
    // No position table: a sinusoidal one is not a parameter; a learned one is left out with positions: false.
    const c = countParameters(textbook('encoder', 8, 0), NO_BIASES_OR_BETAS);
    expect(c.perEncoderLayer).toBe(2_950_656);
    expect(c.encoder).toBe(23_605_248);
    expect(c.embeddings).toBe(23_040_000);
    expect(c.total).toBe(46_645_248);
    const learned = { ...textbook('encoder', 8, 0), positions: 'learned' as const };
    expect(countParameters(learned, { ...NO_BIASES_OR_BETAS, positions: false }).total).toBe(46_645_248);
    expect(countParameters(learned, NO_BIASES_OR_BETAS).total).toBe(46_645_248 + 512 * 768);
  });

  test('12 decoder layers with self- and cross-attention: 28,311,552 + 28,311,552 + 7,077,888 + 18,432', () => {
    const c = countParameters(textbook('encoder-decoder', 0, 12), { ...NO_BIASES_OR_BETAS, embeddings: false });
    const b = c.breakdown;
    expect(b['decoder.selfAttention']).toBe(28_311_552); // 12 × 4·768²
    expect(b['decoder.crossAttention']).toBe(28_311_552); // 12 × 4·768²
    expect(b['decoder.ffn']).toBe(7_077_888); // 12 × 2·768·384
    // 18,432 = 12 × 2 × 768: two LayerNorm gammas per layer, as in the encoder example. A decoder
    // layer with cross-attention has a third LayerNorm (after the cross-attention: Vaswani et al.,
    // BART/Marian's encoder_attn_layer_norm, torch's TransformerDecoderLayer.norm2), which the
    // textbook sum leaves out: with it the layers hold 12 × 768 = 9,216 more.
    expect(b['decoder.selfAttentionNorm']! + b['decoder.ffnNorm']!).toBe(18_432);
    expect(b['decoder.selfAttention']! + b['decoder.crossAttention']! + b['decoder.ffn']! +
      b['decoder.selfAttentionNorm']! + b['decoder.ffnNorm']!).toBe(63_719_424);
    expect(b['decoder.crossAttentionNorm']).toBe(9_216);
    expect(c.decoder).toBe(63_719_424 + 9_216);
    expect(c.perDecoderLayer).toBe(2 * 2_359_296 + 589_824 + 3 * 768);
    expect(c.total).toBe(c.decoder);
  });

  test('options leave out exactly their part', () => {
    const config = textbook('encoder', 8, 0);
    const full = countParameters(config);
    // Biases: 4·768 (attention) + 384 + 768 (FFN) per layer; betas: 2·768 per layer.
    expect(full.total - countParameters(config, { biases: false }).total).toBe(8 * (4 * 768 + 384 + 768));
    expect(full.total - countParameters(config, { layerNormBetas: false }).total).toBe(8 * 2 * 768);
    expect(full.total - countParameters(config, { layerNormGammas: false }).total).toBe(8 * 2 * 768);
    expect(full.total - countParameters(config, { embeddings: false }).total).toBe(23_040_000);
    expect(countParameters({ ...config, bias: false }).total).toBe(countParameters(config, { biases: false }).total);
    expect(() => countParameters(config, { biases: 1 as unknown as boolean })).toThrow(/option biases must be true or false/);
    expect(() => countParameters(config, { bias: false } as never)).toThrow(/unknown option bias/);
    expect(() => countParameters(config, { classifier: true } as never)).toThrow(/unknown option classifier/);
    expect(() => countParameters({ ...config, dHead: 60 })).toThrow(/heads · dHead/);
  });
});

describe('published checkpoints', () => {
  test('bert-base-uncased: 109,482,240 (BertModel, with the pooler)', () => {
    // Published: BertModel.from_pretrained('bert-base-uncased').num_parameters() and Keras'
    // TFBertModel summary both give 109,482,240.
    const c = countParameters(configFromHuggingFace({ model_type: 'bert', vocab_size: 30522 }));
    expect(c.total).toBe(109_482_240);
    expect(c.embeddings).toBe(30522 * 768 + 512 * 768 + 2 * 768 + 2 * 768); // 23,837,184
    expect(c.perEncoderLayer).toBe(7_087_872);
    expect(c.breakdown['head.pooler']).toBe(768 * 768 + 768);
    expect(countParameters(configFromHuggingFace({ model_type: 'bert' }), { pooler: false }).total).toBe(108_891_648);
    // BertForSequenceClassification, 2 labels: pooler + classifier 768·2 + 2.
    const cls = configFromHuggingFace({ model_type: 'bert', architectures: ['BertForSequenceClassification'] });
    expect(countParameters(cls).total).toBe(109_482_240 + 1538);
  });

  test('distilbert-base-uncased: 66,362,880; its SST-2 classifier 66,955,010', () => {
    // Published: TFDistilBertModel 66,362,880 (keras-nlp's preset lists the same); the SST-2
    // TFDistilBertForSequenceClassification summary: 66,362,880 + pre_classifier 590,592 + classifier 1,538.
    expect(countParameters(configFromHuggingFace({ model_type: 'distilbert' })).total).toBe(66_362_880);
    const sst2 = configFromHuggingFace({
      model_type: 'distilbert', architectures: ['DistilBertForSequenceClassification'], id2label: { 0: 'NEGATIVE', 1: 'POSITIVE' },
    });
    const c = countParameters(sst2);
    expect([c.breakdown['head.preClassifier'], c.breakdown['head.classifier'], c.total]).toEqual([590_592, 1538, 66_955_010]);
    expect(countParameters(sst2, { head: false }).total).toBe(66_362_880);
  });

  test('Helsinki-NLP/opus-mt-en-de: 73,886,208 (MarianMTModel)', () => {
    const opus = configFromHuggingFace({
      model_type: 'marian', architectures: ['MarianMTModel'], d_model: 512, encoder_layers: 6, decoder_layers: 6,
      encoder_attention_heads: 8, decoder_attention_heads: 8, encoder_ffn_dim: 2048, decoder_ffn_dim: 2048, vocab_size: 58101,
      max_position_embeddings: 512, activation_function: 'swish', scale_embedding: true, share_encoder_decoder_embeddings: true,
      tie_word_embeddings: true, pad_token_id: 58100, eos_token_id: 0, decoder_start_token_id: 58100, bad_words_ids: [[58100]],
    });
    const c = countParameters(opus);
    // shared embedding 58101·512 = 29,747,712, counted once (encoder, decoder and lm_head share it);
    // encoder 6 × (1,050,624 + 1,024 + 2,099,712 + 1,024) = 18,914,304;
    // decoder 6 × (2 × (1,050,624 + 1,024) + 2,099,712 + 1,024) = 25,224,192.
    expect([c.embeddings, c.encoder, c.decoder, c.head]).toEqual([29_747_712, 18_914_304, 25_224_192, 0]);
    expect(c.total).toBe(73_886_208);
    // Published counts: 73,886,208 "native differentiable parameters, tied weights once, without the
    // two fixed sinusoidal position tables"; 74,410,496 for model.num_parameters(), which includes
    // those frozen tables (2 × 512·512). final_logits_bias is a buffer and in neither.
    expect(c.total + 2 * 512 * 512).toBe(74_410_496);
    expect(countParameters(opus, { finalLogitsBias: true }).total).toBe(73_886_208 + 58101);
    // Untied output and unshared embeddings each add a V·d matrix.
    expect(countParameters(opus, { tiedOutput: true }).total).toBe(73_886_208 + 29_747_712);
    expect(countParameters({ ...opus, shareEncoderDecoderEmbeddings: false }).total).toBe(73_886_208 + 29_747_712);
  });
});

describe.skipIf(!hasTorch)('against torch.nn.Transformer', () => {
  test('the layers count as torch counts them, biases, betas and final norms included', () => {
    const counts = JSON.parse(execFileSync(PYTHON, ['-c', `
import json, torch
n = lambda m: sum(p.numel() for p in m.parameters())
t = torch.nn.Transformer(d_model=48, nhead=4, num_encoder_layers=2, num_decoder_layers=3, dim_feedforward=80)
print(json.dumps({'transformer': n(t), 'encoder': n(t.encoder), 'decoder': n(t.decoder),
  'encoderLayer': n(torch.nn.TransformerEncoderLayer(48, 4, 80)), 'decoderLayer': n(torch.nn.TransformerDecoderLayer(48, 4, 80))}))
`]).toString()) as Record<string, number>;
    const config: TransformerConfig = {
      family: 'custom', kind: 'encoder-decoder', dModel: 48, heads: 4, dHead: 12, dFF: 80, encoderLayers: 2, decoderLayers: 3,
      vocabSize: 100, maxPositions: 64, positions: 'sinusoidal', typeVocabSize: 0, norm: 'pre', embeddingNorm: false, finalNorm: true,
      activation: 'relu', layerNormEps: 1e-5, bias: true, scaleEmbedding: false, padTokenId: 0, tieWordEmbeddings: true,
    };
    const c = countParameters(config, { embeddings: false });
    expect({ transformer: c.total, encoder: c.encoder, decoder: c.decoder, encoderLayer: c.perEncoderLayer, decoderLayer: c.perDecoderLayer })
      .toEqual(counts);
  });
});
