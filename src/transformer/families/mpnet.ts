// MPNet (modeling_mpnet.py): sentence-transformers' all-mpnet-base-v2 and its task classes.
// BERT-like post-LN blocks under other names (attention.attn.q/k/v/o, attention.LayerNorm),
// RoBERTa's padding-aware position ids, no token types, and a relative position bias
// (encoder.relative_attention_bias: buckets × H, bucketed as relative-position.ts) added to
// the attention scores of every layer.
// Config (MPNetConfig defaults): vocab_size 30527, hidden_size 768, 12 layers, 12 heads,
// intermediate_size 3072, hidden_act "gelu", max_position_embeddings 514, layer_norm_eps 1e-12,
// relative_attention_num_buckets 32 (the code buckets with 32 and max distance 128 whatever the
// config says), pad 1 (MPNetEmbeddings' padding index is 1 whatever the config says), bos 0, eos 2.
// Heads: …ForSequenceClassification: MPNetClassificationHead, classifier.dense → tanh →
// classifier.out_proj on the first token; …ForTokenClassification: classifier;
// …ForQuestionAnswering: qa_outputs; …ForMaskedLM: lm_head.dense → gelu (erf) →
// lm_head.layer_norm → decoder tied to the word embedding + lm_head.bias.
import type { ConfigReader } from '../config-reader';
import type { TransformerConfig } from '../config';
import { F32Table } from '../embedding-table';
import { EncoderModel } from '../encoder';
import type { Weights } from '../weights';
import { bertEmbeddings, bertLikeConfig, countHeads, encoderBlock } from './bert';
import { headClasses, type FamilyModule } from './family';
import { denseClassifierCount, ROBERTA_HEAD_TENSORS, robertaHeads } from './roberta';

const HEADS = headClasses('MPNet');

/** relative_position_bucket's max_distance: a default of the code, not a config key. */
const MAX_DISTANCE = 128;

function readConfig(r: ConfigReader): TransformerConfig {
  // MPNetEncoder buckets with its default num_buckets=32 whatever the table's size, and
  // MPNetEmbeddings counts positions from a padding index fixed at 1: other values would run
  // differently from Hugging Face's model.
  r.fixed('relative_attention_num_buckets', 32, 'for mpnet: MPNetEncoder.compute_position_bias always uses 32 buckets');
  r.fixed('pad_token_id', 1, 'for mpnet: MPNetEmbeddings counts positions from its fixed padding index 1');
  return {
    ...bertLikeConfig(r, 'mpnet', { V: 30527, positions: 514, pad: 1 }, true),
    relativeAttention: { buckets: 32, maxDistance: MAX_DISTANCE },
    typeVocabSize: 0,
    ...r.head('mpnet', HEADS),
  };
}

function load(c: TransformerConfig, w: Weights) {
  const p = w.has('mpnet.embeddings.word_embeddings.weight') ? 'mpnet.' : '';
  const embeddings = bertEmbeddings(c, w, p);
  const blocks = Array.from({ length: c.encoderLayers }, (_, i) => {
    const l = `${p}encoder.layer.${i}`;
    return encoderBlock(c, w, {
      q: `${l}.attention.attn.q`, k: `${l}.attention.attn.k`, v: `${l}.attention.attn.v`, o: `${l}.attention.attn.o`,
      selfNorm: `${l}.attention.LayerNorm`, up: `${l}.intermediate.dense`, down: `${l}.output.dense`, ffnNorm: `${l}.output.LayerNorm`,
    });
  });
  const buckets = c.relativeAttention!.buckets;
  const relativeBias = new F32Table(w.vector(`${p}encoder.relative_attention_bias.weight`, buckets * c.heads), buckets, c.heads);
  const heads = robertaHeads(c, w, p, embeddings.word);
  return { kind: 'encoder' as const, model: new EncoderModel(w.runtime, c, { embeddings, blocks, relativeBias, heads }) };
}

export const mpnet: FamilyModule = {
  modelTypes: ['mpnet'],
  heads: HEADS,
  headTensors: ROBERTA_HEAD_TENSORS,
  readConfig,
  load,
  countExtras: (c, linear, norm, options) => ({
    'encoder.relativeBias': c.relativeAttention!.buckets * c.heads,
    ...countHeads(c, linear, norm, options, c.head === undefined, denseClassifierCount(c.dModel, linear)),
  }),
};
