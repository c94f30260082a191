// What a model family's module gives the registry (index.ts): everything about one family of
// Hugging Face checkpoints in one place — reading its config.json keys, where its weights live
// and which heads its classes add, and what its parameter count holds beyond the shared layout.
import type { ConfigReader } from '../config-reader';
import type { HeadKind, TransformerConfig } from '../config';
import type { DecoderOnlyModel } from '../decoder-only';
import type { EncoderModel } from '../encoder';
import type { Seq2SeqModel } from '../seq2seq';
import type { Weights } from '../weights';

/** A family's model before the tokenizer is attached (load.ts wraps it into the user's class). */
export type FamilyModel = { kind: 'encoder'; model: EncoderModel } | { kind: 'seq2seq'; model: Seq2SeqModel } | { kind: 'decoder'; model: DecoderOnlyModel };

/** Options of countParameters that a family's head counts read. */
export interface HeadCountOptions {
  /** The pooler, when the base model has one (default: the family's own choice). */
  pooler?: boolean;
  /** The head of config.head (default true when the config names one). */
  head?: boolean;
}

export interface FamilyModule {
  /** config.json's model_type values the family reads. */
  readonly modelTypes: readonly string[];
  /** Hugging Face class names (config.json's architectures) → the head each adds ('base': none). */
  readonly heads: Readonly<Record<string, HeadKind | 'base'>>;
  /** The first tensor each head reads, named when a task asks for a head the checkpoint lacks. */
  readonly headTensors: Readonly<Partial<Record<HeadKind, string>>>;
  readConfig(reader: ConfigReader, modelType: string): TransformerConfig;
  /** Builds the model from the checkpoint's weights (config.head says which head to read). */
  load(config: TransformerConfig, weights: Weights): FamilyModel;
  /**
   * Parameters of the pooler and the head, by piece ('head.pooler', 'head.classifier', …), and
   * of anything else outside the shared layout (MPNet's relative attention bias), as PyTorch
   * counts them. linear(i, o) is a Linear layer's count with or without its bias.
   */
  countExtras(config: TransformerConfig, linear: (inputs: number, outputs: number) => number, norm: number, options: HeadCountOptions): Record<string, number>;
}

/** The base class and the four task classes of a family whose classes are named PREFIXModel, PREFIXFor…. */
export function headClasses(prefix: string): Record<string, HeadKind | 'base'> {
  return {
    [`${prefix}Model`]: 'base',
    [`${prefix}ForSequenceClassification`]: 'sequence-classification',
    [`${prefix}ForTokenClassification`]: 'token-classification',
    [`${prefix}ForQuestionAnswering`]: 'question-answering',
    [`${prefix}ForMaskedLM`]: 'masked-lm',
  };
}

/**
 * The first tensor each head reads, for errors: the token classifier and qa_outputs have the
 * same names in every family here; the sequence classifier and the masked-LM head differ.
 */
export function headTensors(sequenceClassifier: string, maskedLm: string): Partial<Record<HeadKind, string>> {
  return {
    'sequence-classification': sequenceClassifier, 'token-classification': 'classifier.weight',
    'question-answering': 'qa_outputs.weight', 'masked-lm': maskedLm,
  };
}
