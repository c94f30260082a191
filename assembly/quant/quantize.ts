// Dynamic quantization of activation rows, one scale and zero point per row (the format is in
// ../../src/kernels/quantize.ts; the JS twin is src/kernels/js/quantize.ts, operation for
// operation, so both give the same bytes). Plain multiplies and adds only, never relaxed_madd:
// the integers must not depend on the build.
import { at, extract } from "../simd";
import { QMR, roundUp4 } from "./tile";

/**
 * Quantizes rows × cols floats of x (ldx floats per row) to 7-bit unsigned bytes, with each
 * row's f32 scale and i32 zero point at scales and zeroPoints. grouped = 0: row r at out + r·ldo
 * bytes; grouped = 1: the micro-kernel's layout (tile.ts), the pad of K and of the last group
 * filled (scales and zero points of the pad rows too).
 */
export function quantizeRows(x: usize, ldx: i32, rows: i32, cols: i32, out: usize, ldo: i32, scales: usize, zeroPoints: usize, grouped: i32): void {
  const kp = roundUp4(cols);
  const padded = grouped ? (rows + QMR - 1) / QMR * QMR : rows;
  for (let r = 0; r < padded; r++) {
    const src = at(x, min(r, rows - 1) * ldx);
    let lo: f32 = 0, hi: f32 = 0;
    let vlo = f32x4.splat(0), vhi = f32x4.splat(0);
    let p = 0;
    for (; p + 4 <= cols; p += 4) {
      const v = v128.load(at(src, p));
      vlo = f32x4.pmin(vlo, v);
      vhi = f32x4.pmax(vhi, v);
    }
    for (let l = 0; l < 4; l++) {
      const a = extract(vlo, l), b = extract(vhi, l);
      if (a < lo) lo = a;
      if (b > hi) hi = b;
    }
    for (; p < cols; p++) {
      const v = load<f32>(at(src, p));
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const range = hi - lo;
    const scale: f32 = range > 0 ? range / 127 : 1;
    const inv: f32 = 1 / scale;
    const zp = level(-lo * inv, 0);
    store<f32>(at(scales, r), scale);
    store<i32>(zeroPoints + (<usize>r << 2), zp);

    const vinv = f32x4.splat(inv), vzp = i32x4.splat(zp);
    const group = out + <usize>(r / QMR) * QMR * kp + (r % QMR) * 4;
    const dst = grouped ? group : out + <usize>r * ldo;
    // byte p of the row goes to dst + offset(p): contiguous, or 4 bytes every 16 when grouped.
    p = 0;
    for (; p + 16 <= cols; p += 16) {
      const q0 = level4(v128.load(at(src, p)), vinv, vzp);
      const q1 = level4(v128.load(at(src, p + 4)), vinv, vzp);
      const q2 = level4(v128.load(at(src, p + 8)), vinv, vzp);
      const q3 = level4(v128.load(at(src, p + 12)), vinv, vzp);
      const bytes = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3));
      if (grouped) {
        const d = dst + (<usize>p << 2);
        v128.store32_lane(d, bytes, 0);
        v128.store32_lane(d, bytes, 1, 16);
        v128.store32_lane(d, bytes, 2, 32);
        v128.store32_lane(d, bytes, 3, 48);
      } else {
        v128.store(dst + p, bytes);
      }
    }
    // Grouped, the pad of K is written as zeros; plain rows (ldo may be cols) end at cols, since
    // B's pad weights are zero whatever A holds there.
    const end = grouped ? kp : cols;
    for (; p < end; p++) {
      const q = p < cols ? level(load<f32>(at(src, p)) * inv, zp) : 0;
      store<u8>(grouped ? dst + ((<usize>p >> 2) << 4) + (p & 3) : dst + p, <u8>q);
    }
  }
}

/** round(v) (ties to even), NaN as 0, clamped to ±255, plus zp, into [0, 127]: level4's lane 0. */
@inline function level(v: f32, zp: i32): i32 {
  return i32x4.extract_lane(level4(f32x4.splat(v), f32x4.splat(1), i32x4.splat(zp)), 0);
}

@inline function level4(x: v128, inv: v128, zp: v128): v128 {
  let t = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(x, inv)));
  t = i32x4.min_s(i32x4.max_s(t, i32x4.splat(-255)), i32x4.splat(255));
  return i32x4.min_s(i32x4.max_s(i32x4.add(t, zp), i32x4.splat(0)), i32x4.splat(127));
}

/**
 * Quantizes the rows [n0, n1) of w (n×k f32, row j the weights of output channel j) to int8:
 * scale_j = max|w_j|/127 (1 for a row of zeros), q = clamp(round(w·(1/scale_j)), ±127), into
 * out (n×k bytes) and scales. The twin is quantizeWeights in src/kernels/quantize.ts.
 */
export function quantizeWeightRows(w: usize, out: usize, scales: usize, k: i32, n0: i32, n1: i32): void {
  for (let j = n0; j < n1; j++) {
    const row = at(w, j * k);
    const dst = out + <usize>j * k;
    let vmax = f32x4.splat(0);
    let p = 0;
    for (; p + 4 <= k; p += 4) vmax = f32x4.pmax(vmax, f32x4.abs(v128.load(at(row, p))));
    let amax: f32 = 0;
    for (let l = 0; l < 4; l++) amax = max(amax, extract(vmax, l));
    for (; p < k; p++) amax = max(amax, abs(load<f32>(at(row, p))));
    // channelScale (src/kernels/quantize.ts): 127·scale finite, 1/scale finite or the row all 0.
    let scale: f32 = amax / 127;
    while (!isFinite<f32>(scale * 127)) scale = reinterpret<f32>(reinterpret<u32>(scale) - 1);
    let inv: f32 = 1 / scale;
    if (!(scale > 0) || !isFinite<f32>(inv)) {
      scale = 1;
      inv = 0;
    }
    store<f32>(at(scales, j), scale);
    const vinv = f32x4.splat(inv);
    p = 0;
    for (; p + 16 <= k; p += 16) {
      const q0 = weightLevel4(v128.load(at(row, p)), vinv), q1 = weightLevel4(v128.load(at(row, p + 4)), vinv);
      const q2 = weightLevel4(v128.load(at(row, p + 8)), vinv), q3 = weightLevel4(v128.load(at(row, p + 12)), vinv);
      v128.store(dst + p, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3)));
    }
    for (; p < k; p++) store<i8>(dst + p, <i8>i32x4.extract_lane(weightLevel4(f32x4.splat(load<f32>(at(row, p))), vinv), 0));
  }
}

/** round(w·inv), ties to even, clamped to ±127. */
@inline function weightLevel4(w: v128, inv: v128): v128 {
  const t = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(w, inv)));
  return i32x4.min_s(i32x4.max_s(t, i32x4.splat(-127)), i32x4.splat(127));
}
