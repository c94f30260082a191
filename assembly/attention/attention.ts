// Scaled dot-product attention for a range of (batch, head) units:
//   O_h = softmax(Q_h·K_hᵀ·scale + bias_h + mask) · V_h
// Q, K, V, O hold every head side by side, as the projections produce them: element (b, t, h, d)
// of Q at row b·tq + t, column h·dh + d, with ldq floats per row (likewise K, V with tk rows,
// O with tq rows). mask: 0, or batch×tk additive floats (padding: -Infinity or a large
// negative). bias: 0, or heads×tq×tk additive floats, the same for every batch item (T5's and
// MPNet's relative position bias), added to the scaled scores before the mask. causal: query t
// sees keys j ≤ t + (tk − tq) (the last tq of tk positions). window (with causal; 0 for none):
// query t sees only the `window` keys t + (tk − tq) − window < j ≤ t + (tk − tq) (Mistral's
// sliding window). group: query heads per key/value head (grouped-query attention): query head h
// reads K/V head h / group, whose columns are (h / group)·dh in rows of ldk (ldv) floats.
//
// Per unit, K_h and V_h are packed once for the GEMM micro-kernel, then the queries go through
// in blocks of BQ rows: only one BQ×tk block of scores exists at a time. Threads take disjoint
// unit ranges [u0, u1) (heads, then batch items), so results do not depend on the split.
// scratch: attentionScratchFloats(tk, dh) floats.
import { at, hsum, madd } from "../simd";
import { gemm, gemmScratchFloats } from "../gemm/gemm";
import { packB } from "../gemm/pack";
import { NR } from "../gemm/tile";
import { softmaxRow } from "../rowops/softmax";

/** Query rows per block of scores: a multiple of the tile height (4). */
// @ts-ignore: decorator
@inline const BQ: i32 = 60;

@inline function roundUp8(n: i32): i32 {
  return (n + NR - 1) & ~(NR - 1);
}

export function attentionScratchFloats(tk: i32, dh: i32): i32 {
  return dh * roundUp8(tk) + tk * roundUp8(dh) + BQ * tk + gemmScratchFloats();
}

export function attention(
  q: usize, k: usize, v: usize, out: usize,
  heads: i32, tq: i32, tk: i32, dh: i32, ldq: i32, ldk: i32, ldv: i32, ldo: i32,
  scale: f32, mask: usize, bias: usize, causal: bool, group: i32, window: i32, u0: i32, u1: i32, scratch: usize,
): void {
  const kp = scratch;
  const vp = at(kp, dh * roundUp8(tk));
  const scores = at(vp, tk * roundUp8(dh));
  const gemmScratch = at(scores, BQ * tk);
  const shift = tk - tq;
  for (let u = u0; u < u1; u++) {
    const b = u / heads, h = u - b * heads;
    const qh = at(q, b * tq * ldq + h * dh);
    const kvh = h / group;
    const kh = at(k, b * tk * ldk + kvh * dh);
    const vh = at(v, b * tk * ldv + kvh * dh);
    const oh = at(out, b * tq * ldo + h * dh);
    const mb = mask ? at(mask, b * tk) : 0;
    const bh = bias ? at(bias, h * tq * tk) : 0;
    if (tq == 1) {
      const seen = causal ? min(tk, shift + 1) : tk;
      const first = window > 0 ? max(0, seen - window) : 0;
      // Keys before the window are skipped: the row starts at `first`, its mask and bias with it.
      singleQuery(qh, at(kh, first * ldk), at(vh, first * ldv), oh, tk - first, dh, ldk, ldv, scale,
        mb ? at(mb, first) : 0, bh ? at(bh, first) : 0, seen - first, scores);
      continue;
    }
    packB(kh, ldk, kp, dh, tk, true, 0, tk);
    packB(vh, ldv, vp, tk, dh, false, 0, dh);
    for (let i0 = 0; i0 < tq; i0 += BQ) {
      const bq = min(BQ, tq - i0);
      gemm(at(qh, i0 * ldq), ldq, kp, scores, tk, 0, bq, dh, tk, 0, tk, 0, gemmScratch);
      for (let r = 0; r < bq; r++) {
        const seen = causal ? min(tk, max(0, i0 + r + shift + 1)) : tk;
        // A sliding window: the keys before `first` get weight 0, the softmax runs over the rest.
        const first = window > 0 ? max(0, seen - window) : 0;
        const sr = at(scores, r * tk);
        for (let j = 0; j < first; j++) store<f32>(at(sr, j), 0);
        const sw = at(sr, first), mw = mb ? at(mb, first) : 0;
        if (bh) {
          scaleAddBias(sw, at(bh, (i0 + r) * tk + first), seen - first, scale);
          softmaxRow(sw, sw, tk - first, seen - first, 1, mw);
        } else {
          softmaxRow(sw, sw, tk - first, seen - first, scale, mw);
        }
      }
      gemm(scores, tk, vp, at(oh, i0 * ldo), ldo, 0, bq, tk, dh, 0, dh, 0, gemmScratch);
    }
  }
}

/** One query (a decoder step): dot products with each key, softmax, then Σ p_j·v_j. */
function singleQuery(qh: usize, kh: usize, vh: usize, oh: usize, tk: i32, dh: i32, ldk: i32, ldv: i32,
  scale: f32, mb: usize, bh: usize, seen: i32, scores: usize): void {
  for (let j = 0; j < seen; j++) {
    const kj = at(kh, j * ldk);
    let s = f32x4.splat(0);
    let d = 0;
    for (; d + 4 <= dh; d += 4) s = madd(v128.load(at(qh, d)), v128.load(at(kj, d)), s);
    let dot = hsum(s);
    for (; d < dh; d++) dot += load<f32>(at(qh, d)) * load<f32>(at(kj, d));
    store<f32>(at(scores, j), dot);
  }
  if (bh) {
    scaleAddBias(scores, bh, seen, scale);
    softmaxRow(scores, scores, tk, seen, 1, mb);
  } else {
    softmaxRow(scores, scores, tk, seen, scale, mb);
  }
  for (let d = 0; d < dh; d++) store<f32>(at(oh, d), 0);
  for (let j = 0; j < seen; j++) {
    const p = f32x4.splat(load<f32>(at(scores, j)));
    const vj = at(vh, j * ldv);
    let d = 0;
    for (; d + 4 <= dh; d += 4) v128.store(at(oh, d), madd(p, v128.load(at(vj, d)), v128.load(at(oh, d))));
    for (; d < dh; d++) store<f32>(at(oh, d), load<f32>(at(scores, j)) * load<f32>(at(vj, d)) + load<f32>(at(oh, d)));
  }
}

/**
 * The first `seen` scores of a row become score·scale + bias (scale applied here rather than
 * in softmaxRow, so the bias is not scaled; the mask is then added by softmaxRow with scale 1).
 */
function scaleAddBias(sr: usize, br: usize, seen: i32, scale: f32): void {
  const vscale = f32x4.splat(scale);
  let j = 0;
  for (; j + 4 <= seen; j += 4) v128.store(at(sr, j), f32x4.add(f32x4.mul(v128.load(at(sr, j)), vscale), v128.load(at(br, j))));
  for (; j < seen; j++) store<f32>(at(sr, j), load<f32>(at(sr, j)) * scale + load<f32>(at(br, j)));
}
