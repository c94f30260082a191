// The q8 number format, shared by both backends, the model loader and the checkpoint writer.
//
// Weights: int8 in [−127, 127], symmetric, one f32 scale per output channel (column of C):
//   scale_j = max_p |w_jp| / 127,  q_jp = round(w_jp · (1/scale_j)), in f32 (channelScale).
// Activations: each row of A quantized when the matmul runs, to 7-bit unsigned integers with a
// scale and a zero point (kernels/js/quantize.ts, and its WASM twin assembly/quant/):
//   lo = min(0, min x), hi = max(0, max x), scale = (hi − lo)/127, zp = round(−lo/scale),
//   q = clamp(round(x/scale) + zp, 0, 127).
// Then C_ij = scale_i·scale_j·(Σ_p q_ip·q_jp − zp_i·Σ_p q_jp) + bias_j, the sums exact in int32.
//
// Why 7-bit activations: the relaxed build's i32x4.relaxed_dot_i8x16_i7x16_add_s is defined
// only when one operand's high bit is clear; a 7-bit unsigned activation is that operand, and
// x64's pmaddubsw then never saturates (2·127·127 < 2¹⁵). Why asymmetric: measured on the shipped
// models, rows after GELU are nearly all ≥ −0.17, where a zero point spends all 128 levels on the
// range actually used (see the README's "Quantized models").
// Rounding is to nearest, ties to even, everywhere (f32x4.nearest in WASM).
import type { QuantizedWeights } from './types';

/** Round half to even, as WebAssembly's nearest. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Quantizes B for a 'q8' pack: n output channels of k weights each. transB: b is n×k (a PyTorch
 * Linear weight, out×in); otherwise k×n. A channel of zeros gets scale 1 (scales stay positive).
 */
export function quantizeWeights(b: Float32Array, k: number, n: number, transB: boolean): QuantizedWeights {
  const values = new Int8Array(n * k);
  const scales = new Float32Array(n);
  // Channel j's weights: b[j·k + p] (transB) or b[p·n + j]; one pass for the maximum, one to round.
  const base = transB ? k : 1, step = transB ? 1 : n;
  for (let j = 0; j < n; j++) {
    const first = j * base;
    let amax = 0;
    for (let p = 0, i = first; p < k; p++, i += step) {
      const v = b[i]!;
      if (v > amax) amax = v;
      else if (-v > amax) amax = -v;
    }
    const [scale, inv] = channelScale(amax);
    scales[j] = scale;
    for (let p = 0, i = first, o = j * k; p < k; p++, i += step, o++) {
      const v = Math.fround(b[i]! * inv);
      // Round half to even, inline (this loop sees every weight of a model loaded as q8).
      let r = Math.round(v);
      if (r - v === 0.5 && (r & 1) !== 0) r -= 1;
      values[o] = r > 127 ? 127 : r < -127 ? -127 : r;
    }
  }
  return { values, scales };
}

/**
 * A channel's scale and its inverse, in f32: max|w|/127, with the float32 extremes made safe so
 * that every checkpoint written loads (loadModel wants scales positive with 127·scale finite):
 * a channel too small for a finite 1/scale (zeros, or |w| below about 4e-37) gets scale 1 and
 * weights 0; a scale whose 127 multiple overflows is stepped down to the float below.
 */
export function channelScale(amax: number): [number, number] {
  let scale = Math.fround(amax / 127);
  const bits = new Float32Array(1), word = new Uint32Array(bits.buffer);
  bits[0] = scale;
  while (!Number.isFinite(Math.fround(127 * bits[0]!))) word[0]!--;
  scale = bits[0]!;
  const inv = Math.fround(1 / scale);
  return scale > 0 && Number.isFinite(inv) ? [scale, inv] : [1, 0];
}

/** Σ_p q_jp for each channel: the zero-point correction of the q8 matmul. */
export function columnSums(w: QuantizedWeights, k: number, n: number): Int32Array {
  const sums = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += w.values[j * k + p]!;
    sums[j] = s;
  }
  return sums;
}

/** Checks the arrays of already-quantized weights: sizes and positive finite scales. */
export function checkQuantizedWeights(kernel: string, w: QuantizedWeights, k: number, n: number): void {
  if (!(w?.values instanceof Int8Array)) throw new Error(`${kernel}: values must be an Int8Array`);
  if (!(w.scales instanceof Float32Array)) throw new Error(`${kernel}: scales must be a Float32Array`);
  if (w.values.length !== n * k) throw new Error(`${kernel}: values has ${w.values.length} entries, expected n·k = ${n * k}`);
  if (w.scales.length !== n) throw new Error(`${kernel}: scales has ${w.scales.length} entries, expected n = ${n}`);
  for (let j = 0; j < n; j++) {
    const s = w.scales[j]!;
    if (!(s > 0 && Number.isFinite(s))) throw new Error(`${kernel}: scale ${j} is ${s}; scales must be positive and finite`);
  }
}
