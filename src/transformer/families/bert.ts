// BERT (modeling_bert.py): BertModel and its task classes, and the sentence-transformers models
// built on it (all-MiniLM-L6-v2). Post-LN blocks, token + segment + learned position
// embeddings, LayerNorm eps from the config everywhere.
// Config (BertConfig defaults): vocab_size 30522, hidden_size 768, 12 layers, 12 heads,
// intermediate_size 3072, hidden_act "gelu" (erf), max_position_embeddings 512,
// type_vocab_size 2, layer_norm_eps 1e-12, pad_token_id 0, position_embedding_type "absolute".
// Heads: BertPooler = tanh(dense(first token)); …ForSequenceClassification: classifier on the
// pooler's output; …ForTokenClassification: classifier on every token (no pooler);
// …ForQuestionAnswering: qa_outputs D → 2 (no pooler); …ForMaskedLM: cls.predictions —
// transform.dense → hidden_act → transform.LayerNorm → decoder tied to the word embedding +
// cls.predictions.bias (no pooler).
import { showJson } from '../../io/json-bytes';
import type { ConfigReader } from '../config-reader';
import type { TransformerConfig } from '../config';
import { EncoderModel, type EncoderHeads, type Embeddings } from '../encoder';
import { packTiedHead, type F32Table, type Q8Table } from '../embedding-table';
import type { Block } from '../block';
import type { Weights } from '../weights';
import { headClasses, headTensors, type FamilyModule, type HeadCountOptions } from './family';

const HEADS = {
  ...headClasses('Bert'),
  // The base model and its pooler; the pre-training heads (masked LM, next sentence) are not read.
  BertForPreTraining: 'base' as const,
};

/**
 * The BertConfig keys that BERT, RoBERTa and MPNet read alike (their modeling code copies
 * BERT's), with the family's defaults for the vocabulary, the positions and the padding id.
 * With paddingAwarePositions the table must leave positions after pad_token_id.
 */
export function bertLikeConfig(r: ConfigReader, family: string, defaults: { V: number; positions: number; pad: number },
  paddingAwarePositions: boolean): TransformerConfig {
  const D = r.int('hidden_size', 768);
  const H = r.int('num_attention_heads', 12);
  const positionType = r.json['position_embedding_type'] ?? 'absolute';
  if (positionType !== 'absolute') throw r.fail('position_embedding_type', `position_embedding_type ${showJson(positionType)} is not supported (only "absolute")`);
  if (r.json['is_decoder'] === true) throw r.fail('is_decoder', `is_decoder true is not supported for ${family} (encoders only)`);
  if (r.json['add_cross_attention'] === true) throw r.fail('add_cross_attention', `add_cross_attention true is not supported for ${family}`);
  const V = r.int('vocab_size', defaults.V);
  const tokens = r.tokens(V, defaults.pad);
  const maxPositions = r.int('max_position_embeddings', defaults.positions);
  if (paddingAwarePositions && maxPositions <= tokens.padTokenId + 1) {
    throw r.fail('max_position_embeddings', `max_position_embeddings (${maxPositions}) leaves no position after the padding id ${tokens.padTokenId}: ` +
      `${family}'s positions start at pad_token_id + 1`);
  }
  return {
    family, kind: 'encoder',
    dModel: D, heads: H, dHead: r.headWidth(D, H, 'hidden_size', 'num_attention_heads'),
    dFF: r.int('intermediate_size', 3072),
    encoderLayers: r.layers('num_hidden_layers', 12), decoderLayers: 0,
    vocabSize: V, maxPositions, positions: 'learned', ...(paddingAwarePositions ? { paddingAwarePositions } : {}),
    typeVocabSize: r.int('type_vocab_size', 2, 0),
    norm: 'post', embeddingNorm: true, finalNorm: false,
    activation: r.activation('hidden_act', 'gelu'),
    layerNormEps: r.positive('layer_norm_eps', 1e-12),
    bias: true, scaleEmbedding: false,
    tieWordEmbeddings: r.bool('tie_word_embeddings', true),
    ...tokens,
  };
}

function readConfig(r: ConfigReader): TransformerConfig {
  return { ...bertLikeConfig(r, 'bert', { V: 30522, positions: 512, pad: 0 }, false), ...r.head('bert', HEADS) };
}

/** The embeddings under `p` of BERT and the families that copy it: word, position, token types (when the config has them), LayerNorm. */
export function bertEmbeddings(c: TransformerConfig, w: Weights, p: string): Embeddings {
  const D = c.dModel;
  // Tables of the config's sizes: a token id, position or segment past them would read nothing.
  return {
    word: w.embedding(`${p}embeddings.word_embeddings.weight`, c.vocabSize, D),
    position: w.embedding(`${p}embeddings.position_embeddings.weight`, c.maxPositions, D),
    tokenType: c.typeVocabSize > 0 ? w.embedding(`${p}embeddings.token_type_embeddings.weight`, c.typeVocabSize, D) : undefined,
    norm: w.norm(`${p}embeddings.LayerNorm`, D, c.layerNormEps),
  };
}

/** The tensor names (prefixes of Linear and LayerNorm weights) of one encoder block. */
export interface EncoderBlockNames {
  q: string;
  k: string;
  v: string;
  o: string;
  selfNorm: string;
  up: string;
  down: string;
  ffnNorm: string;
}

/** An encoder block (self-attention, FFN, a LayerNorm after each) from its tensor names. */
export function encoderBlock(c: TransformerConfig, w: Weights, n: EncoderBlockNames): Block {
  const D = c.dModel, F = c.dFF, eps = c.layerNormEps;
  return {
    self: { q: w.linear(n.q, D, D), k: w.linear(n.k, D, D), v: w.linear(n.v, D, D), o: w.linear(n.o, D, D) },
    selfNorm: w.norm(n.selfNorm, D, eps),
    ffn: { up: w.linear(n.up, D, F), down: w.linear(n.down, F, D) },
    ffnNorm: w.norm(n.ffnNorm, D, eps),
  };
}

/** BERT's embeddings and blocks under `p` ("bert.", "roberta.", or "" for a bare BertModel). */
export function bertStack(c: TransformerConfig, w: Weights, p: string): { embeddings: Embeddings; blocks: Block[] } {
  const embeddings = bertEmbeddings(c, w, p);
  const blocks = Array.from({ length: c.encoderLayers }, (_, i) => {
    const l = `${p}encoder.layer.${i}`;
    return encoderBlock(c, w, {
      q: `${l}.attention.self.query`, k: `${l}.attention.self.key`, v: `${l}.attention.self.value`, o: `${l}.attention.output.dense`,
      selfNorm: `${l}.attention.output.LayerNorm`, up: `${l}.intermediate.dense`, down: `${l}.output.dense`, ffnNorm: `${l}.output.LayerNorm`,
    });
  });
  return { embeddings, blocks };
}

/**
 * The heads every BERT-like encoder shares by name: the token classifier ("classifier") and
 * qa_outputs; the sequence classifier and masked-LM head differ by family and are given.
 */
export function commonHeads(c: TransformerConfig, w: Weights): EncoderHeads {
  const D = c.dModel;
  if (c.head === 'token-classification') return { tokenClassifier: w.linear('classifier', D, c.numLabels!) };
  if (c.head === 'question-answering') return { questionAnswering: w.linear('qa_outputs', D, 2) };
  return {};
}

/**
 * A masked-LM head: dense → activation → norm → decoder + bias. The decoder is the word
 * embedding when tie_word_embeddings (HF's tie_weights; the file then keeps no copy of it),
 * else the file's own V × D matrix `names.decoder`.
 */
export function maskedLmHead(c: TransformerConfig, w: Weights, word: F32Table | Q8Table,
  names: { dense: string; norm: string; decoder: string; bias: string[] }, activation = c.activation): EncoderHeads['maskedLm'] {
  // The bias is shared with the decoder's: a file keeps one of the two names.
  const bias = names.bias.find((n) => w.has(n)) ?? names.bias[0]!;
  return {
    dense: w.linear(names.dense, c.dModel, c.dModel),
    activation,
    norm: w.norm(names.norm, c.dModel, c.layerNormEps),
    decoder: c.tieWordEmbeddings ? packTiedHead(w.runtime, word) : w.linear(names.decoder.replace(/\.weight$/, ''), c.dModel, c.vocabSize, false).weight,
    bias: w.tensor(bias, c.vocabSize),
  };
}

function load(c: TransformerConfig, w: Weights) {
  // BertModel checkpoints have no prefix; the task classes put the base model under "bert.".
  const p = w.has('bert.embeddings.word_embeddings.weight') ? 'bert.' : '';
  const D = c.dModel;
  const { embeddings, blocks } = bertStack(c, w, p);
  const heads: EncoderHeads = commonHeads(c, w);
  if (w.has(`${p}pooler.dense.weight`) || c.head === 'sequence-classification') heads.pooler = w.linear(`${p}pooler.dense`, D, D);
  if (c.head === 'sequence-classification') heads.sequenceClassifier = { from: 'pooler', out: w.linear('classifier', D, c.numLabels!) };
  if (c.head === 'masked-lm') {
    heads.maskedLm = maskedLmHead(c, w, embeddings.word, {
      dense: 'cls.predictions.transform.dense', norm: 'cls.predictions.transform.LayerNorm', decoder: 'cls.predictions.decoder.weight',
      bias: ['cls.predictions.bias', 'cls.predictions.decoder.bias'],
    });
  }
  return { kind: 'encoder' as const, model: new EncoderModel(w.runtime, c, { embeddings, blocks, heads }) };
}

/** Head parameters of a BERT-like family: pooler (when it has one), then its head. */
export function countHeads(c: TransformerConfig, linear: (i: number, o: number) => number, norm: number, options: HeadCountOptions,
  hasPooler: boolean, sequenceClassifier: (labels: number) => Record<string, number>): Record<string, number> {
  const D = c.dModel, V = c.vocabSize;
  const head = (options.head ?? true) ? c.head : undefined;
  const out: Record<string, number> = { 'head.pooler': (options.pooler ?? hasPooler) ? linear(D, D) : 0 };
  if (head === 'sequence-classification') Object.assign(out, sequenceClassifier(c.numLabels!));
  if (head === 'token-classification') out['head.classifier'] = linear(D, c.numLabels!);
  if (head === 'question-answering') out['head.qa'] = linear(D, 2);
  // A tied decoder is the word embedding: only its bias is new.
  if (head === 'masked-lm') out['head.maskedLm'] = linear(D, D) + norm + V + (c.tieWordEmbeddings ? 0 : V * D);
  return out;
}

export const bert: FamilyModule = {
  modelTypes: ['bert'],
  heads: HEADS,
  headTensors: headTensors('classifier.weight', 'cls.predictions.transform.dense.weight'),
  readConfig,
  load,
  countExtras: (c, linear, norm, options) => countHeads(c, linear, norm, options,
    c.head === undefined || c.head === 'sequence-classification',
    (labels) => ({ 'head.classifier': linear(c.dModel, labels) })),
};
