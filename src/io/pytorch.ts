// pytorch_model.bin: what torch.save(state_dict) writes (torch ≥ 1.6), read without running any
// of it. The file is a zip archive of stored entries under one folder (torch names it after the
// file: "pytorch_model/", or "archive/"):
//   data.pkl     the state dict, pickled (protocol 2): an OrderedDict of name → tensor, each
//                tensor `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride,
//                requires_grad, backward_hooks)`, its storage a persistent id
//                ('storage', torch.FloatStorage, key, location, numel);
//   data/<key>   each storage's bytes, little-endian, numel × the element's width;
//   version      and, from torch 2.1, byteorder ("little" or "big").
// The pickle is read by the restricted unpickler (pickle.ts) with the globals a state dict uses:
// anything else is refused, naming it. Tensors are views: several may share one storage (tied
// weights), start at an offset, and have any strides (a transposed matrix): each is read as its
// span of the storage and copied out, row-major, when it is not contiguous.
//
// The result has SafetensorsFile's interface, so a checkpoint reads tensors from either alike:
// dtypes are safetensors' names (F32, F16, BF16, I64, …), info().byteOffset is where the tensor's
// first element is in the .bin, and byteLength its elements' bytes (a strided view's elements are
// spread further).
import { FormatError } from './errors';
import { describe, PickleDict, PickleGlobal, PickleTuple, unpickle, type PickleValue } from './pickle';
import { f16BitsToF32Bits, type ByteSource, type SafetensorsDtype, type SafetensorsFile, type TensorInfo, type TensorOptions } from './safetensors';
import { checkStored, looksLikeZip, readZipDirectory, type ZipEntry } from './zip';

/** torch's storage types → the dtype of their elements. */
const STORAGE_DTYPES: Record<string, SafetensorsDtype> = {
  FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16', DoubleStorage: 'F64',
  LongStorage: 'I64', IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};
const WIDTH: Partial<Record<SafetensorsDtype, number>> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** data.pkl of a model with tens of thousands of tensors is a few MB; the bound keeps a hostile one from being read whole. */
export const MAX_PICKLE_BYTES = 100_000_000;

/** The first bytes of the legacy (pre-1.6) torch.save format: a pickled magic number, 0x1950a86a20f9469cfc6c. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A tensor of the state dict: a view of a storage. */
interface TensorRef {
  storage: StorageRef;
  /** Elements before the first one, in the storage. */
  storageOffset: number;
  shape: number[];
  stride: number[];
  /** Where REDUCE built it in the file, for messages about its arguments. */
  at: number;
}

interface StorageRef {
  key: string;
  dtype: SafetensorsDtype;
  numel: number;
  /** The storage's entry data/<key>, once resolved. */
  entry?: ZipEntry;
  /** Where the persistent id was read, in the file. */
  at: number;
}

export interface PytorchFile extends SafetensorsFile {
  /** The archive's folder ("pytorch_model"), as torch names it after the file. */
  readonly archiveName: string;
}

function fail(field: string, offset: number, what: string): FormatError {
  return new FormatError(`pytorch: ${what} (field ${field}, byte offset ${offset})`, field, offset);
}

/**
 * Reads the directory and data.pkl of a torch.save zip (the whole file's bytes, or a ByteSource
 * read piece by piece); tensors are read when asked for. Every tensor of the state dict is
 * checked against its storage here: a view past its storage's end, a storage entry of another
 * size, an unknown storage type, or a pickle that names anything but the globals of a state dict
 * is a FormatError naming the tensor (or global) and the byte offset.
 */
export function parsePytorch(input: Uint8Array | ByteSource): PytorchFile {
  const isBytes = input instanceof Uint8Array;
  if (!isBytes && !(input && Number.isSafeInteger(input.length) && typeof input.read === 'function')) {
    throw new Error('parsePytorch: give the bytes (a Uint8Array) or a ByteSource');
  }
  const source: ByteSource = isBytes ? { length: input.length, read: (offset, length) => input.subarray(offset, offset + length) } : input;
  const head = source.read(0, Math.min(source.length, LEGACY_MAGIC.length)).slice();
  if (!looksLikeZip(head)) {
    if (head.length === LEGACY_MAGIC.length && LEGACY_MAGIC.every((b, i) => head[i] === b)) {
      throw fail('format', 0, 'the legacy torch.save format (torch < 1.6, or _use_new_zipfile_serialization=False) is not read: ' +
        're-save it with torch.save in torch ≥ 1.6, or convert it to safetensors');
    }
    throw fail('format', 0, 'not a zip archive: torch.save (torch ≥ 1.6) writes one, starting "PK\\x03\\x04"');
  }
  const zip = readZipDirectory(source);
  const first = zip.entries[0];
  if (!first) throw fail('entries', 0, 'the zip archive has no entries');
  // As torch's reader: the archive's folder is the first entry's, and data.pkl is in it.
  const slash = first.name.indexOf('/');
  if (slash <= 0) throw fail('name', first.recordOffset, `the first entry "${first.name}" is not in a folder (torch writes "<archive>/data.pkl")`);
  const archiveName = first.name.slice(0, slash);
  const pklEntry = zip.get(`${archiveName}/data.pkl`);
  if (!pklEntry) throw fail('data.pkl', first.recordOffset, `the archive has no ${archiveName}/data.pkl: not a torch.save file`);
  checkStored(pklEntry, 'data.pkl');
  const byteorder = zip.get(`${archiveName}/byteorder`);
  if (byteorder) {
    checkStored(byteorder, 'byteorder');
    if (byteorder.size > 16) throw fail('byteorder', byteorder.dataOffset, `the byteorder entry has ${byteorder.size} bytes; torch writes "little" or "big"`);
    const order = new TextDecoder().decode(source.read(byteorder.dataOffset, byteorder.size)).trim();
    if (order !== 'little') throw fail('byteorder', byteorder.dataOffset, `the storages are ${order}-endian; only little-endian ones are read`);
  }
  if (pklEntry.size > MAX_PICKLE_BYTES) throw fail('data.pkl', pklEntry.recordOffset + 24, `data.pkl has ${pklEntry.size} bytes, more than the ${MAX_PICKLE_BYTES} allowed`);

  const storages = new Map<string, StorageRef>();
  const pkl = source.read(pklEntry.dataOffset, pklEntry.size).slice();
  const root = unpickle(pkl, {
    globals: stateDictGlobals(),
    persistentLoad: (pid, at) => storageRef(pid, at, storages),
    baseOffset: pklEntry.dataOffset,
    what: 'data.pkl',
  });
  if (!(root instanceof PickleDict)) {
    throw fail('data.pkl', pklEntry.dataOffset, `data.pkl holds ${describe(root)}, not a state dict (a dict of name → tensor)`);
  }

  // Each storage's entry, its size checked against the numel its references claim.
  for (const s of storages.values()) {
    const entry = zip.get(`${archiveName}/data/${s.key}`);
    if (!entry) throw fail('storage', s.at, `storage "${s.key}" has no entry ${archiveName}/data/${s.key}`);
    checkStored(entry, `data/${s.key}`);
    const bytes = s.numel * WIDTH[s.dtype]!;
    if (entry.size !== bytes) {
      throw fail('storage', entry.recordOffset + 24, `storage "${s.key}" is ${s.numel} elements of ${s.dtype} (${bytes} bytes), ` +
        `but its entry holds ${entry.size} bytes`);
    }
    s.entry = entry;
  }

  const tensors = new Map<string, TensorRef>();
  for (const [key, value] of root.map) {
    if (typeof key !== 'string') throw fail('data.pkl', pklEntry.dataOffset, `the state dict has a key that is ${describe(key)}, not a tensor name`);
    if (!isTensorRef(value)) {
      throw fail('data.pkl', pklEntry.dataOffset, `"${key}" of the state dict is ${describe(value)}, not a tensor ` +
        '(a training checkpoint, not a state dict? save model.state_dict())');
    }
    tensors.set(key, value);
  }

  const info = (name: string): TensorInfo => {
    const t = tensors.get(name);
    if (!t) throw new Error(`pytorch: no tensor named "${name}" (the file has ${tensors.size}: ${preview([...tensors.keys()])})`);
    const width = WIDTH[t.storage.dtype]!;
    return { dtype: t.storage.dtype, shape: [...t.shape], byteOffset: t.storage.entry!.dataOffset + t.storageOffset * width, byteLength: count(t.shape) * width };
  };
  const get = (name: string) => {
    info(name);
    return tensors.get(name)!;
  };
  // Names in the order of their bytes in the file, as safetensors lists them.
  const names = [...tensors.keys()].sort((a, b) => info(a).byteOffset - info(b).byteOffset || (a < b ? -1 : a > b ? 1 : 0));
  return {
    names, archiveName,
    metadata: {},
    headerLength: pklEntry.size,
    dataOffset: pklEntry.dataOffset,
    uncoveredBytes: 0,
    notes: [],
    has: (name) => tensors.has(name),
    info,
    tensor: (name, options: TensorOptions = {}) => readFloat(source, name, get(name), options.checkFinite === true),
    view: (name, options: TensorOptions = {}) => {
      const t = get(name);
      if (t.storage.dtype !== 'F32' || !LITTLE_ENDIAN_HOST || !isContiguous(t)) return undefined;
      const { byteOffset, byteLength } = info(name);
      const b = source.read(byteOffset, byteLength);
      if (b.byteOffset % 4 !== 0) return undefined;
      const values = new Float32Array(b.buffer, b.byteOffset, byteLength / 4);
      if (options.checkFinite) checkFiniteValues(name, 'F32', values, (i) => byteOffset + 4 * i);
      return values;
    },
    intTensor: (name) => readInt(source, name, get(name)),
    int8Tensor: (name, options = {}) => {
      const t = get(name);
      if (t.storage.dtype !== 'I8') throw fail('dtype', info(name).byteOffset, `tensor "${name}" is ${t.storage.dtype}, not I8`);
      const { bytes } = rowMajor(source, t);
      return new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).slice();
    },
    checkFinite: (name) => {
      readFloat(source, name, get(name), true);
    },
  };
}

// --- the pickle's globals ---------------------------------------------------------------------

/** What a state dict's pickle may name: OrderedDict, the tensor rebuilders, and the storage types (named, never called). */
function stateDictGlobals(): Map<string, { call?: (args: readonly PickleValue[], offset: number) => PickleValue }> {
  const globals = new Map<string, { call?: (args: readonly PickleValue[], offset: number) => PickleValue }>();
  globals.set('collections.OrderedDict', {
    call: (args, at) => {
      if (args.length !== 0) throw fail('OrderedDict', at, `OrderedDict with ${args.length} arguments; a state dict's has none (its items follow)`);
      return new PickleDict(true);
    },
  });
  globals.set('torch._utils._rebuild_tensor_v2', { call: rebuildTensor });
  // A torch.nn.Parameter saved as such (torch.save(dict(model.named_parameters()))): its tensor.
  globals.set('torch._utils._rebuild_parameter', {
    call: (args, at) => {
      if (args.length !== 3 || !isTensorRef(args[0])) throw fail('_rebuild_parameter', at, '_rebuild_parameter without (tensor, requires_grad, hooks)');
      return args[0];
    },
  });
  for (const name of Object.keys(STORAGE_DTYPES)) globals.set(`torch.${name}`, {});
  return globals;
}

/** _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]). */
function rebuildTensor(args: readonly PickleValue[], at: number): TensorRef {
  if (args.length !== 6 && args.length !== 7) throw fail('_rebuild_tensor_v2', at, `_rebuild_tensor_v2 with ${args.length} arguments, not 6 or 7`);
  const [storage, offset, size, stride] = args;
  if (!isStorageRef(storage)) throw fail('_rebuild_tensor_v2', at, `_rebuild_tensor_v2 of ${describe(storage)}, not a storage (a persistent id)`);
  if (!isCount(offset)) throw fail('storage_offset', at, `storage offset ${describe(offset)}: it must be a non-negative integer`);
  const shape = ints(size ?? null, 'size', at), strides = ints(stride ?? null, 'stride', at);
  if (shape.length !== strides.length) throw fail('stride', at, `size has ${shape.length} dimensions, stride ${strides.length}`);
  const hooks = args[5];
  if (!(hooks instanceof PickleDict) || hooks.map.size !== 0) throw fail('backward_hooks', at, `backward hooks ${describe(hooks)}: a saved tensor has none`);
  // The view's elements, checked against the storage before anything is allocated. A view with
  // more elements than its storage (a stride of 0, as expand() makes) is refused: its copy would
  // be larger than the file, without bound.
  const n = count(shape, storage.numel);
  if (n > storage.numel) {
    throw fail('size', at, `size [${shape.join(', ')}] has more elements than its storage "${storage.key}" (${storage.numel}); ` +
      'expanded views (stride 0) are not read');
  }
  if (n > 0) {
    let last = offset;
    shape.forEach((d, i) => { last += (d - 1) * strides[i]!; });
    if (last >= storage.numel) {
      throw fail('size', at, `size [${shape.join(', ')}], stride [${strides.join(', ')}] and offset ${offset} reach element ${last} ` +
        `of storage "${storage.key}", which has ${storage.numel}`);
    }
  }
  return Object.assign(Object.create(TENSOR_REF) as object, { storage, storageOffset: offset, shape, stride: strides, at }) as TensorRef;
}

/** The prototype that marks a TensorRef (a pickle's values cannot have it). */
const TENSOR_REF = { describe: () => 'a tensor' };
const STORAGE_REF = { describe: () => 'a storage' };

function isTensorRef(x: unknown): x is TensorRef {
  return typeof x === 'object' && x !== null && Object.getPrototypeOf(x) === TENSOR_REF;
}

function isStorageRef(x: unknown): x is StorageRef {
  return typeof x === 'object' && x !== null && Object.getPrototypeOf(x) === STORAGE_REF;
}

/** A persistent id ('storage', storage type, key, location, numel): one StorageRef per key. */
function storageRef(pid: PickleValue, at: number, storages: Map<string, StorageRef>): StorageRef {
  if (!(pid instanceof PickleTuple) || pid.items.length !== 5 || pid.items[0] !== 'storage') {
    throw fail('persistent id', at, `persistent id ${describe(pid)}: torch's are ('storage', type, key, location, numel)`);
  }
  const [, type, key, , numel] = pid.items;
  if (!(type instanceof PickleGlobal) || type.module !== 'torch' || !Object.hasOwn(STORAGE_DTYPES, type.name)) {
    throw fail('storage type', at, `storage type ${describe(type)}: read are ${Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`).join(', ')}`);
  }
  if (typeof key !== 'string' || key.length === 0) throw fail('storage', at, `storage key ${describe(key)}, not a name`);
  if (!isCount(numel)) throw fail('storage', at, `storage "${key}" has ${describe(numel)} elements: it must be a non-negative integer`);
  const dtype = STORAGE_DTYPES[type.name]!;
  const seen = storages.get(key);
  if (seen) {
    // Tensors sharing a storage: torch.save refuses two views of one storage as different types.
    if (seen.dtype !== dtype || seen.numel !== numel) {
      throw fail('storage', at, `storage "${key}" is ${numel} × ${dtype} here and ${seen.numel} × ${seen.dtype} before`);
    }
    return seen;
  }
  const s = Object.assign(Object.create(STORAGE_REF) as object, { key, dtype, numel, at }) as StorageRef;
  storages.set(key, s);
  return s;
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function ints(x: PickleValue, field: string, at: number): number[] {
  // torch.Size pickles as a tuple.
  if (!(x instanceof PickleTuple) || !x.items.every(isCount)) throw fail(field, at, `${field} ${describe(x)}: it must be a tuple of non-negative integers`);
  if (x.items.length > 64) throw fail(field, at, `${field} has ${x.items.length} dimensions, more than torch's 64`);
  return [...x.items] as number[];
}

/** The product of the dimensions, stopping once it passes `bound` (so it stays exact). */
function count(shape: readonly number[], bound = Number.MAX_SAFE_INTEGER): number {
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (n > bound) return n;
  }
  return n;
}

/** Row-major with no gaps: dimensions of 1 may have any stride, as torch's is_contiguous. */
function isContiguous(t: TensorRef): boolean {
  let expected = 1;
  for (let i = t.shape.length - 1; i >= 0; i--) {
    if (t.shape[i] === 1) continue;
    if (t.stride[i] !== expected) return false;
    expected *= t.shape[i]!;
  }
  return true;
}

// --- the data ---------------------------------------------------------------------------------

/**
 * The view's elements as row-major bytes: for a contiguous view the file's bytes just read (one
 * read), for a strided one a copy gathered from one read of the span of the storage it touches.
 * offsetOf(i) is element i's byte offset in the file, for messages.
 */
function rowMajor(source: ByteSource, t: TensorRef): { bytes: Uint8Array; n: number; offsetOf: (i: number) => number } {
  const width = WIDTH[t.storage.dtype]!;
  const n = count(t.shape);
  const spanOffset = t.storage.entry!.dataOffset + t.storageOffset * width;
  if (isContiguous(t)) return { bytes: source.read(spanOffset, n * width), n, offsetOf: (i) => spanOffset + i * width };
  let last = 0;
  t.shape.forEach((d, i) => { last += (d - 1) * t.stride[i]!; });
  const span = source.read(spanOffset, n === 0 ? 0 : (last + 1) * width);
  const bytes = new Uint8Array(n * width);
  // An odometer over the dimensions, the last one fastest; pos is the element's index in the span.
  const D = t.shape.length;
  const at = new Array<number>(D).fill(0);
  let pos = 0;
  for (let i = 0, o = 0; i < n; i++, o += width) {
    for (let k = 0; k < width; k++) bytes[o + k] = span[pos * width + k]!;
    for (let d = D - 1; d >= 0; d--) {
      if (++at[d]! < t.shape[d]!) {
        pos += t.stride[d]!;
        break;
      }
      pos -= (t.shape[d]! - 1) * t.stride[d]!;
      at[d] = 0;
    }
  }
  const offsetOf = (i: number) => {
    let p = 0;
    for (let d = D - 1; d >= 0; d--) {
      p += (i % t.shape[d]!) * t.stride[d]!;
      i = Math.floor(i / t.shape[d]!);
    }
    return spanOffset + p * width;
  };
  return { bytes, n, offsetOf };
}

function readFloat(source: ByteSource, name: string, t: TensorRef, checkFinite: boolean): Float32Array {
  const dtype = t.storage.dtype;
  if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16' && dtype !== 'F64') {
    throw fail('dtype', t.storage.entry!.dataOffset, `tensor "${name}" is ${dtype}, which cannot be read as float32 ` +
      '(F32, F16, BF16 and F64 can; intTensor() reads integer dtypes)');
  }
  const { bytes, n, offsetOf } = rowMajor(source, t);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  if (dtype === 'F32') {
    if (LITTLE_ENDIAN_HOST) new Uint8Array(out.buffer).set(bytes);
    else for (let i = 0; i < n; i++) out[i] = v.getFloat32(4 * i, true);
  } else if (dtype === 'F64') {
    for (let i = 0; i < n; i++) {
      const x = v.getFloat64(8 * i, true);
      out[i] = x;
      if (Number.isFinite(x) && !Number.isFinite(out[i]!)) {
        throw fail('values', offsetOf(i), `element ${i} of tensor "${name}" (F64) is ${x}, outside the float32 range`);
      }
    }
  } else {
    const bits = new Uint32Array(out.buffer);
    if (dtype === 'F16') for (let i = 0; i < n; i++) bits[i] = f16BitsToF32Bits(v.getUint16(2 * i, true));
    else for (let i = 0; i < n; i++) bits[i] = v.getUint16(2 * i, true) << 16;
  }
  if (checkFinite) checkFiniteValues(name, dtype, out, offsetOf);
  return out;
}

function checkFiniteValues(name: string, dtype: string, values: Float32Array, offsetOf: (i: number) => number): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      throw fail('values', offsetOf(i), `element ${i} of tensor "${name}" (${dtype}) is ${values[i]}: weights must be finite`);
    }
  }
}

function readInt(source: ByteSource, name: string, t: TensorRef): Int32Array {
  const dtype = t.storage.dtype;
  const width = WIDTH[dtype]!;
  if (!['BOOL', 'U8', 'I8', 'I16', 'I32', 'I64'].includes(dtype)) {
    throw fail('dtype', t.storage.entry!.dataOffset, `tensor "${name}" is ${dtype}, not an integer dtype`);
  }
  const { bytes, n, offsetOf } = rowMajor(source, t);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const p = i * width;
    const x = dtype === 'I64' ? v.getBigInt64(p, true) : dtype === 'I32' ? v.getInt32(p, true) : dtype === 'I16' ? v.getInt16(p, true)
      : dtype === 'I8' ? v.getInt8(p) : v.getUint8(p);
    const k = typeof x === 'bigint' ? (x >= -(2n ** 31n) && x < 2n ** 31n ? Number(x) : NaN) : x;
    if (!(k >= -(2 ** 31) && k < 2 ** 31)) {
      throw fail('values', offsetOf(i), `element ${i} of tensor "${name}" (${dtype}) is ${String(x)}, outside the int32 range`);
    }
    out[i] = k;
  }
  return out;
}

function preview(names: readonly string[]): string {
  return names.length <= 5 ? names.map((n) => `"${n}"`).join(', ') : `${names.slice(0, 5).map((n) => `"${n}"`).join(', ')}, …`;
}
