import { matmulArgs, packArgs, packQ8Args, quantizeWeightsArgs } from '../args/matmul';
import { PackedB } from '../packed';
import { columnSums, quantizeWeights } from '../quantize';
import type { MatmulOptions, Operand, PackedMatrix, PackOptions, QuantizedWeights } from '../types';
import { activate } from './activation';
import { quantizeRow } from './quantize';

/** The twin of the WASM weight quantizer: kernels/quantize.ts's quantizeWeights, checked. */
export function quantizeWeightsKernel(b: Operand, options: { k: number; n: number; transB?: boolean }): QuantizedWeights {
  const { k, n, transB, B } = quantizeWeightsArgs(b, options);
  return quantizeWeights(B, k, n, transB);
}

/** C[i,j] = act(bias[j] + Σ_p A[i,p]·B[p,j]); B[j,p] when transB. Sums in f64. */
export function matmul(a: Operand, b: Operand | PackedMatrix, options: MatmulOptions): Float32Array {
  const { m, k, n, transB, A, B, packed, bias, act, out } = matmulArgs(jsOwner, a, b, options);
  if (packed?.q8) return matmulQ8(A, packed.q8, m, k, n, bias, act, out ?? new Float32Array(m * n));
  const Bk = packed ? packed.data! : B!;
  const C = out ?? new Float32Array(m * n);
  const rowStep = transB ? 1 : n, colStep = transB ? k : 1;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = bias ? bias[j]! : 0;
      for (let p = 0; p < k; p++) s += A[i * k + p]! * Bk[p * rowStep + j * colStep]!;
      C[i * n + j] = activate(s, act);
    }
  }
  return C;
}

/**
 * The q8 matmul (see kernels/quantize.ts): each row of A quantized, exact integer sums, then
 * scale_i·scale_j·(Σ q_ip·q_jp − zp_i·Σ_p q_jp) + bias_j in f32, one rounding per operation as
 * the WASM kernels do, then the activation.
 */
function matmulQ8(A: Float32Array, w: { values: Int8Array; scales: Float32Array; colSums: Int32Array },
  m: number, k: number, n: number, bias: Float32Array | undefined, act: number, C: Float32Array): Float32Array {
  const f = Math.fround;
  const qa = new Uint8Array(k);
  for (let i = 0; i < m; i++) {
    const [sa, zp] = quantizeRow(A, i * k, k, qa, 0);
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) acc += qa[p]! * w.values[j * k + p]!;
      const y = f(f(acc - zp * w.colSums[j]!) * f(sa * w.scales[j]!));
      C[i * n + j] = activate(bias ? f(y + bias[j]!) : y, act);
    }
  }
  return C;
}

/** The twin's packing is a plain k×n copy (the reference layout, B as in C = A·B), or for q8 the quantized n×k weights. */
export function packB(b: Operand, options: PackOptions): PackedMatrix {
  const { k, n, transB, dtype, B } = packArgs(b, options);
  if (dtype === 'q8') return packQ8Twin(quantizeWeights(B, k, n, transB), k, n);
  const data = new Float32Array(k * n);
  for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) data[p * n + j] = transB ? B[j * k + p]! : B[p * n + j]!;
  return new PackedB(jsOwner, k, n, 'f32', { data });
}

export function packQ8(w: QuantizedWeights, options: { k: number; n: number }): PackedMatrix {
  const { k, n } = packQ8Args(w, options);
  return packQ8Twin({ values: w.values.slice(), scales: w.scales.slice() }, k, n);
}

function packQ8Twin(w: QuantizedWeights, k: number, n: number): PackedMatrix {
  return new PackedB(jsOwner, k, n, 'q8', { q8: { ...w, colSums: columnSums(w, k, n) } });
}

/** Identifies the twins as the owner of their packed matrices. */
export const jsOwner = {};
