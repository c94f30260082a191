// The body of every pool worker. It is sent as source text (workerMain.toString()), so it must
// not refer to anything outside itself: the same text runs as a Node worker_threads eval
// worker and as a browser Web Worker from a Blob URL.
//
// Protocol over the control SharedArrayBuffer (see pool.ts): Int32 slot 0 is the job
// generation, 1 the number of workers still busy, 2 an error flag, 3 the stop flag; Float64
// slots from 8 hold each worker's job: kernel index (-1: nothing this time), argument count,
// arguments.
export function workerMain(): void {
  type Port = { postMessage(m: unknown): void };
  type NodePort = Port & { on(e: string, f: (m: unknown) => void): void; close(): void };
  const g = globalThis as unknown as {
    // process.getBuiltinModule (Node ≥ 20.16) rather than require: bundlers rewrite `require`.
    process?: { getBuiltinModule?: (id: string) => { parentPort: NodePort } };
    onmessage?: (e: { data: unknown }) => void;
    postMessage?: (m: unknown) => void;
    close?: () => void;
  };
  const parent = g.process?.getBuiltinModule ? g.process.getBuiltinModule('node:worker_threads').parentPort : undefined;
  const post = (m: unknown) => (parent ? parent.postMessage(m) : g.postMessage!(m));
  const onMessage = (f: (m: unknown) => void) => (parent ? parent.on('message', f) : (g.onmessage = (e) => f(e.data)));

  const GEN = 0, PENDING = 1, ERROR = 2, STOP = 3, JOBS = 8, JOB_SLOTS = 24, SPIN = 20000;

  onMessage(async (raw) => {
    const msg = raw as { module: WebAssembly.Module; memory: WebAssembly.Memory; control: SharedArrayBuffer; index: number; names: string[] };
    const instance = await WebAssembly.instantiate(msg.module, { env: { memory: msg.memory } });
    const exports = instance.exports as Record<string, (...args: number[]) => void>;
    const fns = msg.names.map((n) => exports[n]!);
    const ctrl = new Int32Array(msg.control);
    const args = new Float64Array(msg.control);
    const base = JOBS + msg.index * JOB_SLOTS;
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
      const fn = args[base]!;
      if (fn >= 0) {
        try {
          fns[fn]!(...args.subarray(base + 2, base + 2 + args[base + 1]!));
        } catch (e) {
          Atomics.store(ctrl, ERROR, 1);
          post({ error: `${msg.names[fn]}: ${(e as Error).message}` });
        }
      }
      if (Atomics.sub(ctrl, PENDING, 1) === 1) Atomics.notify(ctrl, PENDING);
    }
    if (parent) parent.close();
    else g.close!();
  });
}
