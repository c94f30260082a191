// The façade's allocator over one WebAssembly.Memory. The kernels never allocate: they get
// byte offsets from here. Blocks are 64-byte aligned (one cache line, and v128-aligned), kept
// in a free list sorted by offset and coalesced on free. When nothing fits, memory grows.
//
// Growing a non-shared memory detaches every ArrayBuffer over it, so nobody keeps a view:
// `f32()` and friends make a fresh one whenever `memory.buffer` has changed.

/** wasm32 addresses 2^32 bytes: 65,536 pages of 64 KiB. */
export const WASM32_LIMIT_BYTES = 2 ** 32;
const PAGE = 65536;
const ALIGN = 64;

interface Block {
  offset: number;
  bytes: number;
}

export class Arena {
  readonly memory: WebAssembly.Memory;
  /** The most memory may ever grow to, in bytes. */
  readonly limitBytes: number;
  private free: Block[] = [];
  private used = new Map<number, number>();
  private buffer: ArrayBufferLike | undefined;
  private viewF32: Float32Array | undefined;
  private viewU8: Uint8Array | undefined;

  /** `base`: first byte the arena may hand out (above the module's static data). */
  constructor(memory: WebAssembly.Memory, base: number, limitBytes = WASM32_LIMIT_BYTES) {
    this.memory = memory;
    this.limitBytes = limitBytes;
    const start = alignUp(base);
    const end = memory.buffer.byteLength;
    if (end < start) throw new Error(`wasm-nlp: memory of ${end} bytes is below the arena's base ${start}`);
    if (end > start) this.free.push({ offset: start, bytes: end - start });
  }

  /** Bytes currently handed out. */
  get usedBytes(): number {
    let n = 0;
    for (const b of this.used.values()) n += b;
    return n;
  }

  /** Returns the byte offset of a fresh block of at least `bytes` bytes. */
  alloc(bytes: number): number {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new Error(`wasm-nlp: cannot allocate ${bytes} bytes`);
    const size = Math.max(ALIGN, alignUp(bytes));
    let i = this.free.findIndex((b) => b.bytes >= size);
    if (i < 0) i = this.grow(size);
    const block = this.free[i]!;
    const offset = block.offset;
    block.offset += size;
    block.bytes -= size;
    if (block.bytes === 0) this.free.splice(i, 1);
    this.used.set(offset, size);
    return offset;
  }

  /**
   * Grows memory once so that `bytes` more can be allocated without growing again (as far as
   * the limit allows; past it, alloc throws as ever): a model's weights then cost one growth,
   * not one per weight, each of which costs milliseconds.
   */
  reserve(bytes: number): void {
    const end = this.memory.buffer.byteLength;
    const last = this.free[this.free.length - 1];
    const tail = last && last.offset + last.bytes === end ? last.bytes : 0;
    const pages = Math.min(Math.ceil((bytes - tail) / PAGE), Math.floor((this.limitBytes - end) / PAGE));
    if (pages > 0) this.grow(pages * PAGE + tail);
  }

  /** Gives back a block from `alloc`. */
  release(offset: number): void {
    const size = this.used.get(offset);
    if (size === undefined) throw new Error(`wasm-nlp: no allocated block at byte offset ${offset}`);
    this.used.delete(offset);
    let i = this.free.findIndex((b) => b.offset > offset);
    if (i < 0) i = this.free.length;
    this.free.splice(i, 0, { offset, bytes: size });
    // Coalesce with the next block, then with the previous one.
    const next = this.free[i + 1];
    if (next && offset + size === next.offset) {
      this.free[i]!.bytes += next.bytes;
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev && prev.offset + prev.bytes === offset) {
      prev.bytes += this.free[i]!.bytes;
      this.free.splice(i, 1);
    }
  }

  /** Grows memory so that the last free block (the one touching the end) holds `size` bytes. */
  private grow(size: number): number {
    const end = this.memory.buffer.byteLength;
    const last = this.free[this.free.length - 1];
    const tail = last && last.offset + last.bytes === end ? last : undefined;
    const need = size - (tail ? tail.bytes : 0);
    const pages = Math.ceil(need / PAGE);
    const total = end + pages * PAGE;
    if (total > this.limitBytes) {
      throw new Error(
        `wasm-nlp: cannot allocate ${size} bytes: WebAssembly memory would grow to ${total} bytes, ` +
          `over its limit of ${this.limitBytes} bytes` +
          (this.limitBytes === WASM32_LIMIT_BYTES ? ' (wasm32 addresses 4 GiB)' : ''),
      );
    }
    try {
      this.memory.grow(pages);
    } catch (e) {
      throw new Error(`wasm-nlp: cannot allocate ${size} bytes: growing WebAssembly memory to ${total} bytes failed (${(e as Error).message})`);
    }
    if (tail) {
      tail.bytes += pages * PAGE;
      return this.free.length - 1;
    }
    this.free.push({ offset: end, bytes: pages * PAGE });
    return this.free.length - 1;
  }

  private refresh(): ArrayBufferLike {
    const buffer = this.memory.buffer;
    if (buffer !== this.buffer) {
      this.buffer = buffer;
      this.viewF32 = new Float32Array(buffer);
      this.viewU8 = new Uint8Array(buffer);
    }
    return buffer;
  }

  /** All of memory as f32; valid until the next allocation. */
  f32(): Float32Array {
    this.refresh();
    return this.viewF32!;
  }

  /** All of memory as bytes; valid until the next allocation. */
  u8(): Uint8Array {
    this.refresh();
    return this.viewU8!;
  }

  /** The current ArrayBuffer (or SharedArrayBuffer) behind memory. */
  get buf(): ArrayBufferLike {
    return this.refresh();
  }
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
