// A loopback server that answers as the Hugging Face hub does for file downloads (what
// huggingface_hub's hf_hub_download and our src/hub/ read):
//   HEAD|GET /{id}/resolve/{revision}/{file}
//     a git file: 200, ETag "<git blob sha1>", X-Repo-Commit, Content-Length
//     an LFS file (*.safetensors): 302 to http://127.0.0.2:<port>/cdn/<sha256>, another host as
//       the hub's CDN is (huggingface_hub follows redirects within a host), with
//       X-Linked-Etag "<sha256>", X-Linked-Size, X-Repo-Commit
//     no such file: 404, X-Error-Code EntryNotFound, X-Repo-Commit
//     no such repository (or a private one): 401, X-Error-Code RepositoryNotFound
//     a gated one: 403 GatedRepo; no such revision: 404 RevisionNotFound
//     a renamed repository: 307 to the new name's path (relative, as the hub does)
//   GET /cdn/<sha256>: the bytes, with an ETag of 64 hex digits that is NOT their sha256 (as Xet's
//     and CloudFront's are: another hash), so that a client taking it for the LFS hash fails
//   options.direct: repositories whose LFS files are answered 200 at the resolve URL itself (no
//     redirect), X-Linked-Etag and X-Linked-Size visible to a browser too
// and, for the tests, faults: a connection cut mid-body, a slow body, a wrong sha256 announced, a
// branch that moves between two requests.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join, relative } from 'node:path';

export interface Repo {
  commit: string;
  files: Map<string, Uint8Array>;
}

export interface Faults {
  /** File → bytes sent before the connection is destroyed (CDN GET of an LFS file, or a git file's GET). */
  cutAfter?: Map<string, number>;
  /** Files whose body is sent in 4 KiB chunks, `slowMs` apart. */
  slow?: Set<string>;
  slowMs?: number;
  /** Files whose X-Linked-Etag is announced wrong (one hex digit changed). */
  wrongSha?: Set<string>;
  /** Repositories whose LFS files are served with one byte changed (X-Linked-Etag still the true sha256). */
  corrupt?: Set<string>;
  /** File → the X-Repo-Commit its answer names instead of the repository's: the branch moved just before. */
  movedTo?: Map<string, string>;
  /** Answer every request with this status (a failing hub). */
  status?: number;
}

export interface HubServer {
  url: string;
  /** Where LFS files redirect to. */
  cdnUrl: string;
  /** Every request: 'HEAD /org/name/resolve/main/config.json'. */
  log: string[];
  faults: Faults;
  close(): Promise<void>;
}

export const isLfs = (file: string) => file.endsWith('.safetensors');
export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
/** The CDN's ETag: 64 hex digits, a hash of the bytes, but not their sha256. */
export const cdnEtag = (bytes: Uint8Array) => createHash('sha256').update('cdn').update(bytes).digest('hex');
/** git's blob id: the ETag the hub gives a file not in LFS. */
export const gitBlobId = (bytes: Uint8Array) => createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex');

/** A repository holding a fixture folder's files (subfolders included), at a commit named after it. */
export function repoFromFolder(dir: string, commit: string, skip: (file: string) => boolean = () => false): Repo {
  const files = new Map<string, Uint8Array>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!skip(relative(dir, path))) files.set(relative(dir, path).split('\\').join('/'), new Uint8Array(readFileSync(path)));
    }
  };
  walk(dir);
  return { commit, files };
}

export async function serveHub(repos: Record<string, Repo>, options: { gated?: string[]; renamed?: Record<string, string>; direct?: string[] } = {}): Promise<HubServer> {
  const log: string[] = [];
  const faults: Faults = {};
  const blobs = new Map<string, { bytes: Uint8Array; file: string }>();
  for (const repo of Object.values(repos)) for (const [file, bytes] of repo.files) if (isLfs(file)) blobs.set(sha256(bytes), { bytes, file });

  const send = async (req: IncomingMessage, res: ServerResponse, file: string, bytes: Uint8Array, headers: Record<string, string>) => {
    res.writeHead(200, { ...headers, 'Content-Length': String(bytes.byteLength), 'Content-Type': 'application/octet-stream' });
    if (req.method === 'HEAD') return res.end();
    const cut = faults.cutAfter?.get(file);
    if (cut !== undefined) {
      res.write(bytes.subarray(0, cut));
      // Flushed, then the socket dies: the client sees a body shorter than its Content-Length.
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    if (faults.slow?.has(file)) {
      for (let at = 0; at < bytes.byteLength && !res.destroyed; at += 4096) {
        res.write(bytes.subarray(at, at + 4096));
        await new Promise((ok) => setTimeout(ok, faults.slowMs ?? 20));
      }
      return res.end();
    }
    res.end(bytes);
  };

  let cdnUrl = '';
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      log.push(`${req.method} ${url.pathname}`);
      // As the hub: pages of any origin may read the files and the headers that describe them.
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Access-Control-Expose-Headers', 'X-Repo-Commit, X-Linked-Etag, X-Linked-Size, ETag, X-Error-Code, X-Error-Message, Content-Length');
      if (faults.status !== undefined) {
        res.writeHead(faults.status);
        return res.end();
      }
      if (url.pathname.startsWith('/cdn/')) {
        const blob = blobs.get(url.pathname.slice('/cdn/'.length));
        if (!blob) {
          res.writeHead(404);
          return res.end();
        }
        const bytes = blob.bytes.slice();
        if (faults.corrupt?.has(url.searchParams.get('repo') ?? '')) bytes[bytes.length >> 1]! ^= 1;
        return send(req, res, blob.file, bytes, { ETag: `"${cdnEtag(blob.bytes)}"` });
      }
      const m = /^\/(?:([^/]+)\/)?([^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
      if (!m) {
        res.writeHead(404);
        return res.end();
      }
      const id = m[1] ? `${m[1]}/${m[2]}` : m[2]!;
      const revision = decodeURIComponent(m[3]!);
      const file = m[4]!.split('/').map(decodeURIComponent).join('/');
      const newName = options.renamed?.[id];
      if (newName) {
        res.writeHead(307, { Location: url.pathname.replace(`/${id}/`, `/${newName}/`) });
        return res.end();
      }
      const repo = repos[id];
      if (!repo) {
        res.writeHead(401, { 'X-Error-Code': 'RepositoryNotFound', 'X-Error-Message': 'Repository not found' });
        return res.end();
      }
      if (options.gated?.includes(id)) {
        res.writeHead(403, { 'X-Error-Code': 'GatedRepo', 'X-Error-Message': `Access to model ${id} is restricted.` });
        return res.end();
      }
      if (revision !== 'main' && revision !== repo.commit) {
        res.writeHead(404, { 'X-Error-Code': 'RevisionNotFound', 'X-Error-Message': `Invalid rev id: ${revision}` });
        return res.end();
      }
      const bytes = repo.files.get(file);
      const commit = { 'X-Repo-Commit': faults.movedTo?.get(file) ?? repo.commit };
      if (!bytes) {
        res.writeHead(404, { ...commit, 'X-Error-Code': 'EntryNotFound', 'X-Error-Message': 'Entry not found' });
        return res.end();
      }
      if (isLfs(file)) {
        const sha = sha256(bytes);
        const announced = faults.wrongSha?.has(file) ? (sha[0] === '0' ? '1' : '0') + sha.slice(1) : sha;
        if (options.direct?.includes(id)) {
          const served = bytes.slice();
          if (faults.corrupt?.has(id)) served[served.length >> 1]! ^= 1;
          return send(req, res, file, served, { ...commit, 'X-Linked-Etag': `"${announced}"`, 'X-Linked-Size': String(bytes.byteLength), ETag: `"${announced}"` });
        }
        res.writeHead(302, {
          ...commit, Location: `${cdnUrl}/cdn/${sha}?repo=${encodeURIComponent(id)}`,
          'X-Linked-Etag': `"${announced}"`, 'X-Linked-Size': String(bytes.byteLength), ETag: `"${gitBlobId(bytes)}"`,
        });
        return res.end();
      }
      return send(req, res, file, bytes, { ...commit, ETag: `"${gitBlobId(bytes)}"` });
    })().catch(() => res.destroy());
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  // The "CDN": the same handler on another loopback address.
  const cdn = createServer(server.listeners('request')[0] as Parameters<typeof createServer>[1]);
  await new Promise<void>((ok) => cdn.listen(port, '127.0.0.2', ok));
  cdnUrl = `http://127.0.0.2:${port}`;
  const close = (s: typeof server) => new Promise<void>((ok) => {
    s.closeAllConnections();
    s.close(() => ok());
  });
  return {
    url: `http://127.0.0.1:${port}`,
    cdnUrl,
    log,
    faults,
    close: async () => {
      await Promise.all([close(server), close(cdn)]);
    },
  };
}

/** Every path under `dir` (files and symlinks, with their targets), sorted: the layout to compare. */
export function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const st = lstatSync(path);
      if (st.isDirectory()) walk(path);
      else out.push(st.isSymbolicLink() ? `${relative(dir, path)} -> ${readlinkSync(path)}` : relative(dir, path));
    }
  };
  walk(dir);
  return out;
}
