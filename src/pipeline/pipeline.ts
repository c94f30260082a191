// pipeline(task, model): the task API of transformers.js (task names, options in camelCase) with
// the output shapes of Hugging Face's Python pipelines, each typed per task. A pipeline
// tokenizes with offsets (src/tokenizer), runs the checkpoint's head, and post-processes as
// the HF pipeline does (the modules beside this one).
import type { Tokenizer } from '@huggingface/tokenizers';
import { loadModel, type LoadModelOptions, type TextModel } from '../transformer/load';
import type { ModelSource } from '../transformer/files';
import type { HeadKind } from '../transformer/config';
import { familyOf } from '../transformer/families/index';
import type { EncoderHeads, EncoderOutput } from '../transformer/encoder';
import type { Pooling } from '../transformer/pooling';
import { TextEncoderModel } from '../transformer/text-encoder';
import { TextSeq2SeqModel, type TranslateOptions } from '../transformer/text-seq2seq';
import { encode, encodeWindows } from '../tokenizer/encode';
import type { Encoding } from '../tokenizer/encoding';
import { convertTokensToString } from '../tokenizer/tokens-to-string';
import { fillMask, type FillMaskPrediction } from './fill-mask';
import { extractAnswers, qaWindowParams, type QuestionAnswer } from './question-answering';
import { classificationScores, type ClassificationFunction, type LabelScore } from './text-classification';
import { tokenEntities, type AggregationStrategy, type EntityGroup, type TokenEntity } from './token-classification';
import { nliLabelIds, parseCandidateLabels, zeroShotPairs, zeroShotScores, type ZeroShotResult } from './zero-shot';

interface PipelineBase<M> {
  readonly task: string;
  readonly model: M;
  /** Frees the model (and its runtime when the pipeline loaded it). */
  dispose(): void;
}

export interface FeatureExtractionOptions {
  /** 'none' (the default, as transformers.js): every token's state, dims [B, T, D]; else one vector per text, dims [B, D·modes]. */
  pooling?: 'none' | Pooling | Pooling[];
  /** L2-normalise the pooled vectors (default false, as transformers.js). */
  normalize?: boolean;
}
/** Row-major values with their dims, as a transformers.js Tensor's data and dims. */
export interface FeatureExtractionOutput {
  dims: number[];
  data: Float32Array;
}
export interface FeatureExtractionPipeline extends PipelineBase<TextEncoderModel> {
  (texts: string | string[], options?: FeatureExtractionOptions): FeatureExtractionOutput;
}

export interface TextClassificationOptions {
  /** Labels per text, best first; null for all. Default 1. */
  topK?: number | null;
  /** Default: HF's rule from the config's problem_type and number of labels. */
  functionToApply?: ClassificationFunction;
}
/** A sentence pair (NLI, paraphrase), as HF's { text, text_pair }. */
export interface TextPair {
  text: string;
  text_pair: string;
}
/**
 * The shapes of Hugging Face's TextClassificationPipeline: without topK, a text gives a list of
 * its one best label, a { text, text_pair } the label alone, and a list of inputs a list of one
 * label each; with topK (a number, or null for all labels), an input gives its list of labels
 * and a list of inputs a list of lists.
 */
export interface TextClassificationPipeline extends PipelineBase<TextEncoderModel> {
  (text: string | TextPair, options: TextClassificationOptions & { topK: number | null }): LabelScore[];
  (texts: (string | TextPair)[], options: TextClassificationOptions & { topK: number | null }): LabelScore[][];
  (text: string, options?: Omit<TextClassificationOptions, 'topK'>): LabelScore[];
  (pair: TextPair, options?: Omit<TextClassificationOptions, 'topK'>): LabelScore;
  (texts: (string | TextPair)[], options?: Omit<TextClassificationOptions, 'topK'>): LabelScore[];
  (input: string | TextPair | (string | TextPair)[], options?: TextClassificationOptions): LabelScore | LabelScore[] | LabelScore[][];
}

export interface TokenClassificationOptions {
  /** How tokens become entities, as HF's aggregation_strategy. Default 'none'. */
  aggregationStrategy?: AggregationStrategy;
  /** Labels left out. Default ['O']. */
  ignoreLabels?: string[];
}
export interface TokenClassificationPipeline extends PipelineBase<TextEncoderModel> {
  (text: string, options?: TokenClassificationOptions & { aggregationStrategy?: 'none' }): TokenEntity[];
  (text: string, options: TokenClassificationOptions & { aggregationStrategy: Exclude<AggregationStrategy, 'none'> }): EntityGroup[];
  (texts: string[], options?: TokenClassificationOptions & { aggregationStrategy?: 'none' }): TokenEntity[][];
  (texts: string[], options: TokenClassificationOptions & { aggregationStrategy: Exclude<AggregationStrategy, 'none'> }): EntityGroup[][];
}

export interface QuestionAnsweringOptions {
  /** Answers returned (an array when given). Default 1: the best answer alone. */
  topK?: number;
  /** Longest answer in tokens. Default 15. */
  maxAnswerLength?: number;
  /** Allow the empty answer. Default false. */
  handleImpossibleAnswer?: boolean;
  /** Tokens of question + context in one window. Default min(384, the model's). */
  maxSeqLen?: number;
  /** Context tokens shared by consecutive windows. Default min(128, a half window). */
  docStride?: number;
  /** Widen answers to whole words. Default true. */
  alignToWords?: boolean;
}
export interface QuestionAnsweringPipeline extends PipelineBase<TextEncoderModel> {
  (question: string, context: string, options?: QuestionAnsweringOptions & { topK?: 1 }): QuestionAnswer;
  (question: string, context: string, options: QuestionAnsweringOptions): QuestionAnswer | QuestionAnswer[];
}

export interface FillMaskOptions {
  /** Predictions per mask. Default 5. */
  topK?: number;
  /** Only score these words (each must be one token of the vocabulary). */
  targets?: string[];
}
export interface FillMaskPipeline extends PipelineBase<TextEncoderModel> {
  /** One list for a text with one mask token; a list per mask when it has several. */
  (text: string, options?: FillMaskOptions): FillMaskPrediction[] | FillMaskPrediction[][];
}

export interface TranslationPipeline extends PipelineBase<TextSeq2SeqModel> {
  (texts: string | string[], options?: TranslateOptions): { translation_text: string }[];
}

export interface ZeroShotClassificationOptions {
  /** The hypothesis each label fills. Default 'This example is {}.' */
  hypothesisTemplate?: string;
  /** Score each label alone (entailment vs contradiction) instead of a softmax across labels. Default false. */
  multiLabel?: boolean;
}
export interface ZeroShotClassificationPipeline extends PipelineBase<TextEncoderModel> {
  (text: string, candidateLabels: string | string[], options?: ZeroShotClassificationOptions): ZeroShotResult;
  (texts: string[], candidateLabels: string | string[], options?: ZeroShotClassificationOptions): ZeroShotResult[];
}

/** The pipeline of each task name (transformers.js's names and aliases). */
export interface Pipelines {
  'feature-extraction': FeatureExtractionPipeline;
  'text-classification': TextClassificationPipeline;
  'sentiment-analysis': TextClassificationPipeline;
  'token-classification': TokenClassificationPipeline;
  'ner': TokenClassificationPipeline;
  'question-answering': QuestionAnsweringPipeline;
  'fill-mask': FillMaskPipeline;
  'translation': TranslationPipeline;
  'zero-shot-classification': ZeroShotClassificationPipeline;
}
export type Task = keyof Pipelines;

const TASKS: readonly Task[] = ['feature-extraction', 'text-classification', 'sentiment-analysis', 'token-classification', 'ner',
  'question-answering', 'fill-mask', 'translation', 'zero-shot-classification'];

/** What the encoder tasks read from the model: its head, by the kind config.json's architectures names. */
const TASK_HEADS: Partial<Record<Task, { head: HeadKind; key: keyof EncoderHeads }>> = {
  'text-classification': { head: 'sequence-classification', key: 'sequenceClassifier' },
  'sentiment-analysis': { head: 'sequence-classification', key: 'sequenceClassifier' },
  'zero-shot-classification': { head: 'sequence-classification', key: 'sequenceClassifier' },
  'token-classification': { head: 'token-classification', key: 'tokenClassifier' },
  'ner': { head: 'token-classification', key: 'tokenClassifier' },
  'question-answering': { head: 'question-answering', key: 'questionAnswering' },
  'fill-mask': { head: 'masked-lm', key: 'maskedLm' },
};

export type PipelineOptions = Omit<LoadModelOptions, 'kind'>;

/**
 * A task on a model: a Hugging Face folder (loaded here, with `options`) or a model already
 * loaded (which stays the caller's until the pipeline's dispose()). The model must have the
 * task's head: an Error names the task and the head's tensor otherwise.
 */
export async function pipeline<T extends Task>(task: T, source: ModelSource | TextModel, options: PipelineOptions = {}): Promise<Pipelines[T]> {
  if (!TASKS.includes(task)) throw new Error(`pipeline: unknown task ${JSON.stringify(task)} (known: ${TASKS.join(', ')})`);
  const model = source instanceof TextEncoderModel || source instanceof TextSeq2SeqModel ? source : await loadModel(source as ModelSource, options);
  try {
    return build(task, model) as Pipelines[T];
  } catch (e) {
    if (model !== source) model.dispose();
    throw e;
  }
}

function build(task: Task, model: TextModel): Pipelines[Task] {
  if (task === 'translation') {
    if (!(model instanceof TextSeq2SeqModel)) throw new Error(`pipeline('translation'): the checkpoint is an encoder (${model.config.family}); translation needs a sequence-to-sequence model such as Marian`);
    return withBase(task, model, (texts: string | string[], options?: TranslateOptions) =>
      model.translate(texts, options).map((translation_text) => ({ translation_text })));
  }
  if (!(model instanceof TextEncoderModel)) throw new Error(`pipeline('${task}'): the checkpoint is a sequence-to-sequence model (${model.config.family}); this task needs an encoder`);
  const need = TASK_HEADS[task];
  if (need && !model.model.heads[need.key]) {
    const tensor = familyOf(model.config.family)?.headTensors[need.head] ?? need.key;
    throw new Error(`pipeline('${task}'): the checkpoint has no ${need.head} head — tensor ${tensor} is not read from it ` +
      `(config.json's architectures names the class; this one's head is ${model.config.head ?? 'none'})`);
  }
  const runner = new EncoderRunner(model);
  switch (task) {
    case 'feature-extraction': return withBase(task, model, (texts: string | string[], o?: FeatureExtractionOptions) => runner.features(texts, o ?? {}));
    case 'text-classification':
    case 'sentiment-analysis': return withBase(task, model, runner.classify.bind(runner)) as TextClassificationPipeline;
    case 'token-classification':
    case 'ner': return withBase(task, model, runner.entities.bind(runner)) as TokenClassificationPipeline;
    case 'question-answering': return withBase(task, model, runner.answer.bind(runner)) as QuestionAnsweringPipeline;
    case 'fill-mask': return withBase(task, model, runner.fill.bind(runner));
    case 'zero-shot-classification': return withBase(task, model, runner.zeroShot.bind(runner)) as ZeroShotClassificationPipeline;
  }
}

function withBase<M extends TextModel, F extends (...args: never[]) => unknown>(task: string, model: M, run: F): F & PipelineBase<M> {
  return Object.assign(run, { task, model, dispose: () => model.dispose() });
}

const OPTION_KEYS: Record<string, readonly string[]> = {
  features: ['pooling', 'normalize'],
  classify: ['topK', 'functionToApply'],
  entities: ['aggregationStrategy', 'ignoreLabels'],
  answer: ['topK', 'maxAnswerLength', 'handleImpossibleAnswer', 'maxSeqLen', 'docStride', 'alignToWords'],
  fill: ['topK', 'targets'],
  zeroShot: ['hypothesisTemplate', 'multiLabel'],
};

function checkOptions(what: string, task: string, options: object | undefined): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') throw new Error(`${task}: options must be an object, got ${String(options)}`);
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS[what]!.includes(key)) throw new Error(`${task}: unknown option ${key} (known: ${OPTION_KEYS[what]!.join(', ')})`);
  }
}

function texts(task: string, input: unknown): { list: unknown[]; single: boolean } {
  const single = !Array.isArray(input);
  const list = single ? [input] : input;
  if (list.length === 0) throw new Error(`${task}: give a text or a non-empty array of texts`);
  return { list, single };
}

function checkText(task: string, what: string, t: unknown): string {
  if (typeof t !== 'string') throw new Error(`${task}: ${what} must be a string, got ${t === null ? 'null' : typeof t}`);
  if (t.trim() === '') throw new Error(`${task}: ${what} is empty`);
  return t;
}

/** Tokenizing with offsets and running the encoder's heads, for the encoder tasks. */
class EncoderRunner {
  private readonly tokenizer: Tokenizer;
  private readonly maxLength: number;

  constructor(private readonly m: TextEncoderModel) {
    this.tokenizer = m.tokenizer;
    this.maxLength = m.maxLength;
  }

  private encode(task: string, text: string, pair?: string): Encoding {
    const e = encode(this.tokenizer, text, { pair });
    if (e.ids.length > this.maxLength) {
      throw new Error(`${task}: the text has ${e.ids.length} tokens, more than the model's ${this.maxLength}`);
    }
    return e;
  }

  private run(encodings: Encoding[]): EncoderOutput {
    return this.m.model.forward({
      inputIds: encodings.map((e) => e.ids),
      tokenTypeIds: this.m.config.ignoresTokenTypeIds ? undefined : encodings.map((e) => e.typeIds),
    });
  }

  features(input: string | string[], options: FeatureExtractionOptions): FeatureExtractionOutput {
    checkOptions('features', 'feature-extraction', options);
    const { list } = texts('feature-extraction', input);
    const encodings = list.map((t, i) => this.encode('feature-extraction', checkText('feature-extraction', `text ${i}`, t)));
    const out = this.run(encodings);
    const D = this.m.config.dModel, pooling = options.pooling ?? 'none';
    if (pooling === 'none') {
      if (options.normalize) throw new Error("feature-extraction: option normalize needs a pooling (normalize: true with pooling 'none' would normalise every token)");
      return { dims: [out.batch, out.T, D], data: out.lastHiddenState };
    }
    const vectors = this.m.model.pool(out, pooling, options.normalize ?? false);
    const width = vectors[0]!.length;
    const data = new Float32Array(vectors.length * width);
    vectors.forEach((v, i) => data.set(v, i * width));
    return { dims: [vectors.length, width], data };
  }

  classify(input: string | TextPair | (string | TextPair)[], options?: TextClassificationOptions): LabelScore | LabelScore[] | LabelScore[][] {
    const task = 'text-classification';
    checkOptions('classify', task, options);
    const { list, single } = texts(task, input);
    const encodings = list.map((t, i) => {
      if (typeof t === 'string') return this.encode(task, checkText(task, `text ${i}`, t));
      const pair = t as Partial<TextPair> | null;
      if (pair === null || typeof pair !== 'object' || !('text_pair' in pair)) throw new Error(`${task}: text ${i} must be a string or { text, text_pair }`);
      return this.encode(task, checkText(task, `text ${i}`, pair.text), checkText(task, `text_pair ${i}`, pair.text_pair));
    });
    const logits = this.m.model.logits(this.run(encodings));
    const labels = this.m.config.id2label!, L = labels.length;
    const topK = options?.topK;
    const scores = encodings.map((_, b) => classificationScores(logits.subarray(b * L, (b + 1) * L), labels, {
      functionToApply: options?.functionToApply, problemType: this.m.config.problemType, topK: topK === undefined ? 1 : topK,
    }));
    if (topK !== undefined) return single ? scores[0]! : scores;
    // HF's legacy shapes without top_k: one best label per input, a string's wrapped in a list.
    if (!single) return scores.map((s) => s[0]!);
    return typeof input === 'string' ? scores[0]! : scores[0]![0]!;
  }

  entities(input: string | string[], options?: TokenClassificationOptions): TokenEntity[] | EntityGroup[] | TokenEntity[][] | EntityGroup[][] {
    const task = 'token-classification';
    checkOptions('entities', task, options);
    const { list, single } = texts(task, input);
    const model = this.tokenizer.model as unknown as { config?: { continuing_subword_prefix?: unknown } };
    const results = list.map((t, i) => {
      const text = checkText(task, `text ${i}`, t);
      const encoding = this.encode(task, text);
      const out = this.run([encoding]);
      return tokenEntities({
        text, encoding, logits: this.m.model.tokenLogits(out), id2label: this.m.config.id2label!,
        strategy: options?.aggregationStrategy ?? 'none', ignoreLabels: options?.ignoreLabels,
        // HF: a tokenizer model with a continuing_subword_prefix ("##") knows its words.
        wordAware: Boolean(model.config?.continuing_subword_prefix),
        unkTokenId: specialId(this.tokenizer, ['[UNK]', '<unk>']),
        convertTokensToString: (tokens) => convertTokensToString(this.tokenizer, tokens),
      });
    });
    return (single ? results[0]! : results) as TokenEntity[] | EntityGroup[][];
  }

  answer(question: string, context: string, options?: QuestionAnsweringOptions): QuestionAnswer | QuestionAnswer[] {
    const task = 'question-answering';
    checkOptions('answer', task, options);
    checkText(task, 'the question', question);
    checkText(task, 'the context', context);
    const { maxSeqLen, docStride } = qaWindowParams({ modelMaxLength: this.maxLength, maxSeqLen: options?.maxSeqLen, docStride: options?.docStride });
    const windows = encodeWindows(this.tokenizer, question, context, { maxLength: maxSeqLen, stride: docStride });
    const starts: Float32Array[] = [], ends: Float32Array[] = [];
    for (const w of windows) {
      const { start, end } = this.m.model.spanLogits(this.run([w]));
      starts.push(start);
      ends.push(end);
    }
    const answers = extractAnswers({
      context, windows, startLogits: starts, endLogits: ends, clsTokenId: specialId(this.tokenizer, ['[CLS]', '<s>']),
      topK: options?.topK ?? 1, maxAnswerLength: options?.maxAnswerLength, handleImpossibleAnswer: options?.handleImpossibleAnswer,
      alignToWords: options?.alignToWords,
    });
    return options?.topK === undefined || options.topK === 1 ? answers[0]! : answers;
  }

  fill(text: string, options?: FillMaskOptions): FillMaskPrediction[] | FillMaskPrediction[][] {
    const task = 'fill-mask';
    checkOptions('fill', task, options);
    checkText(task, 'the text', text);
    const maskToken = ['[MASK]', '<mask>'].find((t) => this.tokenizer.token_to_id(t) !== undefined);
    const maskId = maskToken === undefined ? undefined : this.tokenizer.token_to_id(maskToken)!;
    if (maskId === undefined) throw new Error(`${task}: the tokenizer has no mask token ([MASK] or <mask>)`);
    const encoding = this.encode(task, text);
    const rows = encoding.ids.flatMap((id, t) => (id === maskId ? [t] : []));
    if (rows.length === 0) throw new Error(`${task}: the text has no mask token ${maskToken}: write ${maskToken} where a word should be filled in`);
    const V = this.m.config.vocabSize;
    const logits = this.m.model.maskedLmLogits(this.run([encoding]), rows);
    const targets = options?.targets?.map((w) => {
      const id = this.tokenizer.token_to_id(w);
      if (id === undefined) throw new Error(`${task}: target ${JSON.stringify(w)} is not a token of the vocabulary`);
      return id;
    });
    return fillMask({
      inputIds: encoding.ids, maskLogits: rows.map((_, i) => logits.subarray(i * V, (i + 1) * V)), maskTokenId: maskId,
      padTokenId: this.m.config.padTokenId, topK: options?.topK, targets,
      decode: (ids, o) => this.tokenizer.decode(ids, { skip_special_tokens: o.skipSpecialTokens }),
    });
  }

  zeroShot(input: string | string[], candidateLabels: string | string[], options?: ZeroShotClassificationOptions): ZeroShotResult | ZeroShotResult[] {
    const task = 'zero-shot-classification';
    checkOptions('zeroShot', task, options);
    const { list, single } = texts(task, input);
    const labels = parseCandidateLabels(candidateLabels);
    const ids = nliLabelIds(this.m.config.id2label!);
    const L = this.m.config.id2label!.length;
    const results = list.map((t, i) => {
      const sequence = checkText(task, `text ${i}`, t);
      const pairs = zeroShotPairs(sequence, labels, options?.hypothesisTemplate);
      const logits = this.m.model.logits(this.run(pairs.map(([premise, hypothesis]) => this.encode(task, premise, hypothesis))));
      return zeroShotScores(pairs.map((_, j) => logits.subarray(j * L, (j + 1) * L)), labels, { sequence, multiLabel: options?.multiLabel, ...ids });
    });
    return single ? results[0]! : results;
  }
}

function specialId(tokenizer: Tokenizer, names: string[]): number | null {
  for (const n of names) {
    const id = tokenizer.token_to_id(n);
    if (id !== undefined) return id;
  }
  return null;
}
