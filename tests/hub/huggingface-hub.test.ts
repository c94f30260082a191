// The cache against Python's own huggingface_hub, both ways, through the loopback hub
// (hub-server.ts): what hf_hub_download leaves, we load with no server; what we download,
// hf_hub_download finds offline with the same bytes; the two caches have the same files and
// symlinks. huggingface_hub is no Debian package: these tests run where /usr/bin/python3 imports
// it, with WASM_NLP_HF_HUB_PYTHONPATH added to its path (e.g. `pip install --target DIR
// huggingface_hub`), and are skipped with a warning elsewhere.
import { execFile } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, type Runtime } from '../../src/index';
import { loadModel } from '../../src/transformer/load';
import type { TextEncoderModel } from '../../src/transformer/text-encoder';
import { PYTHON } from '../references';
import { repoFromFolder, serveHub, sha256, tree, type HubServer, type Repo } from './hub-server';

const FIXTURE = join(__dirname, '..', 'fixtures', 'mpnet-st');
const ID = 'org/mpnet-st';
const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const TEXTS = ['The movie was great!', 'The dogs were sleeping.'];
const PYTHONPATH = [process.env.WASM_NLP_HF_HUB_PYTHONPATH, process.env.PYTHONPATH].filter(Boolean).join(':');

function hasHuggingfaceHub(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import huggingface_hub'], { stdio: 'ignore', env: { ...process.env, PYTHONPATH } });
    return true;
  } catch {
    console.warn(`skipped: the cache against huggingface_hub: ${PYTHON} cannot import huggingface_hub ` +
      '(not a Debian package: pip install --target DIR huggingface_hub, then set WASM_NLP_HF_HUB_PYTHONPATH=DIR)');
    return false;
  }
}

/** Runs Python with huggingface_hub on the cache and the endpoint; its stdout. Async: the server answers meanwhile. */
async function python(script: string, env: Record<string, string>): Promise<string> {
  const { stdout } = await promisify(execFile)(PYTHON, ['-c', script], {
    env: { ...process.env, PYTHONPATH, HF_HUB_DISABLE_TELEMETRY: '1', HF_HUB_DISABLE_XET: '1', HF_HUB_DISABLE_IMPLICIT_TOKEN: '1', ...env },
  });
  return stdout;
}

const available = hasHuggingfaceHub();

describe.runIf(available)('the cache shared with Python\'s huggingface_hub', () => {
  let rt: Runtime;
  let repo: Repo;
  let server: HubServer;
  let reference: number[][];
  const temps: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-hf-'));
    temps.push(dir);
    return dir;
  };
  const embed = async (source: string, options: Parameters<typeof loadModel>[1] = {}) => {
    const model = await loadModel(source, { runtime: rt, ...options }) as TextEncoderModel;
    try {
      return model.embed(TEXTS).map((e) => Array.from(e));
    } finally {
      model.dispose();
    }
  };

  beforeAll(async () => {
    rt = await init();
    reference = await embed(FIXTURE);
    repo = repoFromFolder(FIXTURE, COMMIT, (f) => f === 'fixture.json');
    server = await serveHub({ [ID]: repo });
  });
  afterAll(async () => {
    await server?.close();
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  });

  // The files the loader reads, and one the repository lacks, as transformers asks for it.
  const files = () => [...repo.files.keys()];
  const download = (names: string[]) => `
import json
from huggingface_hub import hf_hub_download
from huggingface_hub.errors import EntryNotFoundError
for name in ${JSON.stringify(names)} + ["generation_config.json"]:
    try:
        hf_hub_download(${JSON.stringify(ID)}, name)
    except EntryNotFoundError:
        pass
`;

  test('what hf_hub_download left loads with no server; what we downloaded, it finds offline; the layouts match', async () => {
    // Python downloads into one cache, we into another, from the same server.
    const pythonCache = tempDir();
    await python(download(files()), { HF_ENDPOINT: server.url, HF_HUB_CACHE: pythonCache });
    const ours = tempDir();
    expect(await embed(ID, { endpoint: server.url, cacheDir: ours })).toEqual(reference);

    // The same blobs, snapshot symlinks and ref. (Python also has its .no_exist for the file it asked
    // for and we did not, its .locks and CACHEDIR.TAG outside the repository's folder.)
    const repoDir = 'models--org--mpnet-st';
    expect(tree(join(ours, repoDir))).toEqual(tree(join(pythonCache, repoDir)).filter((l) => !l.startsWith('.no_exist/')));
    expect(tree(join(pythonCache, repoDir))).toContain(`.no_exist/${COMMIT}/generation_config.json`);

    // Python's cache, no server: with localFilesOnly and without (the network error falls back to it).
    await server.close();
    expect(await embed(ID, { cacheDir: pythonCache, localFilesOnly: true })).toEqual(reference);
    expect(await embed(ID, { cacheDir: pythonCache, endpoint: server.url })).toEqual(reference);

    // Our cache, Python offline: every file found, with the repository's bytes.
    const found = JSON.parse(await python(`
import hashlib, json
from huggingface_hub import hf_hub_download
print(json.dumps({name: hashlib.sha256(open(hf_hub_download(${JSON.stringify(ID)}, name), "rb").read()).hexdigest()
                  for name in ${JSON.stringify(files())}}))
`, { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: ours, HF_ENDPOINT: server.url }));
    expect(found).toEqual(Object.fromEntries(files().map((f) => [f, sha256(repo.files.get(f)!)])));
  });
});
