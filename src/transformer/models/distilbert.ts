// DistilBERT (modeling_distilbert.py): BERT's post-LN layers without token types, the position
// table stored in the checkpoint (sinusoidal or learned), LayerNorm eps 1e-12, and a
// classification head of pre_classifier → ReLU → classifier on the first token.
import type { Runtime } from '../../runtime';
import type { TransformerConfig } from '../config';
import { EncoderModel } from '../encoder';
import { checkLength, loadLinear, loadNorm, type WeightSource } from '../layers';

export function loadDistilBert(rt: Runtime, c: TransformerConfig, weights: WeightSource, has: (name: string) => boolean): EncoderModel {
  const p = has('distilbert.embeddings.word_embeddings.weight') ? 'distilbert.' : '';
  const d = c.dModel;
  // Tables of the config's sizes: a token id or position past them would read nothing.
  const table = (name: string, rows: number) => checkLength(weights(name), rows * d, name);
  const embeddings = {
    word: table(`${p}embeddings.word_embeddings.weight`, c.vocabSize),
    position: table(`${p}embeddings.position_embeddings.weight`, c.maxPositions),
    tokenType: undefined,
    norm: loadNorm(rt, weights, `${p}embeddings.LayerNorm`, d, c.layerNormEps),
  };
  const layers = Array.from({ length: c.encoderLayers }, (_, i) => {
    const l = `${p}transformer.layer.${i}`;
    return {
      q: loadLinear(rt, weights, `${l}.attention.q_lin`, d, d),
      k: loadLinear(rt, weights, `${l}.attention.k_lin`, d, d),
      v: loadLinear(rt, weights, `${l}.attention.v_lin`, d, d),
      o: loadLinear(rt, weights, `${l}.attention.out_lin`, d, d),
      attnNorm: loadNorm(rt, weights, `${l}.sa_layer_norm`, d, c.layerNormEps),
      ffn1: loadLinear(rt, weights, `${l}.ffn.lin1`, d, c.dFF),
      ffn2: loadLinear(rt, weights, `${l}.ffn.lin2`, c.dFF, d),
      ffnNorm: loadNorm(rt, weights, `${l}.output_layer_norm`, d, c.layerNormEps),
    };
  });
  // A …ForSequenceClassification config (numLabels) needs its head.
  const head = c.numLabels
    ? { pre: loadLinear(rt, weights, 'pre_classifier', d, d), preActivation: 'relu' as const, classifier: loadLinear(rt, weights, 'classifier', d, c.numLabels) }
    : undefined;
  return new EncoderModel(rt, c, embeddings, layers, head);
}
