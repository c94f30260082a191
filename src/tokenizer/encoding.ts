// What tokenizing a text (or a text pair) gives: the ids the model reads and, for each token,
// where it came from in the text. Offsets are the tokenizer's own, carried through
// normalization and pre-tokenization, so heads that point into the text (NER entities, QA
// answers) never have to search the text for a word.

/**
 * A [start, end) range of UTF-16 code units in the text a token came from (JS string indices:
 * `text.slice(start, end)`). Hugging Face's Python API counts code points instead; the two agree
 * unless the text has characters beyond U+FFFF (an emoji counts 2 here, 1 there).
 */
export type Offset = [start: number, end: number];

export interface Encoding {
  ids: number[];
  /** The tokenizer library's token strings (an unknown Unigram piece keeps its text; HF writes its unk token). */
  tokens: string[];
  /**
   * Segment ids as the post-processor sets them (0 for the first text, 1 for the pair in BERT);
   * 0 and 1 by text when the tokenizer has no post-processor giving them.
   */
  typeIds: number[];
  /**
   * Each token's range in its own text (the first or the pair); [0, 0] for special tokens.
   * As HF's tokenizers: a token covers the characters its normalized text came from (an
   * accented or CJK character, a ligature, a removed control character inside a word); tokens
   * cut from one character (byte-level pieces of an emoji, "f" and "i" of "ﬁ") share its range;
   * a '▁' that stands for a space covers that space (for a run of spaces collapsed to one, the
   * last); with trim_offsets (RoBERTa, GPT-2-style ByteLevel) the spaces at a token's ends are
   * left out, and a token of spaces only is an empty range at its end; an added token with
   * lstrip/rstrip covers the whitespace it strips. Where this differs from released HF: a '▁'
   * (or ByteLevel prefix space) that the pre-tokenizer prepended is an empty range where its
   * word starts, not the word's first character (huggingface/tokenizers#1775); a combining mark
   * removed at the end of a word stays in the word's range.
   */
  offsets: Offset[];
  /** 0 for tokens of the first text, 1 for the pair's, null for special tokens. */
  sequenceIds: (0 | 1 | null)[];
  /**
   * The word (pre-token) each token belongs to, counted within its text from 0; null for
   * special tokens. Tokens of one word share it (WordPiece's "##" pieces, BPE's merges). Words
   * are HF's pre-token splits: an added token found in the text is one; with Metaspace each '▁'
   * starts one; with ByteLevel a run of spaces the GPT-2 split isolates is one.
   */
  wordIds: (number | null)[];
  /** 1 for tokens the post-processor added ([CLS], [SEP], <s>, </s>), else 0. */
  specialTokensMask: number[];
}
