// Rotary position embeddings (RoPE) as Hugging Face's modeling_rope_utils.py computes them: the
// inverse frequencies of a head's rotating pairs (with rope_scaling 'linear' or 'llama3'), and the
// per-row table kernels.rotary reads, [cos_0 … cos_{R/2−1}, sin_0 … sin_{R/2−1}] for a row's
// position. Shape letters: R rotating columns of a head, P positions.
import type { RotaryConfig } from './config';

/**
 * inv_freq (R/2 values, f32 as torch holds them): 1 / θ^(2i/R) (_compute_default_rope_parameters),
 * divided by factor for 'linear' (_compute_linear_scaling_rope_parameters), or banded by wavelength
 * for 'llama3' (_compute_llama3_parameters): wavelengths longer than
 * originalMaxPositions / lowFreqFactor are divided by factor, shorter than
 * originalMaxPositions / highFreqFactor kept, and those between interpolated smoothly.
 */
export function ropeInverseFrequencies(rotary: RotaryConfig): Float32Array {
  const R = rotary.dim, half = R / 2;
  const inv = new Float32Array(half);
  // torch: base ** (arange(0, R, 2).float() / R) in f32, then 1 / that.
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.fround(Math.pow(rotary.theta, Math.fround((2 * i) / R)));
  const s = rotary.scaling;
  if (s?.type === 'linear') {
    for (let i = 0; i < half; i++) inv[i] = inv[i]! / s.factor;
  } else if (s?.type === 'llama3') {
    const lowWavelen = s.originalMaxPositions / s.lowFreqFactor, highWavelen = s.originalMaxPositions / s.highFreqFactor;
    for (let i = 0; i < half; i++) {
      const f = inv[i]!, wavelen = (2 * Math.PI) / f;
      let out = wavelen > lowWavelen ? f / s.factor : f;
      if (!(wavelen < highWavelen) && !(wavelen > lowWavelen)) {
        const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
        out = ((1 - smooth) * out) / s.factor + smooth * out;
      }
      inv[i] = out;
    }
  }
  return inv;
}

/**
 * The rotary table of rows whose positions are `positions` (one per row): rows × R floats, each
 * row [cos(p·f_0) … cos(p·f_{R/2−1}), sin(p·f_0) … sin(p·f_{R/2−1})], the angle p·f rounded to f32
 * as torch's f32 product of inv_freq and position ids is.
 */
export function rotaryTable(inv: Float32Array, positions: ArrayLike<number>, out: Float32Array): Float32Array {
  const half = inv.length, R = 2 * half;
  for (let r = 0; r < positions.length; r++) {
    const p = positions[r]!;
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(p * inv[i]!);
      out[r * R + i] = Math.cos(angle);
      out[r * R + half + i] = Math.sin(angle);
    }
  }
  return out;
}
