// The pure-JS backend: every kernel's readable reference, used where WASM SIMD is missing.
import type { Kernels } from '../types';
import { gelu } from './gelu';
import { attention } from './attention';
import { addLayerNorm, layerNorm } from './layernorm';
import { matmul, packB, packQ8, quantizeWeightsKernel as quantizeWeights } from './matmul';
import { quantizeRows } from './quantize';
import { rmsNorm } from './rmsnorm';
import { rotary } from './rotary';
import { softmax } from './softmax';
import { add, axpy, dot, exp, mul, scale } from './vector';
import { word2vecTrain } from './word2vec';

export const jsKernels: Kernels = {
  matmul, packB, packQ8, quantizeWeights, quantizeRows, attention, softmax, layerNorm, addLayerNorm, rmsNorm, rotary,
  gelu, exp, add, mul, dot, axpy, scale, word2vecTrain,
};
