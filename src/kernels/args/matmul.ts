// Argument checks of the matmul family (matmul, packB, packQ8, quantizeWeights), shared by the
// WASM backend and the JS twins so both refuse the same inputs with the same message.
import { checkDim, checkOperand, checkOptions } from '../check';
import { PackedB } from '../packed';
import { checkQuantizedWeights } from '../quantize';
import type { Activation, MatmulOptions, Operand, PackedDtype, PackedMatrix, PackOptions, QuantizedWeights } from '../types';

/** The activations in the order of their codes in the WASM kernels (assembly/gemm/epilogue.ts). */
export const ACTIVATIONS: readonly Activation[] = ['none', 'relu', 'gelu', 'gelu_tanh', 'silu'];

/** The activation's code in the WASM kernels (assembly/gemm/epilogue.ts). */
export function activationCode(kernel: string, act: unknown): number {
  const code = ACTIVATIONS.indexOf((act ?? 'none') as Activation);
  if (code < 0) throw new Error(`${kernel}: option activation must be one of ${ACTIVATIONS.join(', ')}, got ${String(act)}`);
  return code;
}

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

export function packQ8Args(w: QuantizedWeights, options: { k: number; n: number }) {
  checkOptions('packQ8', options);
  const k = checkDim('packQ8', 'k', options.k);
  const n = checkDim('packQ8', 'n', options.n);
  checkQuantizedWeights('packQ8', w, k, n);
  return { k, n };
}

/** Whether `out` shares any byte with one of xs. */
export function overlaps(out: Float32Array, ...xs: Float32Array[]): boolean {
  const lo = out.byteOffset, hi = lo + out.byteLength;
  return xs.some((x) => x.buffer === out.buffer && x.byteOffset < hi && lo < x.byteOffset + x.byteLength);
}
