// init(): feature detection, build choice, fallbacks and option errors.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { init, jsKernels } from '../src/index';
import { detectFeatures } from '../src/wasm/features';

const relaxedHere = process.env.WASM_NLP_EXPECT_RELAXED === '1';

afterEach(() => vi.restoreAllMocks());

describe('init', () => {
  test('detects SIMD and shared memory in Node 20, and relaxed SIMD only under the flag', () => {
    const f = detectFeatures();
    expect(f.simd).toBe(true);
    expect(f.sharedMemory).toBe(true);
    expect(f.relaxedSimd).toBe(relaxedHere);
  });

  test(`auto picks the ${relaxedHere ? 'relaxed' : 'plain SIMD'} build here, quietly`, async () => {
    const rt = await init();
    expect(rt.features.backend).toBe('wasm');
    expect(rt.features.build).toBe(relaxedHere ? 'relaxed' : 'simd');
    expect(rt.features.notes).toEqual([]);
  });

  test('simd: "relaxed" is refused with the reason where the engine lacks it, honoured where it has it', async () => {
    if (relaxedHere) expect((await init({ simd: 'relaxed' })).features.build).toBe('relaxed');
    else await expect(init({ simd: 'relaxed' })).rejects.toThrow(/--experimental-wasm-relaxed-simd/);
    expect((await init({ simd: 'baseline' })).features.build).toBe('simd');
  });

  test('threads > 1 selects a threaded build over shared memory', async () => {
    const rt = await init({ threads: 2, simd: 'baseline' });
    expect(rt.features.build).toBe('simd-threads');
    expect(rt.arena!.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  test('backend "js" uses the twins', async () => {
    const rt = await init({ backend: 'js' });
    expect(rt.features.backend).toBe('js');
    expect(rt.features.build).toBe(null);
    expect(rt.kernels).toBe(jsKernels);
    const t = rt.tensor([2, 2], [1, 2, 3, 4]);
    expect([...rt.kernels.matmul(t, t, { m: 2, k: 2, n: 2 })]).toEqual([7, 10, 15, 22]);
  });

  test('without WASM SIMD, auto falls back to the JS twins and says so; "wasm" is refused', async () => {
    vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    const rt = await init();
    expect(rt.features.simd).toBe(false);
    expect(rt.features.backend).toBe('js');
    expect(rt.features.notes.join()).toMatch(/SIMD is missing/);
    await expect(init({ backend: 'wasm' })).rejects.toThrow(/needs WebAssembly SIMD/);
  });

  test('without shared memory, threads fall back to 1 and the note says why', async () => {
    vi.stubGlobal('crossOriginIsolated', false);
    try {
      const rt = await init({ threads: 4, simd: 'baseline' });
      expect(rt.features.sharedMemory).toBe(false);
      expect(rt.features.build).toBe('simd');
      expect(rt.features.notes.join()).toMatch(/cross-origin isolated/);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  test('bad options name the option', async () => {
    await expect(init({ backend: 'gpu' as never })).rejects.toThrow(/option backend/);
    await expect(init({ simd: 'fast' as never })).rejects.toThrow(/option simd/);
    await expect(init({ threads: 0 })).rejects.toThrow(/option threads/);
    await expect(init({ threads: 1.5 })).rejects.toThrow(/option threads/);
    await expect(init({ threads: 257 })).rejects.toThrow('init: option threads must be an integer from 1 to 256, got 257');
    await expect(init({ maxMemoryBytes: 2 ** 33 })).rejects.toThrow(/option maxMemoryBytes/);
  });
});

describe('worker pool', () => {
  test('threads: 2 runs a pool; dispose ends it and a Node process exits by itself', async () => {
    const { execFileSync } = await import('node:child_process');
    const { resolve } = await import('node:path');
    const dist = resolve(__dirname, '../dist/index.js');
    // A child process: init with 2 threads, one large matmul, dispose, and nothing else. If the
    // workers kept it alive, execFileSync would hit its timeout and throw.
    const script = `
      import { init } from ${JSON.stringify(dist)};
      const rt = await init({ threads: 2 });
      const m = 64, k = 512, n = 512;
      const c = rt.kernels.matmul(new Float32Array(m * k).fill(1), new Float32Array(k * n).fill(0.5), { m, k, n });
      console.log(rt.features.threads, c[0], c[m * n - 1]);
      rt.dispose();`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(out.trim()).toBe('2 256 256');
  });

  test('a disposed pool refuses work with a clear error', async () => {
    const rt = await init({ threads: 2, simd: 'baseline' });
    rt.dispose();
    rt.dispose(); // idempotent
    const m = 64, k = 512, n = 512;
    expect(() => rt.kernels.matmul(new Float32Array(m * k), new Float32Array(k * n), { m, k, n })).toThrow('worker pool: used after dispose()');
  });
});

test('a worker that traps makes the call throw, naming the kernel, and the pool stays usable', async () => {
  const { WorkerPool } = await import('../src/wasm/pool');
  const { compileBuild, instantiate } = await import('../src/wasm/builds');
  const module = await compileBuild('simd-threads');
  const memory = new WebAssembly.Memory({ initial: 16, maximum: 64, shared: true });
  const exports = await instantiate(module, memory);
  const pool = await WorkerPool.start(2, module, memory, exports);
  try {
    const past = memory.buffer.byteLength + 4096; // beyond memory: the worker's load traps
    const job = (a: number) => [a, 64, 65536, 131072, 8, 0, 4, 64, 8, 0, 8, 0, 200000];
    expect(() => pool.run('gemm', [undefined, job(past)])).toThrow(/worker pool: a worker failed in gemm/);
    // The same pool still runs a valid job on both threads afterwards.
    pool.run('gemm', [job(70000), job(70000)]);
  } finally {
    pool.dispose();
  }
});
