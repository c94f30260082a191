// The body of the pool's watchdog worker (sent as source text, so self-contained, like
// worker-main.ts). Why a separate thread: while a kernel call runs, the calling thread blocks
// in Atomics.wait, so a worker's 'exit' event cannot reach it; and a dead worker can write
// nothing. The watchdog holds one end of a MessageChannel per pool worker (the worker holds
// the other end), sleeps in its event loop, and when a port closes, because the worker's thread
// has ended, marks that worker lost in the control buffer and wakes the caller. It costs no CPU
// until then. Node only: see portsReportExit() in spawn.ts.
export function watchdogMain(): void {
  type Port = { on(e: string, f: () => void): void };
  const g = globalThis as unknown as {
    process: { getBuiltinModule(id: string): { parentPort: { once(e: string, f: (m: unknown) => void): void } } };
  };
  g.process.getBuiltinModule('node:worker_threads').parentPort.once('message', (raw) => {
    const msg = raw as { control: SharedArrayBuffer; signal: number; ports: Port[]; lostSlots: number[] };
    const ctrl = new Int32Array(msg.control);
    msg.ports.forEach((port, i) => {
      port.on('close', () => {
        Atomics.store(ctrl, msg.lostSlots[i]!, 1);
        Atomics.add(ctrl, msg.signal, 1);
        Atomics.notify(ctrl, msg.signal);
      });
      // Listening for messages starts the port, which keeps it (and the listener above) alive:
      // without it the port was garbage-collected and a lost worker went unnoticed (a hang).
      port.on('message', () => {});
    });
  });
}
