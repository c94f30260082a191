// The CLI with a hub id: `embed org/name` downloads into the Hugging Face cache (HF_ENDPOINT and
// HF_HUB_CACHE, as huggingface_hub reads them) through a loopback hub, draws a bar per large file
// and one for the tensors, and prints the vectors of the same model loaded from its folder.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { repoFromFolder, serveHub, type HubServer } from '../hub/hub-server';
import { cli } from './capture';

const BERT = join(__dirname, '..', 'fixtures', 'bert');
const COMMIT = 'c'.repeat(40);
let hub: HubServer;
let cache: string;
const saved = { endpoint: process.env.HF_ENDPOINT, cache: process.env.HF_HUB_CACHE };

beforeAll(async () => {
  hub = await serveHub({ 'org/bert': repoFromFolder(BERT, COMMIT) });
  cache = mkdtempSync(join(tmpdir(), 'wasm-nlp-cli-hub-'));
  process.env.HF_ENDPOINT = hub.url;
  process.env.HF_HUB_CACHE = cache;
});

afterAll(async () => {
  for (const [key, value] of [['HF_ENDPOINT', saved.endpoint], ['HF_HUB_CACHE', saved.cache]] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await hub.close();
  rmSync(cache, { recursive: true, force: true });
});

test('embed org/name: downloaded into the cache with bars, the folder\'s vectors; offline from the cache the second time', async () => {
  const fromFolder = await cli(['embed', BERT, 'the house was old']);
  expect(fromFolder.code).toBe(0);
  const first = await cli(['embed', 'org/bert', 'the house was old']);
  expect(first.code, first.stderr).toBe(0);
  expect(first.stdout).toBe(fromFolder.stdout);
  expect(first.stderr).toMatch(/loading tensors\s+100\.0%/);
  expect(first.stderr).toMatch(/model\.safetensors/);
  expect(readdirSync(join(cache, 'models--org--bert', 'snapshots'))).toEqual([COMMIT]);
  await hub.close();
  const offline = await cli(['embed', 'org/bert', 'the house was old']);
  expect(offline.code, offline.stderr).toBe(0);
  expect(offline.stdout).toBe(fromFolder.stdout);
  const missing = await cli(['embed', 'org/nothing-here', 'text']);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/org\/nothing-here/);
});
