// pipeline(task, model): the task API of transformers.js (task names, options in camelCase) with
// the output shapes of Hugging Face's Python pipelines, each typed per task. A pipeline
// tokenizes with offsets (src/tokenizer), runs the checkpoint's head, and post-processes as
// the HF pipeline does (the modules beside this one).
import type { Tokenizer } from '@huggingface/tokenizers';
import { checkOptionNames } from '../io/option-names';
import { loadModel, type LoadModelOptions, type TextModel } from '../transformer/load';
import type { ModelSource } from '../transformer/files';
import type { HeadKind } from '../transformer/config';
import { familyOf } from '../transformer/families/index';
import type { EncoderHeads, EncoderOutput } from '../transformer/encoder';
import type { Pooling } from '../transformer/pooling';
import { lengthBatches } from '../transformer/length-batches';
import { TextEncoderModel } from '../transformer/text-encoder';
import { TextSeq2SeqModel, type TranslateOptions } from '../transformer/text-seq2seq';
import { encode, encodeWindows } from '../tokenizer/encode';
import type { Encoding } from '../tokenizer/encoding';
import { convertTokensToString } from '../tokenizer/tokens-to-string';
import { fillMask, type FillMaskPrediction } from './fill-mask';
import { TextGenerationModel } from '../transformer/text-generation';
import type { ChatMessage } from '../transformer/chat-template';
import { textGeneration, text2textGeneration, type GeneratedChat, type GeneratedText, type TextGenerationPipelineOptions } from './text-generation';
import { extractAnswers, qaWindowParams, type QuestionAnswer } from './question-answering';
import { classificationScores, type ClassificationFunction, type LabelScore } from './text-classification';
import { aggregateOverlappingEntities, tokenEntities, type AggregationStrategy, type EntityGroup, type TokenEntity } from './token-classification';
import { nliLabelIds, parseCandidateLabels, zeroShotPairs, zeroShotScores, type ZeroShotResult } from './zero-shot';

interface PipelineBase<M> {
  readonly task: string;
  readonly model: M;
  /** Frees the model (and its runtime when the pipeline loaded it). */
  dispose(): void;
}

export interface FeatureExtractionOptions {
  /**
   * 'none' (the default, as transformers.js): every token's state, dims [B, T, D]; else one
   * vector per text, dims [B, D·modes]. transformers.js's 'first_token', 'eos' and 'last_token'
   * are 'cls' and 'lasttoken'.
   */
  pooling?: 'none' | 'first_token' | 'eos' | 'last_token' | Pooling | Pooling[];
  /** L2-normalise the vectors (each token's with pooling 'none'). Default false, as transformers.js. */
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
  /**
   * A text longer than the model takes is run in windows of the model's length sharing this
   * many tokens, and their entities merged (HF's stride; needs an aggregationStrategy). Without
   * it such a text is refused.
   */
  stride?: number;
}
export interface TokenClassificationPipeline extends PipelineBase<TextEncoderModel> {
  (text: string, options?: TokenClassificationOptions & { aggregationStrategy?: 'none' }): TokenEntity[];
  (text: string, options: TokenClassificationOptions & { aggregationStrategy: Exclude<AggregationStrategy, 'none'> }): EntityGroup[];
  (texts: string[], options?: TokenClassificationOptions & { aggregationStrategy?: 'none' }): TokenEntity[][];
  (texts: string[], options: TokenClassificationOptions & { aggregationStrategy: Exclude<AggregationStrategy, 'none'> }): EntityGroup[][];
  (input: string | string[], options?: TokenClassificationOptions): TokenEntity[] | EntityGroup[] | TokenEntity[][] | EntityGroup[][];
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
  /** Only score these tokens (each must be a token of the vocabulary, as 'Ġparis' in RoBERTa's). */
  targets?: string | string[];
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
  'text-generation': TextGenerationPipeline;
  'text2text-generation': Text2TextGenerationPipeline;
}

/**
 * transformers.js's shapes: a text or a conversation gives [{ generated_text }] (a conversation's
 * generated_text is its messages with the reply appended); a list of them, a list of those.
 */
export interface TextGenerationPipeline extends PipelineBase<TextGenerationModel> {
  (text: string, options?: TextGenerationPipelineOptions): GeneratedText[];
  (conversation: ChatMessage[], options?: TextGenerationPipelineOptions): GeneratedChat[] | GeneratedText[];
  (texts: string[], options?: TextGenerationPipelineOptions): GeneratedText[][];
  (conversations: ChatMessage[][], options?: TextGenerationPipelineOptions): (GeneratedChat[] | GeneratedText[])[];
}
export interface Text2TextGenerationPipeline extends PipelineBase<TextSeq2SeqModel> {
  (texts: string | string[], options?: TranslateOptions): GeneratedText[];
}
export type Task = keyof Pipelines;

/** Texts a pooled feature-extraction call runs at a time (embed()'s default batch size). */
const FEATURE_BATCH = 32;

const TASKS: readonly Task[] = ['feature-extraction', 'text-classification', 'sentiment-analysis', 'token-classification', 'ner',
  'question-answering', 'fill-mask', 'translation', 'zero-shot-classification', 'text-generation', 'text2text-generation'];

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

/** loadModel's options (the HubOptions included: revision, endpoint, cacheDir, localFilesOnly, onProgress, signal), less kind. */
export type PipelineOptions = Omit<LoadModelOptions, 'kind'>;

/**
 * A task on a model: a hub id ('org/name') or a Hugging Face folder (loaded here, with `options`, and freed by the
 * pipeline's dispose()) or a model already loaded (which stays the caller's: several pipelines
 * may share it, and dispose() leaves it). The model must have the task's head: an Error names
 * the task and the head's tensor otherwise.
 */
export async function pipeline<T extends Task>(task: T, source: ModelSource | TextModel, options: PipelineOptions = {}): Promise<Pipelines[T]> {
  if (!TASKS.includes(task)) throw new Error(`pipeline: unknown task ${JSON.stringify(task)} (known: ${TASKS.join(', ')})`);
  const loaded = source instanceof TextEncoderModel || source instanceof TextSeq2SeqModel || source instanceof TextGenerationModel;
  if (loaded && options !== undefined && Object.keys(options ?? {}).length > 0) {
    throw new Error(`pipeline('${task}'): options ${Object.keys(options).join(', ')} are for loading a model; this one is already loaded`);
  }
  if (options !== null && typeof options === 'object' && 'kind' in options) {
    throw new Error(`pipeline('${task}'): option kind is not taken: the task decides the kind of model`);
  }
  const model = loaded ? source : await loadModel(source as ModelSource, options);
  try {
    return build(task, model, loaded ? () => {} : () => model.dispose()) as Pipelines[T];
  } catch (e) {
    if (!loaded) model.dispose();
    throw e;
  }
}

function build(task: Task, model: TextModel, dispose: () => void): Pipelines[Task] {
  const withBase = <M extends TextModel, F extends (...args: never[]) => unknown>(m: M, run: F): F & PipelineBase<M> =>
    Object.assign(run, { task, model: m, dispose });
  if (task === 'text-generation') {
    if (!(model instanceof TextGenerationModel)) throw new Error(`pipeline('text-generation'): the checkpoint is ${model.kind === 'seq2seq' ? 'a sequence-to-sequence model' : 'an encoder'} (${model.config.family}); text-generation needs a decoder-only model (GPT-2, Llama, Mistral, Qwen2); for a sequence-to-sequence model use 'text2text-generation'`);
    return withBase(model, (input: unknown, options?: TextGenerationPipelineOptions) => textGeneration(model, input, options)) as TextGenerationPipeline;
  }
  if (task === 'text2text-generation') {
    if (!(model instanceof TextSeq2SeqModel)) throw new Error(`pipeline('text2text-generation'): the checkpoint is ${model.kind === 'decoder' ? 'a decoder-only model' : 'an encoder'} (${model.config.family}); text2text-generation needs a sequence-to-sequence model (Marian, T5)${model.kind === 'decoder' ? `; use 'text-generation'` : ''}`);
    return withBase(model, (texts: string | string[], options?: TranslateOptions) => text2textGeneration(model, texts, options));
  }
  if (model instanceof TextGenerationModel) throw new Error(`pipeline('${task}'): the checkpoint is a decoder-only model (${model.config.family}); use 'text-generation'`);
  if (task === 'translation') {
    if (!(model instanceof TextSeq2SeqModel)) throw new Error(`pipeline('translation'): the checkpoint is an encoder (${model.config.family}); translation needs a sequence-to-sequence model such as Marian`);
    return withBase(model, (texts: string | string[], options?: TranslateOptions) =>
      model.translate(texts, options).map((translation_text) => ({ translation_text })));
  }
  if (!(model instanceof TextEncoderModel)) throw new Error(`pipeline('${task}'): the checkpoint is a sequence-to-sequence model (${model.config.family}); this task needs an encoder`);
  const need = TASK_HEADS[task];
  if (need && !model.model.heads[need.key]) {
    const tensor = familyOf(model.config.family)?.headTensors[need.head] ?? need.key;
    throw new Error(`pipeline('${task}'): the checkpoint has no ${need.head} head — tensor ${tensor} is not read from it ` +
      `(config.json's architectures names the class; this one's head is ${model.config.head ?? 'none'})`);
  }
  // An NLI model's entailment label, checked now rather than at every call.
  if (task === 'zero-shot-classification') nliLabelIds(model.config.id2label!);
  const runner = new EncoderRunner(model);
  switch (task) {
    case 'feature-extraction': return withBase(model, (texts: string | string[], o?: FeatureExtractionOptions) => runner.features(texts, o ?? {}));
    case 'text-classification':
    case 'sentiment-analysis': return withBase(model, runner.classify.bind(runner)) as TextClassificationPipeline;
    case 'token-classification':
    case 'ner': return withBase(model, runner.entities.bind(runner)) as TokenClassificationPipeline;
    case 'question-answering': return withBase(model, runner.answer.bind(runner)) as QuestionAnsweringPipeline;
    case 'fill-mask': return withBase(model, runner.fill.bind(runner));
    case 'zero-shot-classification': return withBase(model, runner.zeroShot.bind(runner)) as ZeroShotClassificationPipeline;
  }
}

/** transformers.js's pooling names for the sentence-transformers ones. */
const POOLING_ALIASES: Record<string, Pooling> = { first_token: 'cls', eos: 'lasttoken', last_token: 'lasttoken' };

/** Each call's options and the kind of value each takes (the post-processing checks the values' ranges). */
type OptionKind = 'boolean' | 'number' | 'number|null' | 'string' | 'strings' | 'string|strings';
const OPTIONS: Record<string, Record<string, OptionKind>> = {
  features: { pooling: 'string|strings', normalize: 'boolean' },
  classify: { topK: 'number|null', functionToApply: 'string' },
  entities: { aggregationStrategy: 'string', ignoreLabels: 'strings', stride: 'number' },
  answer: { topK: 'number', maxAnswerLength: 'number', handleImpossibleAnswer: 'boolean', maxSeqLen: 'number', docStride: 'number', alignToWords: 'boolean' },
  fill: { topK: 'number', targets: 'string|strings' },
  zeroShot: { hypothesisTemplate: 'string', multiLabel: 'boolean' },
};

function checkOptions(what: string, task: string, options: object | undefined): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') throw new Error(`${task}: options must be an object, got ${String(options)}`);
  const known = OPTIONS[what]!;
  checkOptionNames(task, options, Object.keys(known));
  for (const [key, value] of Object.entries(options)) {
    const kind = known[key]!;
    if (value === undefined) continue;
    const ok = kind === 'boolean' ? typeof value === 'boolean'
      : kind === 'number' ? typeof value === 'number'
        : kind === 'number|null' ? value === null || typeof value === 'number'
          : kind === 'string' ? typeof value === 'string'
            : kind === 'strings' ? Array.isArray(value) && value.every((v) => typeof v === 'string')
              : typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
    if (!ok) {
      const want = { boolean: 'true or false', number: 'a number', 'number|null': 'a number or null', string: 'a string', strings: 'an array of strings', 'string|strings': 'a string or an array of strings' }[kind];
      throw new Error(`${task}: option ${key} must be ${want}, got ${JSON.stringify(value) ?? String(value)}`);
    }
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

  private encode(task: string, text: string, pair?: string, hint?: string): Encoding {
    const e = encode(this.tokenizer, text, { pair });
    if (e.ids.length > this.maxLength) {
      throw new Error(`${task}: the text has ${e.ids.length} tokens, more than the model's ${this.maxLength}` +
        (hint ? `; pass option ${hint} to run it in windows` : ''));
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
    const D = this.m.config.dModel, pooling = options.pooling ?? 'none';
    if (pooling === 'none') {
      // One padded tensor of every token, as transformers.js returns it.
      const out = this.run(encodings);
      const data = out.lastHiddenState;
      // transformers.js normalises along the last dimension: every token's vector.
      if (options.normalize) {
        for (let r = 0; r < data.length / D; r++) {
          const row = data.subarray(r * D, (r + 1) * D);
          const norm = Math.max(Math.hypot(...row), 1e-12);
          for (let j = 0; j < D; j++) row[j] = row[j]! / norm;
        }
      }
      return { dims: [out.batch, out.T, D], data };
    }
    const modes = (typeof pooling === 'string' ? [pooling] : pooling).map((p) => POOLING_ALIASES[p] ?? p) as Pooling[];
    // Pooled vectors need no common padding: batches of similar lengths, longest first (as
    // embed() runs them), so memory stays one batch's and short texts are not padded to the longest.
    const vectors: Float32Array[] = new Array(encodings.length);
    for (const batch of lengthBatches(encodings.map((e) => e.ids.length), FEATURE_BATCH)) {
      const pooled = this.m.model.pool(this.run(batch.map((i) => encodings[i]!)), modes, options.normalize ?? false);
      batch.forEach((i, k) => (vectors[i] = pooled[k]!));
    }
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
    const labels = this.m.config.id2label!, C = labels.length; // classes
    const topK = options?.topK;
    const scores = encodings.map((_, b) => classificationScores(logits.subarray(b * C, (b + 1) * C), labels, {
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
    const strategy = options?.aggregationStrategy ?? 'none';
    const stride = options?.stride;
    if (stride !== undefined && strategy === 'none') {
      throw new Error(`${task}: option stride processes the whole text in windows, which needs an aggregationStrategy other than 'none' (as Hugging Face's)`);
    }
    const model = this.tokenizer.model as unknown as { config?: { continuing_subword_prefix?: unknown } };
    const results = list.map((t, i) => {
      const text = checkText(task, `text ${i}`, t);
      const windows = stride === undefined ? [this.encode(task, text, undefined, 'stride')]
        : encodeWindows(this.tokenizer, text, null, { maxLength: this.maxLength, stride });
      const entities = windows.flatMap((encoding) => tokenEntities({
        text, encoding, logits: this.m.model.tokenLogits(this.run([encoding])), id2label: this.m.config.id2label!,
        strategy, ignoreLabels: options?.ignoreLabels,
        // HF: a tokenizer model with a continuing_subword_prefix ("##") knows its words.
        wordAware: Boolean(model.config?.continuing_subword_prefix),
        unkTokenId: specialId(this.tokenizer, ['[UNK]', '<unk>']),
        convertTokensToString: (tokens) => convertTokensToString(this.tokenizer, tokens),
      }) as (TokenEntity | EntityGroup)[]);
      return windows.length > 1 ? aggregateOverlappingEntities(entities as EntityGroup[]) : entities;
    });
    return (single ? results[0]! : results) as TokenEntity[] | EntityGroup[][];
  }

  answer(question: string, context: string, options?: QuestionAnsweringOptions): QuestionAnswer | QuestionAnswer[] {
    const task = 'question-answering';
    checkOptions('answer', task, options);
    checkText(task, 'the question', question);
    checkText(task, 'the context', context);
    if (options?.maxSeqLen !== undefined && options.maxSeqLen > this.maxLength) {
      throw new Error(`${task}: option maxSeqLen ${options.maxSeqLen} is more than the model's ${this.maxLength} tokens`);
    }
    const { maxSeqLen, docStride } = qaWindowParams({ modelMaxLength: this.maxLength, maxSeqLen: options?.maxSeqLen, docStride: options?.docStride });
    let windows: Encoding[];
    try {
      windows = encodeWindows(this.tokenizer, question, context, { maxLength: maxSeqLen, stride: docStride });
    } catch (e) {
      // The tokenizer's words (maxLength, stride) are the options maxSeqLen and docStride here.
      throw new Error(`${task} (maxSeqLen ${maxSeqLen}, docStride ${docStride}): ${(e as Error).message}`);
    }
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
    const given = options?.targets;
    const targets = (typeof given === 'string' ? [given] : given)?.map((w) => {
      const id = this.tokenizer.token_to_id(w);
      if (id === undefined) {
        const pieces = encode(this.tokenizer, w, { addSpecialTokens: false }).tokens;
        throw new Error(`${task}: target ${JSON.stringify(w)} is not a token of the vocabulary (it tokenizes as ${pieces.map((p) => JSON.stringify(p)).join(' ')}); give tokens`);
      }
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
    const C = this.m.config.id2label!.length; // NLI classes
    const results = list.map((t, i) => {
      const sequence = checkText(task, `text ${i}`, t);
      const pairs = zeroShotPairs(sequence, labels, options?.hypothesisTemplate);
      const logits = this.m.model.logits(this.run(pairs.map(([premise, hypothesis]) => this.encode(task, premise, hypothesis))));
      return zeroShotScores(pairs.map((_, j) => logits.subarray(j * C, (j + 1) * C)), labels, { sequence, multiLabel: options?.multiLabel, ...ids });
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
