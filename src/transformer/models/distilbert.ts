// DistilBERT (modeling_distilbert.py): BERT's post-LN layers without token types, the position
// table stored in the checkpoint (sinusoidal or learned), LayerNorm eps 1e-12, and a
// classification head of pre_classifier → ReLU → classifier on the first token.
import type { TransformerConfig } from '../config';
import { EncoderModel } from '../encoder';
import type { Weights } from '../weights';

export function loadDistilBert(c: TransformerConfig, w: Weights): EncoderModel {
  const p = w.has('distilbert.embeddings.word_embeddings.weight') ? 'distilbert.' : '';
  const d = c.dModel;
  // Tables of the config's sizes: a token id or position past them would read nothing.
  const embeddings = {
    word: w.embedding(`${p}embeddings.word_embeddings.weight`, c.vocabSize, d),
    position: w.embedding(`${p}embeddings.position_embeddings.weight`, c.maxPositions, d),
    tokenType: undefined,
    norm: w.norm(`${p}embeddings.LayerNorm`, d, c.layerNormEps),
  };
  const layers = Array.from({ length: c.encoderLayers }, (_, i) => {
    const l = `${p}transformer.layer.${i}`;
    return {
      q: w.linear(`${l}.attention.q_lin`, d, d),
      k: w.linear(`${l}.attention.k_lin`, d, d),
      v: w.linear(`${l}.attention.v_lin`, d, d),
      o: w.linear(`${l}.attention.out_lin`, d, d),
      attnNorm: w.norm(`${l}.sa_layer_norm`, d, c.layerNormEps),
      ffn1: w.linear(`${l}.ffn.lin1`, d, c.dFF),
      ffn2: w.linear(`${l}.ffn.lin2`, c.dFF, d),
      ffnNorm: w.norm(`${l}.output_layer_norm`, d, c.layerNormEps),
    };
  });
  // A …ForSequenceClassification config (numLabels) needs its head.
  const head = c.numLabels
    ? { pre: w.linear('pre_classifier', d, d), preActivation: 'relu' as const, classifier: w.linear('classifier', d, c.numLabels) }
    : undefined;
  return new EncoderModel(w.runtime, c, embeddings, layers, head);
}
