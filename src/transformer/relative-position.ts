// MPNet's relative position bias (modeling_mpnet.py, MPNetEncoder.compute_position_bias and
// relative_position_bucket, which T5 shares with bidirectional buckets): the distance j − i
// from query i to key j falls in one of `buckets` buckets — half for each direction, exact for
// the nearest distances, logarithmic up to maxDistance — and each bucket has a learned bias per
// head, added to the attention scores of every layer.
import type { EmbeddingTable } from './embedding-table';

/** The bucket of relative position j − i, in f32 arithmetic as torch computes it. */
export function relativeBucket(relative: number, buckets: number, maxDistance: number): number {
  const half = buckets >> 1;
  let n = -relative;
  let bucket = n < 0 ? half : 0;
  n = Math.abs(n);
  const exact = half >> 1;
  if (n < exact) return bucket + n;
  const f32 = Math.fround;
  // torch: (log(n.float() / max_exact) / math.log(max_distance / max_exact) * (half − max_exact)).long()
  const large = exact + Math.trunc(f32(f32(f32(Math.log(f32(n / exact))) / f32(Math.log(maxDistance / exact))) * (half - exact)));
  bucket += Math.min(large, half - 1);
  return bucket;
}

/** The H × T × T bias of a sequence of T positions into out, from the table (buckets × H). */
export function relativePositionBias(table: EmbeddingTable, r: { buckets: number; maxDistance: number }, H: number, T: number, out: Float32Array): void {
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) {
      const row = table.row(relativeBucket(j - i, r.buckets, r.maxDistance));
      for (let h = 0; h < H; h++) out[(h * T + i) * T + j] = row[h]!;
    }
  }
}
