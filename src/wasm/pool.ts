// The worker pool: N−1 workers, each with its own instance of the threaded build over the one
// shared WebAssembly.Memory, and the calling thread as the N-th. A kernel call hands each
// worker its share through a small control SharedArrayBuffer and wakes them with
// Atomics.notify; the caller computes its own share meanwhile, then waits until all are done.
// Calls stay synchronous, as on one thread.
import { PARALLEL_KERNELS, type KernelExports, type ParallelKernel } from './builds';
import { spawnWorker, type PoolWorker } from './spawn';
import { workerMain } from './worker-main';

// The control layout; worker-main.ts repeats it, since its source must stand alone.
const GEN = 0, PENDING = 1, ERROR = 2, STOP = 3, JOBS = 8, JOB_SLOTS = 24, MAX_ARGS = JOB_SLOTS - 2;
const SPIN = 200000;

export class WorkerPool {
  /** Threads in all, the caller included. */
  readonly threads: number;
  private readonly workers: PoolWorker[];
  private readonly ctrl: Int32Array;
  private readonly args: Float64Array;
  private readonly exports: KernelExports;
  private readonly errors: string[] = [];
  /** The main thread of a browser page may not block in Atomics.wait. */
  private readonly canBlock: boolean;
  private disposed = false;

  private constructor(exports: KernelExports, workers: PoolWorker[], control: SharedArrayBuffer) {
    this.exports = exports;
    this.workers = workers;
    this.threads = workers.length + 1;
    this.ctrl = new Int32Array(control);
    this.args = new Float64Array(control);
    this.canBlock = typeof (globalThis as { document?: unknown }).document === 'undefined';
    for (const w of workers) w.onMessage((m) => {
      const error = (m as { error?: string }).error;
      if (error) this.errors.push(error);
    });
  }

  /** Starts threads − 1 workers on `memory` and waits until each has instantiated `module`. */
  static async start(threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory, exports: KernelExports): Promise<WorkerPool> {
    const control = new SharedArrayBuffer((JOBS + threads * JOB_SLOTS) * 8);
    const source = `(${workerMain.toString()})()`;
    const workers: PoolWorker[] = [];
    try {
      for (let i = 1; i < threads; i++) workers.push(await spawnWorker(source));
      await Promise.all(workers.map((w, i) => new Promise<void>((resolve, reject) => {
        w.onMessage((m) => (m as { ready?: boolean }).ready && resolve());
        w.onError(reject);
        w.postMessage({ module, memory, control, index: i + 1, names: PARALLEL_KERNELS });
      })));
    } catch (e) {
      for (const w of workers) w.terminate();
      throw new Error(`worker pool: a worker failed to start: ${(e as Error).message}`);
    }
    return new WorkerPool(exports, workers, control);
  }

  /**
   * Runs `kernel` with jobs[t] as the arguments of thread t (0: the caller); an undefined job
   * leaves that thread idle. Returns when every thread is done; throws if a worker failed.
   */
  run(kernel: ParallelKernel, jobs: (number[] | undefined)[]): void {
    if (this.disposed) throw new Error('worker pool: used after dispose()');
    const index = PARALLEL_KERNELS.indexOf(kernel);
    for (let t = 1; t < this.threads; t++) {
      const job = jobs[t];
      const base = JOBS + t * JOB_SLOTS;
      if (job && job.length > MAX_ARGS) throw new Error(`worker pool: ${kernel} has ${job.length} arguments, at most ${MAX_ARGS}`);
      this.args[base] = job ? index : -1;
      this.args[base + 1] = job ? job.length : 0;
      if (job) this.args.set(job, base + 2);
    }
    Atomics.store(this.ctrl, PENDING, this.threads - 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    let failure: unknown;
    try {
      const own = jobs[0];
      if (own) (this.exports[kernel] as (...a: number[]) => void)(...own);
    } catch (e) {
      failure = e;
    }
    this.waitForWorkers();
    if (failure) throw failure;
    if (Atomics.load(this.ctrl, ERROR)) {
      Atomics.store(this.ctrl, ERROR, 0);
      throw new Error(`worker pool: a worker failed in ${kernel}${this.errors.length ? `: ${this.errors.splice(0).join('; ')}` : ''}`);
    }
  }

  private waitForWorkers(): void {
    for (let i = 0; i < SPIN; i++) if (Atomics.load(this.ctrl, PENDING) === 0) return;
    for (;;) {
      const pending = Atomics.load(this.ctrl, PENDING);
      if (pending === 0) return;
      if (this.canBlock) Atomics.wait(this.ctrl, PENDING, pending, 100);
    }
  }

  /** Stops the workers. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    for (const w of this.workers) w.terminate();
  }
}
