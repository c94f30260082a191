// SentencePiece's model file (ModelProto of sentencepiece_model.proto): the pieces with their
// scores and types, the trainer settings that change how text is cut (model type, byte
// fallback, the special ids) and the normalizer (its precompiled character map and whitespace
// rules). Fields that only training reads are skipped; fields that change tokenizing in a way
// this library does not follow are refused by the converter (from-sentencepiece.ts).
import { ProtoReader } from './protobuf';

/** SentencePiece.Type: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte. */
export enum PieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

export interface SentencePiece {
  piece: string;
  score: number;
  type: PieceType;
}

export interface NormalizerSpec {
  /** 'nmt_nfkc', 'nfkc', 'nmt_nfkc_cf', 'nfkc_cf', 'identity', or a user rule set's name. */
  name: string;
  /** The character map (a double-array trie and its replacement strings); null when empty (identity). */
  precompiledCharsmap: Uint8Array | null;
  /** Where the charsmap starts in the file, for errors. */
  charsmapOffset: number;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
}

export interface SentencePieceModel {
  file: string;
  pieces: SentencePiece[];
  modelType: 'unigram' | 'bpe' | 'word' | 'char';
  byteFallback: boolean;
  treatWhitespaceAsSuffix: boolean;
  unkId: number;
  bosId: number;
  eosId: number;
  padId: number;
  normalizer: NormalizerSpec;
}

const MODEL_TYPES = { 1: 'unigram', 2: 'bpe', 3: 'word', 4: 'char' } as const;

/**
 * Parse a SentencePiece model file (`spiece.model`, `sentencepiece.bpe.model`, Marian's
 * `source.spm`). Throws a FormatError naming the field and byte offset for bytes that are not
 * such a model: bad wire format, a piece that is not UTF-8, a repeated piece, a score that is not
 * finite, an unknown piece type, an unk_id that is not the one unknown piece.
 */
export function parseSentencePieceModel(bytes: Uint8Array, file = 'the SentencePiece model'): SentencePieceModel {
  const r = new ProtoReader(bytes, file);
  const pieces: SentencePiece[] = [];
  const pieceAt: number[] = [];
  const model: SentencePieceModel = {
    file, pieces, modelType: 'unigram', byteFallback: false, treatWhitespaceAsSuffix: false,
    unkId: 0, bosId: 1, eosId: 2, padId: -1,
    normalizer: { name: '', precompiledCharsmap: null, charsmapOffset: 0, addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true },
  };
  let unkIdAt = 0, sawNormalizer = false;
  for (const f of r.fields(0, bytes.length, 'ModelProto')) {
    if (f.field === 1) {
      r.expect(f, 2, 'pieces');
      pieceAt.push(f.at);
      pieces.push(readPiece(r, f.start, f.end, `pieces[${pieces.length}]`));
    } else if (f.field === 2) {
      r.expect(f, 2, 'trainer_spec');
      unkIdAt = readTrainer(r, f.start, f.end, model) ?? unkIdAt;
    } else if (f.field === 3) {
      r.expect(f, 2, 'normalizer_spec');
      sawNormalizer = true;
      readNormalizer(r, f.start, f.end, model.normalizer);
    }
    // 4 self_test_data and 5 denormalizer_spec: not needed to tokenize (a denormalizer is refused below)
    else if (f.field === 5 && f.wire === 2 && f.end > f.start) {
      const d: NormalizerSpec = { ...model.normalizer, precompiledCharsmap: null, name: '' };
      readNormalizer(r, f.start, f.end, d);
      if (d.precompiledCharsmap) throw r.error('a denormalizer (denormalizer_spec with a character map), which is not supported', 'denormalizer_spec', f.at);
    }
  }
  if (pieces.length === 0) throw r.error('no pieces: this is not a SentencePiece model', 'pieces', 0);
  if (!sawNormalizer) throw r.error('no normalizer_spec: this is not a SentencePiece model (or it is truncated)', 'normalizer_spec', bytes.length);
  const seen = new Map<string, number>();
  pieces.forEach((p, i) => {
    const before = seen.get(p.piece);
    if (before !== undefined) throw r.error(`piece ${i} ${JSON.stringify(p.piece.slice(0, 40))} repeats piece ${before}`, `pieces[${i}].piece`, pieceAt[i]!);
    seen.set(p.piece, i);
    if (p.piece.length === 0) throw r.error(`piece ${i} is empty`, `pieces[${i}].piece`, pieceAt[i]!);
    if (p.type === PieceType.Byte && !/^<0x[0-9A-F]{2}>$/.test(p.piece)) {
      throw r.error(`piece ${i} is a byte piece but reads ${JSON.stringify(p.piece.slice(0, 40))}, not <0xNN>`, `pieces[${i}].piece`, pieceAt[i]!);
    }
  });
  const unknowns = pieces.flatMap((p, i) => (p.type === PieceType.Unknown ? [i] : []));
  if (!Number.isSafeInteger(model.unkId) || model.unkId < 0 || model.unkId >= pieces.length || pieces[model.unkId]!.type !== PieceType.Unknown || unknowns.length !== 1) {
    throw r.error(`unk_id ${model.unkId} must be the one piece of type UNKNOWN (the model has ${unknowns.length}: ${unknowns.slice(0, 5).join(', ')})`,
      'trainer_spec.unk_id', unkIdAt);
  }
  return model;
}

function readPiece(r: ProtoReader, start: number, end: number, path: string): SentencePiece {
  const p: SentencePiece = { piece: '', score: 0, type: PieceType.Normal };
  let sawPiece = false;
  for (const f of r.fields(start, end, path)) {
    if (f.field === 1) { p.piece = r.string(f, `${path}.piece`); sawPiece = true; }
    else if (f.field === 2) {
      p.score = r.float(f, `${path}.score`);
      if (!Number.isFinite(p.score)) throw r.error(`score ${p.score} is not finite`, `${path}.score`, f.start);
    } else if (f.field === 3) {
      r.expect(f, 0, `${path}.type`);
      if (!(f.int32 >= 1 && f.int32 <= 6)) throw r.error(`type ${f.int32} is none of SentencePiece's piece types (1 to 6)`, `${path}.type`, f.at);
      p.type = f.int32;
    }
  }
  if (!sawPiece) throw r.error('a piece without its text', `${path}.piece`, start);
  return p;
}

/** Returns where unk_id is written, if it is. */
function readTrainer(r: ProtoReader, start: number, end: number, m: SentencePieceModel): number | undefined {
  let unkAt: number | undefined;
  for (const f of r.fields(start, end, 'trainer_spec')) {
    switch (f.field) {
      case 3: {
        r.expect(f, 0, 'trainer_spec.model_type');
        const t = MODEL_TYPES[f.int32 as keyof typeof MODEL_TYPES];
        if (!t) throw r.error(`model_type ${f.int32} is none of UNIGRAM (1), BPE (2), WORD (3), CHAR (4)`, 'trainer_spec.model_type', f.at);
        m.modelType = t;
        break;
      }
      case 24: m.treatWhitespaceAsSuffix = r.bool(f, 'trainer_spec.treat_whitespace_as_suffix'); break;
      case 35: m.byteFallback = r.bool(f, 'trainer_spec.byte_fallback'); break;
      case 40: r.expect(f, 0, 'trainer_spec.unk_id'); m.unkId = f.int32; unkAt = f.at; break;
      case 41: r.expect(f, 0, 'trainer_spec.bos_id'); m.bosId = f.int32; break;
      case 42: r.expect(f, 0, 'trainer_spec.eos_id'); m.eosId = f.int32; break;
      case 43: r.expect(f, 0, 'trainer_spec.pad_id'); m.padId = f.int32; break;
      default: break;
    }
  }
  return unkAt;
}

function readNormalizer(r: ProtoReader, start: number, end: number, n: NormalizerSpec): void {
  for (const f of r.fields(start, end, 'normalizer_spec')) {
    switch (f.field) {
      case 1: n.name = r.string(f, 'normalizer_spec.name'); break;
      case 2:
        r.expect(f, 2, 'normalizer_spec.precompiled_charsmap');
        n.precompiledCharsmap = f.end > f.start ? r.bytes.subarray(f.start, f.end) : null;
        n.charsmapOffset = f.start;
        break;
      case 3: n.addDummyPrefix = r.bool(f, 'normalizer_spec.add_dummy_prefix'); break;
      case 4: n.removeExtraWhitespaces = r.bool(f, 'normalizer_spec.remove_extra_whitespaces'); break;
      case 5: n.escapeWhitespaces = r.bool(f, 'normalizer_spec.escape_whitespaces'); break;
      default: break;
    }
  }
}
