// The restricted unpickler: pickles written by Python's own pickle module (protocols 2 to 5)
// decoded to the values Python says they hold, shared and self-referencing values kept shared,
// and every global, callable and opcode outside the allow-list refused with a FormatError naming
// it at the byte offset Python's pickletools gives, nothing imported or called.
import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { MAX_MARK_DEPTH, PickleDict, PickleGlobal, PickleTuple, unpickle, type PickleValue, type UnpickleOptions } from '../../src/io/pickle';
import { formatError } from '../format-error';
import { PYTHON, toolReference } from '../references';
import { op, pickle } from './torch-zip';

const hasPython = toolReference(PYTHON, 'python3', 'pickle.test.ts: pickles written by Python');

const NONE: UnpickleOptions = { globals: new Map() };

/** A value as JSON: tuples as {tuple: [...]}, dicts as {dict: [[k, v], ...]}, bigints as {int: "..."}. */
function plain(x: PickleValue): unknown {
  if (typeof x === 'bigint') return { int: x.toString() };
  if (Array.isArray(x)) return x.map(plain);
  if (x instanceof PickleTuple) return { tuple: x.items.map(plain) };
  if (x instanceof PickleDict) return { dict: [...x.map].map(([k, v]) => [plain(k), plain(v)]) };
  if (x instanceof PickleGlobal) return { global: x.qualifiedName };
  return x;
}

/** Runs Python: `values` is a Python expression of a list of values; each pickled with each protocol, with its plain() form. */
function pythonPickles(values: string, protocols = [2, 3, 4, 5]): { protocol: number; pickle: string; expected: unknown }[] {
  const script = String.raw`
import json, pickle, base64
def plain(x):
    if isinstance(x, bool) or x is None or isinstance(x, str): return x
    if isinstance(x, int): return x if abs(x) <= 2 ** 53 else {'int': str(x)}
    if isinstance(x, list): return [plain(v) for v in x]
    if isinstance(x, tuple): return {'tuple': [plain(v) for v in x]}
    if isinstance(x, dict): return {'dict': [[plain(k), plain(v)] for k, v in x.items()]}
    raise TypeError(type(x))
out = []
for p in ${JSON.stringify(protocols)}:
    for v in ${values}:
        out.append(dict(protocol=p, pickle=base64.b64encode(pickle.dumps(v, protocol=p)).decode(), expected=plain(v)))
print(json.dumps(out))
`;
  return JSON.parse(execFileSync(PYTHON, ['-c', script], { encoding: 'utf8' }));
}

/** Python's pickle of `expr` and the byte offset of the first opcode named `opcode` (pickletools). */
function pythonPickleAt(expr: string, protocol: number, opcode: string): { bytes: Uint8Array; at: number } {
  const script = `
import base64, json, os, pickle, pickletools, builtins
b = pickle.dumps(${expr}, protocol=${protocol})
at = next(pos for o, a, pos in pickletools.genops(b) if o.name == ${JSON.stringify(opcode)})
print(json.dumps(dict(b=base64.b64encode(b).decode(), at=at)))
`;
  const { b, at } = JSON.parse(execFileSync(PYTHON, ['-c', script], { encoding: 'utf8' })) as { b: string; at: number };
  return { bytes: new Uint8Array(Buffer.from(b, 'base64')), at };
}

function expectError(fn: () => unknown, field: string, offset: number, message?: RegExp): void {
  const e = formatError(fn);
  expect({ field: e.field, byteOffset: e.byteOffset }).toEqual({ field, byteOffset: offset });
  if (message) expect(e.message).toMatch(message);
}

describe.runIf(hasPython)('pickles written by Python', () => {
  test('plain values of protocols 2 to 5 decode to what Python pickled (ints of every width, strings, lists, tuples, dicts)', () => {
    const cases = pythonPickles(`[
      0, 1, 255, 256, 65535, 65536, -1, -2 ** 31, 2 ** 31 - 1, 2 ** 31, 2 ** 40, -2 ** 53, 2 ** 53, 2 ** 53 + 1, -2 ** 63, 2 ** 64, 10 ** 40,
      True, False, None, '', 'ascii', 'héllo wörld', '日本語', '\\U0001F600 emoji', 'x' * 300,
      [], (), {}, (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), [1, [2, [3, []]]], {'a': 1, 'b': [None, True]}, {1: 'int key', 'k': (1, 'v')},
      list(range(2000)), {str(i): i for i in range(1500)},
    ]`);
    expect(cases.length).toBe(4 * 38);
    for (const c of cases) {
      expect(plain(unpickle(new Uint8Array(Buffer.from(c.pickle, 'base64')), NONE)), `protocol ${c.protocol}: ${JSON.stringify(c.expected).slice(0, 60)}`)
        .toEqual(c.expected);
    }
  });

  test('the memo: a value pickled twice is one value, and a list holding itself holds itself', () => {
    for (const p of [2, 4]) {
      const shared = unpickle(pythonPickleAt('(lambda x: [x, x, {"k": x}])([1, 2])', p, 'STOP').bytes, NONE) as PickleValue[];
      expect(shared[0]).toBe(shared[1]);
      expect((shared[2] as PickleDict).map.get('k')).toBe(shared[0]);
      const loop = unpickle(pythonPickleAt('(lambda l: (l.append(l), l)[1])([])', p, 'STOP').bytes, NONE) as PickleValue[];
      expect(loop[0]).toBe(loop);
    }
  });

  test('os.system, by GLOBAL (protocol 2) and STACK_GLOBAL (protocol 4): refused naming it, at the opcode\'s offset, nothing imported', () => {
    const g = pythonPickleAt('os.system', 2, 'GLOBAL');
    expectError(() => unpickle(g.bytes, NONE), 'global', g.at, /the global posix\.system is not allowed.*nothing was run/);
    const s = pythonPickleAt('os.system', 4, 'STACK_GLOBAL');
    expectError(() => unpickle(s.bytes, NONE), 'global', s.at, /the global posix\.system is not allowed/);
    // Protocol 2 names builtins by their Python 2 module, __builtin__.
    const e = pythonPickleAt('builtins.eval', 2, 'GLOBAL');
    // An allow-list of other globals: still refused, and the message lists what is allowed.
    expectError(() => unpickle(e.bytes, { globals: new Map([['collections.OrderedDict', {}]]) }), 'global', e.at,
      /the global __builtin__\.eval is not allowed: only collections\.OrderedDict can be named/);
  });

  test('opcodes a state dict does not use: floats, bytes, sets, NEWOBJ; each named at its offset', () => {
    for (const [expr, protocol, opcode] of [['1.5', 2, 'BINFLOAT'], ['b"x"', 3, 'SHORT_BINBYTES'], ['{1}', 4, 'EMPTY_SET'],
      ['frozenset()', 4, 'FROZENSET'], ['bytearray(b"x")', 5, 'BYTEARRAY8']] as const) {
      const { bytes, at } = pythonPickleAt(expr, protocol, opcode);
      expectError(() => unpickle(bytes, NONE), 'opcode', at, new RegExp(`^pickle: ${opcode} \\(.*\\) is not read`));
    }
    // Protocol 0 (text): refused at its first opcode.
    const { bytes } = pythonPickleAt('1', 0, 'INT');
    expectError(() => unpickle(bytes, NONE), 'opcode', 0, /INT \('I'\) is not read/);
  });
});

describe('the allow-list and handlers', () => {
  const globals: UnpickleOptions['globals'] = new Map([
    ['m.callable', { call: (args: readonly PickleValue[], at: number) => ({ called: args.length, at }) }],
    ['m.named', {}],
  ]);

  test('REDUCE calls the handler with the argument tuple and the offset of REDUCE, plus baseOffset', () => {
    const b = pickle(op.proto(), op.global('m', 'callable'), op.int(1), op.str('x'), op.tuple2(), op.reduce(), op.stop());
    expect(unpickle(b, { globals, baseOffset: 1000 })).toEqual({ called: 2, at: 1000 + b.length - 2 });
    expect(plain(unpickle(pickle(op.proto(), op.global('m', 'named'), op.stop()), { globals }))).toEqual({ global: 'm.named' });
  });

  test('REDUCE of a global without a handler, of a non-global, with arguments that are not a tuple', () => {
    const named = pickle(op.proto(), op.global('m', 'named'), op.emptyTuple(), op.reduce(), op.stop());
    expectError(() => unpickle(named, { globals, baseOffset: 7 }), 'reduce', 7 + named.length - 2, /REDUCE of m\.named, which may be named but not called/);
    const str = pickle(op.proto(), op.str('os.system'), op.emptyTuple(), op.reduce(), op.stop());
    expectError(() => unpickle(str, { globals }), 'reduce', str.length - 2, /REDUCE of the string "os.system", not an allowed global/);
    const list = pickle(op.proto(), op.global('m', 'callable'), op.emptyList(), op.reduce(), op.stop());
    expectError(() => unpickle(list, { globals }), 'reduce', list.length - 2, /with a list of 0, not a tuple/);
  });

  test('BINPERSID goes to persistentLoad, and is refused without one', () => {
    const b = pickle(op.proto(), op.str('key'), op.binpersid(), op.stop());
    expect(unpickle(b, { globals, persistentLoad: (pid, at) => ({ pid, at }) })).toEqual({ pid: 'key', at: b.length - 2 });
    expectError(() => unpickle(b, NONE), 'persistent id', b.length - 2, /BINPERSID in a pickle that has no persistent references/);
  });

  test('BUILD sets an OrderedDict\'s attributes (a state dict\'s _metadata), and nothing else', () => {
    const od: UnpickleOptions = { globals: new Map([['collections.OrderedDict', { call: () => new PickleDict(true) }]]) };
    const b = pickle(op.proto(), op.global('collections', 'OrderedDict'), op.emptyTuple(), op.reduce(),
      op.emptyDict(), op.str('_metadata'), op.int(5), op.setitem(), op.build(), op.stop());
    const d = unpickle(b, od) as PickleDict;
    expect(d.attributes.get('_metadata')).toBe(5);
    const plainDict = pickle(op.proto(), op.emptyDict(), op.emptyDict(), op.build(), op.stop());
    expectError(() => unpickle(plainDict, NONE), 'build', 4, /BUILD of a dict of 0: only an OrderedDict's attributes/);
    const list = pickle(op.proto(), op.global('collections', 'OrderedDict'), op.emptyTuple(), op.reduce(), op.emptyList(), op.build(), op.stop());
    expectError(() => unpickle(list, od), 'build', list.length - 2, /BUILD with a list of 0, not a dict/);
  });
});

describe('malformed pickles: FormatError at the opcode', () => {
  test('truncated arguments, no STOP, STOP with the wrong stack', () => {
    expectError(() => unpickle(pickle(op.proto(), 0x58, 10, 0, 0, 0, 0x61), NONE), 'truncated', 2, /BINUNICODE \('X'\) needs 10 bytes/);
    expectError(() => unpickle(pickle(op.proto(), 0x4a, 1), NONE), 'truncated', 2, /BININT \('J'\) needs 4 bytes/);
    expectError(() => unpickle(pickle(op.proto(), op.none()), NONE), 'truncated', 3, /without STOP/);
    expectError(() => unpickle(pickle(op.proto(), op.none(), op.none(), op.stop()), NONE), 'stack', 4, /STOP with 2 values on the stack/);
    expectError(() => unpickle(pickle(op.proto(), op.stop()), NONE), 'stack', 2, /STOP with 0 values/);
    expectError(() => unpickle(pickle(op.proto(), op.mark(), op.none(), op.stop()), NONE), 'stack', 4, /STOP with a MARK still open/);
    expectError(() => unpickle(pickle(op.proto(), op.global('m', 'x')), { globals: new Map([['m.x', {}]]) }), 'truncated', 7, /without STOP/);
    expectError(() => unpickle(pickle(op.proto(), 0x63, 0x6d, 0x0a, 0x78), NONE), 'truncated', 2, /GLOBAL without the newline/);
  });

  test('protocols other than 2 to 5', () => {
    expectError(() => unpickle(pickle(op.proto(1), op.none(), op.stop()), NONE), 'protocol', 0, /protocol 1/);
    expectError(() => unpickle(pickle(op.proto(6), op.none(), op.stop()), NONE), 'protocol', 0, /protocol 6/);
  });

  test('the memo: BINGET of an entry never put; LONG_BINPUT 4294967295 is one entry, not an array', () => {
    expectError(() => unpickle(pickle(op.proto(), op.get(3), op.stop()), NONE), 'memo', 2, /memo entry 3, which was never put/);
    expect(unpickle(pickle(op.proto(), op.int(9), op.longPut(0xffffffff), op.longGet(0xffffffff), op.tuple2(), op.stop()), NONE))
      .toEqual(new PickleTuple([9, 9]));
    expect(plain(unpickle(pickle(op.proto(4), op.frame(5), op.int(1), op.memoize(), op.get(0), op.tuple2(), op.stop()), NONE))).toEqual({ tuple: [1, 1] });
  });

  test('items of the wrong kind: SETITEM into a list, APPEND into a dict, odd SETITEMS, values below a MARK, an empty stack', () => {
    expectError(() => unpickle(pickle(op.proto(), op.emptyList(), op.int(1), op.int(2), op.setitem(), op.stop()), NONE), 'stack', 7, /SETITEM into a list of 0, not a dict/);
    expectError(() => unpickle(pickle(op.proto(), op.emptyDict(), op.int(1), op.append(), op.stop()), NONE), 'stack', 5, /APPEND to a dict of 0, not a list/);
    expectError(() => unpickle(pickle(op.proto(), op.emptyDict(), op.mark(), op.int(1), op.setitems(), op.stop()), NONE), 'stack', 6, /SETITEMS of 1 values/);
    expectError(() => unpickle(pickle(op.proto(), op.int(1), op.mark(), op.tuple1(), op.stop()), NONE), 'stack', 5, /TUPLE1 .* finds a MARK/);
    expectError(() => unpickle(pickle(op.proto(), op.tuple2(), op.stop()), NONE), 'stack', 2, /an empty stack/);
    expectError(() => unpickle(pickle(op.proto(), op.tuple(), op.stop()), NONE), 'stack', 2, /TUPLE \('t'\) without a MARK/);
    expectError(() => unpickle(pickle(op.proto(), op.mark(), op.binpersid(), op.stop()), NONE), 'stack', 3, /BINPERSID .* finds a MARK/);
  });

  test('MARKs nest at most MAX_MARK_DEPTH deep', () => {
    const deep = (n: number) => pickle(op.proto(), ...Array(n).fill(op.mark()), op.emptyTuple(), ...Array(n).fill(op.tuple()), op.stop());
    expect(unpickle(deep(MAX_MARK_DEPTH), NONE)).toBeInstanceOf(PickleTuple);
    expectError(() => unpickle(deep(MAX_MARK_DEPTH + 1), NONE), 'depth', 2 + MAX_MARK_DEPTH, /more than 64 MARKs open/);
  });

  test('strings that are not UTF-8, globals that are not printable ASCII; unknown opcodes by byte', () => {
    expectError(() => unpickle(pickle(op.proto(), 0x8c, 2, 0xc3, 0x28, op.stop()), NONE), 'string', 2, /not valid UTF-8/);
    expectError(() => unpickle(pickle(op.proto(), 0x63, 0x01, 0x0a, 0x78, 0x0a, op.stop()), NONE), 'global', 2, /not printable ASCII/);
    expectError(() => unpickle(pickle(op.proto(), 0xff, op.stop()), NONE), 'opcode', 2, /unknown opcode 0xff is not read/);
    expectError(() => unpickle(pickle(op.proto(), 0x69), NONE), 'opcode', 2, /INST \('i'\) is not read/);
  });

  test('LONG1: negative, zero-length and huge integers (beyond 2^53 a bigint)', () => {
    expect(unpickle(pickle(op.proto(), op.long1(-129n), op.stop()), NONE)).toBe(-129);
    expect(unpickle(pickle(op.proto(), 0x8a, 0, op.stop()), NONE)).toBe(0);
    expect(unpickle(pickle(op.proto(), op.long1(2n ** 70n), op.stop()), NONE)).toBe(2n ** 70n);
  });
});
