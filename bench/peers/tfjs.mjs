// TensorFlow.js (tfjs-core + tfjs-backend-wasm, i.e. XNNPACK) as a benchmark peer, run from Node.
// Weights and the input are tensors created once, so they live in the backend's wasm memory and
// are not uploaded per call (the same as our resident tensors); run() computes the op and reads
// the result with dataSync(), so the timing covers the whole computation plus the copy out.
//
// How the .wasm is found in Node: the package's Node entry (dist/tf-backend-wasm.node.js, CJS)
// embeds the Emscripten glue, which reads the binary with fs.readFileSync from locateFile's path.
// We pass setWasmPaths() the dist/ folder as a plain file-system prefix (no file:// URL, no
// fetch), which is also where it would look by default.
//
// Threads: tfjs-backend-wasm 4.22 hard-codes WASM_HAS_MULTITHREAD_SUPPORT = false under Node
// (tfjs issue #3830), so it loads tfjs-backend-wasm-simd.wasm, which has no pthreads: XNNPACK runs
// on the calling thread whatever setThreadsCount says. `threads` is passed to setThreadsCount
// anyway and the engine reports the count the backend really uses (getThreadsCount()).
// Forcing the flag on (tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true)) does not help: the
// threaded build then starts its pthread workers from blob: URLs, and Node's worker_threads
// refuses them (ERR_WORKER_PATH), so the backend fails to initialise.
//
// One backend per process: the backend (and its thread count) is fixed at first initialisation.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths, setThreadsCount, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);
const WASM_DIR = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep;

let ready; // the promise of this process's backend initialisation

export async function tfjsEngine({ threads = 1 } = {}) {
  if (!ready) {
    ready = (async () => {
      setWasmPaths(WASM_DIR);
      setThreadsCount(threads);
      if (!(await tf.setBackend('wasm'))) throw new Error('tfjsEngine: the wasm backend failed to initialise');
      await tf.ready();
      return threads;
    })();
  }
  const requested = await ready;
  if (requested !== threads) throw new Error(`tfjsEngine: this process already set up tfjs for ${requested} thread(s); use one process per thread count`);

  /** A peer kernel: tensors made once, f(tensors) run under tidy, the output read synchronously. */
  function kernel(tensors, f) {
    return {
      async run() {
        const out = tf.tidy(() => f(tensors));
        const data = out.dataSync();
        out.dispose();
        return data;
      },
      async dispose() {
        for (const t of Object.values(tensors)) t.dispose();
      },
    };
  }

  return {
    name: `tfjs ${tf.version_core} wasm`,
    threads: getThreadsCount(), // what XNNPACK really got (1 in Node, see above)
    requestedThreads: threads,

    /**
     * C = A·B (+ bias) with tf.fused.matMul (the _FusedMatMul kernel: XNNPACK fully-connected with
     * the packed weights cached per weight tensor), as tfjs models run dense layers.
     * transB: tfjs-backend-wasm 4.22 sends transposeB to its own slow loop, not XNNPACK (2.7 vs 33
     * GFLOPS at 128×768×768 here), and with a fused bias that loop gets every row after the first
     * wrong (bench/peers/check.mjs catches it). So by default B (n×k) is transposed once, here,
     * into the k×n layout tfjs Dense layers keep; nativeTransB: true measures the slow path instead
     * (bias then added by a separate tf.add, which is right).
     */
    async matmul({ m, k, n, transB = false, bias, a, b, biasData, nativeTransB = false }) {
      biasData ??= bias && bias !== true ? bias : undefined;
      const native = transB && nativeTransB;
      const t = { a: tf.tensor2d(a, [m, k]), b: native ? tf.tensor2d(b, [n, k]) : transB ? tf.tidy(() => tf.transpose(tf.tensor2d(b, [n, k]))) : tf.tensor2d(b, [k, n]) };
      if (biasData) t.bias = tf.tensor1d(biasData);
      if (native) return kernel(t, ({ a, b, bias }) => (bias ? tf.add(tf.fused.matMul({ a, b, transposeB: true }), bias) : tf.fused.matMul({ a, b, transposeB: true })));
      return kernel(t, ({ a, b, bias }) => tf.fused.matMul({ a, b, bias }));
    },

    /** Row softmax (tf.softmax, last axis: the wasm Softmax kernel); an optional scale multiplies first. */
    async softmax({ rows, cols, x, scale = 1 }) {
      return kernel({ x: tf.tensor2d(x, [rows, cols]) }, ({ x }) => tf.softmax(scale !== 1 ? tf.mul(x, scale) : x));
    },

    /**
     * Layer norm the way tfjs-layers' LayerNormalization computes it: tf.moments over the last axis,
     * then normalise. Not tf.batchNorm (what tfjs-layers ends with): with 1-D gamma/beta it rejects
     * the [rows, 1] statistics (rank check), and with [1, cols] ones the wasm FusedBatchNorm kernel
     * indexes every operand by i % size, so per-row statistics come out wrong. The explicit
     * sub/mul/rsqrt chain is the closest correct path (about 6 passes over x).
     */
    async layerNorm({ rows, cols, x, gamma, beta, eps = 1e-5 }) {
      const t = { x: tf.tensor2d(x, [rows, cols]), gamma: tf.tensor1d(gamma), beta: tf.tensor1d(beta), eps: tf.scalar(eps) };
      return kernel(t, ({ x, gamma, beta, eps }) => {
        const { mean, variance } = tf.moments(x, -1, true);
        const xhat = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
        return tf.add(tf.mul(xhat, gamma), beta);
      });
    },

    /**
     * GELU from elementwise ops (tfjs has no gelu op): erf form 0.5·x·(1 + erf(x/√2)) with tf.erf
     * (the wasm Erf kernel), tanh form 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). Each op is one
     * pass over memory, so this is 4 (erf) or 7 (tanh) passes where a fused kernel makes one.
     */
    async gelu({ n, x, approximate = 'none' }) {
      const t = { x: tf.tensor1d(x), half: tf.scalar(0.5), one: tf.scalar(1), c: tf.scalar(approximate === 'tanh' ? Math.sqrt(2 / Math.PI) : Math.SQRT1_2), k: tf.scalar(0.044715) };
      return kernel(t, ({ x, half, one, c, k }) => {
        const inner = approximate === 'tanh' ? tf.tanh(tf.mul(c, tf.add(x, tf.mul(k, tf.mul(tf.square(x), x))))) : tf.erf(tf.mul(x, c));
        return tf.mul(tf.mul(x, half), tf.add(one, inner));
      });
    },
  };
}
