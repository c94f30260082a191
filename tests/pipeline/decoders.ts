// The tokenizer decoders tools/pipeline_reference.py uses, in TS, for the fixture tests: they
// stand in for the tokenizer the pipeline would pass (the functions under test only decide which
// tokens or ids to decode and with which flag).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/pipelines/${name}`, import.meta.url)), 'utf8')) as T;
}

const CLEANUP: [string, string][] = [[' .', '.'], [' ?', '?'], [' !', '!'], [' ,', ','], [" ' ", "'"], [" n't", "n't"], [" 'm", "'m"], [" 's", "'s"], [" 've", "'ve"], [" 're", "'re"]];

/** clean_up_tokenization. */
export function cleanup(s: string): string {
  for (const [a, b] of CLEANUP) s = s.split(a).join(b);
  return s;
}

/** tokenizers' WordPiece decoder ("##", cleanup on). */
export function wordpieceDecoder(tokens: string[]): string {
  return tokens.map((t, i) => cleanup(i === 0 ? t : t.startsWith('##') ? t.slice(2) : ` ${t}`)).join('');
}

/** tokenizers' Metaspace decoder ("▁", prepend_scheme always). */
export function metaspaceDecoder(tokens: string[]): string {
  return tokens.map((t, i) => {
    const s = t.split('▁').join(' ');
    return i === 0 && s.startsWith(' ') ? s.slice(1) : s;
  }).join('');
}

/** BERT's decode(ids, skip_special_tokens) over a vocabulary. */
export function bertDecode(vocab: string[], specials: string[]) {
  return (ids: number[], { skipSpecialTokens }: { skipSpecialTokens: boolean }) =>
    cleanup(wordpieceDecoder(ids.map((i) => vocab[i]!).filter((t) => !(skipSpecialTokens && specials.includes(t)))));
}
