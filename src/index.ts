// wasm-nlp: NLP kernels on WebAssembly SIMD, with a pure-JS twin for every one.
export { init } from './runtime';
export type { InitOptions, Runtime, RuntimeFeatures, RuntimeTensor } from './runtime';
export type {
  Kernels, Operand, TensorLike, MatmulOptions, SoftmaxOptions, LayerNormOptions, GeluOptions, OutOptions,
} from './kernels/types';
export { jsKernels } from './kernels/js/index';
export { Arena, WASM32_LIMIT_BYTES } from './wasm/arena';
export { Tensor, type DType } from './wasm/tensor';
export type { Features } from './wasm/features';
export type { BuildName } from './wasm/builds';
