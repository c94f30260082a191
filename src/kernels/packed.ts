// A packed B: what kernels.packB and kernels.packQ8 return. Each backend keeps its own storage
// (the WASM panel layout in its arena, or the JS twin's plain copies) and refuses another
// backend's matrix.
import type { PackedDtype, PackedMatrix } from './types';

/** The JS twin's q8 storage: int8 weights n×k (row j = column j of C), scales and column sums. */
export interface TwinQ8 {
  values: Int8Array;
  scales: Float32Array;
  colSums: Int32Array;
}

type Storage = { offset: number; release: () => void } | { data: Float32Array } | { q8: TwinQ8 };

export class PackedB implements PackedMatrix {
  readonly k: number;
  readonly n: number;
  readonly dtype: PackedDtype;
  /** The backend that packed it (its kernels object). */
  readonly owner: object;
  /** Byte offset of the panels in the owner's WASM memory, or -1. */
  readonly offset: number;
  /** The JS twin's k×n row-major f32 copy, or undefined. */
  readonly data: Float32Array | undefined;
  /** The JS twin's q8 arrays, or undefined. */
  readonly q8: TwinQ8 | undefined;
  private release: (() => void) | undefined;

  constructor(owner: object, k: number, n: number, dtype: PackedDtype, storage: Storage) {
    this.owner = owner;
    this.k = k;
    this.n = n;
    this.dtype = dtype;
    this.offset = 'offset' in storage ? storage.offset : -1;
    this.data = 'data' in storage ? storage.data : undefined;
    this.q8 = 'q8' in storage ? storage.q8 : undefined;
    this.release = 'release' in storage ? storage.release : undefined;
  }

  get freed(): boolean {
    return this.release === undefined && this.data === undefined && this.q8 === undefined;
  }

  free(): void {
    this.release?.();
    this.release = undefined;
    (this as { data: Float32Array | undefined }).data = undefined;
    (this as { q8: TwinQ8 | undefined }).q8 = undefined;
  }
}
