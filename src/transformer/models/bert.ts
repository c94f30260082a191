// BERT (BertModel, BertForSequenceClassification, sentence-transformers MiniLM): where its
// weights live in a Hugging Face checkpoint (modeling_bert.py). Post-LN layers, erf GELU,
// token + segment + learned position embeddings, LayerNorm eps from the config.
import type { Runtime } from '../../runtime';
import type { TransformerConfig } from '../config';
import { EncoderModel } from '../encoder';
import { checkLength, loadLinear, loadNorm, type WeightSource } from '../layers';

export function loadBert(rt: Runtime, c: TransformerConfig, weights: WeightSource, has: (name: string) => boolean): EncoderModel {
  // BertModel checkpoints have no prefix; the task models put everything under "bert.".
  const p = has('bert.embeddings.word_embeddings.weight') ? 'bert.' : '';
  const d = c.dModel;
  // Tables of the config's sizes: a token id, position or segment past them would read nothing.
  const table = (name: string, rows: number) => checkLength(weights(name), rows * d, name);
  const embeddings = {
    word: table(`${p}embeddings.word_embeddings.weight`, c.vocabSize),
    position: table(`${p}embeddings.position_embeddings.weight`, c.maxPositions),
    tokenType: c.typeVocabSize > 0 ? table(`${p}embeddings.token_type_embeddings.weight`, c.typeVocabSize) : undefined,
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
  // A …ForSequenceClassification config (numLabels) needs the pooler and the classifier.
  const head = has(`${p}pooler.dense.weight`) || c.numLabels
    ? {
      pre: loadLinear(rt, weights, `${p}pooler.dense`, d, d),
      preActivation: 'tanh' as const,
      classifier: c.numLabels ? loadLinear(rt, weights, 'classifier', d, c.numLabels) : undefined,
    }
    : undefined;
  return new EncoderModel(rt, c, embeddings, layers, head);
}
