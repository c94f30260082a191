// The arena and resident tensors: allocation, reuse, growth between calls, the wasm32 limit.
import { describe, expect, test } from 'vitest';
import { Arena, init, jsKernels as js, Tensor, WASM32_LIMIT_BYTES } from '../../src/index';
import { randomArray, rng } from '../kernel-tester';

describe('Arena', () => {
  test('blocks are 64-byte aligned, freed blocks are coalesced and reused', () => {
    const arena = new Arena(new WebAssembly.Memory({ initial: 1 }), 100);
    const a = arena.alloc(10), b = arena.alloc(100), c = arena.alloc(1);
    expect([a, b, c].every((p) => p % 64 === 0)).toBe(true);
    expect(a).toBeGreaterThanOrEqual(100);
    expect(b).toBe(a + 64);
    expect(c).toBe(b + 128);
    arena.release(b);
    arena.release(a);
    // a and b coalesced: a block of 192 fits where they were.
    expect(arena.alloc(192)).toBe(a);
    expect(() => arena.release(12345)).toThrow(/no allocated block at byte offset 12345/);
  });

  test('grows memory when nothing fits, extending the free block at the end', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const arena = new Arena(memory, 64);
    const p = arena.alloc(200_000);
    expect(memory.buffer.byteLength).toBeGreaterThanOrEqual(p + 200_000);
    expect(p).toBe(64);
  });

  test('reserve grows once for what is coming, up to the limit, and never throws', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const arena = new Arena(memory, 64, 40 * 65536);
    arena.reserve(10 * 65536);
    const size = memory.buffer.byteLength;
    expect(size).toBe(11 * 65536); // the first page's free tail counts too, so 10 more pages
    const buffer = memory.buffer;
    for (let i = 0; i < 10; i++) arena.alloc(65536 - 64);
    expect(memory.buffer).toBe(buffer); // no growth: the same ArrayBuffer
    arena.reserve(100 * 65536); // past the limit: grows to it, no error
    expect(memory.buffer.byteLength).toBe(40 * 65536);
    arena.reserve(65536); // room enough: nothing happens
    expect(memory.buffer.byteLength).toBe(40 * 65536);
  });

  test('a request past the limit throws, naming the bytes and the limit, before growing', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const arena = new Arena(memory, 64);
    expect(() => arena.alloc(5 * 2 ** 30)).toThrow(/cannot allocate 5368709120 bytes: .* over its limit of 4294967296 bytes \(wasm32 addresses 4 GiB\)/);
    expect(memory.buffer.byteLength).toBe(65536);
    const small = new Arena(new WebAssembly.Memory({ initial: 1, maximum: 4 }), 64, 4 * 65536);
    expect(() => small.alloc(300_000)).toThrow(/cannot allocate 300032 bytes: .*limit of 262144 bytes/);
    expect(WASM32_LIMIT_BYTES).toBe(2 ** 32);
  });
});

describe('resident tensors', () => {
  test('results stay right when memory grows between two calls, and views are never stale', async () => {
    const rt = await init({ simd: 'baseline' });
    const random = rng(7);
    const A = randomArray(33 * 17, random), B = randomArray(17 * 9, random);
    const a = rt.tensor([33, 17], A), b = rt.tensor([17, 9], B);
    const c = rt.tensor([33, 9]);
    const oldView = a.data;
    const before = rt.arena!.memory.buffer.byteLength;
    rt.kernels.matmul(a, b, { m: 33, k: 17, n: 9, out: c });
    const first = c.data.slice();

    const big = rt.tensor([8 * 1024 * 1024]); // 32 MiB: memory must grow
    expect(rt.arena!.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(oldView.length).toBe(0); // the old buffer was detached...
    expect(a.data.length).toBe(33 * 17); // ...but the tensor's view is made fresh
    expect([...a.data]).toEqual([...A]);

    rt.kernels.matmul(a, b, { m: 33, k: 17, n: 9, out: c });
    expect([...c.data]).toEqual([...first]);
    // A plain-array call that itself grows memory, with a resident operand beside it.
    const x = randomArray(20 * 1024 * 1024, random);
    const y = rt.kernels.add(x, x);
    expect(y[12345]).toBe(x[12345]! * 2);
    expect([...rt.kernels.matmul(a, B, { m: 33, k: 17, n: 9 })]).toEqual([...first]);
    big.free();
  });

  test('resident and plain operands give identical results; out may be either', async () => {
    const rt = await init({ simd: 'baseline' });
    const random = rng(8);
    const X = randomArray(5 * 33, random);
    const x = rt.tensor([5, 33], X);
    const plain = rt.kernels.softmax(X, { rows: 5, cols: 33 });
    const resident = rt.kernels.softmax(x, { rows: 5, cols: 33 });
    expect([...resident]).toEqual([...plain]);

    const outT = rt.tensor([5, 33]);
    const r1 = rt.kernels.gelu(x, { out: outT });
    expect(r1.buffer).toBe(rt.arena!.memory.buffer); // a view of the resident out
    const outA = new Float32Array(5 * 33);
    const r2 = rt.kernels.gelu(X, { out: outA });
    expect(r2).toBe(outA);
    expect([...outT.data]).toEqual([...outA]);
    expectCloseArray([...outA], [...js.gelu(X)], 1e-6);

    // In place: a resident tensor as its own output.
    rt.kernels.scale(2, x, { out: x });
    expect([...x.data]).toEqual([...js.scale(2, X)]);
    // axpy writes into a plain y and returns it.
    const y = new Float32Array(5 * 33).fill(1);
    expect(rt.kernels.axpy(0.5, x, y)).toBe(y);
    expect(y[0]).toBe(Math.fround(1 + 0.5 * x.data[0]!));
  });

  test('tensors are freed back to the arena; a freed tensor refuses use', async () => {
    const rt = await init({ simd: 'baseline' });
    const used = rt.arena!.usedBytes;
    const t = rt.tensor([1000]);
    expect(rt.arena!.usedBytes).toBe(used + 4032);
    t.free();
    expect(rt.arena!.usedBytes).toBe(used);
    expect(() => t.data).toThrow(/used after free/);
    expect(() => new Tensor(rt.arena!, [2, -1], 'f32')).toThrow(/bad tensor shape \[2, -1\]/);
    expect(() => rt.tensor([2], [1, 2, 3])).toThrow('tensor: data has 3 elements, shape [2] holds 2');
    // Staging blocks of a kernel call are all given back.
    rt.kernels.matmul(new Float32Array(6), new Float32Array(6), { m: 2, k: 3, n: 2 });
    expect(rt.arena!.usedBytes).toBe(used);
  });
});

function expectCloseArray(a: number[], b: number[], tol: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(tol);
}

test('a tensor or buffer on reused memory starts at zero', async () => {
  const rt = await init({ simd: 'baseline' });
  const a = rt.buffer('f32', 1000);
  a.data.fill(7);
  a.free();
  const b = rt.buffer('u32', 1000);
  expect(b.data.every((x) => x === 0)).toBe(true);
});
