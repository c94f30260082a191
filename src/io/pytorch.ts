// pytorch_model.bin: what torch.save(state_dict) writes (torch ≥ 1.6), read without running any
// of it. The file is a zip archive of stored entries under one folder (torch names it after the
// file: "pytorch_model/", or "archive/"):
//   data.pkl     the state dict, pickled (protocol 2): an OrderedDict of name → tensor, each
//                tensor `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride,
//                requires_grad, backward_hooks)`, its storage a persistent id
//                ('storage', torch.FloatStorage, key, location, numel);
//   data/<key>   each storage's bytes, little-endian, numel × the element's width;
//   version      and, from torch 2.1, byteorder ("little" or "big").
// The legacy format (torch < 1.6, or _use_new_zipfile_serialization=False; torch's _legacy_save),
// as many checkpoints of 2018–2020 on the hub are, is no zip but pickles one after the other:
//   the magic number 0x1950a86a20f9469cfc6c, the protocol version 1001, sys_info (a dict:
//   little_endian, type sizes), the state dict (persistent ids ('storage', type, key, location,
//   numel, view_metadata)), the list of storage keys, then each storage of the list in turn: its
//   element count (8 bytes, little-endian) and its bytes.
// Nothing says where a storage starts but the ones before it: the 8-byte counts are read once,
// walking from the end of the key list, and each is checked against the numel the state dict
// gave (as torch does); the data is read only when a tensor is. Very old files may store a tensor
// on a view of a storage (view_metadata = (view key, offset, size)): read as that span of it.
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
import { describe, PickleDict, PickleGlobal, PickleTuple, unpickle, unpicklePrefix, type PickleValue, type UnpickleOptions } from './pickle';
import { f16BitsToF32Bits, type ByteSource, type SafetensorsDtype, type SafetensorsFile, type TensorInfo, type TensorOptions } from './safetensors';
import { checkStored, looksLikeZip, readZipDirectory } from './zip';

/** torch's storage types → the dtype of their elements. */
const STORAGE_DTYPES: Record<string, SafetensorsDtype> = {
  FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16', DoubleStorage: 'F64',
  LongStorage: 'I64', IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};
const WIDTH: Partial<Record<SafetensorsDtype, number>> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** data.pkl of a model with tens of thousands of tensors is a few MB; the bound keeps a hostile one from being read whole. */
export const MAX_PICKLE_BYTES = 100_000_000;

/** The legacy format's first pickle: torch.serialization.MAGIC_NUMBER, then PROTOCOL_VERSION. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;
/** The first read of a legacy pickle; doubled while the pickle runs past it. */
const FIRST_PICKLE_READ = 4096;

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
  /** Where its first element is in the file, once resolved (a zip entry's data, a legacy storage's bytes). */
  dataOffset?: number;
  /** Where the persistent id was read, in the file. */
  at: number;
  /** A legacy storage view: elements rootOffset … rootOffset + numel of this storage. */
  root?: StorageRef;
  rootOffset?: number;
}

export interface PytorchFile extends SafetensorsFile {
  /** 'zip' (torch ≥ 1.6) or 'legacy' (the pickles of torch < 1.6). */
  readonly format: 'zip' | 'legacy';
  /** The archive's folder ("pytorch_model"), as torch names it after the file; '' in the legacy format. */
  readonly archiveName: string;
}

function fail(field: string, offset: number, what: string): FormatError {
  return new FormatError(`pytorch: ${what} (field ${field}, byte offset ${offset})`, field, offset);
}

/**
 * Reads the directory and data.pkl of a torch.save zip, or the pickles and storage counts of the
 * legacy format (told apart by the first bytes: "PK" or a pickle's PROTO), from the whole file's
 * bytes or a ByteSource read piece by piece; tensors are read when asked for. Every tensor of the
 * state dict is checked against its storage here: a view past its storage's end, a storage of
 * another size, an unknown storage type, or a pickle that names anything but the globals of a
 * state dict is a FormatError naming the tensor (or global) and the byte offset.
 */
export function parsePytorch(input: Uint8Array | ByteSource): PytorchFile {
  const isBytes = input instanceof Uint8Array;
  if (!isBytes && !(input && Number.isSafeInteger(input.length) && typeof input.read === 'function')) {
    throw new Error('parsePytorch: give the bytes (a Uint8Array) or a ByteSource');
  }
  const source: ByteSource = isBytes ? { length: input.length, read: (offset, length) => input.subarray(offset, offset + length) } : input;
  const head = source.read(0, Math.min(source.length, 4)).slice();
  if (looksLikeZip(head)) return parseZip(source);
  // A pickle starts with PROTO (0x80): the legacy format's first, the magic number.
  if (head[0] === 0x80) return parseLegacy(source);
  throw fail('format', 0, 'neither a zip archive (torch.save in torch ≥ 1.6 writes one, starting "PK\\x03\\x04") ' +
    'nor the legacy torch.save format (pickles, starting 0x80)');
}

/** torch ≥ 1.6: a zip of data.pkl and data/<key> for each storage. */
function parseZip(source: ByteSource): PytorchFile {
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
  const tensors = stateDictTensors(root, 'data.pkl', pklEntry.dataOffset);

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
    s.dataOffset = entry.dataOffset;
  }
  return pytorchFile(source, tensors, { format: 'zip', archiveName, headerLength: pklEntry.size, dataOffset: pklEntry.dataOffset, uncoveredBytes: 0, notes: [] });
}

/**
 * torch < 1.6 (torch's _legacy_load): five pickles, then the storages' bytes. Each pickle is read
 * from a ByteSource a window at a time (its length is known only at its STOP), every storage's
 * 8-byte count once; no storage's bytes are read until a tensor is.
 */
function parseLegacy(source: ByteSource): PytorchFile {
  const magic = readPickle(source, 0, { globals: new Map(), what: 'the magic number (legacy format)' });
  if (magic.value !== LEGACY_MAGIC) {
    throw fail('magic', 0, `a pickle of ${describe(magic.value)}, not torch.save's magic number 0x${LEGACY_MAGIC.toString(16)}: ` +
      'not a torch.save file');
  }
  const version = readPickle(source, magic.end, { globals: new Map(), what: 'the protocol version (legacy format)' });
  if (version.value !== LEGACY_PROTOCOL) {
    throw fail('protocol_version', magic.end, `protocol version ${describe(version.value)}; the legacy torch.save format is ${LEGACY_PROTOCOL}`);
  }
  const sysInfo = readPickle(source, version.end, { globals: new Map(), what: 'sys_info (legacy format)' });
  if (!(sysInfo.value instanceof PickleDict)) throw fail('sys_info', version.end, `sys_info is ${describe(sysInfo.value)}, not a dict`);
  // torch ≥ 1.0 writes storages little-endian on any machine, older ones in the writer's order: refused when it was big-endian.
  if (sysInfo.value.map.get('little_endian') === false) {
    throw fail('sys_info', version.end, 'sys_info says little_endian=False: storages written on a big-endian machine are not read');
  }

  const storages = new Map<string, StorageRef>(), views = new Map<string, StorageRef>();
  const main = readPickle(source, sysInfo.end, {
    globals: stateDictGlobals(),
    persistentLoad: (pid, at) => legacyStorageRef(pid, at, storages, views),
    what: 'the state dict (legacy format)',
  }, () => {
    storages.clear();
    views.clear();
  });
  const tensors = stateDictTensors(main.value, 'the state dict', sysInfo.end);

  const keysAt = main.end;
  const keys = readPickle(source, keysAt, { globals: new Map(), what: 'the storage keys (legacy format)' });
  if (!Array.isArray(keys.value)) throw fail('storage keys', keysAt, `the list of storage keys is ${describe(keys.value)}, not a list`);
  const listed = new Set<string>();
  // Each storage's count and bytes, in the order of the list: its data starts 8 bytes after the one before ends.
  let at = keys.end;
  for (const key of keys.value) {
    if (typeof key !== 'string') throw fail('storage keys', keysAt, `the list of storage keys holds ${describe(key)}, not a key`);
    const s = storages.get(key);
    if (!s) throw fail('storage keys', keysAt, `the list of storage keys names "${key}", which no tensor of the state dict uses`);
    if (listed.has(key)) throw fail('storage keys', keysAt, `the list of storage keys names "${key}" twice`);
    listed.add(key);
    if (at + 8 > source.length) throw fail('storage', at, `storage "${key}": its element count (8 bytes) is past the end of the file (${source.length} bytes)`);
    const b = source.read(at, 8);
    const head = new DataView(b.buffer, b.byteOffset, 8);
    const numel = head.getUint32(4, true) * 2 ** 32 + head.getUint32(0, true);
    if (numel !== s.numel) {
      throw fail('storage', at, `storage "${key}" has ${numel} elements here, but the state dict says ${s.numel} (torch: "storage has wrong size")`);
    }
    const bytes = numel * WIDTH[s.dtype]!;
    if (bytes > source.length - at - 8) {
      throw fail('storage', at, `storage "${key}" is ${numel} elements of ${s.dtype} (${bytes} bytes) from byte ${at + 8}, ` +
        `past the end of the file (${source.length} bytes)`);
    }
    s.dataOffset = at + 8;
    at += 8 + bytes;
  }
  for (const s of storages.values()) {
    if (!listed.has(s.key)) throw fail('storage keys', keysAt, `storage "${s.key}" is not in the list of storage keys: its bytes are not in the file`);
  }
  for (const v of views.values()) v.dataOffset = v.root!.dataOffset! + v.rootOffset! * WIDTH[v.dtype]!;
  // torch reads no further; bytes after the last storage are noted, as safetensors' gaps are.
  const uncoveredBytes = source.length - at;
  const notes = uncoveredBytes > 0 ? [`${uncoveredBytes} bytes after the last storage (from byte ${at}) belong to no tensor`] : [];
  return pytorchFile(source, tensors, { format: 'legacy', archiveName: '', headerLength: keys.end, dataOffset: keys.end, uncoveredBytes, notes });
}

/**
 * One pickle of the legacy format starting at `offset`: read a window of the file and unpickled;
 * a pickle that runs past the window is read again from a window twice as long, up to the end
 * of the file or MAX_PICKLE_BYTES. Errors carry the file's offsets.
 */
function readPickle(source: ByteSource, offset: number, options: UnpickleOptions, restart = () => {}): { value: PickleValue; end: number } {
  const limit = Math.min(source.length - offset, MAX_PICKLE_BYTES);
  for (let window = Math.min(FIRST_PICKLE_READ, limit); ; window = Math.min(2 * window, limit)) {
    restart(); // forgets what persistentLoad saw in a shorter window
    try {
      const { value, length } = unpicklePrefix(source.read(offset, window).slice(), { ...options, baseOffset: offset });
      return { value, end: offset + length };
    } catch (e) {
      if (!(e instanceof FormatError && e.field === 'truncated') || window === limit && limit === source.length - offset) throw e;
      if (window === limit) throw fail('pickle', offset, `${options.what} is not done within ${MAX_PICKLE_BYTES} bytes, the most read`);
    }
  }
}

/** The state dict's tensors by name: the pickle's root must be a dict of name → tensor. */
function stateDictTensors(root: PickleValue, what: string, at: number): Map<string, TensorRef> {
  const field = what === 'data.pkl' ? 'data.pkl' : 'state dict';
  if (!(root instanceof PickleDict)) throw fail(field, at, `${what} holds ${describe(root)}, not a state dict (a dict of name → tensor)`);
  const tensors = new Map<string, TensorRef>();
  for (const [key, value] of root.map) {
    if (typeof key !== 'string') throw fail(field, at, `the state dict has a key that is ${describe(key)}, not a tensor name`);
    if (!isTensorRef(value)) {
      throw fail(field, at, `"${key}" of the state dict is ${describe(value)}, not a tensor ` +
        '(a training checkpoint, not a state dict? save model.state_dict())');
    }
    tensors.set(key, value);
  }
  return tensors;
}

/** The SafetensorsFile interface over the tensors, their storages resolved to offsets in the file. */
function pytorchFile(source: ByteSource, tensors: Map<string, TensorRef>,
  layout: Pick<PytorchFile, 'format' | 'archiveName' | 'headerLength' | 'dataOffset' | 'uncoveredBytes' | 'notes'>): PytorchFile {
  const info = (name: string): TensorInfo => {
    const t = tensors.get(name);
    if (!t) throw new Error(`pytorch: no tensor named "${name}" (the file has ${tensors.size}: ${preview([...tensors.keys()])})`);
    const width = WIDTH[t.storage.dtype]!;
    return { dtype: t.storage.dtype, shape: [...t.shape], byteOffset: t.storage.dataOffset! + t.storageOffset * width, byteLength: count(t.shape) * width };
  };
  const get = (name: string) => {
    info(name);
    return tensors.get(name)!;
  };
  // Names in the order of their bytes in the file, as safetensors lists them.
  const names = [...tensors.keys()].sort((a, b) => info(a).byteOffset - info(b).byteOffset || (a < b ? -1 : a > b ? 1 : 0));
  return {
    ...layout,
    names,
    metadata: {},
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
  // torch 0.4.0's: (storage, storage_offset, size, stride), without requires_grad and hooks.
  globals.set('torch._utils._rebuild_tensor', {
    call: (args, at) => {
      if (args.length !== 4) throw fail('_rebuild_tensor', at, `_rebuild_tensor with ${args.length} arguments, not 4`);
      return rebuildTensor([...args, false, new PickleDict(true)], at);
    },
  });
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

/**
 * A legacy persistent id ('storage', storage type, root key, location, numel, view_metadata): the
 * root storage as in the zip format, or, when view_metadata is (view key, offset, size), the
 * view of its elements offset … offset + size (torch < 0.4 saved tensors on such views).
 */
function legacyStorageRef(pid: PickleValue, at: number, storages: Map<string, StorageRef>, views: Map<string, StorageRef>): StorageRef {
  if (!(pid instanceof PickleTuple) || pid.items.length !== 6 || pid.items[0] !== 'storage') {
    throw fail('persistent id', at, `persistent id ${describe(pid)}: the legacy format's are ('storage', type, key, location, numel, view_metadata)`);
  }
  const root = storageRef(new PickleTuple(pid.items.slice(0, 5)), at, storages);
  const meta = pid.items[5];
  if (meta === null) {
    if (views.has(root.key)) throw fail('storage', at, `storage key "${root.key}" names a view before, and a storage here`);
    return root;
  }
  if (!(meta instanceof PickleTuple) || meta.items.length !== 3) {
    throw fail('view_metadata', at, `view_metadata ${describe(meta)} of storage "${root.key}": torch's is None or (view key, offset, size)`);
  }
  const [key, offset, size] = meta.items;
  if (typeof key !== 'string' || key.length === 0) throw fail('view_metadata', at, `a view of storage "${root.key}" whose key is ${describe(key)}, not a name`);
  if (!isCount(offset) || !isCount(size)) {
    throw fail('view_metadata', at, `view "${key}" of storage "${root.key}" at offset ${describe(offset)}, size ${describe(size)}: both must be non-negative integers`);
  }
  if (offset + size > root.numel) {
    throw fail('view_metadata', at, `view "${key}" is elements ${offset} to ${offset + size} of storage "${root.key}", which has ${root.numel}`);
  }
  if (storages.has(key)) throw fail('view_metadata', at, `view key "${key}" is also a storage's key`);
  const seen = views.get(key);
  if (seen) {
    if (seen.root !== root || seen.rootOffset !== offset || seen.numel !== size) {
      throw fail('view_metadata', at, `view "${key}" is ${size} elements from ${offset} of "${root.key}" here, ` +
        `and ${seen.numel} from ${seen.rootOffset} of "${seen.root!.key}" before`);
    }
    return seen;
  }
  const v = Object.assign(Object.create(STORAGE_REF) as object, { key, dtype: root.dtype, numel: size, at, root, rootOffset: offset }) as StorageRef;
  views.set(key, v);
  return v;
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
  const spanOffset = t.storage.dataOffset! + t.storageOffset * width;
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
    throw fail('dtype', t.storage.dataOffset!, `tensor "${name}" is ${dtype}, which cannot be read as float32 ` +
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
    throw fail('dtype', t.storage.dataOffset!, `tensor "${name}" is ${dtype}, not an integer dtype`);
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
