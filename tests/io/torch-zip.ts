// Test helpers for the pytorch_model.bin readers: a zip writer (stored entries, optionally with
// ZIP64 records and extra fields, as torch writes for files over 4 GB), a pickle assembler (one
// function per opcode), and torch's state-dict pickle built from them.

export interface ZipInput {
  name: string;
  data: Uint8Array;
  /** Compression method written (the data is not compressed: a reader must refuse it unread). */
  method?: number;
}

export interface ZipOptions {
  /** ZIP64 end records, and sizes and offsets moved to ZIP64 extra fields (0xffffffff in their place). */
  zip64?: boolean;
  /** The end record's comment. */
  comment?: string;
  /** Padding after each local header's name, as torch aligns data (in an extra field "FB"). */
  align?: number;
}

export interface ZipLayout {
  bytes: Uint8Array;
  /** Each entry's data offset, local header offset and central record offset. */
  entries: { name: string; dataOffset: number; localHeaderOffset: number; recordOffset: number }[];
  centralOffset: number;
  eocdOffset: number;
}

const enc = new TextEncoder();

export function writeZip(files: ZipInput[], options: ZipOptions = {}): ZipLayout {
  const parts: Uint8Array[] = [];
  let offset = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    offset += b.length;
  };
  const entries: ZipLayout['entries'] = [];
  for (const f of files) {
    const name = enc.encode(f.name);
    const localHeaderOffset = offset;
    // The extra field pads the data to `align` bytes (torch: 64).
    let extraLength = 0;
    if (options.align) {
      const unpadded = offset + 30 + name.length + 4;
      extraLength = 4 + ((options.align - (unpadded % options.align)) % options.align);
    }
    const h = new Uint8Array(30 + name.length + extraLength);
    const v = new DataView(h.buffer);
    v.setUint32(0, 0x04034b50, true);
    v.setUint16(4, 20, true);
    v.setUint16(8, f.method ?? 0, true);
    v.setUint32(18, f.data.length, true);
    v.setUint32(22, f.data.length, true);
    v.setUint16(26, name.length, true);
    v.setUint16(28, extraLength, true);
    h.set(name, 30);
    if (extraLength) {
      v.setUint16(30 + name.length, 0x4246, true); // "FB"
      v.setUint16(32 + name.length, extraLength - 4, true);
    }
    push(h);
    entries.push({ name: f.name, dataOffset: offset, localHeaderOffset, recordOffset: 0 });
    push(f.data);
  }
  const centralOffset = offset;
  files.forEach((f, i) => {
    const name = enc.encode(f.name);
    const extra = options.zip64 ? 4 + 24 : 0;
    const h = new Uint8Array(46 + name.length + extra);
    const v = new DataView(h.buffer);
    v.setUint32(0, 0x02014b50, true);
    v.setUint16(4, 45, true);
    v.setUint16(6, 45, true);
    v.setUint16(10, f.method ?? 0, true);
    const big = options.zip64 ? 0xffffffff : undefined;
    v.setUint32(20, big ?? f.data.length, true);
    v.setUint32(24, big ?? f.data.length, true);
    v.setUint16(28, name.length, true);
    v.setUint16(30, extra, true);
    v.setUint32(42, big ?? entries[i]!.localHeaderOffset, true);
    h.set(name, 46);
    if (options.zip64) {
      // Size, compressed size, local header offset: the order of the ZIP64 extra field.
      const p = 46 + name.length;
      v.setUint16(p, 1, true);
      v.setUint16(p + 2, 24, true);
      setU64(v, p + 4, f.data.length);
      setU64(v, p + 12, f.data.length);
      setU64(v, p + 20, entries[i]!.localHeaderOffset);
    }
    entries[i]!.recordOffset = offset;
    push(h);
  });
  const centralSize = offset - centralOffset;
  if (options.zip64) {
    const z = new Uint8Array(56 + 20);
    const v = new DataView(z.buffer);
    const at = offset;
    v.setUint32(0, 0x06064b50, true);
    setU64(v, 4, 44);
    v.setUint16(12, 45, true);
    v.setUint16(14, 45, true);
    setU64(v, 24, files.length);
    setU64(v, 32, files.length);
    setU64(v, 40, centralSize);
    setU64(v, 48, centralOffset);
    v.setUint32(56, 0x07064b50, true);
    setU64(v, 64, at);
    v.setUint32(72, 1, true);
    push(z);
  }
  const comment = enc.encode(options.comment ?? '');
  const e = new Uint8Array(22 + comment.length);
  const v = new DataView(e.buffer);
  const eocdOffset = offset;
  v.setUint32(0, 0x06054b50, true);
  v.setUint16(8, options.zip64 ? 0xffff : files.length, true);
  v.setUint16(10, options.zip64 ? 0xffff : files.length, true);
  v.setUint32(12, options.zip64 ? 0xffffffff : centralSize, true);
  v.setUint32(16, options.zip64 ? 0xffffffff : centralOffset, true);
  v.setUint16(20, comment.length, true);
  e.set(comment, 22);
  push(e);
  const bytes = new Uint8Array(offset);
  let p = 0;
  for (const b of parts) {
    bytes.set(b, p);
    p += b.length;
  }
  return { bytes, entries, centralOffset, eocdOffset };
}

function setU64(v: DataView, p: number, x: number): void {
  v.setUint32(p, x % 2 ** 32, true);
  v.setUint32(p + 4, Math.floor(x / 2 ** 32), true);
}

// --- pickles ----------------------------------------------------------------------------------

/** Opcodes by name, as bytes. */
export const op = {
  proto: (n = 2) => [0x80, n],
  mark: () => [0x28],
  stop: () => [0x2e],
  emptyDict: () => [0x7d],
  emptyList: () => [0x5d],
  emptyTuple: () => [0x29],
  tuple: () => [0x74],
  tuple1: () => [0x85],
  tuple2: () => [0x86],
  tuple3: () => [0x87],
  str: (s: string) => {
    const b = enc.encode(s);
    return [0x58, ...u32(b.length), ...b];
  },
  shortStr: (s: string) => {
    const b = enc.encode(s);
    return [0x8c, b.length, ...b];
  },
  int: (n: number) => (n >= 0 && n < 256 ? [0x4b, n] : n >= 0 && n < 65536 ? [0x4d, n & 0xff, n >> 8] : [0x4a, ...u32(n)]),
  long1: (n: bigint) => {
    const out: number[] = [];
    let x = n;
    do {
      out.push(Number(x & 0xffn));
      x >>= 8n;
    } while (!(x === 0n && (out[out.length - 1]! & 0x80) === 0) && !(x === -1n && (out[out.length - 1]! & 0x80) !== 0));
    return [0x8a, out.length, ...out];
  },
  none: () => [0x4e],
  true: () => [0x88],
  false: () => [0x89],
  global: (module: string, name: string) => [0x63, ...enc.encode(`${module}\n${name}\n`)],
  stackGlobal: () => [0x93],
  reduce: () => [0x52],
  build: () => [0x62],
  binpersid: () => [0x51],
  put: (i: number) => [0x71, i],
  longPut: (i: number) => [0x72, ...u32(i)],
  memoize: () => [0x94],
  get: (i: number) => [0x68, i],
  longGet: (i: number) => [0x6a, ...u32(i)],
  setitem: () => [0x73],
  setitems: () => [0x75],
  append: () => [0x61],
  appends: () => [0x65],
  frame: (n: number) => [0x95, ...u32(n), 0, 0, 0, 0],
};

function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

/** Concatenates opcode byte lists. */
export function pickle(...ops: (number[] | number)[]): Uint8Array {
  return Uint8Array.from(ops.flatMap((o) => (typeof o === 'number' ? [o] : o)));
}

export interface TensorSpec {
  name: string;
  storage: string;
  /** torch's storage class name: FloatStorage, HalfStorage, … */
  type: string;
  numel: number;
  offset?: number;
  shape: number[];
  stride: number[];
}

/** The pickle torch.save writes for a state dict of views (protocol 2, no memo), as tuples of ops. */
export function stateDictPickle(tensors: TensorSpec[]): Uint8Array {
  const tuple = (xs: number[]) => (xs.length === 0 ? op.emptyTuple() : [...op.mark(), ...xs.flatMap(op.int), ...op.tuple()]);
  const items = tensors.flatMap((t) => [
    ...op.str(t.name),
    ...op.global('torch._utils', '_rebuild_tensor_v2'),
    ...op.mark(),
    ...op.mark(), ...op.str('storage'), ...op.global('torch', t.type), ...op.str(t.storage), ...op.str('cpu'), ...op.int(t.numel), ...op.tuple(),
    ...op.binpersid(),
    ...op.int(t.offset ?? 0), ...tuple(t.shape), ...tuple(t.stride), ...op.false(),
    ...op.global('collections', 'OrderedDict'), ...op.emptyTuple(), ...op.reduce(),
    ...op.tuple(), ...op.reduce(),
  ]);
  return pickle(op.proto(2), op.global('collections', 'OrderedDict'), op.emptyTuple(), op.reduce(), op.mark(), items, op.setitems(), op.stop());
}

/** A torch.save archive: archive/data.pkl, archive/data/<key> for each storage, archive/version. */
export function torchZip(pkl: Uint8Array, storages: Record<string, Uint8Array>, options: ZipOptions & { archive?: string; extra?: ZipInput[] } = {}): ZipLayout {
  const a = options.archive ?? 'archive';
  return writeZip([
    { name: `${a}/data.pkl`, data: pkl },
    ...Object.entries(storages).map(([key, data]) => ({ name: `${a}/data/${key}`, data })),
    { name: `${a}/version`, data: enc.encode('3\n') },
    ...(options.extra ?? []),
  ], { align: 64, ...options });
}

export function f32Bytes(...values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}
