// A tensor resident in WebAssembly memory: (offset, shape, dtype) and nothing else. Its typed
// view is made on each access from the arena's current buffer, so it is never stale after
// memory grows; kernels take it without copying.
import type { Arena } from './arena';

export type DType = 'f32' | 'i32' | 'u32' | 'u8';

const ARRAY = { f32: Float32Array, i32: Int32Array, u32: Uint32Array, u8: Uint8Array } as const;
type ArrayOf<D extends DType> = InstanceType<(typeof ARRAY)[D]>;

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`wasm-nlp: bad tensor shape [${shape.join(', ')}]: dimension ${d}`);
    n *= d;
  }
  return n;
}

export class Tensor<D extends DType = 'f32'> {
  readonly arena: Arena;
  readonly offset: number;
  readonly shape: readonly number[];
  readonly dtype: D;
  readonly size: number;
  private released = false;

  constructor(arena: Arena, shape: readonly number[], dtype: D) {
    this.size = sizeOf(shape);
    this.arena = arena;
    this.shape = [...shape];
    this.dtype = dtype;
    this.offset = arena.alloc(this.size * ARRAY[dtype].BYTES_PER_ELEMENT);
    // The arena reuses freed blocks: a new tensor starts at zero, whatever was there before.
    this.data.fill(0);
  }

  get byteLength(): number {
    return this.size * ARRAY[this.dtype].BYTES_PER_ELEMENT;
  }

  /** A view of the tensor's elements. Re-read it after anything that may grow memory. */
  get data(): ArrayOf<D> {
    if (this.released) throw new Error('wasm-nlp: tensor used after free()');
    return new ARRAY[this.dtype](this.arena.buf as ArrayBuffer, this.offset, this.size) as ArrayOf<D>;
  }

  /** Gives the memory back to the arena. */
  free(): void {
    if (this.released) return;
    this.released = true;
    this.arena.release(this.offset);
  }
}
