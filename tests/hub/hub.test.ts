// Hub ids through a loopback server laid out as the Hugging Face hub (hub-server.ts): the model
// loads as it does from its folder, the cache on disk is huggingface_hub's layout, a second load
// needs no network, cut/corrupt/aborted downloads leave nothing that looks complete, progress
// arrives in order with the right totals, and errors name the URL, the status and what to try.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { init, type Runtime } from '../../src/index';
import { checkHubId, checkRevision, isHubId, repoFolderName, resolveUrl } from '../../src/hub/hub-id';
import type { LoadProgressEvent } from '../../src/hub/options';
import { parseSafetensors } from '../../src/io/safetensors';
import { loadModel } from '../../src/transformer/load';
import type { TextEncoderModel } from '../../src/transformer/text-encoder';
import { pipeline } from '../../src/pipeline/pipeline';
import { gitBlobId, isLfs, repoFromFolder, serveHub, sha256, tree, type HubServer, type Repo } from './hub-server';

const FIXTURE = join(__dirname, '..', 'fixtures', 'mpnet-st');
const ID = 'org/mpnet-st';
const COMMIT = 'a'.repeat(39) + '1';
const TEXTS = ['The movie was great!', 'The dogs were sleeping.'];

let rt: Runtime;
let reference: number[][];
let repo: Repo;
let server: HubServer;
const temps: string[] = [];

/** A fresh cache folder, removed after the file's tests. */
function cacheDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-hub-'));
  temps.push(dir);
  return dir;
}

/** A loopback URL where nothing listens: a port just freed. */
async function closedPort(): Promise<string> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address() as { port: number };
  await new Promise((ok) => s.close(ok));
  return `http://127.0.0.1:${port}`;
}

async function embed(source: string, options: Parameters<typeof loadModel>[1] = {}): Promise<number[][]> {
  const model = await loadModel(source, { runtime: rt, ...options }) as TextEncoderModel;
  try {
    return model.embed(TEXTS).map((e) => Array.from(e));
  } finally {
    model.dispose();
  }
}

beforeAll(async () => {
  rt = await init();
  reference = await embed(FIXTURE);
  // fixture.json is the test's own file, not the model's.
  repo = repoFromFolder(FIXTURE, COMMIT, (f) => f === 'fixture.json');
  server = await serveHub({ [ID]: repo, 'gated/model': repo }, { gated: ['gated/model'], renamed: { 'old-org/mpnet-st': ID } });
});
afterAll(async () => {
  await server?.close();
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  server.log.length = 0;
  for (const key of Object.keys(server.faults)) delete server.faults[key as keyof typeof server.faults];
});

describe('hub ids', () => {
  test('ids, revisions and URLs as huggingface_hub spells them', () => {
    for (const id of ['bert-base-uncased', 'org/name', 'sentence-transformers/all-MiniLM-L6-v2', 'a', 'A_b.c']) expect(isHubId(id)).toBe(true);
    for (const id of ['./bert', '/abs/path', 'a/b/c', 'org--x/name', 'a..b', '-lead', 'trail.', 'org/', '', 'C:\\models\\x', 'x'.repeat(97)]) {
      expect(isHubId(id), id).toBe(false);
    }
    expect(() => checkHubId('a/b/c', 'loadModel')).toThrow('loadModel: "a/b/c" is not a hub id: it has more than one "/"');
    expect(() => checkRevision('../x', 'loadModel')).toThrow('option revision "../x" is not a branch, tag or commit');
    expect(resolveUrl('https://huggingface.co', 'org/name', 'refs/pr/1', '1_Pooling/config file.json'))
      .toBe('https://huggingface.co/org/name/resolve/refs%2Fpr%2F1/1_Pooling/config%20file.json');
    expect(repoFolderName('julien-c/EsperBERTo-small')).toBe('models--julien-c--EsperBERTo-small');
  });
});

describe('downloads into the cache shared with huggingface_hub', () => {
  test('loads as from the folder; the cache is huggingface_hub\'s layout; a second load needs no network', async () => {
    const dir = cacheDir();
    const events: LoadProgressEvent[] = [];
    expect(await embed(ID, { endpoint: server.url, cacheDir: dir, onProgress: (e) => events.push(e) })).toEqual(reference);

    // blobs named by sha256 (LFS) or git blob id, snapshot entries as relative symlinks to them
    // (1_Pooling/config.json one folder deeper), refs/main holding the commit.
    const files = [...repo.files.keys()];
    const layout = tree(join(dir, 'models--org--mpnet-st'));
    const read = new Set(layout.filter((l) => l.startsWith('snapshots/')).map((l) => l.split(' -> ')[0]!.slice(`snapshots/${COMMIT}/`.length)));
    expect(read).toEqual(new Set(files));
    for (const file of files) {
      const bytes = repo.files.get(file)!;
      const blob = isLfs(file) ? sha256(bytes) : gitBlobId(bytes);
      const up = '../'.repeat(file.split('/').length + 1);
      expect(layout).toContain(`snapshots/${COMMIT}/${file} -> ${up}blobs/${blob}`);
      expect(layout).toContain(`blobs/${blob}`);
      expect(new Uint8Array(readFileSync(join(dir, 'models--org--mpnet-st', 'snapshots', COMMIT, file)))).toEqual(bytes);
    }
    expect(readFileSync(join(dir, 'models--org--mpnet-st', 'refs', 'main'), 'utf8')).toBe(COMMIT);
    // Nothing else: no temporary or .incomplete file, no .no_exist (the loader asked for no file the repo lacks).
    expect(layout.length).toBe(2 * files.length + 1);

    // Progress: each file's downloads from 0 to its size in order, then the tensors 1..N of the checkpoint.
    const downloads = events.filter((e) => e.stage === 'download');
    for (const file of files) {
      const mine = downloads.filter((e) => e.file === file);
      expect(mine[0]).toEqual({ stage: 'download', file, loaded: 0, total: repo.files.get(file)!.byteLength });
      expect(mine.at(-1)).toEqual({ stage: 'download', file, loaded: repo.files.get(file)!.byteLength, total: repo.files.get(file)!.byteLength });
      mine.slice(1).forEach((e, i) => expect(e.loaded).toBeGreaterThan(mine[i]!.loaded));
    }
    const firstLoad = events.findIndex((e) => e.stage === 'load');
    const tensors = parseSafetensors(repo.files.get('model.safetensors')!).names.length;
    const loads = events.slice(firstLoad);
    expect(loads.every((e) => e.stage === 'load' && e.total === tensors)).toBe(true);
    expect(loads.at(-1)).toEqual({ stage: 'load', loaded: tensors, total: tensors });
    loads.slice(1).forEach((e, i) => expect(e.loaded).toBeGreaterThan(loads[i]!.loaded));
    expect(events.slice(0, firstLoad).every((e) => e.stage === 'download')).toBe(true);

    // Again with the server up: one HEAD tells the commit, every file comes from its snapshot.
    server.log.length = 0;
    const again: LoadProgressEvent[] = [];
    expect(await embed(ID, { endpoint: server.url, cacheDir: dir, onProgress: (e) => again.push(e) })).toEqual(reference);
    expect(server.log).toEqual([`HEAD /${ID}/resolve/main/config.json`]);
    expect(again.filter((e) => e.stage === 'download')).toEqual([]);

    // With localFilesOnly, and with a commit for revision: no request at all.
    server.log.length = 0;
    expect(await embed(ID, { endpoint: server.url, cacheDir: dir, localFilesOnly: true })).toEqual(reference);
    expect(await embed(ID, { endpoint: server.url, cacheDir: dir, revision: COMMIT })).toEqual(reference);
    expect(server.log).toEqual([]);

    // The server gone: the cache answers, with and without localFilesOnly (a network error falls back to it).
    const down = await closedPort();
    expect(await embed(ID, { endpoint: down, cacheDir: dir, localFilesOnly: true })).toEqual(reference);
    expect(await embed(ID, { endpoint: down, cacheDir: dir })).toEqual(reference);
    // A failing hub (503) too.
    server.faults.status = 503;
    expect(await embed(ID, { endpoint: server.url, cacheDir: dir })).toEqual(reference);
  });

  test('a file the repository lacks is remembered under .no_exist: offline loads need no request for it', async () => {
    const dir = cacheDir();
    const bertDir = join(__dirname, '..', 'fixtures', 'bert');
    const bert = repoFromFolder(bertDir, COMMIT, (f) => !['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'].includes(f));
    const hub = await serveHub({ 'org/bert': bert });
    try {
      const want = await embed(bertDir);
      expect(await embed('org/bert', { endpoint: hub.url, cacheDir: dir })).toEqual(want);
      // BERT's folder has no modules.json (not a sentence-transformers model): the hub's 404 is remembered.
      const layout = tree(join(dir, 'models--org--bert'));
      expect(layout.filter((l) => l.startsWith('.no_exist/'))).toEqual([`.no_exist/${COMMIT}/modules.json`]);
      // Asked at the commit config.json's answer named: every file of a load comes from one commit.
      expect(hub.log).toContain(`HEAD /org/bert/resolve/${COMMIT}/modules.json`);
      hub.log.length = 0;
      expect(await embed('org/bert', { endpoint: hub.url, cacheDir: dir })).toEqual(want);
      expect(hub.log).toEqual(['HEAD /org/bert/resolve/main/config.json']);
    } finally {
      await hub.close();
    }
  });

  test('a connection cut mid-body leaves no blob, no snapshot entry and no temporary file', async () => {
    const dir = cacheDir();
    server.faults.cutAfter = new Map([['model.safetensors', 50_000]]);
    const size = repo.files.get('model.safetensors')!.byteLength;
    await expect(embed(ID, { endpoint: server.url, cacheDir: dir })).rejects.toThrow(
      new RegExp(`the download of model\\.safetensors from ${server.cdnUrl}/cdn/[0-9a-f]{64}\\?repo=org%2Fmpnet-st was cut after \\d+ of ${size} bytes .*: try again`));
    const layout = tree(join(dir, 'models--org--mpnet-st'));
    expect(layout.filter((l) => l.includes('model.safetensors') || l.includes(sha256(repo.files.get('model.safetensors')!)) || l.includes('incomplete'))).toEqual([]);
    // Then the download goes through; the files read before the cut (config.json…) are not fetched again.
    delete server.faults.cutAfter;
    server.log.length = 0;
    expect(await embed(ID, { endpoint: server.url, cacheDir: dir })).toEqual(reference);
    const gets = server.log.filter((l) => l.startsWith('GET'));
    expect(gets).toContain(`GET /cdn/${sha256(repo.files.get('model.safetensors')!)}`);
    expect(gets.filter((l) => /\/(config|modules|sentence_bert_config)\.json$/.test(l))).toEqual([]);
  });

  test('a file whose sha256 is not the announced one is refused and not cached', async () => {
    const dir = cacheDir();
    server.faults.wrongSha = new Set(['model.safetensors']);
    const sha = sha256(repo.files.get('model.safetensors')!);
    await expect(embed(ID, { endpoint: server.url, cacheDir: dir })).rejects.toThrow(
      new RegExp(`the download of model\\.safetensors from ${server.cdnUrl}/cdn/${sha}\\?repo=org%2Fmpnet-st has sha256 ${sha}, not the [0-9a-f]{64} the server announced \\(X-Linked-Etag\\): ` +
        'the file is corrupt or was changed; it was not cached'));
    const blobs = readdirSync(join(dir, 'models--org--mpnet-st', 'blobs'));
    expect(blobs.some((b) => b.includes(sha.slice(1)) || b.includes('incomplete'))).toBe(false);
  });

  test('a body that is not the announced sha256 (X-Linked-Etag) is refused and not cached', async () => {
    const dir = cacheDir();
    server.faults.corrupt = new Set([ID]);
    const sha = sha256(repo.files.get('model.safetensors')!);
    await expect(embed(ID, { endpoint: server.url, cacheDir: dir })).rejects.toThrow(
      new RegExp(`has sha256 (?!${sha})[0-9a-f]{64}, not the ${sha} the server announced \\(X-Linked-Etag\\)`));
    expect(readdirSync(join(dir, 'models--org--mpnet-st', 'blobs')).filter((b) => b.includes(sha) || b.includes('incomplete'))).toEqual([]);
  });

  test('an abort mid-download rejects with the signal\'s reason and leaves nothing', async () => {
    const dir = cacheDir();
    server.faults.slow = new Set(['model.safetensors']);
    const controller = new AbortController();
    const reason = new Error('stopped by the test');
    const onProgress = (e: LoadProgressEvent) => {
      if (e.stage === 'download' && e.file === 'model.safetensors' && e.loaded > 0) controller.abort(reason);
    };
    const started = Date.now();
    await expect(embed(ID, { endpoint: server.url, cacheDir: dir, onProgress, signal: controller.signal })).rejects.toBe(reason);
    // Aborted at once, not after the slow body's ~0.5 s.
    expect(Date.now() - started).toBeLessThan(2000);
    const layout = tree(join(dir, 'models--org--mpnet-st'));
    expect(layout.filter((l) => l.includes('model.safetensors') || l.includes('incomplete'))).toEqual([]);
    // An already-aborted signal stops the load before any request.
    server.log.length = 0;
    await expect(embed(ID, { endpoint: server.url, cacheDir: dir, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(server.log).toEqual([]);
  });

  test('an abort while the tensors load stops the load with the signal\'s reason', async () => {
    const controller = new AbortController();
    const reason = new Error('enough');
    const events: LoadProgressEvent[] = [];
    const used = rt.arena!.usedBytes;
    await expect(embed(FIXTURE, {
      signal: controller.signal,
      onProgress: (e) => {
        events.push(e);
        if (e.stage === 'load' && e.loaded === 3) controller.abort(reason);
      },
    })).rejects.toBe(reason);
    expect(events.map((e) => e.loaded)).toEqual([1, 2, 3]);
    // The runtime is the test's: what the failed load allocated was freed.
    expect(rt.arena!.usedBytes).toBe(used);
  });

  test('pipeline() takes the same options', async () => {
    const dir = cacheDir();
    const events: LoadProgressEvent[] = [];
    const extract = await pipeline('feature-extraction', ID, { runtime: rt, endpoint: server.url, cacheDir: dir, onProgress: (e) => events.push(e) });
    try {
      expect(extract.model.embed(TEXTS).map((e) => Array.from(e))).toEqual(reference);
    } finally {
      extract.dispose();
    }
    expect(events.some((e) => e.stage === 'download')).toBe(true);
    expect(events.at(-1)?.stage).toBe('load');
  });

  test('HF_ENDPOINT is the default endpoint', async () => {
    const dir = cacheDir();
    const saved = process.env.HF_ENDPOINT;
    process.env.HF_ENDPOINT = `${server.url}/`;
    try {
      expect(await embed(ID, { cacheDir: dir })).toEqual(reference);
    } finally {
      if (saved === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = saved;
    }
    expect(server.log[0]).toBe(`HEAD /${ID}/resolve/main/config.json`);
  });

  test('a renamed repository is followed through its relative redirect', async () => {
    const dir = cacheDir();
    expect(await embed('old-org/mpnet-st', { endpoint: server.url, cacheDir: dir })).toEqual(reference);
    // Cached under the name asked for, as huggingface_hub does.
    expect(readFileSync(join(dir, 'models--old-org--mpnet-st', 'refs', 'main'), 'utf8')).toBe(COMMIT);
  });
});

describe('errors name the URL, the status and what to try', () => {
  test('a repository that does not exist (or is private), a gated one, a wrong revision', async () => {
    const dir = cacheDir();
    await expect(embed('org/nope', { endpoint: server.url, cacheDir: dir })).rejects.toThrow(
      `loadModel: ${server.url}/org/nope/resolve/main/config.json answered 401 Unauthorized (RepositoryNotFound: Repository not found): ` +
      `check the id "org/nope" (is it on ${server.url}/org/nope?); a private repository needs a token, which wasm-nlp does not send; ` +
      `huggingface_hub shares its cache (${dir}), so once \`hf download org/nope\` (logged in) has put it there, load it with localFilesOnly; ` +
      'if you meant a folder, there is no folder org/nope here');
    await expect(embed('gated/model', { endpoint: server.url, cacheDir: dir })).rejects.toThrow(
      `loadModel: ${server.url}/gated/model/resolve/main/config.json answered 403 Forbidden (GatedRepo: Access to model gated/model is restricted.): ` +
      `gated/model is gated: accept its conditions on ${server.url}/gated/model; wasm-nlp sends no token`);
    await expect(embed(ID, { endpoint: server.url, cacheDir: dir, revision: 'v9' })).rejects.toThrow(
      `loadModel: ${server.url}/org/mpnet-st/resolve/v9/config.json answered 404 Not Found (RevisionNotFound: Invalid rev id: v9): ` +
      'no revision "v9" in org/mpnet-st: check option revision (a branch, tag or commit)');
  });

  test('offline with nothing cached, localFilesOnly with nothing cached or a file never downloaded', async () => {
    const dir = cacheDir();
    const down = await closedPort();
    await expect(embed(ID, { endpoint: down, cacheDir: dir })).rejects.toThrow(
      new RegExp(`^loadModel: could not reach ${down}/org/mpnet-st/resolve/main/config\\.json \\(fetch failed: ECONNREFUSED\\), ` +
        `and org/mpnet-st \\(revision main\\) is not in the cache at ${dir}/models--org--mpnet-st: check the network`));
    await expect(embed(ID, { endpoint: server.url, cacheDir: dir, localFilesOnly: true })).rejects.toThrow(
      `loadModel: org/mpnet-st (revision main) is not in the cache at ${dir}/models--org--mpnet-st (no refs/main); run once without localFilesOnly to download it`);
    // A snapshot without config.json (another file of the repo was downloaded alone).
    const snapshot = join(dir, 'models--org--mpnet-st', 'snapshots', COMMIT);
    mkdirSync(snapshot, { recursive: true });
    mkdirSync(join(dir, 'models--org--mpnet-st', 'refs'));
    writeFileSync(join(dir, 'models--org--mpnet-st', 'refs', 'main'), COMMIT);
    await expect(embed(ID, { cacheDir: dir, localFilesOnly: true })).rejects.toThrow(
      `loadModel: org/mpnet-st (revision main) in the cache at ${snapshot} (localFilesOnly: a file never downloaded is not fetched; ` +
      'run once without localFilesOnly) has no config.json');
    expect(server.log).toEqual([]);
  });

  test('a folder URL: the status and a hint; downloads reported', async () => {
    server.faults.status = 500;
    await expect(embed(`${server.url}/folder/`)).rejects.toThrow(
      `loadModel: ${server.url}/folder/config.json answered 500 Internal Server Error: the server is busy or failing: try again later`);
    delete server.faults.status;
    const events: LoadProgressEvent[] = [];
    // The CDN serves the LFS blob as a plain file: a URL source reading it by name.
    const sha = sha256(repo.files.get('model.safetensors')!);
    await expect(embed(`${server.cdnUrl}/cdn/`, { onProgress: (e) => events.push(e) })).rejects.toThrow(`${server.cdnUrl}/cdn/ has no config.json`);
    expect(events).toEqual([]);
    const model = await import('../../src/transformer/files').then((m) => m.modelFiles(`${server.cdnUrl}/cdn/`, { onProgress: (e) => events.push(e) }));
    expect(await model.read(sha)).toEqual(repo.files.get('model.safetensors'));
    expect(events.at(-1)).toEqual({ stage: 'download', file: sha, loaded: repo.files.get('model.safetensors')!.byteLength, total: repo.files.get('model.safetensors')!.byteLength });
  });

  test('a string shaped as an id that names an existing folder is that folder', async () => {
    const cwd = process.cwd();
    process.chdir(join(__dirname, '..', 'fixtures'));
    try {
      await expect(loadModel('mpnet-st', { runtime: rt, endpoint: server.url })).rejects.toThrow(
        "loadModel: option endpoint is for hub ids ('org/name'); the source is the folder mpnet-st");
      expect(await embed('mpnet-st')).toEqual(reference);
    } finally {
      process.chdir(cwd);
    }
    expect(server.log).toEqual([]);
  });

  test('options are checked, and hub options are refused for a folder', async () => {
    await expect(loadModel(ID, { localFilesOnly: 'yes' as never })).rejects.toThrow('loadModel: option localFilesOnly must be true or false, got yes');
    await expect(loadModel(ID, { endpoint: 'huggingface.co' })).rejects.toThrow('loadModel: option endpoint must be an http(s) URL such as https://huggingface.co, got "huggingface.co"');
    await expect(loadModel(FIXTURE, { revision: 'main', runtime: rt })).rejects.toThrow(`loadModel: option revision is for hub ids ('org/name'); the source is the folder ${FIXTURE}`);
    await expect(loadModel('org/x', { revison: 'main' } as never)).rejects.toThrow(/loadModel: unknown option revison/);
  });
});

describe('a cache folder laid out by huggingface_hub', () => {
  /** The layout hf_hub_download leaves: blobs, relative symlinks, refs/main, .no_exist for a missing file. */
  function pythonLayout(root: string): void {
    const repoDir = join(root, 'models--org--mpnet-st');
    for (const [file, bytes] of repo.files) {
      const blob = join(repoDir, 'blobs', isLfs(file) ? sha256(bytes) : gitBlobId(bytes));
      mkdirSync(dirname(blob), { recursive: true });
      writeFileSync(blob, bytes);
      const pointer = join(repoDir, 'snapshots', COMMIT, file);
      mkdirSync(dirname(pointer), { recursive: true });
      symlinkSync(relative(dirname(pointer), blob), pointer);
    }
    mkdirSync(join(repoDir, 'refs'), { recursive: true });
    writeFileSync(join(repoDir, 'refs', 'main'), COMMIT);
    mkdirSync(join(repoDir, '.no_exist', COMMIT), { recursive: true });
    writeFileSync(join(repoDir, '.no_exist', COMMIT, 'generation_config.json'), '');
  }

  test('loads with no server at all, from HF_HUB_CACHE by default', async () => {
    const dir = cacheDir();
    pythonLayout(dir);
    expect(await embed(ID, { cacheDir: dir, localFilesOnly: true })).toEqual(reference);
    const saved = { cache: process.env.HF_HUB_CACHE, offline: process.env.HF_HUB_OFFLINE };
    try {
      process.env.HF_HUB_CACHE = dir;
      process.env.HF_HUB_OFFLINE = '1';
      expect(await embed(ID)).toEqual(reference);
    } finally {
      for (const [key, value] of [['HF_HUB_CACHE', saved.cache], ['HF_HUB_OFFLINE', saved.offline]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
