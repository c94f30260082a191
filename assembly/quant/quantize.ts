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
