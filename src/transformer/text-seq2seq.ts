// What a user of a translation checkpoint calls: translate(texts) → texts. Tokenization and
// detokenization by the checkpoint's tokenizer.json (@huggingface/tokenizers).
import type { Tokenizer } from '@huggingface/tokenizers';
import type { GenerateOptions, Seq2SeqModel } from './seq2seq';

export class TextSeq2SeqModel {
  readonly model: Seq2SeqModel;
  readonly tokenizer: Tokenizer;

  constructor(model: Seq2SeqModel, tokenizer: Tokenizer) {
    this.model = model;
    this.tokenizer = tokenizer;
  }

  get config() {
    return this.model.config;
  }

  /** Greedy translation of one text or a batch (the output's special tokens removed). */
  translate(texts: string | string[], options: GenerateOptions = {}): string[] {
    const list = typeof texts === 'string' ? [texts] : texts;
    if (!Array.isArray(list) || list.length === 0 || list.some((t) => typeof t !== 'string')) {
      throw new Error('translate: give a text or a non-empty array of texts');
    }
    const ids = list.map((t) => this.tokenizer.encode(t).ids);
    return this.model.generate(ids, options).map((seq) => this.tokenizer.decode(seq, { skip_special_tokens: true }));
  }

  dispose(): void {
    this.model.dispose();
  }
}
