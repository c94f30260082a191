// Hugging Face's convert_tokens_to_string for a fast tokenizer: the tokenizer.json decoder run
// over token strings (the NER pipeline builds its words so). The library's decoder serves, but
// for ByteLevel, where it differs from HF's: HF's decoder maps a token's characters back to
// bytes only when every one of them is in GPT-2's byte alphabet, and otherwise keeps the
// token's own UTF-8 (words already decoded, with plain spaces, pass through); the library maps
// unknown characters to byte 0.
import type { Tokenizer } from '@huggingface/tokenizers';
import { internals, type Json } from './internals';

/** GPT-2's bytes_to_unicode, reversed: the printable character that stands for each byte → the byte. */
const BYTE_OF_CHAR: ReadonlyMap<string, number> = (() => {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const map = new Map<string, number>();
  let shifted = 0;
  for (let b = 0; b < 256; b++) map.set(String.fromCodePoint(printable(b) ? b : 256 + shifted++), b);
  return map;
})();

export function convertTokensToString(tokenizer: Tokenizer, tokens: string[]): string {
  const decoder = internals(tokenizer).tokenizer['decoder'] as Json | null | undefined;
  if (decoder && typeof decoder === 'object' && decoder.type === 'ByteLevel') return byteLevelDecode(tokens);
  const decode = (tokenizer as unknown as { decoder: ((tokens: string[]) => string) | null }).decoder;
  return decode ? decode(tokens) : tokens.join(' ');
}

function byteLevelDecode(tokens: string[]): string {
  const bytes: number[] = [];
  const utf8 = new TextEncoder();
  for (const token of tokens) {
    const chars = [...token];
    if (chars.every((c) => BYTE_OF_CHAR.has(c))) for (const c of chars) bytes.push(BYTE_OF_CHAR.get(c)!);
    else bytes.push(...utf8.encode(token));
  }
  // String::from_utf8_lossy: invalid sequences become U+FFFD, as TextDecoder's default.
  return new TextDecoder().decode(Uint8Array.from(bytes));
}
