// Giving the event loop a turn in long work (training batches, streamed tokens): timers,
// messages, a page's repaint and abort() run in between.

/**
 * Resolves at the next task of the event loop (not a microtask). scheduler.yield where there is
 * one, else setImmediate (Node), else a message to ourselves, queued as a task at once. Not
 * setTimeout(0): it waits at least 1 ms in Node and 4 ms in browsers once timers nest (1.3 s over
 * the sample corpus's word2vec batches).
 */
export function yieldToEventLoop(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?(): Promise<void> } }).scheduler;
  if (typeof scheduler?.yield === 'function') return scheduler.yield();
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
