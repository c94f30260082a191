// Weights are checked finite at load, but finite weights can still overflow float32 on the
// way through a layer (a weight of 1e30 squared): the outputs are then NaN or ±Inf. That is
// reported where it first shows, never handed back as numbers.

/** Throws, naming `what` and the first bad element, if `values` holds NaN or ±Inf. */
export function checkFinite(values: Float32Array, what: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // v - v is 0 for every finite v, NaN for NaN and ±Inf: one comparison per element.
    if (v - v !== 0) throw new Error(`${what} are not finite (${v} at element ${i}): the model's weights overflow float32`);
  }
}
