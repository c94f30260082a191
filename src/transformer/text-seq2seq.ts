// What a user of a translation checkpoint calls: translate(texts) → texts. Tokenization and
// detokenization by the checkpoint's tokenizer.json (@huggingface/tokenizers); generation with
// the checkpoint's own defaults (generation_config.json: Marian checkpoints ask for 4 or 6
// beams), which the caller's options override, as Hugging Face's generate() does.
import type { Tokenizer } from '@huggingface/tokenizers';
import { checkOptionNames } from '../io/option-names';
import { GENERATE_OPTIONS, type GenerateOptions } from './generation';
import type { Seq2SeqModel } from './seq2seq';
import type { TruncationOptions } from './text-encoder';

export type TranslateOptions = GenerateOptions & TruncationOptions;

export class TextSeq2SeqModel {
  readonly kind = 'seq2seq' as const;
  readonly model: Seq2SeqModel;
  readonly tokenizer: Tokenizer;
  /** The checkpoint's generation defaults (numBeams, maxLength, …). */
  readonly generationDefaults: GenerateOptions;

  constructor(model: Seq2SeqModel, tokenizer: Tokenizer, generationDefaults: GenerateOptions = {}) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.generationDefaults = generationDefaults;
  }

  get config() {
    return this.model.config;
  }

  /**
   * Translation of one text or a batch (the output's special tokens removed): numReturnSequences
   * texts per input, one after another, best first. A source longer than the model's positions
   * is refused unless `truncation: 'truncate'`, which keeps its first maxPositions − 1 tokens
   * and its final EOS (the tokenizer's truncation in Hugging Face).
   */
  translate(texts: string | string[], options: TranslateOptions = {}): string[] {
    checkOptionNames('translate', options, [...GENERATE_OPTIONS, 'truncation']);
    const { truncation = 'error', ...generate } = options;
    if (truncation !== 'error' && truncation !== 'truncate') throw new Error(`translate: option truncation must be 'error' or 'truncate', got ${String(truncation)}`);
    const list = typeof texts === 'string' ? [texts] : texts;
    if (!Array.isArray(list) || list.length === 0 || list.some((t) => typeof t !== 'string')) {
      throw new Error('translate: give a text or a non-empty array of texts');
    }
    const max = this.config.maxPositions;
    const ids = list.map((t, i) => {
      const x = this.tokenizer.encode(t).ids;
      if (x.length <= max) return x;
      if (truncation === 'truncate') return [...x.slice(0, max - 1), x[x.length - 1]!];
      throw new Error(`translate: text ${i} has ${x.length} tokens, more than the model's maxPositions (${max}); pass truncation: 'truncate' to cut it`);
    });
    // An option given as undefined keeps the checkpoint's value.
    const set = Object.fromEntries(Object.entries(generate).filter(([, v]) => v !== undefined));
    return this.model.generate(ids, { ...this.generationDefaults, ...set })
      .map((seq) => this.tokenizer.decode(seq, { skip_special_tokens: true }));
  }

  dispose(): void {
    this.model.dispose();
  }
}
