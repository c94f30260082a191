// The pure-JS backend: every kernel's readable reference, used where WASM SIMD is missing.
import type { Kernels } from '../types';
import { gelu } from './gelu';
import { layerNorm } from './layernorm';
import { matmul } from './matmul';
import { softmax } from './softmax';
import { add, axpy, dot, exp, scale } from './vector';

export const jsKernels: Kernels = { matmul, softmax, layerNorm, gelu, exp, add, dot, axpy, scale };
