// BERT (BertModel, BertForSequenceClassification, sentence-transformers MiniLM): where its
// weights live in a Hugging Face checkpoint (modeling_bert.py). Post-LN layers, erf GELU,
// token + segment + learned position embeddings, LayerNorm eps from the config.
import type { TransformerConfig } from '../config';
import { EncoderModel } from '../encoder';
import type { Weights } from '../weights';

export function loadBert(c: TransformerConfig, w: Weights): EncoderModel {
  // BertModel checkpoints have no prefix; the task models put everything under "bert.".
  const p = w.has('bert.embeddings.word_embeddings.weight') ? 'bert.' : '';
  const d = c.dModel;
  // Tables of the config's sizes: a token id, position or segment past them would read nothing.
  const embeddings = {
    word: w.embedding(`${p}embeddings.word_embeddings.weight`, c.vocabSize, d),
    position: w.embedding(`${p}embeddings.position_embeddings.weight`, c.maxPositions, d),
    tokenType: c.typeVocabSize > 0 ? w.embedding(`${p}embeddings.token_type_embeddings.weight`, c.typeVocabSize, d) : undefined,
    norm: w.norm(`${p}embeddings.LayerNorm`, d, c.layerNormEps),
  };
  const layers = Array.from({ length: c.encoderLayers }, (_, i) => {
    const l = `${p}encoder.layer.${i}`;
    return {
      q: w.linear(`${l}.attention.self.query`, d, d),
      k: w.linear(`${l}.attention.self.key`, d, d),
      v: w.linear(`${l}.attention.self.value`, d, d),
      o: w.linear(`${l}.attention.output.dense`, d, d),
      attnNorm: w.norm(`${l}.attention.output.LayerNorm`, d, c.layerNormEps),
      ffn1: w.linear(`${l}.intermediate.dense`, d, c.dFF),
      ffn2: w.linear(`${l}.output.dense`, c.dFF, d),
      ffnNorm: w.norm(`${l}.output.LayerNorm`, d, c.layerNormEps),
    };
  });
  // A …ForSequenceClassification config (numLabels) needs the pooler and the classifier.
  const head = w.has(`${p}pooler.dense.weight`) || c.numLabels
    ? {
      pre: w.linear(`${p}pooler.dense`, d, d),
      preActivation: 'tanh' as const,
      classifier: c.numLabels ? w.linear('classifier', d, c.numLabels) : undefined,
    }
    : undefined;
  return new EncoderModel(w.runtime, c, embeddings, layers, head);
}
