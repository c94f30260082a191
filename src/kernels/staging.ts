// Moves operands into WASM memory for one kernel call and results back out. A resident tensor
// (or a view of this memory) is used where it lies; a plain Float32Array is copied into a
// scratch block that is freed after the call. All blocks are allocated before any copy,
// because an allocation may grow memory and detach the views taken before it.
import type { Arena } from '../wasm/arena';
import type { Operand } from './types';

interface Slot {
  data: Float32Array;
  ptr: number;
  scratch: boolean;
}

export class Staging {
  private readonly arena: Arena;
  private readonly slots: Slot[] = [];

  constructor(arena: Arena) {
    this.arena = arena;
  }

  /** Reserves room for an operand (already checked; `data` is its elements) and returns its byte offset. */
  place(operand: Operand | undefined, data: Float32Array | undefined): number {
    if (operand === undefined || data === undefined) return 0;
    const resident = this.residentOffset(operand, data);
    const slot = resident === undefined
      ? { data, ptr: this.arena.alloc(data.byteLength), scratch: true }
      : { data, ptr: resident, scratch: false };
    this.slots.push(slot);
    return slot.ptr;
  }

  /** Reserves room for a result of n floats that has no caller-given place. */
  scratch(n: number): number {
    const ptr = this.arena.alloc(n * 4);
    this.slots.push({ data: new Float32Array(0), ptr, scratch: true });
    return ptr;
  }

  /** Copies every placed plain array into its scratch block. */
  copyIn(): void {
    const heap = this.arena.f32();
    for (const s of this.slots) if (s.scratch && s.data.length) heap.set(s.data, s.ptr >>> 2);
  }

  /**
   * The result at `ptr` (from place or scratch): copied into `outData` when that is a plain
   * array, a fresh view when it is resident, a new array when there was no `out`.
   */
  result(ptr: number, n: number, outData: Float32Array | undefined): Float32Array {
    const view = this.arena.f32().subarray(ptr >>> 2, (ptr >>> 2) + n);
    if (outData === undefined) return view.slice();
    const slot = this.slots.find((s) => s.ptr === ptr);
    if (slot && !slot.scratch) return new Float32Array(this.arena.buf as ArrayBuffer, ptr, n);
    outData.set(view);
    return outData;
  }

  /** Frees the scratch blocks. */
  release(): void {
    for (const s of this.slots) if (s.scratch) this.arena.release(s.ptr);
    this.slots.length = 0;
  }

  private residentOffset(operand: Operand, data: Float32Array): number | undefined {
    return residentOffset(this.arena, operand, data);
  }
}

/** Where an operand lies in the arena's memory (a tensor, or a view of that memory), or undefined for a plain array. */
export function residentOffset(arena: Arena, operand: Operand, data: Float32Array): number | undefined {
  const t = operand as { arena?: unknown; offset?: unknown };
  if (t.arena === arena && typeof t.offset === 'number') return t.offset;
  if (data.buffer === arena.memory.buffer) return data.byteOffset;
  return undefined;
}
