// Browsers: a hub repository's files through the Cache API, keyed by their resolve URLs. A file
// in the cache is used as it is (a page's next visit loads with no network: the Cache API has no
// cheap way to tell that a branch moved, so pin option revision to a commit for updates to show);
// else it is fetched (redirects followed by the browser), checked (size, and sha256 with
// WebCrypto when the answer shows X-Linked-Etag) and only then put in the cache. An LFS file's
// answer after the redirect is the CDN's, which carries no X-Linked-Etag, and whose own ETag is
// not the LFS sha256 even when it is 64 hex digits (Xet and CloudFront hash otherwise): such a
// download is checked by its size only.
import type { ModelFiles } from '../transformer/files';
import { checkIntegrity, fetchUrl, hex, httpError, isMissingFile, normalizeEtag, readBody, type HubContext } from './download';
import { checkRepoFile, resolveUrl } from './hub-id';
import type { LoadProgressEvent } from './options';

/** The cache's name (transformers.js keeps its own, 'transformers-cache'). */
export const BROWSER_CACHE_NAME = 'wasm-nlp-hub';

export interface BrowserHubSettings {
  id: string;
  revision: string;
  endpoint: string;
  localFilesOnly: boolean;
  onProgress: ((event: LoadProgressEvent) => void) | undefined;
  signal: AbortSignal | undefined;
  caller: string;
}

export function browserHubFiles(s: BrowserHubSettings): ModelFiles {
  const ctx: HubContext = { caller: s.caller, id: s.id, revision: s.revision, endpoint: s.endpoint };
  // The Cache API exists in secure contexts only (https, localhost): elsewhere every load downloads.
  const cache = typeof caches === 'undefined' ? Promise.resolve(undefined) : caches.open(BROWSER_CACHE_NAME).catch(() => undefined);
  return {
    where: `${s.id} (revision ${s.revision}) from ${s.endpoint}${s.localFilesOnly ? ', localFilesOnly: from the browser\'s cache only; load once without localFilesOnly' : ''}`,
    async read(name) {
      checkRepoFile(name, s.caller);
      s.signal?.throwIfAborted();
      const url = resolveUrl(s.endpoint, s.id, s.revision, name);
      const store = await cache;
      const hit = await store?.match(url);
      if (hit) return new Uint8Array(await hit.arrayBuffer());
      if (s.localFilesOnly) return undefined;
      const response = await fetchUrl(url, {}, s.signal, s.caller);
      if (isMissingFile(response)) return undefined;
      if (!response.ok) throw httpError(url, response, ctx);
      // Only the hub's X-Linked-Etag is the LFS sha256; a CDN's ETag, whatever its shape, is its own.
      const h = response.headers;
      const linked = normalizeEtag(h.get('X-Linked-Etag'));
      const sha256 = linked && /^[0-9a-f]{64}$/.test(linked) ? linked : undefined;
      // A compressed body's Content-Length is not the size fetch hands over.
      const length = h.get('Content-Encoding') ? null : h.get('X-Linked-Size') ?? h.get('Content-Length');
      const size = length !== null && /^\d+$/.test(length) ? Number(length) : undefined;
      const chunks: Uint8Array[] = [];
      const loaded = await readBody(response, name, url, size, (c) => void chunks.push(c), s.onProgress, s.signal, s.caller);
      const bytes = new Uint8Array(loaded);
      let at = 0;
      for (const c of chunks) {
        bytes.set(c, at);
        at += c.byteLength;
      }
      checkIntegrity(name, url, loaded, sha256 && hex(await crypto.subtle.digest('SHA-256', bytes)), { size, sha256, shaHeader: 'X-Linked-Etag' }, s.caller);
      await store?.put(url, new Response(bytes, { headers: { 'Content-Type': h.get('Content-Type') ?? 'application/octet-stream' } }));
      return bytes;
    },
  };
}
