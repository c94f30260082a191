// Helpers shared by every kernel. One source gives two builds: with --enable relaxed-simd,
// ASC_FEATURE_RELAXED_SIMD is true and madd becomes f32x4.relaxed_madd (one fused instruction
// on FMA hardware); otherwise it is a multiply then an add.

@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Sum of the four lanes, in the order (l0 + l2) + (l1 + l3). The JS twins do not depend on it. */
@inline export function hsum(v: v128): f32 {
  const s = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

@inline export function hmax(v: v128): f32 {
  const s = f32x4.pmax(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return max(f32x4.extract_lane(s, 0), f32x4.extract_lane(s, 1));
}

/** Address of float i of the array at p. */
@inline export function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

/** Lane `lane` (0–3, not a constant) of a float vector. */
@inline export function extract(v: v128, lane: i32): f32 {
  if (lane == 0) return f32x4.extract_lane(v, 0);
  if (lane == 1) return f32x4.extract_lane(v, 1);
  if (lane == 2) return f32x4.extract_lane(v, 2);
  return f32x4.extract_lane(v, 3);
}
