// Starting a worker from source text: worker_threads in Node, a Blob URL Web Worker in
// browsers. The browser bundle is built with __BROWSER__ = true, which drops the Node branch
// (and its node:worker_threads import) entirely.
declare const __BROWSER__: boolean;

export interface PoolWorker {
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  onError(listener: (error: Error) => void): void;
  terminate(): void;
}

export async function spawnWorker(source: string): Promise<PoolWorker> {
  if (!__BROWSER__ && typeof process !== 'undefined' && process.versions?.node) {
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(source, { eval: true });
    // The pool must never keep a Node process alive by itself.
    w.unref();
    return {
      postMessage: (m) => w.postMessage(m),
      onMessage: (f) => w.on('message', f),
      onError: (f) => w.on('error', f),
      terminate: () => void w.terminate(),
    };
  }
  if (typeof Worker === 'undefined') throw new Error('this engine has no Worker');
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const w = new Worker(url);
  URL.revokeObjectURL(url);
  return {
    postMessage: (m) => w.postMessage(m),
    onMessage: (f) => w.addEventListener('message', (e) => f(e.data)),
    onError: (f) => w.addEventListener('error', (e) => f(new Error(e.message))),
    terminate: () => w.terminate(),
  };
}

/** Whether this engine can start pool workers at all. */
export function canSpawnWorkers(): boolean {
  if (!__BROWSER__ && typeof process !== 'undefined' && process.versions?.node) return true;
  return typeof Worker !== 'undefined' && typeof Blob !== 'undefined' && typeof URL?.createObjectURL === 'function';
}
