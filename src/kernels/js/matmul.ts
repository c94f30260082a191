import { checkDim, checkOperand, checkOptions } from '../check';
import type { MatmulOptions, Operand } from '../types';

/** The checked arguments of a matmul: every array has exactly the size its shape says. */
export function matmulArgs(a: Operand, b: Operand, options: MatmulOptions) {
  checkOptions('matmul', options);
  const m = checkDim('matmul', 'm', options.m);
  const k = checkDim('matmul', 'k', options.k);
  const n = checkDim('matmul', 'n', options.n);
  const transB = options.transB === true;
  const A = checkOperand('matmul', 'a', a, m * k, 'm·k');
  const B = checkOperand('matmul', 'b', b, k * n, transB ? 'n·k' : 'k·n');
  const bias = options.bias === undefined ? undefined : checkOperand('matmul', 'bias', options.bias, n, 'n');
  const out = options.out === undefined ? undefined : checkOperand('matmul', 'out', options.out, m * n, 'm·n');
  if (out && (out.buffer === A.buffer || out.buffer === B.buffer) && overlaps(out, A, B)) {
    throw new Error('matmul: out must not overlap a or b');
  }
  return { m, k, n, transB, A, B, bias, out };
}

function overlaps(out: Float32Array, ...xs: Float32Array[]): boolean {
  const lo = out.byteOffset, hi = lo + out.byteLength;
  return xs.some((x) => x.buffer === out.buffer && x.byteOffset < hi && lo < x.byteOffset + x.byteLength);
}

/** C[i,j] = Σ_p A[i,p]·B[p,j] (+ bias[j]); B[j,p] when transB. Sums in f64. */
export function matmul(a: Operand, b: Operand, options: MatmulOptions): Float32Array {
  const { m, k, n, transB, A, B, bias, out } = matmulArgs(a, b, options);
  const C = out ?? new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = bias ? bias[j]! : 0;
      if (transB) for (let p = 0; p < k; p++) s += A[i * k + p]! * B[j * k + p]!;
      else for (let p = 0; p < k; p++) s += A[i * k + p]! * B[p * n + j]!;
      C[i * n + j] = s;
    }
  }
  return C;
}
