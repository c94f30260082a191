// RoBERTa, XLM-RoBERTa and CamemBERT (modeling_roberta.py; modeling_xlm_roberta.py and
// modeling_camembert.py copy it): BERT's blocks and weight names under "roberta.", with
// position ids that count only the tokens that are not padding, from pad_token_id + 1
// (create_position_ids_from_input_ids), so padding never shifts positions and a sequence holds
// max_position_embeddings − pad_token_id − 1 tokens (512 of 514); one token type, whatever
// segment ids the tokenizer gives (RobertaTokenizer's model inputs have none).
// Config (RobertaConfig defaults; the checkpoints set 514 positions, 1 type, eps 1e-5):
// vocab_size 50265, hidden_size 768, 12 layers, 12 heads, intermediate_size 3072, hidden_act
// "gelu", max_position_embeddings 512, type_vocab_size 2, layer_norm_eps 1e-12, pad 1, bos 0,
// eos 2. The multilingual sentence embedders (intfloat/multilingual-e5-*,
// paraphrase-multilingual-*) are XLM-R checkpoints with a sentence-transformers folder.
// Heads: …ForSequenceClassification: RobertaClassificationHead, classifier.dense → tanh →
// classifier.out_proj on the first token (<s>); …ForTokenClassification: classifier;
// …ForQuestionAnswering: qa_outputs; …ForMaskedLM: lm_head.dense → gelu (erf, whatever
// hidden_act says) → lm_head.layer_norm → decoder tied to the word embedding + lm_head.bias.
import type { ConfigReader } from '../config-reader';
import type { HeadKind, TransformerConfig } from '../config';
import type { F32Table, Q8Table } from '../embedding-table';
import { EncoderModel, type EncoderHeads } from '../encoder';
import type { Weights } from '../weights';
import { bertLikeConfig, bertStack, commonHeads, countHeads, maskedLmHead } from './bert';
import { headClasses, headTensors, type FamilyModule } from './family';

const CLASS_PREFIXES = ['Roberta', 'XLMRoberta', 'Camembert'];

const HEADS = Object.assign({}, ...CLASS_PREFIXES.map(headClasses)) as Record<string, HeadKind | 'base'>;

function readConfig(r: ConfigReader, modelType: string): TransformerConfig {
  const defaults = { V: modelType === 'roberta' ? 50265 : 30522, positions: 512, pad: 1 };
  return { ...bertLikeConfig(r, modelType, defaults, true), ignoresTokenTypeIds: true, ...r.head(modelType, HEADS) };
}

function load(c: TransformerConfig, w: Weights) {
  const p = w.has('roberta.embeddings.word_embeddings.weight') ? 'roberta.' : '';
  const { embeddings, blocks } = bertStack(c, w, p);
  const heads = robertaHeads(c, w, p, embeddings.word);
  return { kind: 'encoder' as const, model: new EncoderModel(w.runtime, c, { embeddings, blocks, heads }) };
}

/**
 * RoBERTa's heads under their names, which MPNet shares: the base model's pooler when the file
 * has one, RobertaClassificationHead, the token classifier, qa_outputs and the LM head.
 */
export function robertaHeads(c: TransformerConfig, w: Weights, p: string, word: F32Table | Q8Table): EncoderHeads {
  const D = c.dModel;
  const heads: EncoderHeads = commonHeads(c, w);
  if (w.has(`${p}pooler.dense.weight`)) heads.pooler = w.linear(`${p}pooler.dense`, D, D);
  if (c.head === 'sequence-classification') {
    heads.sequenceClassifier = {
      from: 'first', dense: w.linear('classifier.dense', D, D), denseActivation: 'tanh', out: w.linear('classifier.out_proj', D, c.numLabels!),
    };
  }
  if (c.head === 'masked-lm') {
    heads.maskedLm = maskedLmHead(c, w, word, {
      dense: 'lm_head.dense', norm: 'lm_head.layer_norm', decoder: 'lm_head.decoder.weight', bias: ['lm_head.bias', 'lm_head.decoder.bias'],
    }, 'gelu');
  }
  return heads;
}

/** The heads' first tensors (RoBERTa's names, which MPNet shares). */
export const ROBERTA_HEAD_TENSORS = headTensors('classifier.dense.weight', 'lm_head.dense.weight');

/** RobertaClassificationHead (and MPNet's): dense D → D, then out_proj D → labels. */
export function denseClassifierCount(D: number, linear: (i: number, o: number) => number) {
  return (labels: number) => ({ 'head.preClassifier': linear(D, D), 'head.classifier': linear(D, labels) });
}

export const roberta: FamilyModule = {
  modelTypes: ['roberta', 'xlm-roberta', 'camembert'],
  heads: HEADS,
  headTensors: ROBERTA_HEAD_TENSORS,
  readConfig,
  load,
  // RobertaModel has a pooler; the task classes are built without one.
  countExtras: (c, linear, norm, options) => countHeads(c, linear, norm, options, c.head === undefined, denseClassifierCount(c.dModel, linear)),
};
