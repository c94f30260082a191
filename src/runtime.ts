// init(): detect what the engine can run, load the best kernel build into memory the façade
// owns, warm it up, and hand back the kernels behind one interface. Without WASM SIMD, the
// pure-JS twins serve instead, and `features` says so.
import { jsKernels } from './kernels/js/index';
import type { Kernels, TensorLike } from './kernels/types';
import { wasmKernels } from './kernels/wasm';
import { Arena, WASM32_LIMIT_BYTES } from './wasm/arena';
import { compileBuild, instantiate, isThreaded, type BuildName } from './wasm/builds';
import { detectFeatures, type Features } from './wasm/features';
import { sizeOf, Tensor, type DType } from './wasm/tensor';
import { WorkerPool } from './wasm/pool';
import { canSpawnWorkers } from './wasm/spawn';
import { warmUp, warmUpWorkers } from './wasm/warmup';
import { fusedIsFaster } from './wasm/integer-dot';

export interface InitOptions {
  /** 'wasm' (the default when the engine has WASM SIMD) or the pure-JS twins. */
  backend?: 'wasm' | 'js';
  /** 'auto' picks relaxed SIMD where the engine validates it, else the plain SIMD build. */
  simd?: 'auto' | 'relaxed' | 'baseline';
  /**
   * Threads wanted (default 1): the caller plus threads − 1 workers on one shared memory (the
   * threaded builds). Falls back to 1, saying why in `features.notes`, where the engine has no
   * shared memory (a page that is not cross-origin isolated) or no workers.
   */
  threads?: number;
  /** Upper bound on WebAssembly memory, in bytes (default and most: 4 GiB). */
  maxMemoryBytes?: number;
  /**
   * Flops below which a kernel stays on the calling thread (default 2e6, measured: see
   * kernels/wasm.ts). 0 splits everything that can be split, as the tests do.
   */
  minParallelFlops?: number;
  /** Run every kernel a few times at init so the first real call is optimised (default true). */
  warmUp?: boolean;
  /**
   * How the relaxed build's q8 kernels take their int8 dot products: 'fused'
   * (i32x4.relaxed_dot_i8x16_i7x16_add_s, one instruction with AVX-VNNI), 'split' (the same sums
   * as a 16-bit dot and a widening one), or 'auto' (default): the faster of the two, timed at
   * the first q8 matmul (about 20 ms), except on V8 before 11.4 (Node 20), which
   * miscompiles the fused form: split there, and 'fused' refused. Results are the same to the bit.
   */
  integerDot?: 'auto' | 'fused' | 'split';
}

export interface RuntimeFeatures extends Features {
  backend: 'wasm' | 'js';
  /** The kernel build in use, or null for the JS backend. */
  build: BuildName | null;
  /** Threads asked for. */
  threadsRequested: number;
  /** Threads the kernels run on: the caller plus the pool's workers. */
  threads: number;
  /** Why the runtime is not using what was asked or what the engine has, in plain words. */
  notes: string[];
}

/** A tensor made by runtime.tensor(): resident in WASM memory, or a plain array for the JS backend. */
export interface RuntimeTensor extends TensorLike {
  readonly shape: readonly number[];
  free(): void;
}

export type TypedArrayOf<D extends DType> = D extends 'f32' ? Float32Array : D extends 'i32' ? Int32Array : D extends 'u32' ? Uint32Array : Uint8Array;

/** A buffer from runtime.buffer(): `data` is a fresh view each time (never stale after memory grows). */
export interface RuntimeBuffer<D extends DType> {
  readonly data: TypedArrayOf<D>;
  free(): void;
}

export interface Runtime {
  readonly features: RuntimeFeatures;
  readonly kernels: Kernels;
  /** The WASM memory arena, or null for the JS backend. */
  readonly arena: Arena | null;
  /** A zeroed f32 tensor of `shape`, or one holding a copy of `data`. */
  tensor(shape: readonly number[], data?: ArrayLike<number>): RuntimeTensor;
  /** A zeroed typed buffer of `length` elements that kernels read in place (WASM memory for the WASM backend). */
  buffer<D extends DType>(dtype: D, length: number): RuntimeBuffer<D>;
  /** Ends the worker pool; a Node process then exits by itself. */
  dispose(): void;
}

const PAGE = 65536;

/** Each runtime's worker pool, for workerPoolOf(). */
const pools = new WeakMap<Runtime, WorkerPool>();

/**
 * Test hook (not exported by the package): the worker pool behind `runtime`, if it has one, so
 * that tests can inject faults (WorkerPool.injectFault) and see which workers were lost.
 */
export function workerPoolOf(runtime: Runtime): WorkerPool | undefined {
  return pools.get(runtime);
}

const INIT_OPTIONS = ['backend', 'simd', 'threads', 'maxMemoryBytes', 'minParallelFlops', 'warmUp', 'integerDot'];

/** More threads than this is a mistake (or a hostile checkpoint), not a machine: each is a worker. */
export const MAX_THREADS = 256;

export async function init(options: InitOptions = {}): Promise<Runtime> {
  const backend = options.backend ?? 'auto';
  const simd = options.simd ?? 'auto';
  const threads = options.threads ?? 1;
  if (!['auto', 'wasm', 'js'].includes(backend)) throw new Error(`init: option backend must be 'wasm' or 'js', got ${String(backend)}`);
  if (!['auto', 'relaxed', 'baseline'].includes(simd)) throw new Error(`init: option simd must be 'auto', 'relaxed' or 'baseline', got ${String(simd)}`);
  const integerDot = options.integerDot ?? 'auto';
  if (!['auto', 'fused', 'split'].includes(integerDot)) throw new Error(`init: option integerDot must be 'auto', 'fused' or 'split', got ${String(integerDot)}`);
  const unknown = Object.keys(options).filter((key) => !INIT_OPTIONS.includes(key));
  if (unknown.length) throw new Error(`init: unknown option ${unknown.join(', ')} (known: ${INIT_OPTIONS.join(', ')})`);
  if (!Number.isSafeInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new Error(`init: option threads must be an integer from 1 to ${MAX_THREADS}, got ${String(threads)}`);
  }
  if (options.minParallelFlops !== undefined && !(options.minParallelFlops >= 0)) {
    throw new Error(`init: option minParallelFlops must be a number ≥ 0, got ${String(options.minParallelFlops)}`);
  }
  const maxBytes = options.maxMemoryBytes ?? WASM32_LIMIT_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < PAGE || maxBytes > WASM32_LIMIT_BYTES) {
    throw new Error(`init: option maxMemoryBytes must be between ${PAGE} and ${WASM32_LIMIT_BYTES}, got ${String(maxBytes)}`);
  }

  const found = detectFeatures();
  if (integerDot === 'fused' && !found.fusedIntegerDot) {
    throw new Error('init: option integerDot \'fused\' is refused on this engine: V8 before 11.4 (Node 20) miscompiles i32x4.relaxed_dot_i8x16_i7x16_add_s');
  }
  const detected = { ...found, fusedIntegerDot: integerDot === 'auto' ? found.fusedIntegerDot : integerDot === 'fused' };
  const notes: string[] = [];
  const features = (b: 'wasm' | 'js', build: BuildName | null, used = 1): RuntimeFeatures =>
    ({ ...detected, backend: b, build, threadsRequested: threads, threads: used, notes });

  if (backend === 'js') {
    if (threads > 1) notes.push('threads: the JS backend runs on 1 thread');
    return jsRuntime(features('js', null));
  }
  if (!detected.simd) {
    if (backend === 'wasm') throw new Error('init: backend "wasm" needs WebAssembly SIMD, which this engine does not validate');
    notes.push('WebAssembly SIMD is missing: using the pure-JS kernels');
    return jsRuntime(features('js', null));
  }

  if (simd === 'relaxed' && !detected.relaxedSimd) {
    throw new Error('init: simd "relaxed" asked for, but this engine does not validate relaxed SIMD ' +
      '(Node 20 needs node --experimental-wasm-relaxed-simd)');
  }
  const relaxed = simd === 'relaxed' || (simd === 'auto' && detected.relaxedSimd);
  const workersMissing = threads > 1 && detected.sharedMemory && !canSpawnWorkers();
  const threaded = threads > 1 && detected.sharedMemory && !workersMissing;
  if (threads > 1 && !detected.sharedMemory) notes.push(`threads: ${detected.sharedMemoryMissing}; running on 1 thread`);
  if (workersMissing) notes.push('threads: this engine cannot start workers; running on 1 thread');

  const build: BuildName = `${relaxed ? 'relaxed' : 'simd'}${threaded ? '-threads' : ''}`;
  const module = await compileBuild(build);
  const maxPages = Math.floor(maxBytes / PAGE);
  const memory = isThreaded(build)
    ? new WebAssembly.Memory({ initial: 16, maximum: maxPages, shared: true })
    : new WebAssembly.Memory({ initial: 16, ...(maxBytes < WASM32_LIMIT_BYTES ? { maximum: maxPages } : {}) });
  const exports = await instantiate(module, memory);
  const arena = new Arena(memory, exports.heapBase(), maxPages * PAGE);
  const pool = threaded ? await WorkerPool.start(threads, module, memory, exports) : undefined;
  // 'auto' where the fused form is safe: the faster form on this machine, timed at the first q8
  // matmul (integer-dot.ts). The plain build has only the split form.
  let fused: boolean | undefined = !relaxed ? false : integerDot === 'auto' && detected.fusedIntegerDot ? undefined : detected.fusedIntegerDot;
  const useFused = () => (fused ??= fusedIsFaster(exports, arena));
  const kernels = wasmKernels(exports, arena, pool, options.minParallelFlops, useFused);
  if (options.warmUp !== false) {
    const bothForms = relaxed && detected.fusedIntegerDot;
    warmUp(exports, arena, bothForms);
    if (pool) warmUpWorkers(exports, arena, pool, bothForms);
  }

  const runtime: Runtime = {
    // fusedIntegerDot: the form in use (reading it makes the 'auto' choice, if not made yet).
    features: Object.defineProperty(features('wasm', build, pool?.threads ?? 1), 'fusedIntegerDot', { get: useFused, enumerable: true }),
    kernels,
    arena,
    tensor(shape, data) {
      checkData(shape, data);
      const t = new Tensor(arena, shape, 'f32');
      if (data) t.data.set(data);
      return t;
    },
    buffer(dtype, length) {
      return new Tensor(arena, [length], dtype) as unknown as RuntimeBuffer<typeof dtype>;
    },
    dispose() {
      pool?.dispose();
    },
  };
  if (pool) pools.set(runtime, pool);
  return runtime;
}

function jsRuntime(features: RuntimeFeatures): Runtime {
  return {
    features,
    kernels: jsKernels,
    arena: null,
    tensor(shape, data) {
      checkData(shape, data);
      const t = { shape: [...shape], data: new Float32Array(sizeOf(shape)), free() {} };
      if (data) t.data.set(data);
      return t;
    },
    buffer(dtype, length) {
      const Array = { f32: Float32Array, i32: Int32Array, u32: Uint32Array, u8: Uint8Array }[dtype];
      if (!Array) throw new Error(`buffer: dtype must be f32, i32, u32 or u8, got ${String(dtype)}`);
      return { data: new Array(sizeOf([length])), free() {} } as unknown as RuntimeBuffer<typeof dtype>;
    },
    dispose() {},
  };
}

/** Checks, before anything is allocated, that `data` fills `shape` exactly. */
function checkData(shape: readonly number[], data: ArrayLike<number> | undefined): void {
  const size = sizeOf(shape);
  if (data !== undefined && data.length !== size) {
    throw new Error(`tensor: data has ${data.length} elements, shape [${shape.join(', ')}] holds ${size}`);
  }
}
