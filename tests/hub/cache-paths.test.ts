// The cache folder's path as huggingface_hub reads it (~ and $VAR in HF_HOME, HF_HUB_CACHE,
// HUGGINGFACE_HUB_CACHE, XDG_CACHE_HOME; ~ in option cacheDir), redirects followed only within an
// origin (huggingface_hub follows relative Locations only), and files read where their answer's
// commit linked them when a branch moves between two first requests sent together.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { headFile } from '../../src/hub/download';
import { hubFiles } from '../../src/hub/hub-files';
import { defaultCacheDir } from '../../src/hub/node-cache';
import { repoFromFolder, serveHub, type HubServer, type Repo } from './hub-server';

const FIXTURE = join(__dirname, '..', 'fixtures', 'mpnet-st');
const ID = 'org/mpnet-st';
const COMMIT = 'a'.repeat(39) + '1';
const MOVED = 'c'.repeat(40);
const ENV_KEYS = ['HOME', 'HF_HOME', 'HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'XDG_CACHE_HOME', 'WASM_NLP_T'] as const;

let repo: Repo;
let server: HubServer;
const temps: string[] = [];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-paths-'));
  temps.push(dir);
  return dir;
}

beforeAll(async () => {
  repo = repoFromFolder(FIXTURE, COMMIT, (f) => f === 'fixture.json');
  server = await serveHub({ [ID]: repo });
});
afterAll(async () => {
  await server?.close();
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  server.log.length = 0;
  for (const key of Object.keys(server.faults)) delete server.faults[key as keyof typeof server.faults];
});

describe('the cache folder, as huggingface_hub expands it', () => {
  test('~ and $VAR / ${VAR} in the environment variables; an unset variable stays as written', async () => {
    for (const k of ENV_KEYS) delete process.env[k];
    process.env.HOME = '/home/tester';
    process.env.WASM_NLP_T = '/data';
    expect(await defaultCacheDir()).toBe('/home/tester/.cache/huggingface/hub');
    process.env.XDG_CACHE_HOME = '~/xdg';
    expect(await defaultCacheDir()).toBe('/home/tester/xdg/huggingface/hub');
    process.env.HF_HOME = '~';
    expect(await defaultCacheDir()).toBe('/home/tester/hub');
    process.env.HF_HOME = '$WASM_NLP_T/hf';
    expect(await defaultCacheDir()).toBe('/data/hf/hub');
    process.env.HUGGINGFACE_HUB_CACHE = '${WASM_NLP_T}/old';
    expect(await defaultCacheDir()).toBe('/data/old');
    process.env.HF_HUB_CACHE = '~/c/$WASM_NLP_UNSET_VAR/x';
    expect(await defaultCacheDir()).toBe('/home/tester/c/$WASM_NLP_UNSET_VAR/x');
    // "~user" and a ~ not in front are left alone, as expanduser leaves them.
    process.env.HF_HUB_CACHE = '~other/c';
    expect(await defaultCacheDir()).toBe('~other/c');
    process.env.HF_HUB_CACHE = '/a/~/b';
    expect(await defaultCacheDir()).toBe('/a/~/b');
  });

  test('option cacheDir with a leading ~ is under the home folder', async () => {
    const home = temp(), cwd = temp();
    process.env.HOME = home;
    const saved = process.cwd();
    // Run from an empty folder: unexpanded, the cache would be its ./~/hub-cache.
    process.chdir(cwd);
    try {
      const files = hubFiles(ID, { endpoint: server.url, cacheDir: '~/hub-cache' });
      expect(await files.read('config.json')).toEqual(repo.files.get('config.json'));
    } finally {
      process.chdir(saved);
    }
    expect(readFileSync(join(home, 'hub-cache', 'models--org--mpnet-st', 'refs', 'main'), 'utf8')).toBe(COMMIT);
    expect(existsSync(join(cwd, '~'))).toBe(false);
  });
});

describe('a branch that moves between two first requests', () => {
  test('each file is read from the snapshot its answer named', async () => {
    const dir = temp();
    // tokenizer.json's answer names another commit: the branch moved after config.json's HEAD.
    server.faults.movedTo = new Map([['tokenizer.json', MOVED]]);
    const files = hubFiles(ID, { endpoint: server.url, cacheDir: dir });
    const [config, tokenizer] = await Promise.all([files.read('config.json'), files.read('tokenizer.json')]);
    expect(config).toEqual(repo.files.get('config.json'));
    expect(tokenizer).toEqual(repo.files.get('tokenizer.json'));
    expect(existsSync(join(dir, 'models--org--mpnet-st', 'snapshots', MOVED, 'tokenizer.json'))).toBe(true);
    // open() too: the same file, by its handle.
    const files2 = hubFiles(ID, { endpoint: server.url, cacheDir: temp() });
    const [, handle] = await Promise.all([files2.read('config.json'), files2.open!('tokenizer.json')]);
    expect(handle?.length).toBe(repo.files.get('tokenizer.json')!.byteLength);
  });
});

describe('redirects of a HEAD', () => {
  let other: Server;
  let otherUrl: string;
  const otherLog: string[] = [];
  let hub: Server;
  let hubUrl: string;
  beforeAll(async () => {
    const listen = async (s: Server) => {
      await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
      return `http://127.0.0.1:${(s.address() as { port: number }).port}`;
    };
    other = createServer((req, res) => {
      otherLog.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'X-Repo-Commit': COMMIT }).end();
    });
    otherUrl = await listen(other);
    // /relative → /final (followed), /absolute → this origin's /final (followed),
    // /port → the same host on another port (not followed), /final → 200.
    hub = createServer((req, res) => {
      const to: Record<string, string> = { '/relative': '/final', '/absolute': `${hubUrl}/final`, '/port': `${otherUrl}/final` };
      const location = to[req.url ?? ''];
      if (location) res.writeHead(307, { Location: location }).end();
      else res.writeHead(200, { 'X-Repo-Commit': COMMIT }).end();
    });
    hubUrl = await listen(hub);
  });
  afterAll(async () => {
    for (const s of [other, hub]) {
      s.closeAllConnections();
      await new Promise((ok) => s.close(ok));
    }
  });

  test('followed within the origin, not to another port of the same host', async () => {
    for (const path of ['/relative', '/absolute']) {
      const { response, url } = await headFile(`${hubUrl}${path}`, undefined, 'test');
      expect([response.status, url]).toEqual([200, `${hubUrl}/final`]);
    }
    const { response, url } = await headFile(`${hubUrl}/port`, undefined, 'test');
    expect([response.status, url, response.headers.get('Location')]).toEqual([307, `${hubUrl}/port`, `${otherUrl}/final`]);
    expect(otherLog).toEqual([]);
  });
});
