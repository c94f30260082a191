// The parameter block of one training job (one thread's chunk of the corpus), laid out by the
// façade (src/word2vec/params.ts mirrors these offsets). A block rather than arguments: a job
// has more fields than a worker job slot carries, and it returns its figures in the same place.

// i32 / pointer fields (byte offsets)
// @ts-ignore: decorator
@inline export const P_TOKENS: i32 = 0;        // word ids, -1 ends a sentence
// @ts-ignore: decorator
@inline export const P_NTOKENS: i32 = 4;
// @ts-ignore: decorator
@inline export const P_SYN0: i32 = 8;          // input vectors, V rows of `stride` floats
// @ts-ignore: decorator
@inline export const P_SYN1: i32 = 12;         // output vectors: negatives/softmax (V rows) or inner nodes (V−1 rows)
// @ts-ignore: decorator
@inline export const P_DIM: i32 = 16;
// @ts-ignore: decorator
@inline export const P_STRIDE: i32 = 20;       // floats per row: dim rounded up to 4 (padding stays 0)
// @ts-ignore: decorator
@inline export const P_VOCAB: i32 = 24;
// @ts-ignore: decorator
@inline export const P_WINDOW: i32 = 28;
// @ts-ignore: decorator
@inline export const P_NEGATIVE: i32 = 32;
// @ts-ignore: decorator
@inline export const P_MODEL: i32 = 36;        // 0 skip-gram, 1 CBOW (mean of the context)
// @ts-ignore: decorator
@inline export const P_LOSS: i32 = 40;         // 0 negative sampling, 1 hierarchical softmax, 2 full softmax
// @ts-ignore: decorator
@inline export const P_KEEP: i32 = 44;         // u32 per word: keep when rand < it (0xFFFFFFFF: always)
// @ts-ignore: decorator
@inline export const P_ALIAS_PROB: i32 = 48;   // u32 thresholds of Walker's alias table
// @ts-ignore: decorator
@inline export const P_ALIAS: i32 = 52;        // i32 aliases
// @ts-ignore: decorator
@inline export const P_CODES: i32 = 56;        // u8 Huffman codes, V × maxCode
// @ts-ignore: decorator
@inline export const P_POINTS: i32 = 60;       // i32 inner nodes, V × maxCode
// @ts-ignore: decorator
@inline export const P_CODELEN: i32 = 64;      // u8 per word
// @ts-ignore: decorator
@inline export const P_MAXCODE: i32 = 68;
// @ts-ignore: decorator
@inline export const P_TABLES: i32 = 72;       // sigmoid, then log σ(x), then log σ(−x): 3 × EXP_TABLE_SIZE f32
// @ts-ignore: decorator
@inline export const P_SCRATCH: i32 = 76;      // neu1, neu1e (stride each), sentence (MAX_SENTENCE i32), scores (V f32), negatives (negative i32)
// @ts-ignore: decorator
@inline export const P_SEED: i32 = 80;
// @ts-ignore: decorator
@inline export const P_ALPHA_START: i32 = 84;  // f32
// @ts-ignore: decorator
@inline export const P_ALPHA_END: i32 = 88;    // f32
// @ts-ignore: decorator
@inline export const P_SUBSAMPLE: i32 = 92;    // 0 or 1
// f64 fields
// @ts-ignore: decorator
@inline export const P_WORDS_BEFORE: i32 = 96;  // words of the whole schedule done before this chunk
// @ts-ignore: decorator
@inline export const P_WORDS_TOTAL: i32 = 104;  // epochs × corpus words: alpha reaches alphaEnd there
// outputs (f64)
// @ts-ignore: decorator
@inline export const P_OUT_LOSS: i32 = 112;
// @ts-ignore: decorator
@inline export const P_OUT_WORDS: i32 = 120;
// @ts-ignore: decorator
@inline export const P_OUT_EXAMPLES: i32 = 128;
// @ts-ignore: decorator
@inline export const P_OUT_ALPHA: i32 = 136;
// @ts-ignore: decorator
@inline export const P_SHARED_NEGATIVES: i32 = 144; // i32: skip-gram draws one set of negatives per center word
// @ts-ignore: decorator
@inline export const PARAMS_BYTES: i32 = 152;

// @ts-ignore: decorator
@inline export const EXP_TABLE_SIZE: i32 = 1000;
// @ts-ignore: decorator
@inline export const MAX_EXP: f32 = 6;
// @ts-ignore: decorator
@inline export const MAX_SENTENCE: i32 = 10000;
