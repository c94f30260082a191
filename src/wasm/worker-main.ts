// The body of every pool worker. It is sent as source text (workerMain.toString()), so it must
// not refer to anything outside itself: the same text runs as a Node worker_threads eval
// worker and as a browser Web Worker from a Blob URL.
//
// Protocol over the control SharedArrayBuffer (see pool.ts, which owns the layout): Int32 slot
// 0 is the call's generation, 1 a counter bumped (and notified) whenever a worker finishes or
// is lost, 2 the stop flag, 3–7 a shared call's chunks (the next one, how many, which argument
// takes a chunk's start, the range's total, the alignment of chunk edges); Float64 slots from
// 8 hold each thread's job: kernel index, argument count, arguments. Each worker then has a
// status block of Int32 slots: the generation it last finished, the generation whose job
// threw, a lost flag (written by others), a test fault, its claim on the current call (a
// worker reads its job only once it has claimed the call, which the caller may have closed
// to it already) and the error text (UTF-16 code units, so the caller can read it while the
// message that would carry it cannot be delivered).
export function workerMain(): void {
  type Port = { postMessage(m: unknown): void };
  type NodePort = Port & { on(e: string, f: (m: unknown) => void): void; close(): void };
  const g = globalThis as unknown as {
    // process.getBuiltinModule (Node ≥ 20.16) rather than require: bundlers rewrite `require`.
    process?: { getBuiltinModule?: (id: string) => { parentPort: NodePort }; exit(code: number): never };
    onmessage?: (e: { data: unknown }) => void;
    postMessage?: (m: unknown) => void;
    close?: () => void;
  };
  const parent = g.process?.getBuiltinModule ? g.process.getBuiltinModule('node:worker_threads').parentPort : undefined;
  const post = (m: unknown) => (parent ? parent.postMessage(m) : g.postMessage!(m));
  const onMessage = (f: (m: unknown) => void) => (parent ? parent.on('message', f) : (g.onmessage = (e) => f(e.data)));

  const GEN = 0, SIGNAL = 1, STOP = 2, NEXT = 3, CHUNKS = 4, RANGE_ARG = 5, TOTAL = 6, ALIGN = 7, JOBS = 8, JOB_SLOTS = 24, SPIN = 20000;
  const DONE = 0, FAILED = 1, FAULT = 3, CLAIM = 4, TEXT_LENGTH = 5, TEXT = 6, STATUS_INTS = 64;
  const FAULT_EXIT = 1, FAULT_STALL = 2;

  onMessage(async (raw) => {
    const msg = raw as {
      module: WebAssembly.Module; memory: WebAssembly.Memory; control: SharedArrayBuffer; index: number; names: string[];
      statusBase: number; watchdogPort?: { close(): void };
    };
    const instance = await WebAssembly.instantiate(msg.module, { env: { memory: msg.memory } });
    const exports = instance.exports as Record<string, (...args: number[]) => void>;
    const fns = msg.names.map((n) => exports[n]!);
    const ctrl = new Int32Array(msg.control);
    const text = new Uint16Array(msg.control);
    const args = new Float64Array(msg.control);
    const base = JOBS + msg.index * JOB_SLOTS;
    const status = msg.statusBase + msg.index * STATUS_INTS;
    let gen = Atomics.load(ctrl, GEN);
    post({ ready: true });
    for (;;) {
      // Spin briefly before sleeping: back-to-back kernels (a model's layers) then start in
      // well under the few tens of microseconds a futex wake-up costs.
      for (let i = 0; i < SPIN && Atomics.load(ctrl, GEN) === gen; i++);
      // Sleep in bounded slices: under heavy CPU contention a wake-up was seen to go missing
      // (a worker asleep with the generation already changed), and the caller then waited forever.
      while (Atomics.load(ctrl, GEN) === gen) Atomics.wait(ctrl, GEN, gen, 20);
      gen = Atomics.load(ctrl, GEN);
      if (Atomics.load(ctrl, STOP)) break;
      // A test fault (pool.injectFault 'stall'): as if the OS had descheduled this thread.
      while (Atomics.load(ctrl, status + FAULT) === FAULT_STALL) Atomics.wait(ctrl, status + FAULT, FAULT_STALL, 20);
      // Join the call, unless it has nothing for this worker, or the caller has closed it, or
      // it is already over (then the claim holds a later call's value).
      const open = (gen << 1) & 0x7ffffffe;
      if (Atomics.compareExchange(ctrl, status + CLAIM, open, open + 1) !== open) continue;
      // A test fault (pool.injectFault 'exit'): the thread ends holding its job, as a crash would.
      if (Atomics.load(ctrl, status + FAULT) === FAULT_EXIT) g.process!.exit(70);
      try {
        const fn = fns[args[base]!]!;
        const job = Array.from(args.subarray(base + 2, base + 2 + args[base + 1]!));
        const chunks = Atomics.load(ctrl, CHUNKS);
        if (chunks === 0) fn(...job);
        else {
          // pool.ts's runChunks.
          const r = Atomics.load(ctrl, RANGE_ARG), total = Atomics.load(ctrl, TOTAL), align = Atomics.load(ctrl, ALIGN);
          const lo0 = job[r]!, hi0 = job[r + 1]!, blocks = Math.ceil(total / align);
          for (let c = Atomics.add(ctrl, NEXT, 1); c < chunks; c = Atomics.add(ctrl, NEXT, 1)) {
            job[r] = lo0 + Math.floor((blocks * c) / chunks) * align;
            job[r + 1] = hi0 + Math.min(total, Math.floor((blocks * (c + 1)) / chunks) * align);
            fn(...job);
          }
        }
      } catch (e) {
        const message = String(e).slice(0, (STATUS_INTS - TEXT) * 2);
        for (let i = 0; i < message.length; i++) text[(status + TEXT) * 2 + i] = message.charCodeAt(i);
        Atomics.store(ctrl, status + TEXT_LENGTH, message.length);
        Atomics.store(ctrl, status + FAILED, gen);
      }
      Atomics.store(ctrl, status + DONE, gen);
      Atomics.add(ctrl, SIGNAL, 1);
      Atomics.notify(ctrl, SIGNAL);
    }
    // Closing the port is also what keeps it referenced until here: were it collected earlier,
    // the watchdog would see it close and take this worker for dead.
    msg.watchdogPort?.close();
    if (parent) parent.close();
    else g.close!();
  });
}
