// A runtime that records what a model loader allocates in WASM memory (tensors, buffers, packed
// weights), so that a load failing half-way (a missing or misshapen tensor in layer 5) frees
// layers 0–4 instead of leaking them into the arena.
import type { Runtime } from '../runtime';

export interface Recording {
  /** The runtime to load with: the original one, recording while `recording` is true. */
  runtime: Runtime;
  /** Frees everything allocated through `runtime` so far. */
  freeAll(): void;
  /** Stops recording: the loaded model keeps `runtime`, which then allocates as the original does. */
  stop(): void;
}

export function recordAllocations(rt: Runtime): Recording {
  const made: { free(): void }[] = [];
  let recording = true;
  const keep = <T extends { free(): void }>(x: T): T => {
    if (recording) made.push(x);
    return x;
  };
  const kernels = Object.create(rt.kernels, {
    packB: { value: (...args: Parameters<Runtime['kernels']['packB']>) => keep(rt.kernels.packB(...args)) },
    packQ8: { value: (...args: Parameters<Runtime['kernels']['packQ8']>) => keep(rt.kernels.packQ8(...args)) },
  }) as Runtime['kernels'];
  const runtime = Object.create(rt, {
    kernels: { value: kernels },
    tensor: { value: (...args: Parameters<Runtime['tensor']>) => keep(rt.tensor(...args)) },
    buffer: { value: (...args: Parameters<Runtime['buffer']>) => keep(rt.buffer(...args)) },
  }) as Runtime;
  return {
    runtime,
    freeAll: () => {
      for (const x of made.splice(0)) x.free();
    },
    stop: () => {
      recording = false;
      made.length = 0;
    },
  };
}
