// Putting a SentencePiece character map in place of the tokenizer library's Precompiled
// normalizer, which only approximates it (NFKC and a few replacements: it turns the zero-width
// joiner of emoji sequences into a space, and maps letters newer than the map). The
// normalizer's other steps and the offsets code (normalize.ts, which calls normalize() cluster
// by cluster and then on the whole text) are unchanged.
import type { Tokenizer } from '@huggingface/tokenizers';
import type { LibNormalizer } from './internals';
import type { PrecompiledCharsmap } from './precompiled';

/** Returns how many Precompiled normalizers were replaced. */
export function patchCharsmap(tokenizer: Tokenizer, charsmap: PrecompiledCharsmap): number {
  let n = 0;
  const visit = (norm: LibNormalizer | null | undefined) => {
    if (!norm) return;
    if (norm.config?.type === 'Sequence') { for (const child of norm.normalizers ?? []) visit(child); return; }
    if (norm.config?.type === 'Precompiled') { norm.normalize = (text: string) => charsmap.normalize(text); n++; }
  };
  visit((tokenizer as unknown as { normalizer: LibNormalizer | null }).normalizer);
  return n;
}
