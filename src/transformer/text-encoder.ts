// What a user of an encoder checkpoint calls: text in, embeddings or labels out. Tokenization
// is Hugging Face's own tokenizer.json, run by @huggingface/tokenizers.
import type { Tokenizer } from '@huggingface/tokenizers';
import { checkOptionNames } from '../io/option-names';
import { maxTokens } from './config';
import type { EncoderModel, EncoderOutput } from './encoder';
import type { Pooling } from './pooling';
import { lengthBatches } from './length-batches';
import { argmax, softmax } from './scores';
import type { SentenceEmbedding } from './sentence-transformers';

export interface TruncationOptions {
  /**
   * Texts longer than the model takes: 'error' (the default) refuses them, naming the length;
   * 'truncate' keeps the first tokens and the last one (the [SEP] or </s>).
   */
  truncation?: 'error' | 'truncate';
}

export interface BatchOptions {
  /**
   * Texts run through the model at once (default 32). The texts are sorted by token count,
   * longest first (as SentenceTransformer.encode does), so that a batch pads little; results
   * come back in input order. Memory for activations is bounded by one batch: B·T rows.
   */
  batchSize?: number;
  /**
   * Called for a text the model refuses on its own account (more tokens than it takes without
   * truncation: 'truncate', or not a string), with the error (naming the text's index in the
   * input) and that index. The text's result is then empty (embed: a Float32Array of length 0,
   * classify: null) and the others are computed. Without it, the first such text fails the call.
   */
  onTextError?: (error: Error, index: number) => void;
}

export interface EmbedOptions extends TruncationOptions, BatchOptions {
  /**
   * How token states become one vector: 'mean' over the tokens, the 'cls' token, 'max', … or
   * several concatenated. Default: the checkpoint's own (a sentence-transformers folder's
   * 1_Pooling/config.json), else 'mean'.
   */
  pooling?: Pooling | Pooling[];
  /** L2-normalise. Default: whether the sentence-transformers folder has a Normalize module, else true. */
  normalize?: boolean;
}

export interface EmbedStreamOptions extends EmbedOptions {
  /**
   * Texts read ahead from the source before they are embedded (default batchSize): sorted by
   * length within it, run batch by batch, yielded in order. A larger window pads less (it
   * groups similar lengths) at the cost of holding more texts and yielding later.
   */
  window?: number;
}

export interface ClassifyOptions extends TruncationOptions, BatchOptions {}

export interface Classification {
  label: string;
  score: number;
  /** Every label's probability (softmax over the logits). */
  probabilities: Record<string, number>;
}

type TextInput = string | [string, string];

/** A text tokenized and checked: its ids (cut to the limit when truncating) and segment ids. */
interface Prepared {
  ids: number[];
  types: number[] | undefined;
}

const EMBED_OPTIONS = ['pooling', 'normalize', 'truncation', 'batchSize', 'onTextError'];

export class TextEncoderModel {
  readonly kind = 'encoder' as const;
  readonly model: EncoderModel;
  readonly tokenizer: Tokenizer;
  /** The sentence-transformers folder's pooling and normalisation, when it is one. */
  readonly sentenceEmbedding: SentenceEmbedding | undefined;
  /**
   * The most tokens a text may have: the tokenizer's model_max_length (tokenizer_config.json),
   * within what the position table holds.
   */
  readonly maxLength: number;

  constructor(model: EncoderModel, tokenizer: Tokenizer, options: { sentenceEmbedding?: SentenceEmbedding; modelMaxLength?: number } = {}) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.sentenceEmbedding = options.sentenceEmbedding;
    this.maxLength = Math.min(maxTokens(model.config), options.modelMaxLength ?? Infinity);
  }

  get config() {
    return this.model.config;
  }

  /** Raw hidden states for texts (or [text, pair] tuples), padded to the longest; texts of more than maxLength tokens refused or cut. */
  forward(texts: string | TextInput[], options: { outputHiddenStates?: boolean } & TruncationOptions = {}): EncoderOutput {
    checkOptionNames('forward', options, ['outputHiddenStates', 'truncation']);
    const list = this.list(texts, 'forward');
    const prepared = this.prepare(list, 0, truncationOf(options, 'forward'), this.maxLength, 'forward', undefined) as Prepared[];
    return this.runBatch(prepared, options.outputHiddenStates);
  }

  /**
   * Sentence embeddings, one Float32Array per text, in input order. A sentence-transformers
   * folder's max_seq_length (sentence_bert_config.json) is the limit, and its do_lower_case
   * applies, as in SentenceTransformer.
   */
  embed(texts: string | string[], options: EmbedOptions = {}): Float32Array[] {
    checkOptionNames('embed', options, EMBED_OPTIONS);
    const batchSize = batchSizeOf(options, 'embed');
    return this.embedChunk(this.list(texts, 'embed'), 0, options, batchSize);
  }

  /**
   * Sentence embeddings of texts from an (async) iterable, yielded one per text in input order:
   * `window` texts are read (default batchSize), embedded batch by batch, yielded, then the next
   * window, so that memory stays bounded however many texts come. Errors name the text's index
   * in the stream. Options as embed's; they are checked at the call, before any text is read.
   */
  embedStream(texts: AsyncIterable<string> | Iterable<string>, options: EmbedStreamOptions = {}): AsyncIterable<Float32Array> {
    checkOptionNames('embedStream', options, [...EMBED_OPTIONS, 'window']);
    const batchSize = batchSizeOf(options, 'embedStream');
    const window = options.window ?? batchSize;
    if (!Number.isSafeInteger(window) || window < 1) throw new Error(`embedStream: option window must be an integer ≥ 1, got ${String(window)}`);
    const source = texts as Partial<AsyncIterable<string> & Iterable<string>> | null;
    if (source == null || (typeof source[Symbol.asyncIterator] !== 'function' && typeof source[Symbol.iterator] !== 'function')) {
      throw new Error('embedStream: texts must be an iterable or async iterable of strings');
    }
    // Checked at the call, not when the first window is read.
    truncationOf(options, 'embedStream');
    const self = this;
    return (async function* () {
      let chunk: string[] = [], base = 0;
      for await (const text of source as AsyncIterable<string>) {
        chunk.push(text);
        if (chunk.length === window) {
          yield* self.embedChunk(chunk, base, options, batchSize, 'embedStream');
          base += chunk.length;
          chunk = [];
        }
      }
      if (chunk.length > 0) yield* self.embedChunk(chunk, base, options, batchSize, 'embedStream');
    })();
  }

  /** embed of list, whose first text is text `base` of the caller's input. */
  private embedChunk(list: TextInput[], base: number, options: EmbedOptions, batchSize: number, method = 'embed'): Float32Array[] {
    const st = this.sentenceEmbedding;
    // SentenceTransformer lower-cases the texts when its Transformer module says do_lower_case.
    const input = st?.lowerCase ? list.map((t) => (typeof t === 'string' ? t.toLowerCase() : t)) : list;
    const max = Math.min(this.maxLength, st?.maxSeqLength ?? Infinity);
    const prepared = this.prepare(input, base, truncationOf(options, method), max, method, options.onTextError);
    const pooling = options.pooling ?? st?.pooling ?? 'mean', normalize = options.normalize ?? st?.normalize ?? true;
    const out: Float32Array[] = list.map(() => new Float32Array(0));
    this.inBatches(prepared, batchSize, (batch, rows) => {
      const vectors = this.model.pool(batch, pooling, normalize);
      rows.forEach((i, b) => (out[i] = vectors[b]!));
    });
    return out;
  }

  /** Label probabilities of a …ForSequenceClassification checkpoint (e.g. sentiment), in input order. */
  classify(texts: string | TextInput[], options?: ClassifyOptions & { onTextError?: undefined }): Classification[];
  /** With onTextError: a refused text's result is null. */
  classify(texts: string | TextInput[], options: ClassifyOptions): (Classification | null)[];
  classify(texts: string | TextInput[], options: ClassifyOptions = {}): (Classification | null)[] {
    checkOptionNames('classify', options, ['truncation', 'batchSize', 'onTextError']);
    const batchSize = batchSizeOf(options, 'classify');
    const list = this.list(texts, 'classify');
    const prepared = this.prepare(list, 0, truncationOf(options, 'classify'), this.maxLength, 'classify', options.onTextError);
    const labels = this.config.id2label ?? [];
    const out: (Classification | null)[] = list.map(() => null);
    this.inBatches(prepared, batchSize, (batch, rows) => {
      const logits = this.model.logits(batch);
      const C = logits.length / batch.batch; // classes
      rows.forEach((i, b) => {
        const p = softmax(logits, b * C, C);
        const probabilities = Object.fromEntries(Array.from(p, (x, c) => [labels[c] ?? `LABEL_${c}`, x]));
        const best = argmax(p);
        out[i] = { label: labels[best] ?? `LABEL_${best}`, score: p[best]!, probabilities };
      });
    });
    return out;
  }

  private list(texts: string | TextInput[], method: string): TextInput[] {
    const list = typeof texts === 'string' ? [texts] : texts;
    if (!Array.isArray(list) || list.length === 0) throw new Error(`${method}: give a text or a non-empty array of texts`);
    return list;
  }

  /**
   * Tokenizes and checks every text; a refused one (too long, not a string) throws, or with
   * onTextError is reported and left undefined. Messages name text base + i.
   */
  private prepare(list: TextInput[], base: number, truncation: 'error' | 'truncate', max: number, method: string,
    onTextError: ((error: Error, index: number) => void) | undefined): (Prepared | undefined)[] {
    const withTypes = !this.config.ignoresTokenTypeIds;
    // Keeps the first max − 1 tokens and the last (the [SEP] or </s>).
    const cut = (xs: number[]) => (xs.length > max ? [...xs.slice(0, max - 1), xs[xs.length - 1]!] : xs);
    return list.map((t, i) => {
      try {
        let e;
        if (typeof t === 'string') e = this.tokenizer.encode(t, { return_token_type_ids: true });
        else if (Array.isArray(t) && t.length === 2 && t.every((s) => typeof s === 'string')) e = this.tokenizer.encode(t[0], { text_pair: t[1], return_token_type_ids: true });
        else throw new Error(`${method}: text ${base + i} must be a string or a [text, pair] of strings`);
        if (truncation === 'error' && e.ids.length > max) {
          throw new Error(`${method}: text ${base + i} has ${e.ids.length} tokens, the model takes at most ${max}; pass truncation: 'truncate' to cut it`);
        }
        // Only the ids are kept: the Encoding (tokens, offsets) would cost far more per text.
        return { ids: cut(e.ids), types: withTypes ? cut(e.token_type_ids ?? e.ids.map(() => 0)) : undefined };
      } catch (error) {
        if (!onTextError || !(error instanceof Error) || !error.message.startsWith(`${method}: text ${base + i} `)) throw error;
        onTextError(error, base + i);
        return undefined;
      }
    });
  }

  /**
   * Runs the prepared texts batchSize at a time, longest first, and hands each batch's output
   * with the input indexes of its rows to `use`. The forward pass frees its activations before
   * it returns, so the next batch reuses the same WASM memory: the peak is the largest batch.
   */
  private inBatches(prepared: (Prepared | undefined)[], batchSize: number, use: (out: EncoderOutput, rows: number[]) => void): void {
    for (const rows of lengthBatches(prepared.map((p) => p?.ids.length), batchSize)) use(this.runBatch(rows.map((i) => prepared[i]!)), rows);
  }

  private runBatch(batch: Prepared[], outputHiddenStates?: boolean): EncoderOutput {
    return this.model.forward({
      inputIds: batch.map((p) => p.ids),
      tokenTypeIds: this.config.ignoresTokenTypeIds ? undefined : batch.map((p) => p.types!),
      outputHiddenStates,
    });
  }

  dispose(): void {
    this.model.dispose();
  }
}

function truncationOf(options: TruncationOptions, method: string): 'error' | 'truncate' {
  const truncation = options.truncation ?? 'error';
  if (truncation !== 'error' && truncation !== 'truncate') throw new Error(`${method}: option truncation must be 'error' or 'truncate', got ${String(truncation)}`);
  return truncation;
}

function batchSizeOf(options: BatchOptions, method: string): number {
  const { batchSize = 32, onTextError } = options;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new Error(`${method}: option batchSize must be an integer ≥ 1, got ${String(batchSize)}`);
  if (onTextError !== undefined && typeof onTextError !== 'function') throw new Error(`${method}: option onTextError must be a function`);
  return batchSize;
}
