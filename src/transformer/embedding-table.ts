// An embedding table (tokens, positions, token types: rows × dim) as the embed loops of the models
// read it, one gathered row at a time: f32, or int8 with one scale per row (q8), each row
// dequantized only when a token asks for it. The table stays in JS memory: the kernels never read
// it, except as a tied LM head, which is packed from it once (packTiedHead).
import type { Runtime } from '../runtime';
import type { PackedMatrix, QuantizedWeights } from '../kernels/types';
import { dequantizeRow } from './q8-format';

export interface EmbeddingTable {
  readonly rows: number;
  readonly dim: number;
  /**
   * Row `id` as dim floats: a view of an f32 table, or an int8 row times its scale written into a
   * buffer the table reuses (valid until its next row()).
   */
  row(id: number): Float32Array;
}

export class F32Table implements EmbeddingTable {
  constructor(readonly values: Float32Array, readonly rows: number, readonly dim: number) {}

  row(id: number): Float32Array {
    return this.values.subarray(id * this.dim, (id + 1) * this.dim);
  }
}

export class Q8Table implements EmbeddingTable {
  private readonly buffer: Float32Array;

  /** quantized.values is rows × dim, quantized.scales one per row. */
  constructor(readonly quantized: QuantizedWeights, readonly rows: number, readonly dim: number) {
    this.buffer = new Float32Array(dim);
  }

  row(id: number): Float32Array {
    dequantizeRow(this.quantized, this.dim, id, this.buffer);
    return this.buffer;
  }
}

/**
 * An LM head tied to the table: logits = h·Eᵀ, one output channel per row (per token). A q8
 * table's per-row scales are exactly the per-channel scales a q8 pack wants, so its int8 values
 * are packed as they are.
 */
export function packTiedHead(rt: Runtime, table: F32Table | Q8Table): PackedMatrix {
  const shape = { k: table.dim, n: table.rows };
  return table instanceof Q8Table ? rt.kernels.packQ8(table.quantized, shape) : rt.kernels.packB(table.values, { ...shape, transB: true });
}
