// DistilBERT (modeling_distilbert.py): BERT's post-LN blocks without token types, the position
// table stored in the checkpoint (sinusoidal or learned), LayerNorm eps 1e-12 fixed in the code.
// Config (DistilBertConfig defaults): vocab_size 30522, dim 768, n_layers 6, n_heads 12,
// hidden_dim 3072, activation "gelu", max_position_embeddings 512, sinusoidal_pos_embds false,
// pad_token_id 0; create_sinusoidal_embeddings interleaves (sin at even columns, cos at odd).
// Heads: …ForSequenceClassification: pre_classifier → ReLU → classifier on the first token;
// …ForTokenClassification: classifier; …ForQuestionAnswering: qa_outputs; …ForMaskedLM:
// vocab_transform → activation → vocab_layer_norm (eps 1e-12) → vocab_projector tied to the
// word embedding + vocab_projector.bias.
import type { ConfigReader } from '../config-reader';
import type { TransformerConfig } from '../config';
import { EncoderModel, type EncoderHeads } from '../encoder';
import type { Weights } from '../weights';
import { bertEmbeddings, commonHeads, countHeads, encoderBlock, maskedLmHead } from './bert';
import { headClasses, headTensors, type FamilyModule } from './family';

const HEADS = headClasses('DistilBert');

function readConfig(r: ConfigReader): TransformerConfig {
  const D = r.int('dim', 768);
  const H = r.int('n_heads', 12);
  const sinusoidal = r.bool('sinusoidal_pos_embds', false);
  const V = r.int('vocab_size', 30522);
  return {
    family: 'distilbert', kind: 'encoder',
    dModel: D, heads: H, dHead: r.headWidth(D, H, 'dim', 'n_heads'),
    dFF: r.int('hidden_dim', 4 * 768),
    encoderLayers: r.layers('n_layers', 6), decoderLayers: 0,
    vocabSize: V, maxPositions: r.int('max_position_embeddings', 512),
    positions: sinusoidal ? 'sinusoidal' : 'learned',
    ...(sinusoidal ? { sinusoidalLayout: 'interleaved' as const } : {}),
    typeVocabSize: 0,
    norm: 'post', embeddingNorm: true, finalNorm: false,
    activation: r.activation('activation', 'gelu'),
    layerNormEps: 1e-12,
    bias: true, scaleEmbedding: false,
    tieWordEmbeddings: r.bool('tie_word_embeddings', true),
    ...r.tokens(V, 0),
    ...r.head('distilbert', HEADS),
  };
}

function load(c: TransformerConfig, w: Weights) {
  const p = w.has('distilbert.embeddings.word_embeddings.weight') ? 'distilbert.' : '';
  const D = c.dModel;
  const embeddings = bertEmbeddings(c, w, p);
  const blocks = Array.from({ length: c.encoderLayers }, (_, i) => {
    const l = `${p}transformer.layer.${i}`;
    return encoderBlock(c, w, {
      q: `${l}.attention.q_lin`, k: `${l}.attention.k_lin`, v: `${l}.attention.v_lin`, o: `${l}.attention.out_lin`,
      selfNorm: `${l}.sa_layer_norm`, up: `${l}.ffn.lin1`, down: `${l}.ffn.lin2`, ffnNorm: `${l}.output_layer_norm`,
    });
  });
  const heads: EncoderHeads = commonHeads(c, w);
  if (c.head === 'sequence-classification') {
    heads.sequenceClassifier = { from: 'first', dense: w.linear('pre_classifier', D, D), denseActivation: 'relu', out: w.linear('classifier', D, c.numLabels!) };
  }
  if (c.head === 'masked-lm') {
    heads.maskedLm = maskedLmHead(c, w, embeddings.word, {
      dense: 'vocab_transform', norm: 'vocab_layer_norm', decoder: 'vocab_projector.weight', bias: ['vocab_projector.bias'],
    });
  }
  return { kind: 'encoder' as const, model: new EncoderModel(w.runtime, c, { embeddings, blocks, heads }) };
}

export const distilbert: FamilyModule = {
  modelTypes: ['distilbert'],
  heads: HEADS,
  headTensors: headTensors('pre_classifier.weight', 'vocab_transform.weight'),
  readConfig,
  load,
  countExtras: (c, linear, norm, options) => countHeads(c, linear, norm, options, false,
    (labels) => ({ 'head.preClassifier': linear(c.dModel, c.dModel), 'head.classifier': linear(c.dModel, labels) })),
};
