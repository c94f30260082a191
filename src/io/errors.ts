// The one error a file reader throws for bad bytes: it says which field of the format is wrong
// and where, so that a caller (or a person with a hex editor) can find the problem.

export class FormatError extends Error {
  override readonly name = 'FormatError';

  /**
   * @param field the part of the format that is wrong: 'header', 'count', 'dim', 'word', 'values', 'value'
   * @param byteOffset where in the bytes the problem starts (0-based)
   */
  constructor(message: string, public readonly field: string, public readonly byteOffset: number) {
    super(message);
  }
}
