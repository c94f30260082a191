// Tokenizing with offsets, word ids and overflow windows, on @huggingface/tokenizers.
export type { Encoding, Offset } from './encoding';
export { encode, encodeWindows } from './encode';
export type { EncodeOptions, TruncationStrategy, WindowOptions } from './encode';
