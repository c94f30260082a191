// Hugging Face config.json → TransformerConfig for the three families, with the configs of
// bert-base-uncased, distilbert-base-uncased (and its SST-2 classifier) and
// Helsinki-NLP/opus-mt-en-de as published on the hub, and every bad field named in the Error.
import { describe, expect, test } from 'vitest';
import { formatError } from '../format-error';
import { maxTokens, validateConfig, type TransformerConfig } from '../../src/transformer/config';
import { countParameters } from '../../src/transformer/count-parameters';
import { configFromHuggingFace } from '../../src/transformer/families/index';

/** bert-base-uncased/config.json. */
const BERT_BASE_UNCASED = {
  architectures: ['BertForMaskedLM'],
  attention_probs_dropout_prob: 0.1,
  gradient_checkpointing: false,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  hidden_size: 768,
  initializer_range: 0.02,
  intermediate_size: 3072,
  layer_norm_eps: 1e-12,
  max_position_embeddings: 512,
  model_type: 'bert',
  num_attention_heads: 12,
  num_hidden_layers: 12,
  pad_token_id: 0,
  position_embedding_type: 'absolute',
  transformers_version: '4.6.0.dev0',
  type_vocab_size: 2,
  use_cache: true,
  vocab_size: 30522,
};

/** distilbert-base-uncased/config.json. */
const DISTILBERT_BASE_UNCASED = {
  activation: 'gelu',
  architectures: ['DistilBertForMaskedLM'],
  attention_dropout: 0.1,
  dim: 768,
  dropout: 0.1,
  hidden_dim: 3072,
  initializer_range: 0.02,
  max_position_embeddings: 512,
  model_type: 'distilbert',
  n_heads: 12,
  n_layers: 6,
  pad_token_id: 0,
  qa_dropout: 0.1,
  seq_classif_dropout: 0.2,
  sinusoidal_pos_embds: false,
  tie_weights_: true,
  transformers_version: '4.10.0.dev0',
  vocab_size: 30522,
};

/** distilbert-base-uncased-finetuned-sst-2-english/config.json. */
const DISTILBERT_SST2 = {
  activation: 'gelu',
  architectures: ['DistilBertForSequenceClassification'],
  attention_dropout: 0.1,
  dim: 768,
  dropout: 0.1,
  finetuning_task: 'sst-2',
  hidden_dim: 3072,
  id2label: { 0: 'NEGATIVE', 1: 'POSITIVE' },
  initializer_range: 0.02,
  label2id: { NEGATIVE: 0, POSITIVE: 1 },
  max_position_embeddings: 512,
  model_type: 'distilbert',
  n_heads: 12,
  n_layers: 6,
  output_past: true,
  pad_token_id: 0,
  qa_dropout: 0.1,
  seq_classif_dropout: 0.2,
  sinusoidal_pos_embds: false,
  tie_weights_: true,
  vocab_size: 30522,
};

/** Helsinki-NLP/opus-mt-en-de/config.json. */
const OPUS_MT_EN_DE = {
  _name_or_path: 'Helsinki-NLP/opus-mt-en-de',
  activation_dropout: 0.0,
  activation_function: 'swish',
  add_bias_logits: false,
  add_final_layer_norm: false,
  architectures: ['MarianMTModel'],
  attention_dropout: 0.0,
  bad_words_ids: [[58100]],
  bos_token_id: 0,
  classif_dropout: 0.0,
  classifier_dropout: 0.0,
  d_model: 512,
  decoder_attention_heads: 8,
  decoder_ffn_dim: 2048,
  decoder_layerdrop: 0.0,
  decoder_layers: 6,
  decoder_start_token_id: 58100,
  decoder_vocab_size: 58101,
  dropout: 0.1,
  encoder_attention_heads: 8,
  encoder_ffn_dim: 2048,
  encoder_layerdrop: 0.0,
  encoder_layers: 6,
  eos_token_id: 0,
  forced_eos_token_id: 0,
  gradient_checkpointing: false,
  id2label: { 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' },
  init_std: 0.02,
  is_encoder_decoder: true,
  label2id: { LABEL_0: 0, LABEL_1: 1, LABEL_2: 2 },
  max_length: 512,
  max_position_embeddings: 512,
  model_type: 'marian',
  normalize_before: false,
  normalize_embedding: false,
  num_beams: 4,
  num_hidden_layers: 6,
  pad_token_id: 58100,
  scale_embedding: true,
  share_encoder_decoder_embeddings: true,
  static_position_embeddings: true,
  transformers_version: '4.22.0.dev0',
  use_cache: true,
  vocab_size: 58101,
};

describe('configs of published checkpoints', () => {
  test('bert-base-uncased', () => {
    const c = configFromHuggingFace(BERT_BASE_UNCASED);
    expect(c).toEqual({
      family: 'bert', kind: 'encoder', dModel: 768, heads: 12, dHead: 64, dFF: 3072, encoderLayers: 12, decoderLayers: 0,
      vocabSize: 30522, maxPositions: 512, positions: 'learned', typeVocabSize: 2, norm: 'post', embeddingNorm: true,
      finalNorm: false, activation: 'gelu', layerNormEps: 1e-12, bias: true, scaleEmbedding: false, tieWordEmbeddings: true,
      padTokenId: 0, head: 'masked-lm', // architectures: …ForMaskedLM
    } satisfies TransformerConfig);
    // The text of config.json works too.
    expect(configFromHuggingFace(JSON.stringify(BERT_BASE_UNCASED))).toEqual(c);
    validateConfig(c);
  });

  test('an empty bert config takes BertConfig defaults (bert-base)', () => {
    const { architectures: _a, transformers_version: _t, ...rest } = BERT_BASE_UNCASED;
    expect(configFromHuggingFace({ model_type: 'bert' })).toEqual(configFromHuggingFace(rest));
  });

  test('distilbert-base-uncased: eps 1e-12 fixed in the code, no token types', () => {
    const c = configFromHuggingFace(DISTILBERT_BASE_UNCASED);
    expect(c).toEqual({
      family: 'distilbert', kind: 'encoder', dModel: 768, heads: 12, dHead: 64, dFF: 3072, encoderLayers: 6, decoderLayers: 0,
      vocabSize: 30522, maxPositions: 512, positions: 'learned', typeVocabSize: 0, norm: 'post', embeddingNorm: true,
      finalNorm: false, activation: 'gelu', layerNormEps: 1e-12, bias: true, scaleEmbedding: false, tieWordEmbeddings: true,
      padTokenId: 0, head: 'masked-lm', // architectures: …ForMaskedLM
    } satisfies TransformerConfig);
    // A layer_norm_eps key (some converted configs carry one) does not change it: HF's code ignores it.
    expect(configFromHuggingFace({ ...DISTILBERT_BASE_UNCASED, layer_norm_eps: 1e-5 }).layerNormEps).toBe(1e-12);
    const sinusoidal = configFromHuggingFace({ ...DISTILBERT_BASE_UNCASED, sinusoidal_pos_embds: true });
    expect([sinusoidal.positions, sinusoidal.sinusoidalLayout]).toEqual(['sinusoidal', 'interleaved']);
  });

  test('distilbert SST-2: labels from id2label, checked against label2id', () => {
    const c = configFromHuggingFace(DISTILBERT_SST2);
    expect([c.numLabels, c.id2label, c.problemType]).toEqual([2, ['NEGATIVE', 'POSITIVE'], undefined]);
    const bert = configFromHuggingFace({
      ...BERT_BASE_UNCASED, architectures: ['BertForSequenceClassification'], num_labels: 3, problem_type: 'multi_label_classification',
    });
    expect([bert.numLabels, bert.id2label, bert.problemType]).toEqual([3, ['LABEL_0', 'LABEL_1', 'LABEL_2'], 'multi_label_classification']);
    // Without a classification head in architectures, HF's default labels mean nothing.
    expect(configFromHuggingFace({ ...BERT_BASE_UNCASED, id2label: { 0: 'A', 1: 'B' } }).numLabels).toBeUndefined();
  });

  test('Helsinki-NLP/opus-mt-en-de', () => {
    const c = configFromHuggingFace(OPUS_MT_EN_DE);
    expect(c).toEqual({
      family: 'marian', kind: 'encoder-decoder', dModel: 512, heads: 8, dHead: 64, dFF: 2048, encoderLayers: 6, decoderLayers: 6,
      vocabSize: 58101, maxPositions: 512, positions: 'sinusoidal', sinusoidalLayout: 'split', typeVocabSize: 0, norm: 'post',
      embeddingNorm: false, finalNorm: false, activation: 'silu', layerNormEps: 1e-5, bias: true, scaleEmbedding: true,
      tieWordEmbeddings: true, shareEncoderDecoderEmbeddings: true, padTokenId: 58100, bosTokenId: 0, eosTokenId: 0,
      decoderStartTokenId: 58100, forcedEosTokenId: 0, suppressTokenIds: [58100],
    } satisfies TransformerConfig);
    // id2label of an MT model is HF's unused default: not a classifier.
    expect(c.numLabels).toBeUndefined();
    expect('forcedEosTokenId' in configFromHuggingFace({ ...OPUS_MT_EN_DE, forced_eos_token_id: null })).toBe(false);
  });

  test('an empty marian config takes MarianConfig defaults', () => {
    const c = configFromHuggingFace({ model_type: 'marian' });
    expect([c.dModel, c.heads, c.dFF, c.encoderLayers, c.decoderLayers, c.vocabSize, c.maxPositions, c.activation, c.scaleEmbedding])
      .toEqual([1024, 16, 4096, 12, 12, 58101, 1024, 'gelu', false]);
    expect([c.padTokenId, c.eosTokenId, c.decoderStartTokenId, c.forcedEosTokenId, c.suppressTokenIds]).toEqual([58100, 0, 58100, 0, [58100]]);
  });

  test('activations: gelu is the erf form, gelu_new and friends the tanh form, swish is silu', () => {
    const act = (hidden_act: string) => configFromHuggingFace({ model_type: 'bert', hidden_act }).activation;
    expect(['gelu', 'gelu_new', 'gelu_fast', 'gelu_pytorch_tanh', 'relu', 'silu', 'swish'].map(act))
      .toEqual(['gelu', 'gelu_tanh', 'gelu_tanh', 'gelu_tanh', 'relu', 'silu', 'silu']);
  });
});

describe('bad configs: the Error names the field and the value', () => {
  const bad: [string, unknown, RegExp][] = [
    ['not an object', [1], /expected an object, got \[1\]/],
    ['not JSON', '{"model_type": ', /not valid JSON/],
    ['no model_type', { hidden_size: 768 }, /model_type is missing/],
    ['unknown model_type', { model_type: 'gpt_neox' }, /model_type "gpt_neox" is not supported/],
    ['heads do not divide', { model_type: 'bert', hidden_size: 770 }, /hidden_size \(770\) is not divisible by num_attention_heads \(12\)/],
    ['dim / n_heads', { model_type: 'distilbert', dim: 100, n_heads: 12 }, /dim \(100\) is not divisible by n_heads \(12\)/],
    ['size not an integer', { model_type: 'bert', intermediate_size: '3072' }, /intermediate_size must be an integer ≥ 1, got "3072"/],
    ['zero layers', { model_type: 'bert', num_hidden_layers: 0 }, /num_hidden_layers must be an integer ≥ 1, got 0/],
    ['negative type vocab', { model_type: 'bert', type_vocab_size: -1 }, /type_vocab_size must be an integer ≥ 0, got -1/],
    ['eps', { model_type: 'bert', layer_norm_eps: 0 }, /layer_norm_eps must be a positive number, got 0/],
    ['activation', { model_type: 'bert', hidden_act: 'mish' }, /hidden_act "mish" is not supported/],
    ['activation not a string', { model_type: 'distilbert', activation: 3 }, /activation 3 is not supported/],
    ['inherited name', { model_type: 'bert', hidden_act: 'toString' }, /hidden_act "toString" is not supported/],
    ['relative positions', { model_type: 'bert', position_embedding_type: 'relative_key' }, /position_embedding_type "relative_key" is not supported/],
    ['bert decoder', { model_type: 'bert', is_decoder: true }, /is_decoder true is not supported/],
    ['pad out of vocab', { model_type: 'bert', pad_token_id: 30522 }, /pad_token_id must be a token id in \[0, 30522\), got 30522/],
    ['pad null', { model_type: 'bert', pad_token_id: null }, /pad_token_id must be a token id.*got null/],
    ['eos out of vocab', { ...OPUS_MT_EN_DE, eos_token_id: -1 }, /eos_token_id must be a token id in \[0, 58101\), got -1/],
    ['decoder start', { ...OPUS_MT_EN_DE, decoder_start_token_id: 1.5 }, /decoder_start_token_id must be a token id/],
    ['boolean', { ...OPUS_MT_EN_DE, scale_embedding: 'yes' }, /scale_embedding must be true or false, got "yes"/],
    ['sinusoidal flag', { model_type: 'distilbert', sinusoidal_pos_embds: 1 }, /sinusoidal_pos_embds must be true or false, got 1/],
    ['marian heads differ', { ...OPUS_MT_EN_DE, decoder_attention_heads: 4 }, /decoder_attention_heads \(4\) differs from encoder_attention_heads \(8\)/],
    ['marian ffn differ', { ...OPUS_MT_EN_DE, decoder_ffn_dim: 1024 }, /decoder_ffn_dim \(1024\) differs from encoder_ffn_dim \(2048\)/],
    ['marian vocabularies', { ...OPUS_MT_EN_DE, decoder_vocab_size: 100 }, /decoder_vocab_size \(100\) differs from vocab_size \(58101\)/],
    ['pre-LN marian', { ...OPUS_MT_EN_DE, normalize_before: true }, /normalize_before true is not supported for marian/],
    ['learned marian positions', { ...OPUS_MT_EN_DE, static_position_embeddings: false }, /static_position_embeddings false is not supported/],
    ['embedding norm', { ...OPUS_MT_EN_DE, normalize_embedding: true }, /normalize_embedding true is not supported/],
    ['bad words', { ...OPUS_MT_EN_DE, bad_words_ids: [[1, 2]] }, /bad_words_ids \[\[1,2\]\] is not supported/],
    ['bad words out of vocab', { ...OPUS_MT_EN_DE, bad_words_ids: [[58101]] }, /bad_words_ids/],
    ['architectures', { ...BERT_BASE_UNCASED, architectures: 'BertModel' }, /architectures must be an array/],
    ['labels disagree', { ...DISTILBERT_SST2, num_labels: 3 }, /num_labels \(3\) disagrees with id2label, which has 2 labels/],
    ['label2id disagrees', { ...DISTILBERT_SST2, label2id: { NEGATIVE: 1, POSITIVE: 0 } }, /label2id "NEGATIVE": 1 disagrees with id2label/],
    ['id2label gap', { ...DISTILBERT_SST2, id2label: { 0: 'A', 2: 'B' }, label2id: undefined }, /id2label must map 0…1 to names, got "2": "B"/],
    ['problem type', { ...DISTILBERT_SST2, problem_type: 'ranking' }, /problem_type "ranking" is not supported/],
  ];
  test.each(bad)('%s', (_, json, message) => {
    expect(() => configFromHuggingFace(json)).toThrow(message);
  });

  test('validateConfig checks hand-written configs', () => {
    const c = configFromHuggingFace(BERT_BASE_UNCASED);
    expect(() => validateConfig({ ...c, dHead: 32 })).toThrow(/heads · dHead \(12 · 32\) must equal dModel \(768\)/);
    expect(() => validateConfig({ ...c, decoderLayers: 2 })).toThrow(/an encoder has decoderLayers 0/);
    expect(() => validateConfig({ ...c, vocabSize: 0 })).toThrow(/vocabSize must be a positive integer, got 0/);
    expect(() => validateConfig({ ...c, numLabels: 0 })).toThrow(/numLabels must be a positive integer/);
  });
});

describe('config.json as text or bytes: a FormatError names the key and its byte offset', () => {
  test('a bad value: the field is the key, the offset where the key starts (bytes, after a multi-byte character)', () => {
    const text = '{"model_type": "bert", "note": "é", "hidden_size": -3}';
    const bytes = new TextEncoder().encode(text);
    const e = formatError(() => configFromHuggingFace(bytes));
    expect(e.field).toBe('hidden_size');
    expect(e.byteOffset).toBe(text.indexOf('"hidden_size"') + 1); // "é" is two bytes
    expect(e.message).toMatch(/hidden_size must be an integer ≥ 1, got -3 \(field hidden_size, byte offset 37\)/);
    expect(formatError(() => configFromHuggingFace(text)).byteOffset).toBe(37);
  });

  test('a key inside an object: "id2label.N"', () => {
    const text = JSON.stringify({ model_type: 'distilbert', architectures: ['DistilBertForSequenceClassification'], id2label: { 0: 'A', 5: 'B' } });
    const e = formatError(() => configFromHuggingFace(text));
    expect([e.field, e.byteOffset]).toEqual(['id2label.5', text.indexOf('"5"')]);
  });

  test('not JSON, duplicate keys, deep nesting, a byte order mark', () => {
    expect(formatError(() => configFromHuggingFace('{"model_type": ')).field).toBe('config.json');
    const dup = '{"model_type": "bert", "hidden_size": 768, "hidden_size": 4}';
    expect(formatError(() => configFromHuggingFace(dup)).byteOffset).toBe(dup.lastIndexOf('"hidden_size"'));
    // Deep values would overflow the stack of JSON.stringify in the messages.
    const deep = `{"model_type": "bert", "x": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect(formatError(() => configFromHuggingFace(deep)).message).toMatch(/nests deeper than 32 levels/);
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"model_type": "bert"}')]);
    expect(configFromHuggingFace(bom).dModel).toBe(768);
  });
});

describe('the families added with the registry: published configs', () => {
  // xlm-roberta-base's config.json (model_type xlm-roberta; intfloat/multilingual-e5-base has the same keys).
  const XLM_ROBERTA_BASE = {
    architectures: ['XLMRobertaForMaskedLM'], attention_probs_dropout_prob: 0.1, bos_token_id: 0, eos_token_id: 2,
    hidden_act: 'gelu', hidden_dropout_prob: 0.1, hidden_size: 768, initializer_range: 0.02, intermediate_size: 3072,
    layer_norm_eps: 1e-5, max_position_embeddings: 514, model_type: 'xlm-roberta', num_attention_heads: 12,
    num_hidden_layers: 12, output_past: true, pad_token_id: 1, type_vocab_size: 1, vocab_size: 250002,
  };
  // sentence-transformers/all-mpnet-base-v2's config.json.
  const ALL_MPNET_BASE_V2 = {
    architectures: ['MPNetForMaskedLM'], attention_probs_dropout_prob: 0.1, bos_token_id: 0, eos_token_id: 2,
    hidden_act: 'gelu', hidden_dropout_prob: 0.1, hidden_size: 768, initializer_range: 0.02, intermediate_size: 3072,
    layer_norm_eps: 1e-5, max_position_embeddings: 514, model_type: 'mpnet', num_attention_heads: 12, num_hidden_layers: 12,
    pad_token_id: 1, relative_attention_num_buckets: 32, vocab_size: 30527,
  };

  test('xlm-roberta-base: positions past the padding id (512 tokens of 514 rows), one token type, eps 1e-5', () => {
    const c = configFromHuggingFace(XLM_ROBERTA_BASE);
    expect(c).toMatchObject({
      family: 'xlm-roberta', kind: 'encoder', dModel: 768, heads: 12, vocabSize: 250002, maxPositions: 514,
      paddingAwarePositions: true, typeVocabSize: 1, ignoresTokenTypeIds: true, layerNormEps: 1e-5, padTokenId: 1, head: 'masked-lm',
    });
    expect(maxTokens(c)).toBe(512);
    // The same reader serves roberta and camembert; their class names are their own.
    expect(configFromHuggingFace({ ...XLM_ROBERTA_BASE, model_type: 'camembert', architectures: ['CamembertForMaskedLM'] }).family).toBe('camembert');
    expect(configFromHuggingFace({ model_type: 'roberta' }).vocabSize).toBe(50265);
    expect(() => configFromHuggingFace({ ...XLM_ROBERTA_BASE, max_position_embeddings: 2 })).toThrow(/leaves no position after the padding id 1/);
  });

  test('all-mpnet-base-v2: relative attention buckets, no token types', () => {
    const c = configFromHuggingFace(ALL_MPNET_BASE_V2);
    expect(c).toMatchObject({
      family: 'mpnet', dModel: 768, vocabSize: 30527, maxPositions: 514, paddingAwarePositions: true, typeVocabSize: 0,
      relativeAttention: { buckets: 32, maxDistance: 128 }, layerNormEps: 1e-5, head: 'masked-lm',
    });
    expect(countParameters(c).breakdown['encoder.relativeBias']).toBe(32 * 12);
  });

  test('the head of each class, and labels only for the classification heads', () => {
    const head = (architectures: string[], modelType = 'bert') => configFromHuggingFace({ model_type: modelType, architectures, id2label: { 0: 'O', 1: 'B-PER' } });
    expect(head(['BertModel']).head).toBeUndefined();
    expect(head(['BertForTokenClassification'])).toMatchObject({ head: 'token-classification', numLabels: 2, id2label: ['O', 'B-PER'] });
    expect(head(['BertForQuestionAnswering'])).toMatchObject({ head: 'question-answering' });
    expect(head(['BertForQuestionAnswering']).id2label).toBeUndefined();
    expect(head(['RobertaForSequenceClassification'], 'roberta')).toMatchObject({ head: 'sequence-classification', numLabels: 2 });
    expect(head(['DistilBertForMaskedLM'], 'distilbert').head).toBe('masked-lm');
    expect(head(['MPNetForQuestionAnswering'], 'mpnet').head).toBe('question-answering');
  });

  test('an unsupported model_type or class is refused, with the list of supported ones', () => {
    expect(() => configFromHuggingFace({ model_type: 'deberta-v2' }))
      .toThrow('model_type "deberta-v2" is not supported (supported: "bert", "distilbert", "roberta", "xlm-roberta", "camembert", "mpnet", "marian", "gpt2", "llama", "mistral", "qwen2", "t5", "mt5")');
    expect(() => configFromHuggingFace({ model_type: 'bert', architectures: ['BertForMultipleChoice'] }))
      .toThrow(/architectures names BertForMultipleChoice, which is not supported for bert \(supported: BertModel, BertForSequenceClassification, BertForTokenClassification, BertForQuestionAnswering, BertForMaskedLM, BertForPreTraining\)/);
    expect(() => configFromHuggingFace({ model_type: 'roberta', architectures: ['BertForMaskedLM'] })).toThrow(/architectures names BertForMaskedLM, which is not supported for roberta/);
  });
});

describe('MPNet: what its modeling code fixes, whatever config.json says', () => {
  test('32 buckets and padding index 1, else refused', () => {
    expect(() => configFromHuggingFace({ model_type: 'mpnet', relative_attention_num_buckets: 64 }))
      .toThrow('relative_attention_num_buckets 64 is not supported for mpnet: MPNetEncoder.compute_position_bias always uses 32 buckets');
    expect(() => configFromHuggingFace({ model_type: 'mpnet', pad_token_id: 0 }))
      .toThrow('pad_token_id 0 is not supported for mpnet: MPNetEmbeddings counts positions from its fixed padding index 1');
    expect(configFromHuggingFace({ model_type: 'mpnet' }).relativeAttention).toEqual({ buckets: 32, maxDistance: 128 });
  });
});
