// The worker pool: N−1 workers, each with its own instance of the threaded build over the one
// shared WebAssembly.Memory, and the calling thread as the N-th. A kernel call hands each
// worker its arguments through a small control SharedArrayBuffer and wakes them with
// Atomics.notify; the caller computes meanwhile, then waits for the workers that took part.
// Calls stay synchronous, as on one thread.
//
// Two kinds of call:
//   run()    pinned: thread t runs jobs[t] (the warm-up, which must reach every instance). The
//            caller waits for every worker given a job.
//   share()  shared: the threads take chunks of [0, total) from a shared counter until none is
//            left (or, without chunks, run their arguments once, the kernel taking work from a
//            queue of its own). A worker joins a call by claiming it; once the caller has taken
//            the last chunk it closes the call to workers that have not joined, and waits only
//            for those that did. A worker the OS has descheduled (another process on its core)
//            then costs a call nothing: the running threads do its share, where a fixed split
//            waited for it at every call, and two threads ran slower than one.
//
// Faults. A kernel that throws in a worker (a trap) makes the call throw, naming the kernel,
// the worker and the error; the worker stays usable. A worker whose thread ends (terminated,
// process.exit() in it, out of heap) is "lost": a call it held work of throws, after the live
// threads have finished theirs; later calls go on without it (a pinned job of it runs on the
// calling thread), so the pool keeps working, with one thread fewer, and its results stay
// those of one thread. The caller learns of a loss while it waits because the watchdog
// (watchdog.ts) writes it into the control buffer; between calls, the worker's exit event does
// the same.
import { PARALLEL_KERNELS, type KernelExports, type ParallelKernel } from './builds';
import { portsReportExit, spawnWorker, type PoolWorker } from './spawn';
import { watchdogMain } from './watchdog';
import { workerMain } from './worker-main';

// The control layout; worker-main.ts repeats it, since its source must stand alone. Int32
// slots: the call's generation, a counter bumped when a worker finishes or is lost, the stop
// flag, then a shared call's chunks: the next chunk, how many, the argument that takes a
// chunk's start (its end the next), the range's total and the alignment of chunk edges.
const GEN = 0, SIGNAL = 1, STOP = 2, NEXT = 3, CHUNKS = 4, RANGE_ARG = 5, TOTAL = 6, ALIGN = 7;
// Float64 slots from JOBS: each thread's kernel index (−1: none), argument count, arguments.
const JOBS = 8, JOB_SLOTS = 24, MAX_ARGS = JOB_SLOTS - 2;
// Each thread's status block (Int32 slots, after the jobs). CLAIM: open(gen) when the call
// `gen` has work for the thread, open(gen) + 1 once the worker has joined it, CLOSED when the
// caller closed it (or had nothing for it).
const DONE = 0, FAILED = 1, LOST = 2, FAULT = 3, CLAIM = 4, TEXT_LENGTH = 5, TEXT = 6, STATUS_INTS = 64;
const CLOSED = -1;
const FAULT_EXIT = 1, FAULT_STALL = 2;
const SPIN = 200000;

/** The CLAIM value of a call open to a worker (even; joined is one more). */
function open(gen: number): number {
  return (gen << 1) & 0x7ffffffe;
}

/** Chunks of a shared call: [0, total) cut into `chunks` ranges with edges on multiples of align. */
export interface Chunks {
  total: number;
  align: number;
  chunks: number;
  /** The index of the kernel argument that takes a chunk's start (plus the job's value there); the next takes its end. */
  rangeArg: number;
}

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
   * leaves that thread idle. Every job runs, a lost worker's on the caller. Returns when all
   * are done; throws if a kernel threw or a worker was lost during the call.
   */
  run(kernel: ParallelKernel, jobs: (number[] | undefined)[]): void {
    const { gen, opened } = this.begin(kernel, jobs, undefined);
    const fn = this.exports[kernel] as (...a: number[]) => void;
    let failure: unknown;
    try {
      if (jobs[0]) fn(...jobs[0]);
      // Workers lost before the call: their jobs run here, in thread order.
      for (let t = 1; t < this.threads; t++) if (jobs[t] && !opened.includes(t)) fn(...jobs[t]!);
    } catch (e) {
      failure = e;
    }
    // Every worker given a job is waited for, even when this call has already failed: one that
    // has not yet read its arguments would otherwise read the next call's.
    this.finish(kernel, gen, opened, opened, failure);
  }

  /**
   * A shared call: jobs[t] are thread t's arguments if it takes part (its own scratch memory,
   * say). With `chunks`, every taking part thread runs the kernel on chunks of the range, taken
   * from a shared counter until none is left; without, it runs its arguments once (the kernel
   * takes work from a queue of its own). Workers that have not joined when the caller is done
   * are left out. Each chunk of a range is computed whole by one thread, so a kernel whose
   * results do not depend on the split (every element computed alike in any range) gives the
   * one-thread results whoever takes part.
   */
  share(kernel: ParallelKernel, jobs: number[][], chunks?: Chunks): void {
    const { gen, opened } = this.begin(kernel, jobs, chunks);
    const fn = this.exports[kernel] as (...a: number[]) => void;
    let failure: unknown;
    try {
      if (chunks) runChunks(fn, jobs[0]!, chunks, () => Atomics.add(this.ctrl, NEXT, 1));
      else fn(...jobs[0]!);
    } catch (e) {
      failure = e;
      // Take the chunks left, so that the workers stop early.
      if (chunks) Atomics.store(this.ctrl, NEXT, chunks.chunks);
    }
    // Close the call to the workers that have not joined it. One with an exit fault pending (a
    // test's) is waited for instead, so that the fault meets this call.
    const joined = opened.filter((t) => Atomics.load(this.ctrl, this.status(t) + FAULT) === FAULT_EXIT
      || Atomics.compareExchange(this.ctrl, this.status(t) + CLAIM, open(gen), CLOSED) !== open(gen));
    this.finish(kernel, gen, opened, joined, failure);
  }

  /**
   * Writes a call's jobs and chunks into the control buffer and starts it; returns its
   * generation and the workers it is open to (those given a job, not lost).
   */
  private begin(kernel: ParallelKernel, jobs: (number[] | undefined)[], chunks: Chunks | undefined): { gen: number; opened: number[] } {
    if (this.disposed) throw new Error('worker pool: used after dispose()');
    jobs.forEach((job, t) => {
      // An undefined would reach the kernel as 0: a pointer to the module's own data.
      if (job?.some((a) => !Number.isFinite(a))) throw new Error(`worker pool: ${kernel}: thread ${t}'s arguments are not all numbers (${job.join(', ')})`);
    });
    const index = PARALLEL_KERNELS.indexOf(kernel);
    const gen = (Atomics.load(this.ctrl, GEN) + 1) | 0;
    const opened: number[] = [];
    for (let t = 1; t < this.threads; t++) {
      const job = jobs[t];
      const base = JOBS + t * JOB_SLOTS;
      if (job && job.length > MAX_ARGS) throw new Error(`worker pool: ${kernel} has ${job.length} arguments, at most ${MAX_ARGS}`);
      const give = job !== undefined && !this.isLost(t);
      this.args[base] = give ? index : -1;
      if (give) {
        this.args[base + 1] = job.length;
        this.args.set(job, base + 2);
        opened.push(t);
      }
      Atomics.store(this.ctrl, this.status(t) + CLAIM, give ? open(gen) : CLOSED);
    }
    Atomics.store(this.ctrl, NEXT, 0);
    Atomics.store(this.ctrl, CHUNKS, chunks ? chunks.chunks : 0);
    if (chunks) {
      Atomics.store(this.ctrl, RANGE_ARG, chunks.rangeArg);
      Atomics.store(this.ctrl, TOTAL, chunks.total);
      Atomics.store(this.ctrl, ALIGN, chunks.align);
    }
    Atomics.store(this.ctrl, GEN, gen);
    Atomics.notify(this.ctrl, GEN);
    return { gen, opened };
  }

  /** Waits for the workers `waitFor`, then throws if the call failed: in the caller, in a worker, or by a loss. */
  private finish(kernel: ParallelKernel, gen: number, opened: number[], waitFor: number[], failure: unknown): void {
    this.waitForWorkers(gen, waitFor);
    if (failure) throw failure;
    // Lost holding work: joined (or given a pinned job) and never done.
    const lostNow = waitFor.filter((t) => Atomics.load(this.ctrl, this.status(t) + DONE) !== gen);
    if (lostNow.length) {
      throw new Error(`worker pool: worker ${lostNow.join(', ')} stopped (its thread ended) during ${kernel}, ` +
        'so this call\'s results are incomplete; later calls go on without it');
    }
    const failed = opened.filter((t) => Atomics.load(this.ctrl, this.status(t) + FAILED) === gen);
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
   * 'stall': the worker stops before it joins its next call, as a thread the OS has
   * descheduled would; 'resume' lets it go on. Shared calls only: a pinned call (run()) waits
   * for a stalled worker until it resumes.
   */
  async injectFault(worker: number, fault: 'exit' | 'terminate' | 'stall' | 'resume'): Promise<void> {
    if (!Number.isInteger(worker) || worker < 1 || worker >= this.threads) throw new Error(`worker pool: no worker ${worker}`);
    if (fault === 'terminate') return this.workers[worker - 1]!.terminate();
    const slot = this.status(worker) + FAULT;
    if (fault === 'stall' || fault === 'resume') {
      Atomics.store(this.ctrl, slot, fault === 'stall' ? FAULT_STALL : 0);
      Atomics.notify(this.ctrl, slot);
      return;
    }
    if (!this.watchdog) throw new Error('worker pool: fault "exit" needs Node (a worker that ends itself is only detected there)');
    Atomics.store(this.ctrl, slot, FAULT_EXIT);
  }

  /**
   * Test hook: whether worker `worker` took part in the last call (joined a shared one, or ran
   * its pinned job).
   */
  joinedLastCall(worker: number): boolean {
    return Atomics.load(this.ctrl, this.status(worker) + CLAIM) === open(Atomics.load(this.ctrl, GEN)) + 1;
  }

  /** Waits until each worker of `workers` has finished generation `gen` or is lost. */
  private waitForWorkers(gen: number, workers: number[]): void {
    const busy = () => workers.some((t) => Atomics.load(this.ctrl, this.status(t) + DONE) !== gen && !this.isLost(t));
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

/**
 * Runs `fn` on chunks of a shared call, `job` with each chunk's range written at
 * chunks.rangeArg (offset by the job's values there), until `take` returns no chunk left.
 * worker-main.ts repeats it.
 */
function runChunks(fn: (...a: number[]) => void, job: number[], chunks: Chunks, take: () => number): void {
  const args = job.slice(), r = chunks.rangeArg, lo0 = job[r]!, hi0 = job[r + 1]!;
  const blocks = Math.ceil(chunks.total / chunks.align);
  for (let c = take(); c < chunks.chunks; c = take()) {
    args[r] = lo0 + Math.floor((blocks * c) / chunks.chunks) * chunks.align;
    args[r + 1] = hi0 + Math.min(chunks.total, Math.floor((blocks * (c + 1)) / chunks.chunks) * chunks.align);
    fn(...args);
  }
}

/** The first Int32 slot of the status blocks, after the jobs of `threads` threads. */
function statusBase(threads: number): number {
  return (JOBS + threads * JOB_SLOTS) * 2;
}
