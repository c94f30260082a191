// A tiny ONNX protobuf encoder: just enough of onnx.proto (ModelProto, GraphProto, NodeProto,
// AttributeProto, TensorProto, ValueInfoProto) to build one-operator benchmark models in memory,
// so the peer benchmarks need neither Python nor model files. Field numbers are onnx.proto's.
//
//   const bytes = model({ opset: 17, nodes: [node('Gemm', ['a', 'b'], ['c'], { transB: 1 })],
//     inputs: [valueInfo('a', [m, k])], outputs: [valueInfo('c', [m, n])],
//     initializers: [tensor('b', [n, k], data)] });
const FLOAT = 1; // TensorProto.DataType.FLOAT, also TypeProto.Tensor.elem_type

// --- wire format: a message is a list of [field, wireType, payload] encoded in order ---

const utf8 = new TextEncoder();

/** Varint of a non-negative integer or of any int64 (negatives as 10-byte two's complement). */
function varint(value) {
  let v = BigInt.asUintN(64, BigInt(value));
  const out = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

class Writer {
  parts = [];
  tag(field, wire) { this.parts.push(Uint8Array.from(varint((field << 3) | wire))); }
  int(field, value) { this.tag(field, 0); this.parts.push(Uint8Array.from(varint(value))); return this; }
  float(field, value) {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.parts.push(b);
    return this;
  }
  bytes(field, data) {
    this.tag(field, 2);
    this.parts.push(Uint8Array.from(varint(data.length)), data);
    return this;
  }
  string(field, s) { return this.bytes(field, utf8.encode(s)); }
  message(field, w) { return this.bytes(field, w.finish()); }
  finish() {
    const out = new Uint8Array(this.parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of this.parts) { out.set(p, o); o += p.length; }
    return out;
  }
}

// --- ONNX messages, each returned as a Writer so it can be nested without re-copying ---

/** TensorProto.DataType of the typed arrays tensor() takes (a plain array is FLOAT). */
const DATA_TYPES = new Map([[Float32Array, FLOAT], [Uint8Array, 2], [Int8Array, 3], [Int32Array, 6]]);

/**
 * TensorProto of FLOAT, or of UINT8 / INT8 / INT32 when data is a Uint8Array / Int8Array /
 * Int32Array (the quantized weights and zero points of a MatMulInteger); the data goes into
 * raw_data (little-endian, as ONNX requires).
 */
export function tensor(name, dims, data) {
  const f = DATA_TYPES.has(data.constructor) ? data : Float32Array.from(data);
  if (f.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`tensor ${name}: ${f.length} values for dims [${dims}]`);
  const w = new Writer();
  for (const d of dims) w.int(1, d); // dims (unpacked repeated int64 is accepted by every parser)
  w.int(2, DATA_TYPES.get(f.constructor)); // data_type
  w.string(8, name); // name
  w.bytes(9, new Uint8Array(f.buffer, f.byteOffset, f.byteLength)); // raw_data (this is x86/ARM: LE)
  return w;
}

/** ValueInfoProto of a FLOAT tensor; a string dim becomes a symbolic dim_param. */
export function valueInfo(name, dims) {
  const shape = new Writer();
  for (const d of dims) shape.message(1, typeof d === 'string' ? new Writer().string(2, d) : new Writer().int(1, d));
  const tensorType = new Writer().int(1, FLOAT).message(2, shape);
  return new Writer().string(1, name).message(2, new Writer().message(1, tensorType));
}

/** AttributeProto: numbers are INT when integral and FLOAT otherwise, unless given as { f } / { i }. */
function attribute(name, value) {
  const w = new Writer().string(1, name);
  if (typeof value === 'string') return w.bytes(4, utf8.encode(value)).int(20, 3); // s, STRING
  if (typeof value === 'object' && 'f' in value) return w.float(2, value.f).int(20, 1);
  if (typeof value === 'object' && 'i' in value) return w.int(3, value.i).int(20, 2);
  if (Number.isInteger(value)) return w.int(3, value).int(20, 2); // i, INT
  return w.float(2, value).int(20, 1); // f, FLOAT
}

/**
 * NodeProto; attrs is a plain object of name → number | string | { f } | { i }. Node names must be
 * unique in a graph, so the default is the first output's name.
 */
export function node(opType, inputs, outputs, attrs = {}, { name = outputs[0], domain } = {}) {
  const w = new Writer();
  for (const i of inputs) w.string(1, i);
  for (const o of outputs) w.string(2, o);
  w.string(3, name).string(4, opType);
  for (const [k, v] of Object.entries(attrs)) w.message(5, attribute(k, v));
  if (domain) w.string(7, domain);
  return w;
}

/**
 * ModelProto bytes. IR version 9 goes with opsets up to 20 (ONNX 1.15); later opsets want 10.
 * Only the default ('') domain is imported.
 */
export function model({ opset, nodes, inputs, outputs, initializers = [], name = 'bench' }) {
  const graph = new Writer();
  for (const n of nodes) graph.message(1, n);
  graph.string(2, name);
  for (const t of initializers) graph.message(5, t);
  for (const i of inputs) graph.message(11, i);
  for (const o of outputs) graph.message(12, o);
  return new Writer()
    .int(1, opset <= 20 ? 9 : 10) // ir_version
    .string(2, 'wasm-nlp-bench') // producer_name
    .message(7, graph)
    .message(8, new Writer().string(1, '').int(2, opset)) // opset_import
    .finish();
}
