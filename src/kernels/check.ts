// Argument checks shared by both backends, so that the WASM kernels and their JS twins refuse
// the same inputs with the same message, before anything is allocated or copied.
import { dataOf, type Operand } from './types';

export function checkDim(kernel: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new Error(`${kernel}: option ${name} must be a non-negative integer, got ${String(v)}`);
  }
  return v;
}

export function checkNumber(kernel: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new Error(`${kernel}: ${name} must be a finite number, got ${String(v)}`);
  }
  return v;
}

/** Checks that `x` is an operand of exactly `expected` floats; `what` says where that comes from. */
export function checkOperand(kernel: string, name: string, x: unknown, expected: number, what: string): Float32Array {
  if (typeof x !== 'object' || x === null) {
    throw new Error(`${kernel}: ${name} must be a Float32Array or a tensor, got ${describe(x)}`);
  }
  let data: unknown;
  try {
    data = dataOf(x as Operand);
  } catch (e) {
    throw new Error(`${kernel}: ${name} cannot be read: ${(e as Error).message}`);
  }
  if (!(data instanceof Float32Array)) {
    throw new Error(`${kernel}: ${name} must be a Float32Array or a tensor, got ${describe(x)}`);
  }
  if (data.length !== expected) {
    throw new Error(`${kernel}: ${name} has ${data.length} floats, expected ${what} = ${expected}`);
  }
  return data;
}

/** The operand's length, or -1 when it is not an operand (checkOperand then says why). */
export function lengthOf(x: unknown): number {
  try {
    const data = dataOf(x as Operand);
    return data instanceof Float32Array ? data.length : -1;
  } catch {
    return -1;
  }
}

export function checkOptions(kernel: string, options: unknown): void {
  if (typeof options !== 'object' || options === null) throw new Error(`${kernel}: options object is required`);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x !== 'object') return typeof x;
  return (x as object).constructor?.name ?? 'object';
}
