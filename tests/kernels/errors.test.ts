// Bad arguments get the same clear Error from both backends, naming what is wrong, and leave
// nothing allocated.
import { beforeAll, describe, expect, test } from 'vitest';
import { init, jsKernels, type Kernels, type Runtime } from '../../src/index';

let rt: Runtime;
beforeAll(async () => {
  rt = await init({ simd: 'baseline' });
});

const f = (n: number) => new Float32Array(n);

describe.each(['wasm', 'js'])('argument errors (%s)', (backend) => {
  const k = (): Kernels => (backend === 'wasm' ? rt.kernels : jsKernels);

  test('matmul', () => {
    expect(() => k().matmul(f(5), f(6), { m: 2, k: 3, n: 2 })).toThrow('matmul: a has 5 floats, expected m·k = 6');
    expect(() => k().matmul(f(6), f(5), { m: 2, k: 3, n: 2, transB: true })).toThrow('matmul: b has 5 floats, expected n·k = 6');
    expect(() => k().matmul(f(6), f(6), { m: 2, k: 3, n: 2, bias: f(3) })).toThrow('matmul: bias has 3 floats, expected n = 2');
    expect(() => k().matmul(f(6), f(6), { m: 2, k: 3, n: 2, out: f(5) })).toThrow('matmul: out has 5 floats, expected m·n = 4');
    expect(() => k().matmul(f(6), f(6), { m: 2.5, k: 3, n: 2 })).toThrow('matmul: option m must be a non-negative integer, got 2.5');
    expect(() => k().matmul(f(6), f(6), { m: 2, k: -3, n: 2 })).toThrow(/option k/);
    expect(() => k().matmul([1, 2] as never, f(6), { m: 1, k: 2, n: 3 })).toThrow('matmul: a must be a Float32Array or a tensor, got Array');
    expect(() => k().matmul(f(6), f(6), undefined as never)).toThrow('matmul: options object is required');
    const shared = f(8);
    expect(() => k().matmul(shared.subarray(0, 4), f(4), { m: 2, k: 2, n: 2, out: shared.subarray(2, 6) })).toThrow(/out must not overlap/);
  });

  test('row ops and vectors', () => {
    expect(() => k().softmax(f(6), { rows: 2, cols: 4 })).toThrow('softmax: x has 6 floats, expected rows·cols = 8');
    expect(() => k().softmax(f(6), { rows: 2, cols: 3, mask: f(4) })).toThrow('softmax: mask has 4 floats, expected cols = 3');
    expect(() => k().softmax(f(6), { rows: 2, cols: 3, scale: NaN })).toThrow('softmax: option scale must be a finite number, got NaN');
    expect(() => k().layerNorm(f(6), { rows: 2, cols: 3, gamma: f(2) })).toThrow('layerNorm: gamma has 2 floats, expected cols = 3');
    expect(() => k().layerNorm(f(6), { rows: 2, cols: 3, eps: -1 })).toThrow(/option eps must be ≥ 0/);
    expect(() => k().gelu(f(6), { approximate: 'fast' as never })).toThrow(/option approximate/);
    expect(() => k().gelu(f(6), { out: f(5) })).toThrow('gelu: out has 5 floats, expected x.length = 6');
    expect(() => k().add(f(6), f(5))).toThrow('add: b has 5 floats, expected a.length = 6');
    expect(() => k().dot(f(6), f(7))).toThrow('dot: b has 7 floats, expected a.length = 6');
    expect(() => k().axpy(Infinity, f(6), f(6))).toThrow('axpy: alpha must be a finite number, got Infinity');
    expect(() => k().scale(1, null as never)).toThrow('scale: x must be a Float32Array or a tensor, got null');
  });
});

test('a refused call leaves no staging memory behind', () => {
  const used = rt.arena!.usedBytes;
  expect(() => rt.kernels.matmul(f(6), f(5), { m: 2, k: 3, n: 2 })).toThrow();
  expect(rt.arena!.usedBytes).toBe(used);
});
