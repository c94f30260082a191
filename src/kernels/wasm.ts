// The WASM backend: the same checks as the JS twins, then the arguments staged into memory and
// one call into the kernels of the loaded build.
import type { Arena } from '../wasm/arena';
import type { KernelExports } from '../wasm/builds';
import { geluArgs } from './js/gelu';
import { layerNormArgs } from './js/layernorm';
import { matmulArgs } from './js/matmul';
import { softmaxArgs } from './js/softmax';
import { elementwiseArgs } from './js/vector';
import { checkNumber } from './check';
import { Staging } from './staging';
import type { Kernels, Operand } from './types';

export function wasmKernels(k: KernelExports, arena: Arena): Kernels {
  /** Runs `body` with a staging area that is always released. */
  function staged<T>(body: (s: Staging) => T): T {
    const s = new Staging(arena);
    try {
      return body(s);
    } finally {
      s.release();
    }
  }

  /** A one-input, one-output elementwise kernel. */
  function unary(x: Operand, X: Float32Array, out: Operand | undefined, O: Float32Array | undefined,
    run: (x: number, out: number, n: number) => void): Float32Array {
    return staged((s) => {
      const px = s.place(x, X);
      const po = out ? s.place(out, O) : s.scratch(X.length);
      s.copyIn();
      run(px, po, X.length);
      return s.result(po, X.length, O);
    });
  }

  return {
    matmul(a, b, options) {
      const { m, k: kk, n, transB, A, B, bias, out } = matmulArgs(a, b, options);
      return staged((s) => {
        const pa = s.place(a, A), pb = s.place(b, B), pbias = s.place(options.bias, bias);
        const pc = out ? s.place(options.out, out) : s.scratch(m * n);
        s.copyIn();
        k.matmul(pa, pb, pc, pbias, m, kk, n, transB ? 1 : 0);
        return s.result(pc, m * n, out);
      });
    },

    softmax(x, options) {
      const { rows, cols, scale, X, mask, maskStride, causal, out } = softmaxArgs(x, options);
      return staged((s) => {
        const px = s.place(x, X), pm = s.place(options.mask, mask);
        const po = out ? s.place(options.out, out) : s.scratch(rows * cols);
        s.copyIn();
        k.softmax(px, po, rows, cols, scale, pm, maskStride, causal ? 1 : 0, cols - rows);
        return s.result(po, rows * cols, out);
      });
    },

    layerNorm(x, options) {
      const { rows, cols, eps, X, gamma, beta, out } = layerNormArgs(x, options);
      return staged((s) => {
        const px = s.place(x, X), pg = s.place(options.gamma, gamma), pb = s.place(options.beta, beta);
        const po = out ? s.place(options.out, out) : s.scratch(rows * cols);
        s.copyIn();
        k.layerNorm(px, pg, pb, po, rows, cols, eps);
        return s.result(po, rows * cols, out);
      });
    },

    gelu(x, options = {}) {
      const { tanh, X, out } = geluArgs(x, options);
      return unary(x, X, options.out, out, (px, po, n) => k.gelu(px, po, n, tanh ? 1 : 0));
    },

    exp(x, options = {}) {
      const { arrays: [X], out } = elementwiseArgs('exp', ['x'], [x], options.out);
      return unary(x, X!, options.out, out, k.exp);
    },

    scale(alpha, x, options = {}) {
      checkNumber('scale', 'alpha', alpha);
      const { arrays: [X], out } = elementwiseArgs('scale', ['x'], [x], options.out);
      return unary(x, X!, options.out, out, (px, po, n) => k.scale(alpha, px, po, n));
    },

    add(a, b, options = {}) {
      const { n, arrays: [A, B], out } = elementwiseArgs('add', ['a', 'b'], [a, b], options.out);
      return staged((s) => {
        const pa = s.place(a, A), pb = s.place(b, B);
        const po = out ? s.place(options.out, out) : s.scratch(n);
        s.copyIn();
        k.add(pa, pb, po, n);
        return s.result(po, n, out);
      });
    },

    dot(a, b) {
      const { n, arrays: [A, B] } = elementwiseArgs('dot', ['a', 'b'], [a, b]);
      return staged((s) => {
        const pa = s.place(a, A), pb = s.place(b, B);
        s.copyIn();
        return k.dot(pa, pb, n);
      });
    },

    axpy(alpha, x, y) {
      checkNumber('axpy', 'alpha', alpha);
      const { n, arrays: [X, Y] } = elementwiseArgs('axpy', ['x', 'y'], [x, y]);
      return staged((s) => {
        const px = s.place(x, X), py = s.place(y, Y);
        s.copyIn();
        k.axpy(alpha, px, py, n);
        return s.result(py, n, Y);
      });
    },
  };
}
