// Scratch memory of a forward pass: the tensors a block writes its intermediate results into,
// allocated once per pass for its B·T rows and reused by every block.
import type { Runtime, RuntimeTensor } from '../runtime';

export interface Scratch {
  /** Rows of every tensor (B·T), and the model width D of the D-wide ones. */
  rows: number;
  D: number;
  /** Columns of q and ctx (H·Dh) and of k and v (KVH·Dh): D unless the heads say otherwise. */
  qWidth: number;
  kvWidth: number;
  q: RuntimeTensor;
  k: RuntimeTensor;
  v: RuntimeTensor;
  ctx: RuntimeTensor;
  /** A sub-layer's output, before the residual. */
  proj: RuntimeTensor;
  /** The normed input of a pre-norm sub-layer. */
  normed: RuntimeTensor;
  /** rows × F: the FFN's hidden layer. */
  hidden: RuntimeTensor;
  /** rows × F for a gated FFN's second branch, allocated on first use. */
  gated(): RuntimeTensor;
  free(): void;
}

/**
 * All or none: when one cannot be allocated (memory full), those made before it are freed.
 * heads: the attention's widths when they are not D (Llama's head_dim, grouped-query attention).
 */
export function scratch(rt: Runtime, rows: number, D: number, F: number, heads?: { qWidth: number; kvWidth: number }): Scratch {
  const qWidth = heads?.qWidth ?? D, kvWidth = heads?.kvWidth ?? D;
  const t: RuntimeTensor[] = [];
  for (const cols of [qWidth, kvWidth, kvWidth, qWidth, D, D, F]) t.push(orFree(() => rt.tensor([rows, cols]), ...t));
  const [q, k, v, ctx, proj, normed, hidden] = t as [RuntimeTensor, RuntimeTensor, RuntimeTensor, RuntimeTensor, RuntimeTensor, RuntimeTensor, RuntimeTensor];
  let gated: RuntimeTensor | undefined;
  return {
    rows, D, qWidth, kvWidth, q, k, v, ctx, proj, normed, hidden,
    gated: () => (gated ??= rt.tensor([rows, F])),
    free: () => {
      t.forEach((x) => x.free());
      gated?.free();
    },
  };
}

/**
 * make(), but if it throws (memory full) `held` is freed first: a pass whose later tensors
 * cannot be allocated leaks none of those it allocated before them.
 */
export function orFree<T>(make: () => T, ...held: { free(): void }[]): T {
  try {
    return make();
  } catch (e) {
    for (const h of held) h.free();
    throw e;
  }
}
