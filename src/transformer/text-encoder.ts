// What a user of an encoder checkpoint calls: text in, embeddings or labels out. Tokenization
// is Hugging Face's own tokenizer.json, run by @huggingface/tokenizers.
import type { Tokenizer } from '@huggingface/tokenizers';
import { checkOptionNames } from '../io/option-names';
import { maxTokens } from './config';
import type { EncoderModel, EncoderOutput } from './encoder';
import type { Pooling } from './pooling';
import type { SentenceEmbedding } from './sentence-transformers';

export interface TruncationOptions {
  /**
   * Texts longer than the model takes: 'error' (the default) refuses them, naming the length;
   * 'truncate' keeps the first tokens and the last one (the [SEP] or </s>).
   */
  truncation?: 'error' | 'truncate';
}

export interface EmbedOptions extends TruncationOptions {
  /**
   * How token states become one vector: 'mean' over the tokens, the 'cls' token, 'max', … or
   * several concatenated. Default: the checkpoint's own (a sentence-transformers folder's
   * 1_Pooling/config.json), else 'mean'.
   */
  pooling?: Pooling | Pooling[];
  /** L2-normalise. Default: whether the sentence-transformers folder has a Normalize module, else true. */
  normalize?: boolean;
}

export interface Classification {
  label: string;
  score: number;
  /** Every label's probability (softmax over the logits). */
  probabilities: Record<string, number>;
}

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
  forward(texts: string | (string | [string, string])[], options: { outputHiddenStates?: boolean } & TruncationOptions = {}): EncoderOutput {
    checkOptionNames('forward', options, ['outputHiddenStates', 'truncation']);
    return this.run(texts, options, this.maxLength, 'forward');
  }

  private run(texts: string | (string | [string, string])[], options: { outputHiddenStates?: boolean } & TruncationOptions, max: number, method: string): EncoderOutput {
    const truncation = options.truncation ?? 'error';
    if (truncation !== 'error' && truncation !== 'truncate') throw new Error(`forward: option truncation must be 'error' or 'truncate', got ${String(truncation)}`);
    const list = typeof texts === 'string' ? [texts] : texts;
    if (!Array.isArray(list) || list.length === 0) throw new Error('forward: give a text or a non-empty array of texts');
    const encodings = list.map((t, i) => {
      if (typeof t === 'string') return this.tokenizer.encode(t, { return_token_type_ids: true });
      if (Array.isArray(t) && t.length === 2 && t.every((s) => typeof s === 'string')) {
        return this.tokenizer.encode(t[0], { text_pair: t[1], return_token_type_ids: true });
      }
      throw new Error(`forward: text ${i} must be a string or a [text, pair] of strings`);
    });
    encodings.forEach((e, i) => {
      if (truncation === 'error' && e.ids.length > max) {
        throw new Error(`${method}: text ${i} has ${e.ids.length} tokens, the model takes at most ${max}; pass truncation: 'truncate' to cut it`);
      }
    });
    const cut = (xs: number[]) => (xs.length > max ? [...xs.slice(0, max - 1), xs[xs.length - 1]!] : xs);
    return this.model.forward({
      inputIds: encodings.map((e) => cut(e.ids)),
      tokenTypeIds: this.config.ignoresTokenTypeIds ? undefined : encodings.map((e) => cut(e.token_type_ids ?? e.ids.map(() => 0))),
      outputHiddenStates: options.outputHiddenStates,
    });
  }

  /**
   * Sentence embeddings, one Float32Array per text. A sentence-transformers folder's
   * max_seq_length (sentence_bert_config.json) is the limit, and its do_lower_case applies, as
   * in SentenceTransformer.
   */
  embed(texts: string | string[], options: EmbedOptions = {}): Float32Array[] {
    checkOptionNames('embed', options, ['pooling', 'normalize', 'truncation']);
    const st = this.sentenceEmbedding;
    const { pooling, normalize, ...rest } = options;
    // SentenceTransformer lower-cases the texts when its Transformer module says do_lower_case.
    const input = st?.lowerCase ? (typeof texts === 'string' ? texts.toLowerCase() : texts.map((t) => (typeof t === 'string' ? t.toLowerCase() : t))) : texts;
    const out = this.run(input, rest, Math.min(this.maxLength, st?.maxSeqLength ?? Infinity), 'embed');
    return this.model.pool(out, pooling ?? st?.pooling ?? 'mean', normalize ?? st?.normalize ?? true);
  }

  /** Label probabilities of a …ForSequenceClassification checkpoint (e.g. sentiment). */
  classify(texts: string | (string | [string, string])[], options: TruncationOptions = {}): Classification[] {
    checkOptionNames('classify', options, ['truncation']);
    const out = this.forward(texts, options);
    const logits = this.model.logits(out);
    const labels = this.config.id2label ?? [];
    const C = logits.length / out.batch; // classes
    return Array.from({ length: out.batch }, (_, b) => {
      const row = Array.from(logits.subarray(b * C, (b + 1) * C));
      const max = Math.max(...row);
      const e = row.map((x) => Math.exp(x - max));
      const sum = e.reduce((a, x) => a + x, 0);
      const probabilities = Object.fromEntries(e.map((x, i) => [labels[i] ?? `LABEL_${i}`, x / sum]));
      const best = row.indexOf(max);
      return { label: labels[best] ?? `LABEL_${best}`, score: e[best]! / sum, probabilities };
    });
  }

  dispose(): void {
    this.model.dispose();
  }
}
