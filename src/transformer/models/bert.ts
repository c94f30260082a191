// BERT (BertModel, BertForSequenceClassification, sentence-transformers MiniLM): where its
// weights live in a Hugging Face checkpoint (modeling_bert.py). Post-LN layers, erf GELU,
// token + segment + learned position embeddings, LayerNorm eps from the config.
import type { Runtime } from '../../runtime';
import type { TransformerConfig } from '../config';
import { EncoderModel } from '../encoder';
import { loadLinear, loadNorm, type WeightSource } from '../layers';

export function loadBert(rt: Runtime, c: TransformerConfig, weights: WeightSource, has: (name: string) => boolean): EncoderModel {
  // BertModel checkpoints have no prefix; the task models put everything under "bert.".
  const p = has('bert.embeddings.word_embeddings.weight') ? 'bert.' : '';
  const d = c.dModel;
  const embeddings = {
    word: weights(`${p}embeddings.word_embeddings.weight`),
    position: weights(`${p}embeddings.position_embeddings.weight`),
    tokenType: c.typeVocabSize > 0 ? weights(`${p}embeddings.token_type_embeddings.weight`) : undefined,
    norm: loadNorm(rt, weights, `${p}embeddings.LayerNorm`, d, c.layerNormEps),
  };
  const layers = Array.from({ length: c.encoderLayers }, (_, i) => {
    const l = `${p}encoder.layer.${i}`;
    return {
      q: loadLinear(rt, weights, `${l}.attention.self.query`, d, d),
      k: loadLinear(rt, weights, `${l}.attention.self.key`, d, d),
      v: loadLinear(rt, weights, `${l}.attention.self.value`, d, d),
      o: loadLinear(rt, weights, `${l}.attention.output.dense`, d, d),
      attnNorm: loadNorm(rt, weights, `${l}.attention.output.LayerNorm`, d, c.layerNormEps),
      ffn1: loadLinear(rt, weights, `${l}.intermediate.dense`, d, c.dFF),
      ffn2: loadLinear(rt, weights, `${l}.output.dense`, c.dFF, d),
      ffnNorm: loadNorm(rt, weights, `${l}.output.LayerNorm`, d, c.layerNormEps),
    };
  });
  const head = has(`${p}pooler.dense.weight`)
    ? {
      pre: loadLinear(rt, weights, `${p}pooler.dense`, d, d),
      preActivation: 'tanh' as const,
      classifier: c.numLabels && has('classifier.weight') ? loadLinear(rt, weights, 'classifier', d, c.numLabels) : undefined,
    }
    : undefined;
  return new EncoderModel(rt, c, embeddings, layers, head);
}
