// The worker pool: N−1 workers, each with its own instance of the threaded build over the one
// shared WebAssembly.Memory, and the calling thread as the N-th. A kernel call hands each
// worker its share through a small control SharedArrayBuffer and wakes them with
// Atomics.notify; the caller computes its own share meanwhile, then waits until all are done.
// Calls stay synchronous, as on one thread.
//
// Faults. A kernel that throws in a worker (a trap) makes the call throw, naming the kernel,
// the worker and the error; the worker stays usable. A worker whose thread ends (terminated,
// process.exit() in it, out of heap) is "lost": the call it had a share of throws, after the
// live workers have finished theirs, and later calls run its share on the calling thread, so
// the pool keeps working, with one thread fewer, and its results stay those of one thread.
// The caller learns of a loss while it waits because the watchdog (watchdog.ts) writes it into
// the control buffer; between calls, the worker's exit event does the same.
import { PARALLEL_KERNELS, type KernelExports, type ParallelKernel } from './builds';
import { portsReportExit, spawnWorker, type PoolWorker } from './spawn';
import { watchdogMain } from './watchdog';
import { workerMain } from './worker-main';

// The control layout; worker-main.ts repeats it, since its source must stand alone.
const GEN = 0, SIGNAL = 1, STOP = 2, JOBS = 8, JOB_SLOTS = 24, MAX_ARGS = JOB_SLOTS - 2;
// Each thread's status block (Int32 slots, after the jobs).
const DONE = 0, FAILED = 1, LOST = 2, FAULT = 3, TEXT_LENGTH = 4, TEXT = 5, STATUS_INTS = 64;
const FAULT_EXIT = 1;
const SPIN = 200000;

export class WorkerPool {
  /** Threads started, the caller included (lost workers still count: see `lost`). */
  readonly threads: number;
  private readonly workers: PoolWorker[];
  private readonly watchdog: PoolWorker | undefined;
  private readonly ctrl: Int32Array;
  private readonly text: Uint16Array;
  private readonly args: Float64Array;
  private readonly statusBase: number;
  private readonly exports: KernelExports;
  /** The main thread of a browser page may not block in Atomics.wait. */
  private readonly canBlock: boolean;
  private disposed = false;

  private constructor(exports: KernelExports, workers: PoolWorker[], watchdog: PoolWorker | undefined, control: SharedArrayBuffer) {
    this.exports = exports;
    this.workers = workers;
    this.watchdog = watchdog;
    this.threads = workers.length + 1;
    this.ctrl = new Int32Array(control);
    this.text = new Uint16Array(control);
    this.args = new Float64Array(control);
    this.statusBase = statusBase(this.threads);
    this.canBlock = typeof (globalThis as { document?: unknown }).document === 'undefined';
  }

  /** Starts threads − 1 workers on `memory` and waits until each has instantiated `module`. */
  static async start(threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory, exports: KernelExports): Promise<WorkerPool> {
    const base = statusBase(threads);
    const control = new SharedArrayBuffer((base + threads * STATUS_INTS) * 4);
    const ctrl = new Int32Array(control);
    const markLost = (t: number) => {
      Atomics.store(ctrl, base + t * STATUS_INTS + LOST, 1);
      Atomics.add(ctrl, SIGNAL, 1);
      Atomics.notify(ctrl, SIGNAL);
    };
    const source = `(${workerMain.toString()})()`;
    const workers: PoolWorker[] = [];
    let watchdog: PoolWorker | undefined;
    try {
      for (let i = 1; i < threads; i++) workers.push(await spawnWorker(source));
      const channels = portsReportExit() ? workers.map(() => new MessageChannel()) : undefined;
      if (channels) {
        watchdog = await spawnWorker(`(${watchdogMain.toString()})()`);
        const ports = channels.map((c) => c.port2);
        watchdog.postMessage({ control, signal: SIGNAL, ports, lostSlots: workers.map((_, i) => base + (i + 1) * STATUS_INTS + LOST) }, ports);
      }
      await Promise.all(workers.map((w, i) => new Promise<void>((resolve, reject) => {
        w.onMessage((m) => (m as { ready?: boolean }).ready && resolve());
        w.onError(reject);
        w.onExit(() => {
          markLost(i + 1);
          reject(new Error(`worker ${i + 1} exited`));
        });
        const watchdogPort = channels?.[i]!.port1;
        w.postMessage({ module, memory, control, index: i + 1, names: PARALLEL_KERNELS, statusBase: base, watchdogPort }, watchdogPort ? [watchdogPort] : []);
      })));
    } catch (e) {
      for (const w of [...workers, ...(watchdog ? [watchdog] : [])]) void w.terminate();
      throw new Error(`worker pool: a worker failed to start: ${(e as Error).message}`);
    }
    // Only now: until the workers are ready, they are what keeps the process waiting for them.
    // The pool must never keep a Node process alive by itself.
    for (const w of [...workers, ...(watchdog ? [watchdog] : [])]) w.unref();
    return new WorkerPool(exports, workers, watchdog, control);
  }

  /**
   * Runs `kernel` with jobs[t] as the arguments of thread t (0: the caller); an undefined job
   * leaves that thread idle. Returns when every thread is done; throws if a kernel threw or a
   * worker was lost during the call.
   */
  run(kernel: ParallelKernel, jobs: (number[] | undefined)[]): void {
    if (this.disposed) throw new Error('worker pool: used after dispose()');
    const index = PARALLEL_KERNELS.indexOf(kernel);
    const gen = (Atomics.load(this.ctrl, GEN) + 1) | 0;
    const assigned: number[] = [], orphans: number[][] = [];
    for (let t = 1; t < this.threads; t++) {
      const job = jobs[t];
      const base = JOBS + t * JOB_SLOTS;
      if (job && job.length > MAX_ARGS) throw new Error(`worker pool: ${kernel} has ${job.length} arguments, at most ${MAX_ARGS}`);
      const give = job !== undefined && !this.isLost(t);
      this.args[base] = give ? index : -1;
      if (give) {
        this.args[base + 1] = job.length;
        this.args.set(job, base + 2);
        assigned.push(t);
      } else if (job) {
        orphans.push(job);
      }
    }
    Atomics.store(this.ctrl, GEN, gen);
    Atomics.notify(this.ctrl, GEN);
    let failure: unknown;
    try {
      const fn = this.exports[kernel] as (...a: number[]) => void;
      if (jobs[0]) fn(...jobs[0]);
      for (const job of orphans) fn(...job);
    } catch (e) {
      failure = e;
    }
    // Wait for every live worker, those without a job too, even when this call has already
    // failed: a worker that has not yet read its slot for this generation (an idle one paused
    // between reading the generation and its slot) would otherwise read the next call's
    // half-written arguments.
    this.waitForWorkers(gen);
    if (failure) throw failure;
    const lostNow = assigned.filter((t) => Atomics.load(this.ctrl, this.status(t) + DONE) !== gen);
    if (lostNow.length) {
      throw new Error(`worker pool: worker ${lostNow.join(', ')} stopped (its thread ended) during ${kernel}, ` +
        'so this call\'s results are incomplete; later calls run its share on the calling thread');
    }
    const failed = assigned.filter((t) => Atomics.load(this.ctrl, this.status(t) + FAILED) === gen);
    if (failed.length) {
      throw new Error(`worker pool: a worker failed in ${kernel}: ${failed.map((t) => `worker ${t}: ${this.errorText(t)}`).join('; ')}`);
    }
  }

  /** Workers (1 to threads − 1) whose thread has ended; their shares run on the calling thread. */
  get lost(): number[] {
    return this.workers.map((_, i) => i + 1).filter((t) => this.isLost(t));
  }

  /**
   * Test hook (not exported by the package): a fault for worker `worker`, so that tests can
   * check the pool never hangs. 'exit': the worker's thread ends (process.exit) when it takes
   * its next job, holding that job, as a crash would (Node only: a Web Worker cannot end itself
   * mid-task). 'terminate': worker.terminate() now; resolves once the thread has ended.
   */
  async injectFault(worker: number, fault: 'exit' | 'terminate'): Promise<void> {
    if (!Number.isInteger(worker) || worker < 1 || worker >= this.threads) throw new Error(`worker pool: no worker ${worker}`);
    if (fault === 'terminate') return this.workers[worker - 1]!.terminate();
    if (!this.watchdog) throw new Error('worker pool: fault "exit" needs Node (a worker that ends itself is only detected there)');
    Atomics.store(this.ctrl, this.status(worker) + FAULT, FAULT_EXIT);
  }

  /** Waits until every worker (1 to threads − 1) has acknowledged generation `gen` or is lost. */
  private waitForWorkers(gen: number): void {
    const busy = () => {
      for (let t = 1; t < this.threads; t++) {
        if (Atomics.load(this.ctrl, this.status(t) + DONE) !== gen && !this.isLost(t)) return true;
      }
      return false;
    };
    for (let i = 0; i < SPIN; i++) if (!busy()) return;
    for (;;) {
      const signal = Atomics.load(this.ctrl, SIGNAL);
      if (!busy()) return;
      // Bounded slices, as in the workers, in case a wake-up goes missing.
      if (this.canBlock) Atomics.wait(this.ctrl, SIGNAL, signal, 100);
    }
  }

  private status(t: number): number {
    return this.statusBase + t * STATUS_INTS;
  }

  private isLost(t: number): boolean {
    return Atomics.load(this.ctrl, this.status(t) + LOST) !== 0;
  }

  private errorText(t: number): string {
    const at = (this.status(t) + TEXT) * 2;
    return String.fromCharCode(...this.text.subarray(at, at + Atomics.load(this.ctrl, this.status(t) + TEXT_LENGTH)));
  }

  /** Stops the workers. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    for (const w of this.workers) void w.terminate();
    void this.watchdog?.terminate();
  }
}

/** The first Int32 slot of the status blocks, after the jobs of `threads` threads. */
function statusBase(threads: number): number {
  return (JOBS + threads * JOB_SLOTS) * 2;
}
