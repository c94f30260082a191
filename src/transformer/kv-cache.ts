// A self-attention KV cache for decoding: each layer's keys and values of every row's earlier
// positions, resident in the runtime's memory (rows × positions × width per layer, width = D, or
// KVH·Dh with grouped-query attention: the cache holds only the KV heads, the point of GQA; the positions
// allocated growing by doubling up to a capacity, so a long maxLength costs only what a
// generation actually reaches). A decoding step writes its new keys and values and attends
// over the cached ones in place; beam search reorders rows by copying within WASM memory.
import type { Runtime, RuntimeTensor } from '../runtime';

export class KVCache {
  /** Layer i's keys are tensors[i], its values tensors[layers + i]. */
  private tensors: RuntimeTensor[];
  /** Positions allocated per row: grown by doubling up to `capacity` as decoding goes on. */
  private size: number;

  /** D: the width of a position's keys (KVH·Dh, which is the model width D without GQA). */
  constructor(private readonly rt: Runtime, private readonly layers: number, readonly rows: number, readonly capacity: number, private readonly D: number) {
    this.size = Math.min(capacity, 16);
    this.tensors = this.allocate(this.size);
  }

  /** 2 · layers tensors of rows × size × D, all or none (a failed allocation frees the others). */
  private allocate(size: number): RuntimeTensor[] {
    const out: RuntimeTensor[] = [];
    try {
      for (let i = 0; i < 2 * this.layers; i++) out.push(this.rt.tensor([this.rows * size, this.D]));
      return out;
    } catch (e) {
      for (const t of out) t.free();
      throw e;
    }
  }

  private keys(layer: number): RuntimeTensor {
    return this.tensors[layer]!;
  }

  private values(layer: number): RuntimeTensor {
    return this.tensors[this.layers + layer]!;
  }

  /** Stores a layer's new keys and values (rows·T × D, T per row) at positions pos..pos+T−1. */
  write(layer: number, k: RuntimeTensor, v: RuntimeTensor, pos: number, T: number): void {
    const D = this.D;
    if (pos + T > this.capacity) throw new Error(`KV cache: positions up to ${pos + T} do not fit its capacity of ${this.capacity}`);
    if (pos + T > this.size) this.grow(Math.min(this.capacity, Math.max(2 * this.size, pos + T)));
    const size = this.size;
    for (const [from, to] of [[k, this.keys(layer)], [v, this.values(layer)]] as const) {
      const src = from.data, dst = to.data;
      for (let r = 0; r < this.rows; r++) dst.set(src.subarray(r * T * D, (r + 1) * T * D), (r * size + pos) * D);
    }
  }

  /** Reallocates every layer for `size` positions per row, keeping what each row holds. */
  private grow(size: number): void {
    const D = this.D, old = this.size, bigger = this.allocate(size);
    // Views taken after the allocations, which may grow memory and detach older views.
    this.tensors.forEach((t, i) => {
      const src = t.data, dst = bigger[i]!.data;
      for (let r = 0; r < this.rows; r++) dst.set(src.subarray(r * old * D, (r + 1) * old * D), r * size * D);
      t.free();
    });
    this.tensors = bigger;
    this.size = size;
  }

  /**
   * Attention of T new queries per row (q: rows·T × H·Dh) over the row's cached positions
   * 0..pos+T−1, each query seeing only itself and earlier positions (the last `window` of them
   * when given); the context (rows·T × H·Dh) into `out`. KVH (default H): the cached heads. scale:
   * of q·kᵀ (default 1/√Dh); bias: H·T·(pos + T) added to the scores, the same for every row (T5's
   * relative positions).
   */
  attend(layer: number, q: RuntimeTensor, pos: number, T: number, out: RuntimeTensor,
    heads: { H: number; Dh: number; KVH?: number; window?: number; scale?: number; bias?: RuntimeTensor }): void {
    const D = this.D, cap = this.size, kernels = this.rt.kernels, { H, Dh } = heads, QW = H * Dh;
    const KVH = heads.KVH ?? H;
    if (KVH * Dh !== D) throw new Error(`KV cache: it holds ${D} floats a position, the attention's KVH·Dh is ${KVH} · ${Dh}`);
    // A bias covers every cached key; a window would read only its last ones.
    if (heads.bias && heads.window !== undefined) throw new Error('KV cache: a score bias with a sliding window is not supported');
    // With a window, only its last positions are read (the kernel would skip the others anyway).
    const first = heads.window !== undefined ? Math.max(0, pos + 1 - heads.window) : 0;
    for (let r = 0; r < this.rows; r++) {
      // Views taken afresh for each call: a call may grow memory and detach older views.
      const cached = (t: RuntimeTensor) => t.data.subarray((r * cap + first) * D, (r * cap + pos + T) * D);
      const ctx = kernels.attention(q.data.subarray(r * T * QW, (r + 1) * T * QW), cached(this.keys(layer)), cached(this.values(layer)),
        { heads: H, kvHeads: KVH, tq: T, tk: pos + T - first, dHead: Dh, causal: true, window: heads.window, scale: heads.scale, bias: heads.bias });
      out.data.set(ctx, r * T * QW);
    }
  }

  /** Row r takes the first `length` cached positions of row from[r] (beam search's reordering). */
  reorder(from: number[], length: number): void {
    const D = this.D, cap = this.size, span = length * D;
    const moved = from.flatMap((f, r) => (f === r ? [] : [r]));
    if (moved.length === 0) return;
    // Rows that are overwritten may be sources of others: copy the sources aside first.
    const sources = [...new Set(moved.map((r) => from[r]!))];
    const slot = new Map(sources.map((s, i) => [s, i]));
    const aside = this.rt.tensor([sources.length * length, D]);
    try {
      for (const t of this.tensors) {
        const data = t.data, tmp = aside.data;
        sources.forEach((s, i) => tmp.set(data.subarray(s * cap * D, s * cap * D + span), i * span));
        for (const r of moved) data.set(tmp.subarray(slot.get(from[r]!)! * span, (slot.get(from[r]!)! + 1) * span), r * cap * D);
      }
    } finally {
      aside.free();
    }
  }

  free(): void {
    for (const t of this.tensors) t.free();
  }
}
