// Relative position biases: the distance j − i from query i to key j falls in one of `buckets`
// buckets — exact for the nearest distances, logarithmic up to maxDistance, the last bucket
// beyond — and each bucket has a learned bias per head, added to the attention scores of every
// layer. One formula for two families:
//   MPNet (modeling_mpnet.py, relative_position_bucket): bidirectional, half the buckets for each
//     direction (keys after the query in the upper half);
//   T5 (modeling_t5.py, T5Attention._relative_position_bucket): bidirectional in the encoder (as
//     MPNet's), unidirectional in the decoder, where only max(i − j, 0) counts and every bucket
//     serves the one direction.
import type { EmbeddingTable } from './embedding-table';

export interface RelativeAttention {
  buckets: number;
  maxDistance: number;
}

/** The bucket of relative position j − i, in f32 arithmetic as torch computes it. */
export function relativeBucket(relative: number, buckets: number, maxDistance: number, bidirectional = true): number {
  let bucket = 0, n: number, span = buckets;
  if (bidirectional) {
    span = buckets >> 1;
    if (relative > 0) bucket = span;
    n = Math.abs(relative);
  } else {
    n = Math.max(-relative, 0);
  }
  const exact = span >> 1;
  if (n < exact) return bucket + n;
  const f32 = Math.fround;
  // torch: max_exact + (log(n.float() / max_exact) / math.log(max_distance / max_exact) * (span − max_exact)).long()
  const large = exact + Math.trunc(f32(f32(f32(Math.log(f32(n / exact))) / f32(Math.log(maxDistance / exact))) * (span - exact)));
  return bucket + Math.min(large, span - 1);
}

/**
 * The H × tq × tk bias of queries at positions first … first + tq − 1 against keys at 0 … tk − 1
 * (out[(h·tq + i)·tk + j]), from the table (buckets × H): T5's compute_bias, its rows from the
 * query's position on, as a cached decoding step needs them.
 */
export function relativeBiasRows(table: EmbeddingTable, r: RelativeAttention, H: number,
  q: { first: number; tq: number; tk: number; bidirectional: boolean }, out: Float32Array): void {
  const { first, tq, tk } = q;
  if (out.length !== H * tq * tk) throw new Error(`relativeBiasRows: out holds ${out.length} floats, H · tq · tk is ${H * tq * tk}`);
  if (table.dim !== H) throw new Error(`relativeBiasRows: the table has ${table.dim} columns, one per head (${H}) expected`);
  // The bias depends on j − (first + i) alone: one row of H per distance, from −(first + tq − 1)
  // (row 0) to tk − 1 − first, copied (a table may reuse the array row() returns).
  const distances = tq + tk - 1, byDistance = new Float32Array(distances * H);
  for (let d = 0; d < distances; d++) {
    byDistance.set(table.row(relativeBucket(d - (tq - 1) - first, r.buckets, r.maxDistance, q.bidirectional)).subarray(0, H), d * H);
  }
  for (let h = 0; h < H; h++) {
    for (let i = 0; i < tq; i++) {
      const base = (h * tq + i) * tk, shift = tq - 1 - i;
      for (let j = 0; j < tk; j++) out[base + j] = byDistance[(j + shift) * H + h]!;
    }
  }
}

/** The H × T × T bidirectional bias of a sequence of T positions into out (MPNet's, T5's encoder's). */
export function relativePositionBias(table: EmbeddingTable, r: RelativeAttention, H: number, T: number, out: Float32Array): void {
  relativeBiasRows(table, r, H, { first: 0, tq: T, tk: T, bidirectional: true }, out);
}
