// Starting a worker from source text: worker_threads in Node, a Blob URL Web Worker in
// browsers. The browser bundle is built with __BROWSER__ = true, which drops the Node branch
// (and its node:worker_threads import) entirely.
declare const __BROWSER__: boolean;

export interface PoolWorker {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onMessage(listener: (message: unknown) => void): void;
  onError(listener: (error: Error) => void): void;
  /** Called once the worker's thread has ended, however it ended. */
  onExit(listener: () => void): void;
  /** Ends the worker; resolves once its thread has ended (after the onExit listeners). */
  terminate(): Promise<void>;
  /**
   * Lets a Node process exit while this worker lives. Call it after the last onMessage: a
   * message listener refs a Node worker again (a pool then kept a process alive without dispose()).
   */
  unref(): void;
}

const isNode = () => !__BROWSER__ && typeof process !== 'undefined' && !!process.versions?.node;

export async function spawnWorker(source: string): Promise<PoolWorker> {
  if (isNode()) {
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(source, { eval: true });
    return {
      postMessage: (m, transfer) => w.postMessage(m, transfer as never),
      onMessage: (f) => w.on('message', f),
      onError: (f) => w.on('error', f),
      onExit: (f) => w.on('exit', () => f()),
      terminate: async () => void await w.terminate(),
      unref: () => w.unref(),
    };
  }
  if (typeof Worker === 'undefined') throw new Error('this engine has no Worker');
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const w = new Worker(url);
  URL.revokeObjectURL(url);
  // A Web Worker has no exit event; it ends only when terminated (an uncaught error does not
  // end it), so terminate() reports the exit itself.
  const exitListeners: (() => void)[] = [];
  let ended = false;
  return {
    postMessage: (m, transfer) => w.postMessage(m, transfer ?? []),
    onMessage: (f) => w.addEventListener('message', (e) => f(e.data)),
    onError: (f) => w.addEventListener('error', (e) => f(new Error(e.message))),
    onExit: (f) => void exitListeners.push(f),
    terminate: async () => {
      w.terminate();
      if (ended) return;
      ended = true;
      for (const f of exitListeners) f();
    },
    unref: () => {},
  };
}

/** Whether this engine can start pool workers at all. */
export function canSpawnWorkers(): boolean {
  if (isNode()) return true;
  return typeof Worker !== 'undefined' && typeof Blob !== 'undefined' && typeof URL?.createObjectURL === 'function';
}

/**
 * Whether a MessagePort reports, with a 'close' event on the thread holding one end, that the
 * thread holding the other end has ended, however it ended (terminate(), process.exit() in the
 * worker, an uncaught error, running out of heap). Node's ports do; browsers' have no such event.
 */
export function portsReportExit(): boolean {
  return isNode();
}
