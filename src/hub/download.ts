// The HTTP side of the hub, shared by Node and browsers: the HEAD request that tells a file's
// commit, ETag and size (as huggingface_hub's get_hf_file_metadata), a body read chunk by chunk
// with progress and abort, the integrity check, and errors that name the URL, the status and what
// to try.
import type { LoadProgressEvent } from './options';

/** What a HEAD on a resolve URL tells (huggingface_hub's HfFileMetadata). */
export interface FileMetadata {
  /** X-Repo-Commit: the commit the revision points to. */
  commit: string | undefined;
  /** X-Linked-Etag (an LFS file's sha256) or else ETag (a git blob's id), without quotes or W/. */
  etag: string | undefined;
  /** The sha256 the content must have: an LFS file's X-Linked-Etag, when it is 64 hex digits. */
  sha256: string | undefined;
  /** X-Linked-Size, or the Content-Length of a response that is not a redirect. */
  size: number | undefined;
  /** Where the bytes are: the redirect's Location (a CDN) or the URL itself. */
  location: string;
}

/** Could not reach the server at all (no network, DNS, refused, timeout): the cache may answer instead. */
export class HubNetworkError extends Error {
  constructor(message: string, readonly url: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** huggingface_hub's etag_timeout: a HEAD that hangs this long counts as no network. */
const HEAD_TIMEOUT_MS = 10_000;

/** The reason a fetch failed, from undici's TypeError('fetch failed') and its cause. */
function describeFailure(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const parts = [(e as Error).message, cause?.code ?? cause?.message].filter(Boolean);
  return [...new Set(parts)].join(': ');
}

function isAbort(e: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true && (e === signal.reason || (e as Error)?.name === 'AbortError');
}

/** fetch, with a failure to connect turned into a HubNetworkError naming the URL, and the caller's abort passed on as its reason. */
export async function fetchUrl(url: string, init: RequestInit, signal: AbortSignal | undefined, caller: string): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: init.signal ?? signal });
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    const timedOut = (e as Error)?.name === 'TimeoutError';
    throw new HubNetworkError(`${caller}: could not reach ${url} (${timedOut ? `no answer in ${HEAD_TIMEOUT_MS / 1000} s` : describeFailure(e)})`, url, { cause: e });
  }
}

/**
 * HEAD on a resolve URL, following redirects within the origin (a renamed repository: the hub
 * answers a relative Location) and stopping at any other (the CDN), whose Location is where the
 * bytes are: huggingface_hub's way, which reads X-Linked-Etag and X-Linked-Size from the hub's own
 * answer and follows only relative redirects. Same origin means scheme, host and port: a redirect
 * from https to http of the same host, or to another port, is not followed. Node only (a
 * browser's fetch cannot stop at a redirect).
 */
export async function headFile(url: string, signal: AbortSignal | undefined, caller: string): Promise<{ response: Response; url: string }> {
  for (let hops = 0; ; hops++) {
    const timeout = AbortSignal.timeout(HEAD_TIMEOUT_MS);
    const response = await fetchUrl(url, {
      method: 'HEAD', redirect: 'manual', headers: { 'Accept-Encoding': 'identity' },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    }, signal, caller);
    const location = response.headers.get('Location');
    if (response.status < 300 || response.status >= 400 || !location) return { response, url };
    const target = new URL(location, url);
    if (target.origin !== new URL(url).origin) return { response, url };
    if (hops === 10) throw new Error(`${caller}: ${url} redirects more than 10 times`);
    url = target.href;
  }
}

/** The metadata of a HEAD's answer (2xx, or a redirect to the CDN). */
export function fileMetadata(response: Response, url: string): FileMetadata {
  const h = response.headers;
  const linked = normalizeEtag(h.get('X-Linked-Etag'));
  const redirect = response.status >= 300 && response.status < 400;
  const size = h.get('X-Linked-Size') ?? (redirect ? null : h.get('Content-Length'));
  return {
    commit: h.get('X-Repo-Commit') ?? undefined,
    etag: linked ?? normalizeEtag(h.get('ETag')),
    sha256: linked && /^[0-9a-f]{64}$/.test(linked) ? linked : undefined,
    size: size !== null && /^\d+$/.test(size) ? Number(size) : undefined,
    location: redirect ? new URL(h.get('Location')!, url).href : url,
  };
}

/** huggingface_hub's _normalize_etag: 'W/"abc"' and '"abc"' → 'abc'. */
export function normalizeEtag(etag: string | null): string | undefined {
  if (etag === null) return undefined;
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '') || undefined;
}

/** The hub's X-Error-Code for a missing file, as opposed to a missing repository or revision. */
export function isMissingFile(response: Response): boolean {
  const code = response.headers.get('X-Error-Code');
  return response.status === 404 && (code === null || code === 'EntryNotFound');
}

export interface HubContext {
  caller: string;
  /** The hub id, to say which to check; undefined for a plain URL source. */
  id?: string;
  revision?: string;
  endpoint?: string;
  /** Node: the cache folder, named in the hints. */
  cacheDir?: string;
}

/**
 * The Error for an answer that is neither the file nor "no such file": the URL, the status, the
 * hub's own error code and message, and what to try.
 */
export function httpError(url: string, response: Response, ctx: HubContext): Error {
  const code = response.headers.get('X-Error-Code');
  const message = response.headers.get('X-Error-Message');
  const status = `${response.status}${response.statusText ? ' ' + response.statusText : ''}${code ? ` (${code}${message ? ': ' + message : ''})` : ''}`;
  const cached = ctx.cacheDir ? `; huggingface_hub shares its cache (${ctx.cacheDir}), so once \`hf download ${ctx.id}\` (logged in) has put it there, load it with localFilesOnly` : '';
  let hint: string;
  if (code === 'RevisionNotFound') {
    hint = `no revision "${ctx.revision}" in ${ctx.id}: check option revision (a branch, tag or commit)`;
  } else if (code === 'GatedRepo') {
    hint = `${ctx.id} is gated: accept its conditions on ${ctx.endpoint}/${ctx.id}; wasm-nlp sends no token${cached}`;
  } else if (ctx.id && (code === 'RepositoryNotFound' || response.status === 401 || response.status === 403)) {
    hint = `check the id "${ctx.id}" (is it on ${ctx.endpoint}/${ctx.id}?); a private repository needs a token, which wasm-nlp does not send${cached}` +
      (ctx.cacheDir ? `; if you meant a folder, there is no folder ${ctx.id} here` : '');
  } else if (response.status === 429 || response.status >= 500) {
    hint = `the server is busy or failing: try again later${ctx.cacheDir && ctx.id ? ', or with localFilesOnly if the model is cached' : ''}`;
  } else {
    hint = ctx.id ? `check the id "${ctx.id}", option revision and option endpoint` : 'check the URL';
  }
  return new Error(`${ctx.caller}: ${url} answered ${status}: ${hint}`);
}

/**
 * Reads a response's body chunk by chunk into `sink`, reporting progress as it goes; returns the
 * byte count. A connection cut mid-body is an Error naming the file, the URL and the bytes read;
 * an abort rejects with the signal's reason.
 */
export async function readBody(response: Response, file: string, url: string, total: number | undefined,
  sink: (chunk: Uint8Array) => void | Promise<void>, onProgress: ((e: LoadProgressEvent) => void) | undefined,
  signal: AbortSignal | undefined, caller: string): Promise<number> {
  let loaded = 0;
  onProgress?.({ stage: 'download', file, loaded, total });
  if (!response.body) return loaded;
  const reader = response.body.getReader();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (signal?.aborted || isAbort(e, signal)) throw signal!.reason;
        throw new Error(`${caller}: the download of ${file} from ${url} was cut after ${loaded}${total !== undefined ? ` of ${total}` : ''} bytes ` +
          `(${describeFailure(e)}): try again`, { cause: e });
      }
      if (chunk.done) break;
      await sink(chunk.value);
      loaded += chunk.value.byteLength;
      onProgress?.({ stage: 'download', file, loaded, total });
    }
  } finally {
    // A failed or aborted read leaves the connection to be closed, not drained.
    reader.cancel().catch(() => {});
  }
  if (signal?.aborted) throw signal.reason;
  return loaded;
}

/** Throws unless the bytes are the size and sha256 the server announced: nothing else enters the cache. */
export function checkIntegrity(file: string, url: string, size: number, sha256: string | undefined,
  expected: { size?: number; sha256?: string; shaHeader?: string }, caller: string): void {
  if (expected.size !== undefined && size !== expected.size) {
    throw new Error(`${caller}: the download of ${file} from ${url} has ${size} bytes, not the ${expected.size} the server announced: try again`);
  }
  if (expected.sha256 !== undefined && sha256 !== expected.sha256) {
    throw new Error(`${caller}: the download of ${file} from ${url} has sha256 ${sha256}, not the ${expected.sha256} the server announced ` +
      `(${expected.shaHeader ?? 'X-Linked-Etag'}): the file is corrupt or was changed; it was not cached`);
  }
}

/** Hex of a digest. */
export function hex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}
