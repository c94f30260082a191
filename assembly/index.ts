// The kernels' exports. Every pointer is a byte offset into memory that the façade owns
// (src/wasm/arena.ts); nothing here allocates.
export { matmul } from "./gemm/matmul";
export { packB } from "./gemm/pack";
export { gemm, gemv, gemmScratchFloats } from "./gemm/gemm";
export { activate } from "./gemm/epilogue";
export { softmax } from "./rowops/softmax";
export { layerNorm, addLayerNorm } from "./rowops/layernorm";
export { rmsNorm } from "./rowops/rmsnorm";
export { rotary } from "./rowops/rotary";
export { attention, attentionScratchFloats } from "./attention/attention";
export { gelu } from "./rowops/gelu";
export { exp } from "./rowops/exp";
export { add, mul, dot, axpy, scale } from "./vector/blas1";
export { w2vTrain, w2vTrainQueue } from "./word2vec/train";
export { quantizeRows, quantizeWeightRows } from "./quant/quantize";
export { packQ8 } from "./quant/pack";
export { gemmQ8, gemvQ8, gemmQ8ScratchFloats } from "./quant/gemm";

/** End of the module's static data: the façade's arena starts above it. */
export function heapBase(): usize {
  return __heap_base;
}
