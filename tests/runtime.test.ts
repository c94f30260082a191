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
    await expect(init({ maxMemoryBytes: 2 ** 33 })).rejects.toThrow(/option maxMemoryBytes/);
  });
});
