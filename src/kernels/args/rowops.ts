// Argument checks of the row ops (softmax, layerNorm, addLayerNorm, rmsNorm, rotary, gelu),
// shared by the WASM backend and the JS twins.
import { checkDim, checkNumber, checkOperand, checkOptions, lengthOf } from '../check';
import type { AddLayerNormOptions, GeluOptions, LayerNormOptions, Operand, RmsNormOptions, RotaryOptions, SoftmaxOptions } from '../types';
import { overlaps } from './matmul';

export function softmaxArgs(x: Operand, options: SoftmaxOptions) {
  checkOptions('softmax', options);
  const rows = checkDim('softmax', 'rows', options.rows);
  const cols = checkDim('softmax', 'cols', options.cols);
  const scale = Math.fround(options.scale === undefined ? 1 : checkNumber('softmax', 'option scale', options.scale));
  const X = checkOperand('softmax', 'x', x, rows * cols, 'rows·cols');
  let mask: Float32Array | undefined;
  let maskStride = 0;
  if (options.mask !== undefined) {
    maskStride = lengthOf(options.mask) === rows * cols && rows !== 1 ? cols : 0;
    mask = checkOperand('softmax', 'mask', options.mask, maskStride ? rows * cols : cols, maskStride ? 'rows·cols' : 'cols');
  }
  const out = options.out === undefined ? undefined : checkOperand('softmax', 'out', options.out, rows * cols, 'rows·cols');
  return { rows, cols, scale, X, mask, maskStride, causal: options.causal === true, out };
}

/** What layerNorm and rmsNorm share: rows of x, an eps, gamma, out. */
function normArgs(kernel: string, x: Operand, options: RmsNormOptions, defaultEps: number) {
  checkOptions(kernel, options);
  const rows = checkDim(kernel, 'rows', options.rows);
  const cols = checkDim(kernel, 'cols', options.cols);
  const eps = checkEps(kernel, options.eps, defaultEps);
  const X = checkOperand(kernel, 'x', x, rows * cols, 'rows·cols');
  const gamma = options.gamma === undefined ? undefined : checkOperand(kernel, 'gamma', options.gamma, cols, 'cols');
  const out = options.out === undefined ? undefined : checkOperand(kernel, 'out', options.out, rows * cols, 'rows·cols');
  return { rows, cols, eps, X, gamma, out };
}

export function layerNormArgs(x: Operand, options: LayerNormOptions) {
  const args = normArgs('layerNorm', x, options, 1e-5);
  const beta = options.beta === undefined ? undefined : checkOperand('layerNorm', 'beta', options.beta, args.cols, 'cols');
  return { ...args, beta };
}

export function addLayerNormArgs(x: Operand, residual: Operand, options: AddLayerNormOptions) {
  const args = layerNormArgs(x, options);
  const R = checkOperand('addLayerNorm', 'residual', residual, args.rows * args.cols, 'rows·cols');
  const sumOut = options.sumOut === undefined ? undefined : checkOperand('addLayerNorm', 'sumOut', options.sumOut, args.rows * args.cols, 'rows·cols');
  return { ...args, R, sumOut };
}

export function rmsNormArgs(x: Operand, options: RmsNormOptions) {
  return normArgs('rmsNorm', x, options, 1e-6);
}

/** eps rounded to f32 (as the WASM kernel receives it), finite and ≥ 0. */
function checkEps(kernel: string, eps: unknown, fallback: number): number {
  const e = Math.fround(eps === undefined ? fallback : checkNumber(kernel, 'option eps', eps));
  if (e < 0) throw new Error(`${kernel}: option eps must be ≥ 0, got ${e}`);
  return e;
}

export function rotaryArgs(x: Operand, table: Operand, options: RotaryOptions) {
  checkOptions('rotary', options);
  const rows = checkDim('rotary', 'rows', options.rows);
  const heads = checkDim('rotary', 'heads', options.heads);
  const dHead = checkDim('rotary', 'dHead', options.dHead);
  const rotaryDim = options.rotaryDim === undefined ? dHead : checkDim('rotary', 'rotaryDim', options.rotaryDim);
  if (rotaryDim % 2 !== 0 || rotaryDim > dHead) {
    throw new Error(`rotary: option rotaryDim must be even and at most dHead = ${dHead}, got ${rotaryDim}`);
  }
  const X = checkOperand('rotary', 'x', x, rows * heads * dHead, 'rows·heads·dHead');
  const T = checkOperand('rotary', 'table', table, rows * rotaryDim, 'rows·rotaryDim');
  const out = options.out === undefined ? undefined : checkOperand('rotary', 'out', options.out, rows * heads * dHead, 'rows·heads·dHead');
  // In place is fine (each pair is read before it is written); a shifted overlap is not.
  if (out && !sameRegion(out, X) && overlaps(out, X)) throw new Error('rotary: out must be x itself or not overlap it');
  if (out && overlaps(out, T)) throw new Error('rotary: out must not overlap table');
  return { rows, heads, dHead, rotaryDim, interleaved: options.interleaved === true, X, T, out };
}

function sameRegion(a: Float32Array, b: Float32Array): boolean {
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.length === b.length;
}

export function geluArgs(x: Operand, options: GeluOptions = {}) {
  const approximate = options.approximate ?? 'none';
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new Error(`gelu: option approximate must be 'none' or 'tanh', got ${String(approximate)}`);
  }
  const X = checkOperand('gelu', 'x', x, lengthOf(x), 'its length');
  const out = options.out === undefined ? undefined : checkOperand('gelu', 'out', options.out, X.length, 'x.length');
  return { tanh: approximate === 'tanh', X, out };
}
