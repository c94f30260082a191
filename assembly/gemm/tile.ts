// Tile sizes of the packed GEMM, fixed at compile time. The relaxed build keeps a 6×8 tile of C
// in 12 registers (relaxed_madd needs no temporary); the plain build takes 5×8, since its
// separate multiply needs a 13th-15th register and 6×8 spilled (measured in V8 on x64).
// @ts-ignore: decorator
@inline export const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 5;
// @ts-ignore: decorator
@inline export const NR: i32 = 8;
/** K block: a panel of B (KC×8 floats = 8 KiB) stays in L1 while every row tile of A passes. */
// @ts-ignore: decorator
@inline export const KC: i32 = 256;
/** M block: the rows of A one K block reads (MC×KC floats = 240 KiB) stay in L2. */
// @ts-ignore: decorator
@inline export const MC: i32 = 240;

/** How a tile's accumulators start. */
// @ts-ignore: decorator
@inline export const INIT_ZERO: i32 = 0;
// @ts-ignore: decorator
@inline export const INIT_BIAS: i32 = 1;
// @ts-ignore: decorator
@inline export const INIT_C: i32 = 2;
