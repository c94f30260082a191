// Faults in the worker pool: a kernel that traps in a worker, a worker whose thread ends
// while it holds its share of a GEMM or of a word2vec batch, a worker terminated from outside,
// and one that does not run (as when the OS deschedules it). The call in progress throws an Error naming the kernel and the worker, never hangs
// and never returns a partial result; the pool then runs the lost worker's share on the
// calling thread, so later results are bitwise those of one thread. The tests' timeouts are
// only a guard against hangs (a hang was the behaviour before), not speed assertions.
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { init, Word2Vec, type Runtime } from '../../src/index';
import { workerPoolOf } from '../../src/runtime';
import type { WorkerPool } from '../../src/wasm/pool';
import { randomArray, rng } from '../kernel-tester';

const simd = process.env.WASM_NLP_EXPECT_RELAXED === '1' ? 'relaxed' : 'baseline';
const HANG_GUARD = 60_000;

// A GEMM split across every thread (0.27 GFLOP).
const m = 256, k = 512, n = 1024;
const random = rng(3);
const a = randomArray(m * k, random), b = randomArray(k * n, random);

let want: Float32Array;
beforeAll(async () => {
  const one = await init({ simd, threads: 1 });
  want = one.kernels.matmul(a, one.kernels.packB(b, { k, n }), { m });
});

/** Bitwise equality, naming the first element that differs (toEqual is slow on 256k floats). */
function expectBitwise(got: Float32Array, expected: Float32Array): void {
  expect(got.length).toBe(expected.length);
  const x = new Uint32Array(got.buffer, got.byteOffset, got.length), y = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const i = x.findIndex((v, j) => v !== y[j]);
  expect(i, i < 0 ? '' : `element ${i}: ${got[i]} against ${expected[i]}`).toBe(-1);
}

async function pooled(threads: number): Promise<{ rt: Runtime; pool: WorkerPool }> {
  const rt = await init({ simd, threads, minParallelFlops: 0 });
  const pool = workerPoolOf(rt);
  if (!pool) throw new Error('no worker pool');
  return { rt, pool };
}

describe('a GEMM', () => {
  let rt: Runtime, pool: WorkerPool;
  // B packed beforehand, so that the calls below are GEMMs alone.
  let gemm: () => Float32Array;
  beforeEach(async () => {
    ({ rt, pool } = await pooled(3));
    const packed = rt.kernels.packB(b, { k, n });
    gemm = () => rt.kernels.matmul(a, packed, { m });
  });
  afterEach(() => rt.dispose());

  test('a kernel that traps in a worker: the call throws with the trap; the worker stays', () => {
    // Only worker 2 gets an A beyond memory, so only its loads trap.
    const past = rt.arena!.memory.buffer.byteLength + 4096;
    const job = (pa: number) => [pa, 64, 65536, 131072, 8, 0, 4, 64, 8, 0, 8, 0, 200000];
    expect(() => pool.run('gemm', [job(70000), job(70000), job(past)]))
      .toThrow(/^worker pool: a worker failed in gemm: worker 2: RuntimeError: memory access out of bounds$/);
    expect(pool.lost).toEqual([]);
    expectBitwise(gemm(), want);
  }, HANG_GUARD);

  test('a worker whose thread ends holding its share: the call throws, later calls give the one-thread result', () => {
    void pool.injectFault(1, 'exit');
    expect(() => gemm()).toThrow(/^worker pool: worker 1 stopped \(its thread ended\) during gemm/);
    expect(pool.lost).toEqual([1]);
    // Worker 2 carries on; worker 1's share now runs on the caller.
    expectBitwise(gemm(), want);
    expectBitwise(gemm(), want);
  }, HANG_GUARD);

  test('every worker lost: the caller runs it all', async () => {
    await pool.injectFault(1, 'terminate');
    void pool.injectFault(2, 'exit');
    expect(() => gemm()).toThrow(/worker 2 stopped \(its thread ended\) during gemm/);
    expect(pool.lost).toEqual([1, 2]);
    expectBitwise(gemm(), want);
  }, HANG_GUARD);

  test('terminate() from outside between calls: the next call runs the share on the caller', async () => {
    await pool.injectFault(2, 'terminate');
    expect(pool.lost).toEqual([2]);
    expectBitwise(gemm(), want);
  }, HANG_GUARD);

  test('dispose() after a loss still ends the pool; later calls say it is disposed', async () => {
    void pool.injectFault(1, 'exit');
    expect(() => gemm()).toThrow(/worker 1 stopped/);
    rt.dispose();
    expect(() => gemm()).toThrow('worker pool: used after dispose()');
  }, HANG_GUARD);

  test('a worker that is not running (descheduled) does not hold up a call: the others take its chunks', async () => {
    await pool.injectFault(1, 'stall');
    try {
      expectBitwise(gemm(), want);
      expect(pool.joinedLastCall(1)).toBe(false);
      expectBitwise(gemm(), want);
      expect(pool.joinedLastCall(1)).toBe(false);
    } finally {
      await pool.injectFault(1, 'resume');
    }
    expectBitwise(gemm(), want);
    expect(pool.lost).toEqual([]);
  }, HANG_GUARD);

  test('the hook refuses a worker that does not exist', async () => {
    await expect(pool.injectFault(3, 'exit')).rejects.toThrow('worker pool: no worker 3');
    await expect(pool.injectFault(0, 'terminate')).rejects.toThrow('worker pool: no worker 0');
  });
});

describe('word2vec training on two threads', () => {
  // About 8 chunks of 2^16 words: 4 batches of 2 per epoch.
  const words = ['the', 'king', 'queen', 'man', 'woman', 'rules', 'sees', 'castle', 'river', 'city', 'and'];
  const text = Array.from({ length: 8000 }, () =>
    Array.from({ length: 64 }, () => words[Math.floor(words.length * random() ** 2)]).join(' ')).join('\n');
  const options = { dim: 16, minCount: 1, epochs: 2, seed: 9 };
  let rt: Runtime, pool: WorkerPool;
  beforeEach(async () => ({ rt, pool } = await pooled(2)));
  afterEach(() => rt.dispose());

  test('a worker whose thread ends mid-training: train() rejects naming w2vTrain; the runtime trains on', async () => {
    let batches = 0;
    await expect(Word2Vec.train(text, {
      ...options, threads: 2, runtime: rt,
      onProgress: () => { if (++batches === 2) void pool.injectFault(1, 'exit'); },
    })).rejects.toThrow(/^worker pool: worker 1 stopped \(its thread ended\) during w2vTrain/);
    expect(batches).toBe(2);
    expect(pool.lost).toEqual([1]);
    // Two threads asked, one left: each batch's second chunk runs on the caller after the
    // first, which is the order one thread trains in, so the vectors are one thread's, bitwise.
    const after = await Word2Vec.train(text, { ...options, threads: 2, runtime: rt });
    const oneThread = await Word2Vec.train(text, { ...options, threads: 1, runtime: rt });
    expectBitwise(after.vectors, oneThread.vectors);
  }, HANG_GUARD);

  test('a worker that is not running (descheduled): the caller trains the whole queue, as one thread would', async () => {
    await pool.injectFault(1, 'stall');
    try {
      const stalled = await Word2Vec.train(text, { ...options, threads: 2, runtime: rt });
      expect(pool.joinedLastCall(1)).toBe(false);
      const oneThread = await Word2Vec.train(text, { ...options, threads: 1, runtime: rt });
      expectBitwise(stalled.vectors, oneThread.vectors);
    } finally {
      await pool.injectFault(1, 'resume');
    }
  }, HANG_GUARD);

  test('a worker terminated from outside mid-training: train() settles, never hangs', async () => {
    // terminate() ends the thread a moment later: if that lands in a batch, the batch throws;
    // if between two, the next batch already knows and runs the share on the caller.
    let batches = 0;
    const outcome = await Word2Vec.train(text, {
      ...options, threads: 2, runtime: rt,
      onProgress: () => { if (++batches === 2) void pool.injectFault(1, 'terminate'); },
    }).then((model) => model, (e: Error) => e);
    console.log(`terminated mid-training: ${outcome instanceof Error ? 'the batch in progress threw' : 'the next batch ran the share on the caller'}`);
    if (outcome instanceof Error) expect(outcome.message).toMatch(/^worker pool: worker 1 stopped \(its thread ended\) during w2vTrain/);
    else expect(outcome.lossPerEpoch.every(Number.isFinite)).toBe(true);
    expect(pool.lost).toEqual([1]);
  }, HANG_GUARD);
});

test('a pool never keeps a Node process alive, even without dispose()', async () => {
  const { execFileSync } = await import('node:child_process');
  const { resolve } = await import('node:path');
  const dist = resolve(__dirname, '../../dist/index.js');
  // A child process (the built package): 3 threads, a GEMM, and no dispose(). If the workers
  // (or the watchdog) kept it alive, execFileSync would hit its timeout and throw.
  const script = `
    import { init } from ${JSON.stringify(dist)};
    const rt = await init({ threads: 3 });
    const m = 64, k = 512, n = 512;
    const c = rt.kernels.matmul(new Float32Array(m * k).fill(1), new Float32Array(k * n).fill(0.5), { m, k, n });
    console.log(rt.features.threads, c[0], c[m * n - 1]);`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  expect(out.trim()).toBe('3 256 256');
}, HANG_GUARD);
