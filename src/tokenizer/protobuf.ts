// A minimal reader of the protobuf wire format, enough for SentencePiece's ModelProto: varints,
// 32- and 64-bit fixed fields and length-delimited fields (strings, bytes, sub-messages). Every
// problem is a FormatError naming the message field being read and the byte offset, so a bad
// model file is located, never half-read.
import { FormatError } from '../io/errors';

/** Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 (3 and 4, groups, are refused). */
export type WireType = 0 | 1 | 2 | 5;

export interface ProtoField {
  /** The field number. */
  field: number;
  wire: WireType;
  /** Where the field's key starts. */
  at: number;
  /** Varint: the value (exact up to 2^53; larger values are only ever refused). */
  value: number;
  /** Varint: the low 32 bits as a signed integer (protobuf's int32, whose negatives take 10 bytes). */
  int32: number;
  /** Length-delimited, fixed32, fixed64: the payload's bytes [start, end). */
  start: number;
  end: number;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class ProtoReader {
  /**
   * @param bytes the whole file (offsets in errors are offsets in it)
   * @param file the file's name, for messages
   */
  constructor(readonly bytes: Uint8Array, readonly file: string) {}

  error(what: string, field: string, at: number): FormatError {
    return new FormatError(`${this.file}: ${what} (field ${field}, byte offset ${at})`, field, at);
  }

  /** The fields of the message in [start, end), in order; `path` names the message in errors. */
  *fields(start: number, end: number, path: string): Generator<ProtoField> {
    let p = start;
    while (p < end) {
      const at = p;
      const key = this.varint(p, end, path);
      p = key.next;
      const wire = key.low & 7;
      const field = Math.floor(key.value / 8);
      if (field === 0) throw this.error('a field number 0, which protobuf does not allow (truncated or not a model?)', path, at);
      const f: ProtoField = { field, wire: 0, at, value: 0, int32: 0, start: p, end: p };
      switch (wire) {
        case 0: {
          const v = this.varint(p, end, `${path}.${field}`);
          f.value = v.value; f.int32 = v.low | 0; p = v.next; f.end = p;
          break;
        }
        case 1: case 5: {
          const n = wire === 1 ? 8 : 4;
          if (p + n > end) throw this.error(`field ${field} needs ${n} bytes, ${end - p} are left`, `${path}.${field}`, at);
          f.wire = wire; f.end = p + n; p += n;
          break;
        }
        case 2: {
          const len = this.varint(p, end, `${path}.${field}`);
          if (len.value > end - len.next) {
            throw this.error(`field ${field} says ${len.value} bytes, but ${end - len.next} are left`, `${path}.${field}`, at);
          }
          f.wire = 2; f.start = len.next; f.end = len.next + len.value; p = f.end;
          break;
        }
        default:
          throw this.error(`wire type ${wire} of field ${field} is not one a model file uses (a group, or not protobuf)`, `${path}.${field}`, at);
      }
      yield f;
    }
  }

  /** A varint at `p`: its value, its low 32 bits, and where it ends. */
  varint(p: number, end: number, path: string): { value: number; low: number; next: number } {
    let value = 0, low = 0, scale = 1;
    for (let i = 0; i < 10; i++) {
      if (p + i >= end) throw this.error('a varint runs past the end of its message', path, p);
      const b = this.bytes[p + i]!;
      value += (b & 0x7f) * scale;
      if (i < 5) low |= (b & 0x7f) << (7 * i);
      scale *= 128;
      if ((b & 0x80) === 0) return { value, low: low >>> 0, next: p + i + 1 };
    }
    throw this.error('a varint longer than 10 bytes', path, p);
  }

  /** A length-delimited field as UTF-8 text (protobuf strings must be valid UTF-8). */
  string(f: ProtoField, path: string): string {
    this.expect(f, 2, path);
    try {
      return strictUtf8.decode(this.bytes.subarray(f.start, f.end));
    } catch {
      throw this.error('a string that is not valid UTF-8', path, f.start);
    }
  }

  float(f: ProtoField, path: string): number {
    this.expect(f, 5, path);
    return new DataView(this.bytes.buffer, this.bytes.byteOffset + f.start, 4).getFloat32(0, true);
  }

  bool(f: ProtoField, path: string): boolean {
    this.expect(f, 0, path);
    return f.value !== 0;
  }

  expect(f: ProtoField, wire: WireType, path: string): void {
    if (f.wire !== wire) {
      const names = { 0: 'a varint', 1: 'a fixed64', 2: 'length-delimited', 5: 'a fixed32' } as const;
      throw this.error(`field ${f.field} is ${names[f.wire]}, expected ${names[wire]}`, path, f.at);
    }
  }
}
