// The registry of model families: loadModel, configFromHuggingFace and countParameters find a
// family here by config.json's model_type (or a config's family). Adding a family is its module
// (families/<family>.ts), its line below, its test and its fixture.
import { showJson } from '../../io/json-bytes';
import { ConfigReader, parseConfigBytes } from '../config-reader';
import type { Family, TransformerConfig } from '../config';
import { bert } from './bert';
import { distilbert } from './distilbert';
import type { FamilyModule } from './family';
import { gpt2 } from './gpt2';
import { llama } from './llama';
import { marian } from './marian';
import { mpnet } from './mpnet';
import { roberta } from './roberta';
import { t5 } from './t5';

const FAMILIES: readonly FamilyModule[] = [bert, distilbert, roberta, mpnet, marian, gpt2, llama, t5];

export function familyForModelType(modelType: string): FamilyModule | undefined {
  return FAMILIES.find((f) => f.modelTypes.includes(modelType));
}

/** The module of a config's family (model_type and family name are the same string), or undefined for 'custom'. */
export function familyOf(family: Family): FamilyModule | undefined {
  return familyForModelType(family);
}

export function supportedModelTypes(): string[] {
  return FAMILIES.flatMap((f) => f.modelTypes);
}


/** Byte offsets of the keys of configs read from text, for FormatError (0 for configs given as objects). */
const keyOffsets = new WeakMap<object, Map<string, number>>();

/**
 * Reads a Hugging Face config.json (its bytes, its text, or parsed) of a supported family. Every
 * problem is a FormatError whose field is the key ("id2label.3" inside an object) and whose
 * byteOffset is where the key starts in the bytes (0 when given parsed).
 */
export function configFromHuggingFace(json: unknown): TransformerConfig {
  if (typeof json === 'string' || json instanceof Uint8Array) {
    const parsed = parseConfigBytes(typeof json === 'string' ? new TextEncoder().encode(json) : json);
    json = parsed.value;
    if (json !== null && typeof json === 'object') keyOffsets.set(json, parsed.keys);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ConfigReader({}).fail('config.json', `expected an object, got ${showJson(json)}`);
  }
  const reader = new ConfigReader(json as Record<string, unknown>, keyOffsets.get(json));
  const modelType = reader.json['model_type'];
  const supported = supportedModelTypes().map((t) => `"${t}"`).join(', ');
  if (modelType === undefined) throw reader.fail('model_type', `model_type is missing (supported: ${supported})`);
  const family = typeof modelType === 'string' ? familyForModelType(modelType) : undefined;
  if (!family) throw reader.fail('model_type', `model_type ${showJson(modelType)} is not supported (supported: ${supported})`);
  return family.readConfig(reader, modelType as string);
}

