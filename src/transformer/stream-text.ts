// Text pieces from token ids as they are generated, valid UTF-8 at every piece: a byte-level BPE
// token can hold part of a character (an emoji is four bytes, often four tokens), and its decoded
// text then ends in U+FFFD until the rest arrives. Like Hugging Face's TextStreamer, the text so
// far is decoded again at each token and only what is new is given out, but as soon as it no
// longer ends in an incomplete character (TextStreamer waits for a space or a newline).
//
// The pieces concatenate to the decoded text of all the ids, because the decoders of the
// tokenizers in use (byte-level, Metaspace with byte fallback, WordPiece) decode a prefix of the
// ids to a prefix of the whole text, apart from a trailing incomplete character; a decoder that
// rewrote earlier text on a later token (clean_up_tokenization_spaces) would break that.
import type { Tokenizer } from '@huggingface/tokenizers';

export class TextStream {
  private readonly ids: number[] = [];
  /** The decoded text of every id pushed (special tokens skipped). */
  text = '';
  /** How much of `text` has been given out. */
  private emitted = 0;

  constructor(private readonly tokenizer: Tokenizer) {}

  /** Adds a token; returns the text it completes ('' while a character is incomplete, or for a special token). */
  push(id: number): string {
    this.ids.push(id);
    this.text = this.tokenizer.decode(this.ids, { skip_special_tokens: true });
    if (this.text.endsWith('\uFFFD')) return '';
    return this.flush();
  }

  /** The text not yet given out, even an incomplete character (at the end of generation). */
  flush(): string {
    const piece = this.text.slice(this.emitted);
    this.emitted = this.text.length;
    return piece;
  }

  /** How much of the text has been given out (a stop string found before it need not be searched for again). */
  get emittedLength(): number {
    return this.emitted;
  }
}
