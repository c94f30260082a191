// How work is cut between threads: contiguous ranges whose edges fall on multiples of `align`
// (the GEMM tile width, so every C element belongs to exactly one thread and is summed in the
// same order as on one thread).

/** Splits [0, total) into at most `parts` ranges of about equal size, edges on multiples of align. */
export function splitRange(total: number, parts: number, align: number): [number, number][] {
  const blocks = Math.ceil(total / align);
  const used = Math.max(1, Math.min(parts, blocks));
  const ranges: [number, number][] = [];
  for (let t = 0; t < used; t++) {
    const lo = Math.floor((blocks * t) / used) * align;
    const hi = Math.min(total, Math.floor((blocks * (t + 1)) / used) * align);
    ranges.push([lo, hi]);
  }
  return ranges;
}
