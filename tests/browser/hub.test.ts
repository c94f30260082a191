// A hub id in Chromium: the browser bundle downloads through the loopback hub (tests/hub/
// hub-server.ts, LFS files redirected to its "CDN" on another origin, whose 64-hex ETag is not
// the sha256: only the size is checked then), keeps the files in the Cache API, and loads again
// from it with localFilesOnly and no request; the embeddings agree with Node's to 1e-5. Where
// X-Linked-Etag is visible (a repository answered without redirect) the sha256 is checked with
// WebCrypto.
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init } from '../../src/index';
import { loadModel } from '../../src/transformer/load';
import type { TextEncoderModel } from '../../src/transformer/text-encoder';
import { repoFromFolder, serveHub, sha256, type HubServer, type Repo } from '../hub/hub-server';
import { browserAvailable, launchChromium, pageResult } from './chromium';
import { DIST, serve } from './server';

const FIXTURE = join(DIST, 'tests', 'fixtures', 'mpnet-st');
const TEXTS = ['The movie was great!', 'The dogs were sleeping.'];
const COMMIT = 'b'.repeat(40);

const page = (endpoint: string) => `<!doctype html><meta charset="utf-8"><script type="module">
import { loadModel } from '/dist/index.browser.js';
try {
  const events = [];
  const embed = async (options) => {
    const model = await loadModel('org/mpnet-st', { endpoint: ${JSON.stringify(endpoint)}, ...options });
    try { return model.embed(${JSON.stringify(TEXTS)}).map((e) => Array.from(e)); } finally { model.dispose(); }
  };
  const first = await embed({ onProgress: (e) => events.push(e) });
  await fetch(${JSON.stringify(endpoint)} + '/mark');
  const cached = await embed({ localFilesOnly: true });
  const keys = (await (await caches.open('wasm-nlp-hub')).keys()).map((r) => r.url).sort();
  let corrupt;
  try {
    await loadModel('org/corrupt', { endpoint: ${JSON.stringify(endpoint)} });
  } catch (e) {
    corrupt = String(e.message);
  }
  const corruptKeys = (await (await caches.open('wasm-nlp-hub')).keys()).map((r) => r.url).filter((u) => u.includes('corrupt'));
  window.result = { first, cached, events, keys, corrupt, corruptKeys };
} catch (e) {
  window.result = { error: String(e && e.stack || e) };
}
</script>`;

describe.skipIf(!browserAvailable)('hub ids in Chromium (the Cache API)', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  let hub: HubServer;
  let browser: Browser;
  let repo: Repo;
  beforeAll(async () => {
    repo = repoFromFolder(FIXTURE, COMMIT, (f) => f === 'fixture.json');
    hub = await serveHub({ 'org/mpnet-st': repo, 'org/corrupt': repo }, { direct: ['org/corrupt'] });
    hub.faults.corrupt = new Set(['org/corrupt']);
    server = await serve(DIST, { '/hub.html': page(hub.url) });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await hub?.close();
  });

  test('downloads into the Cache API, checked; loads again from it with no request; as Node to 1e-5', async () => {
    const got = await pageResult(browser, `${server.url}/hub.html`) as {
      first: number[][]; cached: number[][]; keys: string[]; corrupt: string; corruptKeys: string[];
      events: { stage: string; file?: string; loaded: number; total?: number }[];
    };
    const node = await loadModel(FIXTURE, { runtime: await init() }) as TextEncoderModel;
    const want = node.embed(TEXTS);
    node.dispose();
    for (const result of [got.first, got.cached]) {
      expect(result.map((e) => e.length)).toEqual(want.map((e) => e.length));
      result.forEach((e, b) => e.forEach((x, j) => expect(Math.abs(x - want[b]![j]!)).toBeLessThan(1e-5)));
    }
    // After the mark, the second load asked nothing of the hub.
    const mark = hub.log.indexOf('GET /mark');
    expect(mark).toBeGreaterThan(0);
    expect(hub.log.slice(mark + 1).filter((l) => l.includes('mpnet-st'))).toEqual([]);
    expect(got.keys).toEqual([...repo.files.keys()].map((f) => `${hub.url}/org/mpnet-st/resolve/main/${f}`).sort());
    const size = repo.files.get('model.safetensors')!.byteLength;
    expect(got.events.filter((e) => e.file === 'model.safetensors').at(-1)).toEqual({ stage: 'download', file: 'model.safetensors', loaded: size, total: size });
    expect(got.events.at(-1)).toMatchObject({ stage: 'load' });
    // A body that is not the sha256 X-Linked-Etag gives is refused, and not cached.
    const sha = sha256(repo.files.get('model.safetensors')!);
    expect(got.corrupt).toMatch(new RegExp(`^loadModel: the download of model\\.safetensors from ${hub.url.replace(/[.]/g, '\\.')}/org/corrupt/resolve/main/model\\.safetensors ` +
      `has sha256 [0-9a-f]{64}, not the ${sha} the server announced \\(X-Linked-Etag\\): the file is corrupt or was changed; it was not cached$`));
    expect(got.corruptKeys).not.toContain(`${hub.url}/org/corrupt/resolve/main/model.safetensors`);
    expect(got.corruptKeys).toContain(`${hub.url}/org/corrupt/resolve/main/config.json`);
  }, 120_000);
});
