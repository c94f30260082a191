// Tile and block sizes of the packed GEMM (see microkernel.ts for why 4×8).
// @ts-ignore: decorator
@inline export const MR: i32 = 4;
// @ts-ignore: decorator
@inline export const NR: i32 = 8;
/** K block: a panel of B (KC×8 floats = 8 KiB) stays in L1 while the row tiles of A pass. */
// @ts-ignore: decorator
@inline export const KC: i32 = 256;
/** M block: A packed once per block (MC×KC floats = 240 KiB) stays in L2 across B's panels. */
// @ts-ignore: decorator
@inline export const MC: i32 = 240;

/** How a tile's accumulators start. */
// @ts-ignore: decorator
@inline export const INIT_ZERO: i32 = 0;
// @ts-ignore: decorator
@inline export const INIT_BIAS: i32 = 1;
// @ts-ignore: decorator
@inline export const INIT_C: i32 = 2;
