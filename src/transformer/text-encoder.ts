// What a user of an encoder checkpoint calls: text in, embeddings or labels out. Tokenization
// is Hugging Face's own tokenizer.json, run by @huggingface/tokenizers.
import type { Tokenizer } from '@huggingface/tokenizers';
import type { EncoderModel, EncoderOutput } from './encoder';

export interface TruncationOptions {
  /**
   * Texts longer than the model's positions: 'error' (the default) refuses them, naming the
   * length; 'truncate' keeps the first maxPositions − 1 tokens and the last one (the [SEP]).
   */
  truncation?: 'error' | 'truncate';
}

export interface EmbedOptions extends TruncationOptions {
  /** 'mean' over the tokens (sentence-transformers, the default) or the 'cls' token. */
  pooling?: 'mean' | 'cls';
  /** L2-normalise (default true). */
  normalize?: boolean;
}

export interface Classification {
  label: string;
  score: number;
  /** Every label's probability (softmax over the logits). */
  probabilities: Record<string, number>;
}

export class TextEncoderModel {
  readonly model: EncoderModel;
  readonly tokenizer: Tokenizer;

  constructor(model: EncoderModel, tokenizer: Tokenizer) {
    this.model = model;
    this.tokenizer = tokenizer;
  }

  get config() {
    return this.model.config;
  }

  /** Raw hidden states for texts (or [text, pair] tuples), padded to the longest. */
  forward(texts: string | (string | [string, string])[], options: { outputHiddenStates?: boolean } & TruncationOptions = {}): EncoderOutput {
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
    const max = this.config.maxPositions;
    const cut = (xs: number[]) => (truncation === 'truncate' && xs.length > max ? [...xs.slice(0, max - 1), xs[xs.length - 1]!] : xs);
    return this.model.forward({
      inputIds: encodings.map((e) => cut(e.ids)),
      tokenTypeIds: encodings.map((e) => cut(e.token_type_ids ?? e.ids.map(() => 0))),
      outputHiddenStates: options.outputHiddenStates,
    });
  }

  /** Sentence embeddings, one Float32Array per text. */
  embed(texts: string | string[], options: EmbedOptions = {}): Float32Array[] {
    return this.model.pool(this.forward(texts, options), options.pooling ?? 'mean', options.normalize ?? true);
  }

  /** Label probabilities of a …ForSequenceClassification checkpoint (e.g. sentiment). */
  classify(texts: string | (string | [string, string])[], options: TruncationOptions = {}): Classification[] {
    const out = this.forward(texts, options);
    const logits = this.model.logits(out);
    const labels = this.config.id2label ?? [];
    const k = logits.length / out.batch;
    return Array.from({ length: out.batch }, (_, b) => {
      const row = Array.from(logits.subarray(b * k, (b + 1) * k));
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
