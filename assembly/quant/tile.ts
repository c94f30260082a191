// Tile sizes and layouts of the q8 GEMM (see ../../src/kernels/quantize.ts for the number format).
//
// Packed B (pack.ts): K rounded up to Kp, a multiple of 4; panels of 8 columns, panel P at byte
// P·8·Kp; in a panel, k-group g (k = 4g … 4g+3) at byte 32·g: columns 0–3 in bytes 0–15, then
// columns 4–7, each column's 4 consecutive k values side by side. One 16-byte load is then four
// columns × four k: what i32x4.relaxed_dot_i8x16_i7x16_add_s sums into four i32 lanes.
// After the panels: 8·⌈n/8⌉ f32 column scales, then as many i32 column sums.
//
// Quantized A (quantize.ts, grouped): rows in groups of QMR, group G at byte G·QMR·Kp; in a
// group, k-group g at byte 16·g holding each row's 4 bytes in turn. A group short of QMR rows
// repeats its last row, so the micro-kernel's aliased rows of C get equal values again.
// @ts-ignore: decorator
@inline export const QMR: i32 = 4;
// @ts-ignore: decorator
@inline export const QNR: i32 = 8;
/** M block: QMC·Kp bytes of quantized A (at most 192 KiB) stay in L2 across B's panels. */
// @ts-ignore: decorator
@inline export const QA_BLOCK_BYTES: i32 = 196608;

@inline export function roundUp4(k: i32): i32 {
  return (k + 3) & ~3;
}

@inline export function roundUp8(n: i32): i32 {
  return (n + 7) & ~7;
}

/** Byte offset of the column scales after the panels. */
@inline export function scalesOffset(k: i32, n: i32): usize {
  return <usize>roundUp8(n) * <usize>roundUp4(k);
}

/** Byte offset of the column sums after the scales. */
@inline export function colSumsOffset(k: i32, n: i32): usize {
  return scalesOffset(k, n) + (<usize>roundUp8(n) << 2);
}
