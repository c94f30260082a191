// A restricted unpickler: it reads the Python pickles that torch.save writes for a state dict
// (data.pkl of pytorch_model.bin) into plain values, and nothing else. A pickle is a program for
// a stack machine whose GLOBAL and REDUCE opcodes import and call any Python callable
// (os.system, eval): here nothing is imported or called. A GLOBAL must name one of the caller's
// allowed globals, a REDUCE may only "call" one the caller gives a handler for (the handler
// builds a plain value from the arguments), and every opcode a state dict does not use is
// refused. Each refusal is a FormatError naming the opcode or global and its byte offset.
//
// Opcodes read (protocols 2 to 5, the binary ones a state dict uses):
//   PROTO FRAME STOP MARK | EMPTY_DICT EMPTY_LIST EMPTY_TUPLE TUPLE TUPLE1 TUPLE2 TUPLE3
//   BINUNICODE SHORT_BINUNICODE | BININT BININT1 BININT2 LONG1 | NEWTRUE NEWFALSE NONE
//   BINPUT LONG_BINPUT MEMOIZE BINGET LONG_BINGET | SETITEM SETITEMS APPEND APPENDS
//   GLOBAL STACK_GLOBAL (allow-list) REDUCE (handlers) BINPERSID (the caller's) BUILD (dict
//   attributes only, as an OrderedDict's _metadata).
// Limits: the pickle's own length bounds the values (no opcode allocates more than the bytes it
// reads), MARKs nest at most MAX_MARK_DEPTH deep, the memo is a Map (LONG_BINPUT 4294967295
// allocates one entry, not an array of that length), and integers beyond ±2^53 stay bigints
// that the caller refuses where it wants a size.
import { FormatError } from './errors';

/** A Python tuple (a JS array is a list). */
export class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

/** A Python dict (an OrderedDict too): keys are strings, numbers, or other values by identity. */
export class PickleDict {
  readonly map = new Map<PickleValue, PickleValue>();
  /** Attributes BUILD set (a state dict's OrderedDict carries `_metadata`). */
  readonly attributes = new Map<string, PickleValue>();
  constructor(readonly ordered: boolean) {}
}

/** A global the pickle named (module.name), allowed but not called (a storage type). */
export class PickleGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** What a handler returns: an object of its own (a tensor reference), or a plain pickle value. */
export type PickleValue = null | boolean | number | bigint | string | PickleValue[] | PickleTuple | PickleDict | PickleGlobal | object;

export interface UnpickleOptions {
  /**
   * The globals (keyed "module.name") a GLOBAL or STACK_GLOBAL may name. With a `call`, a REDUCE
   * of it builds a value from the argument tuple; without, REDUCE of it is refused.
   */
  globals: ReadonlyMap<string, { call?: (args: readonly PickleValue[], offset: number) => PickleValue }>;
  /** BINPERSID: the value for a persistent id (torch's storage references); refused when absent. */
  persistentLoad?: (pid: PickleValue, offset: number) => PickleValue;
  /** Added to every byte offset in errors: where the pickle's bytes start in their file. */
  baseOffset?: number;
  /** Names the pickle in messages ("data.pkl"). */
  what?: string;
}

/** MARKs open at once; a state dict nests 3 (SETITEMS, the tensor's arguments, the storage id). */
export const MAX_MARK_DEPTH = 64;

/** Every pickle opcode by byte, so that a refused one is named. */
const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT', 0x4a: 'BININT', 0x4b: 'BININT1',
  0x4c: 'LONG', 0x4d: 'BININT2', 0x4e: 'NONE', 0x50: 'PERSID', 0x51: 'BINPERSID', 0x52: 'REDUCE', 0x53: 'STRING', 0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING', 0x56: 'UNICODE', 0x58: 'BINUNICODE', 0x61: 'APPEND', 0x62: 'BUILD', 0x63: 'GLOBAL', 0x64: 'DICT',
  0x7d: 'EMPTY_DICT', 0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET', 0x69: 'INST', 0x6a: 'LONG_BINGET', 0x6c: 'LIST', 0x5d: 'EMPTY_LIST',
  0x6f: 'OBJ', 0x70: 'PUT', 0x71: 'BINPUT', 0x72: 'LONG_BINPUT', 0x73: 'SETITEM', 0x74: 'TUPLE', 0x29: 'EMPTY_TUPLE', 0x75: 'SETITEMS',
  0x47: 'BINFLOAT', 0x80: 'PROTO', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x85: 'TUPLE1', 0x86: 'TUPLE2',
  0x87: 'TUPLE3', 0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x8a: 'LONG1', 0x8b: 'LONG4', 0x42: 'BINBYTES', 0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX', 0x93: 'STACK_GLOBAL', 0x94: 'MEMOIZE', 0x95: 'FRAME', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

export function opcodeName(byte: number): string {
  const name = OPCODE_NAMES[byte];
  const shown = byte >= 0x20 && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : `0x${byte.toString(16).padStart(2, '0')}`;
  return name ? `${name} (${shown})` : `unknown opcode ${shown}`;
}

/** A mark on the stack: where MARK put it, to find the items above it. */
const MARK = Symbol('mark');
type Slot = PickleValue | typeof MARK;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Runs the pickle up to STOP and returns its value; every other outcome is a FormatError. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): PickleValue {
  return unpicklePrefix(bytes, options).value;
}

/**
 * As unpickle, and where its STOP ends: the bytes after it are not read. The legacy torch.save
 * format is several pickles one after the other, each found where the one before stops. A pickle
 * cut short by the end of `bytes` is a FormatError of field 'truncated' (and only such a one is).
 */
export function unpicklePrefix(bytes: Uint8Array, options: UnpickleOptions): { value: PickleValue; length: number } {
  const base = options.baseOffset ?? 0;
  const what = options.what ?? 'pickle';
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: Slot[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PickleValue>();
  let p = 0;
  let op = 0, opAt = 0;

  const fail = (field: string, message: string, at = opAt): FormatError =>
    new FormatError(`${what}: ${message} (${field}, byte offset ${base + at})`, field, base + at);
  const need = (n: number): number => {
    if (p + n > bytes.length) throw fail('truncated', `${opcodeName(op)} needs ${n} bytes of argument, the pickle ends at ${bytes.length}`);
    const at = p;
    p += n;
    return at;
  };
  const pop = (): PickleValue => {
    const x = stack.pop();
    if (x === undefined || x === MARK) throw fail('stack', `${opcodeName(op)} finds ${x === MARK ? 'a MARK' : 'an empty stack'} where it needs a value`);
    if (marks.length > 0 && stack.length < marks[marks.length - 1]!) throw fail('stack', `${opcodeName(op)} reaches below the last MARK`);
    return x;
  };
  const top = (): PickleValue => {
    const x = stack[stack.length - 1];
    if (x === undefined || x === MARK || (marks.length > 0 && stack.length - 1 < marks[marks.length - 1]!)) {
      throw fail('stack', `${opcodeName(op)} finds no value on the stack`);
    }
    return x;
  };
  const popMark = (): PickleValue[] => {
    const m = marks.pop();
    if (m === undefined) throw fail('stack', `${opcodeName(op)} without a MARK`);
    const items = stack.splice(m) as PickleValue[];
    stack.pop(); // the MARK itself
    return items;
  };
  const push = (x: PickleValue) => stack.push(x);
  const memoPut = (index: number) => memo.set(index, top());
  const memoGet = (index: number) => {
    if (!memo.has(index)) throw fail('memo', `${opcodeName(op)} of memo entry ${index}, which was never put`);
    push(memo.get(index)!);
  };
  const dictOf = (x: PickleValue, verb: string): PickleDict => {
    if (!(x instanceof PickleDict)) throw fail('stack', `${verb} into ${describe(x)}, not a dict`);
    return x;
  };
  const listOf = (x: PickleValue, verb: string): PickleValue[] => {
    if (!Array.isArray(x)) throw fail('stack', `${verb} to ${describe(x)}, not a list`);
    return x;
  };
  const global = (module: string, name: string): PickleGlobal => {
    const qualified = `${module}.${name}`;
    if (!options.globals.has(qualified)) {
      throw fail('global', `the global ${qualified} is not allowed: only ${[...options.globals.keys()].join(', ')} can be named ` +
        '(a pickle naming others may run code; nothing was run)');
    }
    return new PickleGlobal(module, name);
  };
  const text = (at: number, n: number): string => {
    try {
      return utf8.decode(bytes.subarray(at, at + n));
    } catch {
      throw fail('string', `${opcodeName(op)}: the string is not valid UTF-8`);
    }
  };

  while (true) {
    opAt = p;
    if (p >= bytes.length) throw fail('truncated', `the pickle ends at ${bytes.length} without STOP`);
    op = bytes[p++]!;
    switch (op) {
      case 0x80: { // PROTO
        const protocol = bytes[need(1)]!;
        if (protocol < 2 || protocol > 5) throw fail('protocol', `protocol ${protocol}; torch.save writes 2 (up to 5 is read)`);
        break;
      }
      case 0x95: need(8); break; // FRAME: a length hint, the opcodes follow as they are
      case 0x2e: { // STOP
        if (marks.length > 0) throw fail('stack', 'STOP with a MARK still open');
        if (stack.length !== 1) throw fail('stack', `STOP with ${stack.length} values on the stack, not 1`);
        return { value: pop(), length: p };
      }
      case 0x28: // MARK
        if (marks.length >= MAX_MARK_DEPTH) throw fail('depth', `more than ${MAX_MARK_DEPTH} MARKs open at once`);
        marks.push(stack.length + 1);
        stack.push(MARK);
        break;
      case 0x7d: push(new PickleDict(false)); break; // EMPTY_DICT
      case 0x5d: push([]); break; // EMPTY_LIST
      case 0x29: push(new PickleTuple([])); break; // EMPTY_TUPLE
      case 0x74: push(new PickleTuple(popMark())); break; // TUPLE
      case 0x85: push(new PickleTuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(), a = pop(); push(new PickleTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(), b = pop(), a = pop(); push(new PickleTuple([a, b, c])); break; } // TUPLE3
      case 0x58: { // BINUNICODE
        const n = v.getUint32(need(4), true);
        push(text(need(n), n));
        break;
      }
      case 0x8c: { // SHORT_BINUNICODE
        const n = bytes[need(1)]!;
        push(text(need(n), n));
        break;
      }
      case 0x4a: push(v.getInt32(need(4), true)); break; // BININT
      case 0x4b: push(bytes[need(1)]!); break; // BININT1
      case 0x4d: push(v.getUint16(need(2), true)); break; // BININT2
      case 0x8a: { // LONG1: n bytes, little-endian two's complement
        const n = bytes[need(1)]!;
        const at = need(n);
        let x = 0n;
        for (let i = n - 1; i >= 0; i--) x = (x << 8n) | BigInt(bytes[at + i]!);
        if (n > 0 && bytes[at + n - 1]! & 0x80) x -= 1n << BigInt(8 * n);
        push(x >= -(2n ** 53n) && x <= 2n ** 53n ? Number(x) : x);
        break;
      }
      case 0x88: push(true); break; // NEWTRUE
      case 0x89: push(false); break; // NEWFALSE
      case 0x4e: push(null); break; // NONE
      case 0x71: memoPut(bytes[need(1)]!); break; // BINPUT
      case 0x72: memoPut(v.getUint32(need(4), true)); break; // LONG_BINPUT
      case 0x94: memoPut(memo.size); break; // MEMOIZE
      case 0x68: memoGet(bytes[need(1)]!); break; // BINGET
      case 0x6a: memoGet(v.getUint32(need(4), true)); break; // LONG_BINGET
      case 0x73: { // SETITEM
        const value = pop(), key = pop();
        dictOf(top(), 'SETITEM').map.set(key, value);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        if (items.length % 2 !== 0) throw fail('stack', `SETITEMS of ${items.length} values, not key-value pairs`);
        const d = dictOf(top(), 'SETITEMS');
        for (let i = 0; i < items.length; i += 2) d.map.set(items[i]!, items[i + 1]!);
        break;
      }
      case 0x61: { // APPEND
        const value = pop();
        listOf(top(), 'APPEND').push(value);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        const list = listOf(top(), 'APPENDS');
        for (const x of items) list.push(x);
        break;
      }
      case 0x63: { // GLOBAL: "module\nname\n"
        const module = line(), name = line();
        push(global(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop(), module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw fail('global', 'STACK_GLOBAL of values that are not strings');
        push(global(module, name));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop(), callable = pop();
        if (!(callable instanceof PickleGlobal)) throw fail('reduce', `REDUCE of ${describe(callable)}, not an allowed global`);
        const handler = options.globals.get(callable.qualifiedName);
        if (!handler?.call) throw fail('reduce', `REDUCE of ${callable.qualifiedName}, which may be named but not called`);
        if (!(args instanceof PickleTuple)) throw fail('reduce', `REDUCE of ${callable.qualifiedName} with ${describe(args)}, not a tuple of arguments`);
        push(handler.call(args.items, base + opAt));
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) throw fail('persistent id', 'BINPERSID in a pickle that has no persistent references');
        push(options.persistentLoad(pid, base + opAt));
        break;
      }
      case 0x62: { // BUILD: only a dict's attributes, as OrderedDict.__reduce__ gives its __dict__
        const state = pop();
        const target = top();
        if (!(target instanceof PickleDict) || !target.ordered) throw fail('build', `BUILD of ${describe(target)}: only an OrderedDict's attributes are read`);
        if (!(state instanceof PickleDict)) throw fail('build', `BUILD with ${describe(state)}, not a dict of attributes`);
        for (const [k, x] of state.map) {
          if (typeof k !== 'string') throw fail('build', `BUILD with an attribute named by ${describe(k)}`);
          target.attributes.set(k, x);
        }
        break;
      }
      default:
        throw fail('opcode', `${opcodeName(op)} is not read: a state dict does not use it`);
    }
  }

  /** GLOBAL's arguments: ASCII up to a newline (Python's own limit is the pickle's length). */
  function line(): string {
    const start = p;
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) throw fail('truncated', 'GLOBAL without the newline that ends its name');
    p = end + 1;
    for (let i = start; i < end; i++) if (bytes[i]! < 0x20 || bytes[i]! > 0x7e) throw fail('global', 'GLOBAL with a name that is not printable ASCII');
    return String.fromCharCode(...bytes.subarray(start, Math.min(end, start + 256))) + (end - start > 256 ? '…' : '');
  }
}

/** A value in a message: its kind, and a short string or number as it is. */
export function describe(x: unknown): string {
  if (x === null) return 'None';
  if (typeof x === 'boolean') return x ? 'True' : 'False';
  if (typeof x === 'number' || typeof x === 'bigint') return `the int ${String(x)}`;
  if (typeof x === 'string') return `the string ${JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x)}`;
  if (Array.isArray(x)) return `a list of ${x.length}`;
  if (x instanceof PickleTuple) return `a tuple of ${x.items.length}`;
  if (x instanceof PickleDict) return `${x.ordered ? 'an OrderedDict' : 'a dict'} of ${x.map.size}`;
  if (x instanceof PickleGlobal) return `the global ${x.qualifiedName}`;
  return (x as { describe?: () => string }).describe?.() ?? 'an object';
}
