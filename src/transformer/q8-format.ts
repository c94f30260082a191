// The wasm-nlp-q8 checkpoint format: a Hugging Face folder whose model.safetensors says
// {"quantization": "wasm-nlp-q8"} in its __metadata__ and stores every quantized tensor NAME as
// I8, the float tensor's shape, plus NAME_scale, F32 of shape [rows]: row r's real values are
// values[r][c] · scale[r]. Rows are a Linear weight's output channels ([out, in]) and an embedding
// table's tokens ([vocab, d]), so one scale per row is the kernels' one scale per output channel
// (kernels/quantize.ts) and serves a tied LM head too. Which tensors are quantized: every float
// tensor of exactly 2 dimensions, both > 1 (Marian's final_logits_bias [1, V] stays float).
// config.json says so as well ("quantization_config": {"quant_method": "wasm-nlp-q8"}, Hugging
// Face's key), so that loadModel knows the dtype before it reads any weight file.
import { FormatError } from '../io/errors';
import { bomLength } from '../io/json-bytes';
import type { SafetensorsDtype, SafetensorsFile } from '../io/safetensors';
import type { QuantizedWeights } from '../kernels/types';

export const Q8_MARKER = 'wasm-nlp-q8';
export const SCALE_SUFFIX = '_scale';

/** The __metadata__ of a quantized model.safetensors. */
export const Q8_METADATA: Readonly<Record<string, string>> = { format: 'pt', quantization: Q8_MARKER };

const FLOAT_DTYPES: readonly SafetensorsDtype[] = ['F32', 'F16', 'BF16', 'F64'];

export function isFloatDtype(dtype: SafetensorsDtype): boolean {
  return FLOAT_DTYPES.includes(dtype);
}

/** A tensor the format stores as int8: a matrix, rows and columns both more than one. */
export function isQuantizedShape(shape: readonly number[]): boolean {
  return shape.length === 2 && shape[0]! > 1 && shape[1]! > 1;
}

export function isQ8File(st: SafetensorsFile): boolean {
  return st.metadata['quantization'] === Q8_MARKER;
}

/** What config.json gets under "quantization_config". */
export const Q8_CONFIG: Readonly<Record<string, string>> = { quant_method: Q8_MARKER };

/** Whether config.json (already read by configFromHuggingFace: valid JSON) has quantization_config.quant_method "wasm-nlp-q8". */
export function configDeclaresQ8(configBytes: Uint8Array): boolean {
  const config = JSON.parse(new TextDecoder().decode(configBytes.subarray(bomLength(configBytes)))) as Record<string, unknown>;
  const q = config['quantization_config'];
  return q !== null && typeof q === 'object' && (q as Record<string, unknown>)['quant_method'] === Q8_MARKER;
}

/** Row r of values (rows × cols int8) times scales[r], as f32: what every q8 weight stands for. */
export function dequantizeRow(w: QuantizedWeights, cols: number, r: number, out: Float32Array, offset = 0): void {
  const s = w.scales[r]!;
  for (let c = 0; c < cols; c++) out[offset + c] = Math.fround(w.values[r * cols + c]! * s);
}

export function dequantize(w: QuantizedWeights, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) dequantizeRow(w, cols, r, out, r * cols);
  return out;
}

/**
 * Throws if a value of the I8 tensor `name` times its row's scale is not finite: -128 (which
 * quantizeWeights never writes) in a row whose scale readScales took, 127·scale finite, but
 * 128·scale not, would dequantize to -Infinity. Only such rows are scanned.
 */
export function checkDequantizable(name: string, values: Int8Array, scales: Float32Array, cols: number, byteOffset: number, where: string): void {
  for (let r = 0; r < scales.length; r++) {
    if (Number.isFinite(Math.fround(128 * scales[r]!))) continue;
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      if (values[i] === -128) {
        throw new FormatError(`${where}: element ${i} of ${name} is -128, which times its row's scale ${scales[r]} is -Infinity: ` +
          'weights must be finite', name, byteOffset + i);
      }
    }
  }
}

/**
 * The scales of the I8 tensor `name` ([rows, cols]), read from `scaleFile` (where NAME_scale is,
 * or undefined), each checked: F32 of shape [rows], every scale positive and finite (and small
 * enough that 127·scale is too). `where` names the file the I8 tensor is in, for messages.
 */
export function readScales(name: string, rows: number, byteOffset: number, scaleFile: SafetensorsFile | undefined, where: string): Float32Array {
  const scaleName = name + SCALE_SUFFIX;
  if (!scaleFile) {
    throw new FormatError(`${where}: the I8 tensor ${name} has no ${scaleName} (its per-row scales)`, scaleName, byteOffset);
  }
  const info = scaleFile.info(scaleName);
  if (info.dtype !== 'F32' || info.shape.length !== 1 || info.shape[0] !== rows) {
    throw new FormatError(`${where}: ${scaleName} is ${info.dtype} [${info.shape.join(', ')}], expected F32 [${rows}] (one scale per row of ${name})`,
      scaleName, info.byteOffset);
  }
  const scales = scaleFile.tensor(scaleName);
  for (let r = 0; r < rows; r++) {
    const s = scales[r]!;
    if (!(s > 0 && Number.isFinite(Math.fround(127 * s)))) {
      throw new FormatError(`${where}: element ${r} of ${scaleName} is ${s}: scales must be positive and finite`, scaleName, info.byteOffset + 4 * r);
    }
  }
  return scales;
}
