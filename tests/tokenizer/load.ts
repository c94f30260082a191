// Tokenizers of the test fixtures, built as the library builds them from a model folder.
import { existsSync, readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';

export function fixtureJson(dir: string): { json: Record<string, unknown>; config: Record<string, unknown> } {
  const path = `tests/fixtures/${dir}/`;
  const json = JSON.parse(readFileSync(path + 'tokenizer.json', 'utf8')) as Record<string, unknown>;
  const config = existsSync(path + 'tokenizer_config.json') ? JSON.parse(readFileSync(path + 'tokenizer_config.json', 'utf8')) as Record<string, unknown> : {};
  return { json, config };
}

export function loadTokenizer(dir: string): Tokenizer {
  const { json, config } = fixtureJson(dir);
  return new Tokenizer(json, config);
}

export interface ReferenceEncoding {
  text: string;
  text_pair: string | null;
  ids: number[];
  tokens: string[];
  offsets: [number, number][];
  offsets_codepoints: [number, number][];
  sequence_ids: (0 | 1 | null)[];
}

export function loadReference(dir: string): ReferenceEncoding[] {
  return JSON.parse(readFileSync(`tests/fixtures/${dir}/reference.json`, 'utf8')) as ReferenceEncoding[];
}
