import { checkDim, checkOperand, checkOptions } from '../check';
import { PackedB } from '../packed';
import { checkQuantizedWeights, columnSums, quantizeWeights } from '../quantize';
import type { MatmulOptions, Operand, PackedDtype, PackedMatrix, PackOptions, QuantizedWeights } from '../types';
import { activate, activationCode } from './activation';
import { quantizeRow } from './quantize';

/**
 * The checked arguments of a matmul: every array has exactly the size its shape says. A packed
 * B must come from `owner` (the backend doing the call) and fixes k and n.
 */
export function matmulArgs(owner: object, a: Operand, b: Operand | PackedMatrix, options: MatmulOptions) {
  checkOptions('matmul', options);
  const m = checkDim('matmul', 'm', options.m);
  const act = activationCode('matmul', options.activation);
  let k: number, n: number, B: Float32Array | undefined, packed: PackedB | undefined;
  const transB = options.transB === true;
  if (b instanceof PackedB) {
    if (b.owner !== owner) throw new Error('matmul: b was packed by another runtime or backend');
    if (b.freed) throw new Error('matmul: b was freed');
    if (transB) throw new Error('matmul: option transB does not apply to a packed b (it was fixed by packB)');
    k = b.k;
    n = b.n;
    if (options.k !== undefined && options.k !== k) throw new Error(`matmul: option k is ${options.k}, the packed b has k = ${k}`);
    if (options.n !== undefined && options.n !== n) throw new Error(`matmul: option n is ${options.n}, the packed b has n = ${n}`);
    packed = b;
  } else {
    k = checkDim('matmul', 'k', options.k);
    n = checkDim('matmul', 'n', options.n);
    B = checkOperand('matmul', 'b', b, k * n, transB ? 'n·k' : 'k·n');
  }
  const A = checkOperand('matmul', 'a', a, m * k, 'm·k');
  const bias = options.bias === undefined ? undefined : checkOperand('matmul', 'bias', options.bias, n, 'n');
  const out = options.out === undefined ? undefined : checkOperand('matmul', 'out', options.out, m * n, 'm·n');
  if (out && overlaps(out, A, ...(B ? [B] : []))) throw new Error('matmul: out must not overlap a or b');
  return { m, k, n, transB, A, B, packed, bias, act, out };
}

export function packArgs(b: Operand, options: PackOptions) {
  const weights = weightArgs('packB', b, options);
  return { ...weights, dtype: packDtype(options.dtype) };
}

/** The checked arguments of a kernel that takes a weight matrix B: k×n, or n×k with transB. */
function weightArgs(kernel: string, b: Operand, options: { k: number; n: number; transB?: boolean }) {
  checkOptions(kernel, options);
  const k = checkDim(kernel, 'k', options.k);
  const n = checkDim(kernel, 'n', options.n);
  const transB = options.transB === true;
  return { k, n, transB, B: checkOperand(kernel, 'b', b, k * n, transB ? 'n·k' : 'k·n') };
}

const DTYPES: readonly PackedDtype[] = ['f32', 'q8'];

function packDtype(dtype: unknown): PackedDtype {
  if (dtype === undefined) return 'f32';
  if (!DTYPES.includes(dtype as PackedDtype)) throw new Error(`packB: option dtype must be one of ${DTYPES.join(', ')}, got ${String(dtype)}`);
  return dtype as PackedDtype;
}

export function quantizeWeightsArgs(b: Operand, options: { k: number; n: number; transB?: boolean }) {
  return weightArgs('quantizeWeights', b, options);
}

/** The twin of the WASM weight quantizer: kernels/quantize.ts's quantizeWeights, checked. */
export function quantizeWeightsKernel(b: Operand, options: { k: number; n: number; transB?: boolean }): QuantizedWeights {
  const { k, n, transB, B } = quantizeWeightsArgs(b, options);
  return quantizeWeights(B, k, n, transB);
}

export function packQ8Args(w: QuantizedWeights, options: { k: number; n: number }) {
  checkOptions('packQ8', options);
  const k = checkDim('packQ8', 'k', options.k);
  const n = checkDim('packQ8', 'n', options.n);
  checkQuantizedWeights('packQ8', w, k, n);
  return { k, n };
}

export function overlaps(out: Float32Array, ...xs: Float32Array[]): boolean {
  const lo = out.byteOffset, hi = lo + out.byteLength;
  return xs.some((x) => x.buffer === out.buffer && x.byteOffset < hi && lo < x.byteOffset + x.byteLength);
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
