// The FormatError a function throws, for tests that then check its field and byte offset.
import { expect } from 'vitest';
import { FormatError } from '../src/io/errors';

export function formatError(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return e as FormatError;
  }
  throw new Error('expected a FormatError');
}
