// Test helper for the legacy torch.save format (torch < 1.6, torch/serialization.py _legacy_save):
// the magic number, protocol version and sys_info pickles, the state dict (persistent ids of six
// items, view_metadata included), the list of storage keys, then each storage's 8-byte element
// count and bytes — built from torch-zip.ts's opcodes, with every part replaceable to make it bad.
import { op, pickle, type TensorSpec } from './torch-zip';

export interface LegacyTensor extends TensorSpec {
  /** view_metadata: the tensor's storage is elements offset … offset + size of `storage`, named `key`. */
  view?: { key: string; offset: number; size: number };
  /** torch 0.4.0's _rebuild_tensor (4 arguments) instead of _rebuild_tensor_v2. */
  v1?: boolean;
}

export interface LegacyParts {
  tensors: LegacyTensor[];
  /** Storages in the order of their bytes: key, the element count written before them, their bytes. */
  storages: { key: string; numel: number; data: Uint8Array }[];
  /** The list of storage keys; the storages' keys by default. */
  keys?: string[];
  magic?: number[];
  version?: number;
  littleEndian?: boolean;
  /** The state dict pickle, instead of the one built from `tensors`. */
  main?: Uint8Array;
  trailing?: Uint8Array;
}

export interface LegacyLayout {
  bytes: Uint8Array;
  /** Where each pickle starts: magic number, protocol version, sys_info, state dict, storage keys. */
  versionAt: number;
  sysInfoAt: number;
  mainAt: number;
  keysAt: number;
  /** Each storage's 8-byte count; its bytes follow. */
  countAt: Record<string, number>;
  end: number;
}

/** The pickle _legacy_save writes for a state dict (protocol 2, no memo). */
export function legacyStateDictPickle(tensors: LegacyTensor[]): Uint8Array {
  const tuple = (xs: number[]) => (xs.length === 0 ? op.emptyTuple() : [...op.mark(), ...xs.flatMap(op.int), ...op.tuple()]);
  const items = tensors.flatMap((t) => [
    ...op.str(t.name),
    ...op.global('torch._utils', t.v1 ? '_rebuild_tensor' : '_rebuild_tensor_v2'),
    ...op.mark(),
    ...op.mark(), ...op.str('storage'), ...op.global('torch', t.type), ...op.str(t.storage), ...op.str('cpu'), ...(t.numel < 2 ** 31 ? op.int(t.numel) : op.long1(BigInt(t.numel))),
    ...(t.view ? [...op.mark(), ...op.str(t.view.key), ...op.int(t.view.offset), ...op.int(t.view.size), ...op.tuple()] : op.none()),
    ...op.tuple(),
    ...op.binpersid(),
    ...op.int(t.offset ?? 0), ...tuple(t.shape), ...tuple(t.stride),
    ...(t.v1 ? [] : [...op.false(), ...op.global('collections', 'OrderedDict'), ...op.emptyTuple(), ...op.reduce()]),
    ...op.tuple(), ...op.reduce(),
  ]);
  return pickle(op.proto(2), op.global('collections', 'OrderedDict'), op.emptyTuple(), op.reduce(), op.mark(), items, op.setitems(), op.stop());
}

/** torch.serialization.MAGIC_NUMBER, pickled as torch pickles it (LONG1 of 10 bytes). */
export const MAGIC = [...op.proto(2), ...op.long1(0x1950a86a20f9469cfc6cn), ...op.stop()];

export function legacyFile(parts: LegacyParts): LegacyLayout {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const push = (b: Uint8Array | number[]) => {
    const at = offset;
    chunks.push(b instanceof Uint8Array ? b : Uint8Array.from(b));
    offset += b.length;
    return at;
  };
  push(parts.magic ?? MAGIC);
  const versionAt = push(pickle(op.proto(2), op.int(parts.version ?? 1001), op.stop()));
  const sysInfoAt = push(pickle(op.proto(2), op.emptyDict(), op.mark(),
    op.str('protocol_version'), op.int(1001), op.str('little_endian'), parts.littleEndian === false ? op.false() : op.true(),
    op.str('type_sizes'), op.emptyDict(), op.mark(), op.str('short'), op.int(2), op.str('int'), op.int(4), op.str('long'), op.int(4), op.setitems(),
    op.setitems(), op.stop()));
  const mainAt = push(parts.main ?? legacyStateDictPickle(parts.tensors));
  const keys = parts.keys ?? parts.storages.map((s) => s.key);
  const keysAt = push(pickle(op.proto(2), op.emptyList(), keys.length ? [...op.mark(), ...keys.flatMap(op.str), ...op.appends()] : [], op.stop()));
  const countAt: Record<string, number> = {};
  for (const s of parts.storages) {
    const count = new Uint8Array(8);
    new DataView(count.buffer).setBigUint64(0, BigInt(s.numel), true);
    countAt[s.key] = push(count);
    push(s.data);
  }
  const end = offset;
  if (parts.trailing) push(parts.trailing);
  const bytes = new Uint8Array(offset);
  let p = 0;
  for (const c of chunks) {
    bytes.set(c, p);
    p += c.length;
  }
  return { bytes, versionAt, sysInfoAt, mainAt, keysAt, countAt, end };
}
