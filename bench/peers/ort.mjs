// onnxruntime-web (wasm execution provider) as a benchmark peer, run from Node. Each kernel is a
// one-operator ONNX model built in memory (onnx-proto.mjs); weights are initializers, so ort
// pre-packs them once at session creation, as it would for a real model.
//
// One thread count per process: ort.env.wasm is read once, when the first session initialises the
// wasm module (the intra-op thread pool is created then, by OrtInit, and shared by all sessions).
// A second ortEngine() with another thread count in the same process throws; run a child process
// per thread count.
//
// How the .wasm is found in Node: the package's "node" export (dist/ort.node.min.mjs) imports
// dist/ort-wasm-simd-threaded.mjs relative to its own import.meta.url, which reads
// dist/ort-wasm-simd-threaded.wasm with node:fs; nothing is fetched and no wasmPaths is needed.
// Threads are Emscripten pthreads on worker_threads (SharedArrayBuffer is always there in Node):
// numThreads 2 really runs on 2 cores (128×768×3072: 17.7 ms → 9.4 ms, CPU/wall 1.0 → 2.0). The
// workers spin between back-to-back runs but go idle once runs stop, so interleaving with other
// engines in the same process is fair; the process still exits on its own.
//
// What each run() times: copying the input into the wasm heap, the kernel, and copying the output
// out (ort-web cannot keep CPU tensors resident), so small shapes carry a fixed overhead.
import * as ort from 'onnxruntime-web';
import { model, node, tensor, valueInfo } from './onnx-proto.mjs';

let configured; // the thread count this process's ort was initialised with

export async function ortEngine({ threads = 1 } = {}) {
  if (configured !== undefined && configured !== threads) {
    throw new Error(`ortEngine: this process already runs ort with ${configured} thread(s); ort.env.wasm is fixed after the first session, use one process per thread count`);
  }
  configured = threads;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.simd = true; // still accepted in 1.30 (true | 'fixed' | 'relaxed'); the only shipped build is SIMD anyway
  ort.env.wasm.proxy = false; // run on this thread: no extra hop through a proxy worker
  ort.env.logLevel = 'error';

  async function session(bytes, feeds, outName) {
    const s = await ort.InferenceSession.create(bytes, {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
    });
    const inputs = Object.fromEntries(Object.entries(feeds).map(([name, [dims, data]]) => [name, new ort.Tensor('float32', data, dims)]));
    return {
      session: s,
      async run() {
        const out = await s.run(inputs);
        const t = out[outName];
        const data = t.data;
        t.dispose?.();
        return data;
      },
      async dispose() {
        for (const t of Object.values(inputs)) t.dispose?.();
        await s.release();
      },
    };
  }

  return {
    name: `ort-web ${ort.env.versions?.web ?? ''} wasm`.trim(),
    threads,

    /**
     * C = A·B (+ bias), A the input (m×k), B (k×n, or n×k when transB) and bias initializers.
     * op 'gemm' (default): one Gemm node, which takes transB natively; it measured the same as
     * MatMul here (34 GFLOPS both at 128×768×3072, 1 thread). 'matmul': MatMul (+Add), with B
     * transposed on the host when transB (what an exporter's constant folding would leave).
     */
    async matmul({ m, k, n, transB = false, bias, a, b, biasData, op = 'gemm' }) {
      biasData ??= bias && bias !== true ? bias : undefined; // accept bias: Float32Array as well
      const inits = [];
      let nodes;
      if (op === 'gemm') {
        inits.push(tensor('b', transB ? [n, k] : [k, n], b));
        if (biasData) inits.push(tensor('bias', [n], biasData));
        nodes = [node('Gemm', biasData ? ['a', 'b', 'bias'] : ['a', 'b'], ['c'], transB ? { transB: 1 } : {})];
      } else {
        inits.push(tensor('b', [k, n], transB ? transpose(b, n, k) : b));
        nodes = [node('MatMul', ['a', 'b'], [biasData ? 'ab' : 'c'])];
        if (biasData) {
          inits.push(tensor('bias', [n], biasData));
          nodes.push(node('Add', ['ab', 'bias'], ['c']));
        }
      }
      const bytes = model({ opset: 17, nodes, initializers: inits, inputs: [valueInfo('a', [m, k])], outputs: [valueInfo('c', [m, n])] });
      return session(bytes, { a: [[m, k], a] }, 'c');
    },

    /**
     * The q8 C = A·B of onnxruntime's quantize_dynamic (tools/make_q8_onnx.py makes the same
     * rewrite of whole models): B quantized here to int8, symmetric, zero point 0, one scale for
     * the tensor (perChannel: one per column of C); A quantized on every run by
     * DynamicQuantizeLinear (uint8, per tensor), then MatMulInteger, Cast to float and a Mul by
     * the product of the scales. With graph optimisation 'all', ort fuses these nodes into its
     * DynamicQuantizeMatMul kernel, as it does in a q8 model. B as in matmul(); no bias.
     */
    async matmulQ8({ m, k, n, transB = false, a, b, perChannel = false }) {
      const { values, scales } = quantizeInt8(transB ? transpose(b, n, k) : b, k, n, perChannel);
      const sDims = perChannel ? [n] : [];
      const nodes = [
        node('DynamicQuantizeLinear', ['a'], ['a_q', 'a_scale', 'a_zp']),
        node('MatMulInteger', ['a_q', 'b_q', 'a_zp', 'b_zp'], ['c_int']),
        node('Cast', ['c_int'], ['c_float'], { to: 1 }),
        node('Mul', ['a_scale', 'b_scale'], ['scales']),
        node('Mul', ['c_float', 'scales'], ['c']),
      ];
      const inits = [tensor('b_q', [k, n], values), tensor('b_scale', sDims, scales), tensor('b_zp', sDims, new Int8Array(perChannel ? n : 1))];
      const bytes = model({ opset: 17, nodes, initializers: inits, inputs: [valueInfo('a', [m, k])], outputs: [valueInfo('c', [m, n])] });
      return session(bytes, { a: [[m, k], a] }, 'c');
    },

    /** Row softmax over the last axis (Softmax-13); an optional scale adds a Mul before it. */
    async softmax({ rows, cols, x, scale = 1 }) {
      const nodes = [];
      const inits = [];
      if (scale !== 1) {
        inits.push(tensor('s', [], [scale]));
        nodes.push(node('Mul', ['x', 's'], ['xs']));
      }
      nodes.push(node('Softmax', [scale !== 1 ? 'xs' : 'x'], ['y'], { axis: -1 }));
      const bytes = model({ opset: 17, nodes, initializers: inits, inputs: [valueInfo('x', [rows, cols])], outputs: [valueInfo('y', [rows, cols])] });
      return session(bytes, { x: [[rows, cols], x] }, 'y');
    },

    /** LayerNormalization-17 over the last axis, gamma and beta as initializers. */
    async layerNorm({ rows, cols, x, gamma, beta, eps = 1e-5 }) {
      const bytes = model({
        opset: 17,
        nodes: [node('LayerNormalization', ['x', 'gamma', 'beta'], ['y'], { axis: -1, epsilon: { f: eps } })],
        initializers: [tensor('gamma', [cols], gamma), tensor('beta', [cols], beta)],
        inputs: [valueInfo('x', [rows, cols])],
        outputs: [valueInfo('y', [rows, cols])],
      });
      return session(bytes, { x: [[rows, cols], x] }, 'y');
    },

    /**
     * GELU as the ONNX Gelu-20 operator (ort-web 1.30 runs it, both approximate 'none' (erf) and
     * 'tanh'). form: 'erf-nodes' builds 0.5·x·(1+erf(x/√2)) from Div/Erf/Add/Mul instead (opset
     * 17, as older exporters do); it measured slower (2.2 vs 1.6 ms at 128×3072, 2 threads).
     */
    async gelu({ n, x, approximate = 'none', form = 'op' }) {
      let bytes;
      if (form === 'op') {
        bytes = model({
          opset: 20,
          nodes: [node('Gelu', ['x'], ['y'], { approximate: approximate === 'tanh' ? 'tanh' : 'none' })],
          inputs: [valueInfo('x', [n])],
          outputs: [valueInfo('y', [n])],
        });
      } else {
        if (approximate === 'tanh') throw new Error('ort gelu: the erf-nodes form is erf only');
        bytes = model({
          opset: 17,
          nodes: [
            node('Div', ['x', 'sqrt2'], ['d']),
            node('Erf', ['d'], ['e']),
            node('Add', ['e', 'one'], ['p']),
            node('Mul', ['x', 'p'], ['xp']),
            node('Mul', ['xp', 'half'], ['y']),
          ],
          initializers: [tensor('sqrt2', [], [Math.SQRT2]), tensor('one', [], [1]), tensor('half', [], [0.5])],
          inputs: [valueInfo('x', [n])],
          outputs: [valueInfo('y', [n])],
        });
      }
      return session(bytes, { x: [[n], x] }, 'y');
    },
  };
}

/**
 * onnxruntime's QInt8 weight quantization (quant_utils: symmetric range [-127, 127], zero point 0,
 * round half to even): B k×n, one scale for all (or per column n).
 */
export function quantizeInt8(b, k, n, perChannel = false) {
  const values = new Int8Array(k * n);
  const scales = new Float32Array(perChannel ? n : 1);
  for (let j = 0; j < scales.length; j++) {
    let amax = 0;
    for (let p = 0; p < k; p++) for (let c = perChannel ? j : 0; c < (perChannel ? j + 1 : n); c++) amax = Math.max(amax, Math.abs(b[p * n + c]));
    scales[j] = amax > 0 ? Math.fround(amax / 127) : 1;
  }
  for (let p = 0; p < k; p++) {
    for (let c = 0; c < n; c++) {
      const v = b[p * n + c] / scales[perChannel ? c : 0];
      let r = Math.round(v);
      if (r - v === 0.5 && r % 2 !== 0) r -= 1; // ties to even, as numpy's rint
      values[p * n + c] = Math.max(-127, Math.min(127, r));
    }
  }
  return { values, scales };
}

function transpose(b, rows, cols) {
  const t = new Float32Array(b.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = b[i * cols + j];
  return t;
}
