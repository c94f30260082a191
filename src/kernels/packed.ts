// A packed B: what kernels.packB returns. Each backend keeps its own storage (the WASM panel
// layout in its arena, or the JS twin's plain k×n copy) and refuses another backend's matrix.
import type { PackedMatrix } from './types';

export class PackedB implements PackedMatrix {
  readonly k: number;
  readonly n: number;
  /** The backend that packed it (its kernels object). */
  readonly owner: object;
  /** Byte offset of the panels in the owner's WASM memory, or -1. */
  readonly offset: number;
  /** The JS twin's k×n row-major copy, or undefined. */
  readonly data: Float32Array | undefined;
  private release: (() => void) | undefined;

  constructor(owner: object, k: number, n: number, storage: { offset: number; release: () => void } | { data: Float32Array }) {
    this.owner = owner;
    this.k = k;
    this.n = n;
    this.offset = 'offset' in storage ? storage.offset : -1;
    this.data = 'data' in storage ? storage.data : undefined;
    this.release = 'release' in storage ? storage.release : undefined;
  }

  get freed(): boolean {
    return this.release === undefined && this.data === undefined;
  }

  free(): void {
    this.release?.();
    this.release = undefined;
    (this as { data: Float32Array | undefined }).data = undefined;
  }
}
