// How texts of different lengths are cut into batches: longest first (sentence-transformers'
// order), so that a batch pads little; ties keep the input order. The callers put each result
// back at its text's input index.

/** The indices of the items with a length (undefined: left out), longest first, batchSize at a time. */
export function lengthBatches(lengths: readonly (number | undefined)[], batchSize: number): number[][] {
  const order = lengths.flatMap((n, i) => (n === undefined ? [] : [i]));
  // Array.prototype.sort is stable: equal lengths stay in input order.
  order.sort((a, b) => lengths[b]! - lengths[a]!);
  const batches: number[][] = [];
  for (let at = 0; at < order.length; at += batchSize) batches.push(order.slice(at, at + batchSize));
  return batches;
}
