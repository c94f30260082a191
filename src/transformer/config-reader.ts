// Reading the keys of a Hugging Face config.json, for the family modules (families/*.ts): each
// key with its default, its type and its range checked, and every problem a FormatError whose
// field is the key ("id2label.3" inside an object) and whose byteOffset is where the key starts
// in the file's bytes (0 for a config given already parsed).
import { FormatError } from '../io/errors';
import { bomLength, parseJsonBytes, showJson } from '../io/json-bytes';
import type { Activation, HeadKind, TransformerConfig } from './config';

type Json = Record<string, unknown>;

/** Layer counts past this are refused: the layers are built in arrays of that length. */
const MAX_LAYERS = 10_000;

/** Deepest nesting read from config.json text: HF configs nest 3 (bad_words_ids, task_specific_params). */
const MAX_DEPTH = 32;

function configError(field: string, at: number, what: string): FormatError {
  return new FormatError(`config.json: ${what} (field ${field}, byte offset ${at})`, field, at);
}

export function parseConfigBytes(bytes: Uint8Array): { value: unknown; keys: Map<string, number> } {
  return parseJsonBytes(bytes, bomLength(bytes), bytes.length, { field: 'config.json', maxDepth: MAX_DEPTH, subject: 'config.json', fail: configError });
}

/**
 * An error about top-level `key` of config.json found by a later check (against the weights,
 * say), at the key's byte offset in `bytes`.
 */
export function configKeyError(bytes: Uint8Array, key: string, what: string): FormatError {
  return configError(key, parseConfigBytes(bytes).keys.get(key) ?? 0, what);
}

const ACTIVATIONS: Record<string, Activation> = {
  gelu: 'gelu', gelu_new: 'gelu_tanh', gelu_fast: 'gelu_tanh', gelu_pytorch_tanh: 'gelu_tanh',
  relu: 'relu', silu: 'silu', swish: 'silu',
};

const PROBLEM_TYPES = ['regression', 'single_label_classification', 'multi_label_classification'] as const;

export class ConfigReader {
  constructor(readonly json: Json, private readonly keys: Map<string, number> = new Map()) {}

  /** The error for a key ("a.b" for key b of object a), at the key's byte offset when known. */
  fail(field: string, what: string): FormatError {
    return configError(field, this.keys.get(field.replace('.', '\u0000')) ?? 0, what);
  }

  int(key: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.json[key] ?? fallback;
    if (!Number.isSafeInteger(v) || (v as number) < min) throw this.fail(key, `${key} must be an integer ≥ ${min}, got ${showJson(this.json[key])}`);
    if ((v as number) > max) throw this.fail(key, `${key} must be at most ${max}, got ${showJson(this.json[key])}`);
    return v as number;
  }

  layers(key: string, fallback: number): number {
    return this.int(key, fallback, 1, MAX_LAYERS);
  }

  positive(key: string, fallback: number): number {
    const v = this.json[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw this.fail(key, `${key} must be a positive number, got ${showJson(this.json[key])}`);
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.json[key] ?? fallback;
    if (typeof v !== 'boolean') throw this.fail(key, `${key} must be true or false, got ${showJson(this.json[key])}`);
    return v;
  }

  /** A key that must have one value (or be absent): what the family's model always computes; `why` follows "is not supported". */
  fixed(key: string, expected: unknown, why: string): void {
    const v = this.json[key];
    if (v !== undefined && v !== expected) throw this.fail(key, `${key} ${showJson(v)} is not supported ${why}`);
  }

  activation(key: string, fallback: string): Activation {
    const v = this.json[key] ?? fallback;
    const a = typeof v === 'string' && Object.hasOwn(ACTIVATIONS, v) ? ACTIVATIONS[v] : undefined;
    if (!a) throw this.fail(key, `${key} ${showJson(this.json[key])} is not supported (supported: ${Object.keys(ACTIVATIONS).join(', ')})`);
    return a;
  }

  /** D / H, which must divide. */
  headWidth(D: number, H: number, dKey: string, hKey: string): number {
    if (D % H !== 0) throw this.fail(dKey, `${dKey} (${D}) is not divisible by ${hKey} (${H})`);
    return D / H;
  }

  /** A token id in [0, V), the fallback when absent; undefined when null (and no fallback given). */
  tokenId(key: string, V: number, fallback?: number): number | undefined {
    const v = this.json[key];
    if (v === undefined && fallback !== undefined && !isTokenId(fallback, V)) {
      throw this.fail(key, `${key} is missing, and its default ${fallback} is not a token id in [0, ${V})`);
    }
    if (v === undefined) return fallback;
    if (v === null) return undefined;
    if (!isTokenId(v, V)) throw this.fail(key, `${key} must be a token id in [0, ${V}), got ${showJson(v)}`);
    return v;
  }

  /** pad (required, `pad` when absent) and the optional bos, eos, forced bos and forced eos ids. */
  tokens(V: number, pad: number) {
    const padTokenId = this.tokenId('pad_token_id', V, pad);
    if (padTokenId === undefined) throw this.fail('pad_token_id', `pad_token_id must be a token id in [0, ${V}), got null`);
    const out: Pick<TransformerConfig, 'padTokenId' | 'bosTokenId' | 'eosTokenId' | 'forcedBosTokenId' | 'forcedEosTokenId'> = { padTokenId };
    const optional = [['bos_token_id', 'bosTokenId'], ['eos_token_id', 'eosTokenId'],
      ['forced_bos_token_id', 'forcedBosTokenId'], ['forced_eos_token_id', 'forcedEosTokenId']] as const;
    for (const [key, field] of optional) {
      const id = this.tokenId(key, V);
      if (id !== undefined) out[field] = id;
    }
    return out;
  }

  /** The architectures key: class names, or [] when absent. */
  architectures(): string[] {
    const a = this.json['architectures'];
    if (a === undefined || a === null) return [];
    if (!Array.isArray(a) || !a.every((x) => typeof x === 'string')) throw this.fail('architectures', `architectures must be an array of class names, got ${showJson(a)}`);
    return a as string[];
  }

  /**
   * The head the checkpoint's class adds (from architectures, by the family's table: 'base' for
   * the classes without one) and, for the classification heads only, its labels: other configs
   * carry HF's default LABEL_0/LABEL_1 (opus-mt even three), which mean nothing. A class the
   * table does not know is refused, with the list of those it does.
   */
  head(modelType: string, classes: Readonly<Record<string, HeadKind | 'base'>>): Pick<TransformerConfig, 'head' | 'numLabels' | 'id2label' | 'problemType'> {
    const names = this.architectures();
    const unknown = names.find((a) => !Object.hasOwn(classes, a));
    if (unknown !== undefined) {
      throw this.fail('architectures', `architectures names ${unknown}, which is not supported for ${modelType} (supported: ${Object.keys(classes).join(', ')})`);
    }
    const head = names.map((a) => classes[a]!).find((h): h is HeadKind => h !== 'base');
    if (head === undefined) return {};
    if (head !== 'sequence-classification' && head !== 'token-classification') return { head };
    return { head, ...this.labels() };
  }

  private labels(): Pick<TransformerConfig, 'numLabels' | 'id2label' | 'problemType'> {
    const c = this.json;
    let names: string[] | undefined;
    const id2label = c['id2label'];
    if (id2label !== undefined && id2label !== null) {
      if (typeof id2label !== 'object' || Array.isArray(id2label)) throw this.fail('id2label', `id2label must be an object, got ${showJson(id2label)}`);
      const entries = Object.entries(id2label as Json);
      names = new Array<string>(entries.length);
      for (const [k, v] of entries) {
        const i = /^(0|[1-9]\d*)$/.test(k) ? Number(k) : NaN;
        if (!(i < entries.length) || typeof v !== 'string') {
          throw this.fail(`id2label.${k}`, `id2label must map 0…${entries.length - 1} to names, got "${k}": ${showJson(v)}`);
        }
        names[i] = v;
      }
      const label2id = c['label2id'];
      if (label2id !== undefined && label2id !== null) {
        if (typeof label2id !== 'object' || Array.isArray(label2id)) throw this.fail('label2id', `label2id must be an object, got ${showJson(label2id)}`);
        for (const [name, i] of Object.entries(label2id as Json)) {
          if (names[i as number] !== name) throw this.fail('label2id', `label2id "${name}": ${showJson(i)} disagrees with id2label`);
        }
      }
    }
    const numLabels = c['num_labels'] === undefined ? (names?.length ?? 2) : this.int('num_labels', 2);
    if (numLabels < 1) throw this.fail('id2label', 'id2label names no label: a classification head needs at least one');
    if (names && names.length !== numLabels) throw this.fail('num_labels', `num_labels (${numLabels}) disagrees with id2label, which has ${names.length} labels`);
    const problemType = c['problem_type'];
    if (problemType !== undefined && problemType !== null && !(PROBLEM_TYPES as readonly unknown[]).includes(problemType)) {
      throw this.fail('problem_type', `problem_type ${showJson(problemType)} is not supported (supported: ${PROBLEM_TYPES.join(', ')})`);
    }
    return {
      numLabels,
      id2label: names ?? Array.from({ length: numLabels }, (_, i) => `LABEL_${i}`),
      ...(typeof problemType === 'string' ? { problemType: problemType as TransformerConfig['problemType'] } : {}),
    };
  }
}

export function isTokenId(v: unknown, V: number): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) < V;
}
