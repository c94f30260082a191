// Node: a hub repository's files through the cache folder of Python's huggingface_hub, shared
// with it. The layout (huggingface_hub's file_download.py):
//   models--org--name/blobs/<etag>                 the bytes: an LFS file's sha256, a git blob's id
//   models--org--name/refs/<revision>              the commit the branch or tag pointed to
//   models--org--name/snapshots/<commit>/<file>    a relative symlink to ../../blobs/<etag>
//   models--org--name/.no_exist/<commit>/<file>    an empty file: the commit has no such file
// A file in the snapshot is used as it is; else a HEAD request gives the commit and the ETag,
// and the bytes download to blobs/<etag>.<random>.incomplete, are checked (size, and sha256 when
// the server gives the LFS hash), then renamed to blobs/<etag>: a download cut half-way leaves no
// entry that looks complete. All the files of one load come from one commit: the first answer's.
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import * as fs from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { directoryFiles, type ModelFiles } from '../transformer/files';
import { checkIntegrity, fetchUrl, fileMetadata, headFile, httpError, HubNetworkError, isMissingFile, readBody, type HubContext } from './download';
import { checkRepoFile, COMMIT_HASH, repoFolderName, resolveUrl } from './hub-id';
import type { LoadProgressEvent } from './options';

export interface NodeHubSettings {
  id: string;
  revision: string;
  endpoint: string;
  cacheDir: string;
  localFilesOnly: boolean;
  onProgress: ((event: LoadProgressEvent) => void) | undefined;
  signal: AbortSignal | undefined;
  caller: string;
}

/**
 * huggingface_hub's default cache: HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub,
 * else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub; each with a leading ~ and
 * $VAR expanded, as its constants.py applies os.path.expanduser and os.path.expandvars.
 */
export async function defaultCacheDir(): Promise<string> {
  const env = process.env;
  if (env.HF_HUB_CACHE) return expandPath(env.HF_HUB_CACHE);
  if (env.HUGGINGFACE_HUB_CACHE) return expandPath(env.HUGGINGFACE_HUB_CACHE);
  if (env.HF_HOME) return join(expandPath(env.HF_HOME), 'hub');
  return join(env.XDG_CACHE_HOME ? expandPath(env.XDG_CACHE_HOME) : join(homedir(), '.cache'), 'huggingface', 'hub');
}

/** A path as Python's os.path.expandvars(os.path.expanduser(p)) gives it (POSIX). */
export function expandPath(p: string): string {
  return expandVars(expandUser(p));
}

/** os.path.expanduser: a leading "~" (alone or before a separator) is the home folder; "~user" stays as written. */
export function expandUser(p: string): string {
  return p === '~' || /^~[/\\]/.test(p) ? homedir() + p.slice(1) : p;
}

/** os.path.expandvars: $NAME or ${NAME} of a set variable is its value; an unset one stays as written. */
function expandVars(p: string): string {
  return p.replace(/\$(\w+|\{[^}]*\})/g, (whole, name: string) => process.env[name.startsWith('{') ? name.slice(1, -1) : name] ?? whole);
}

async function exists(path: string): Promise<boolean> {
  // stat follows the symlink: a snapshot entry whose blob was deleted does not count.
  return fs.stat(path).then(() => true, () => false);
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return (await fs.readFile(path, 'utf8')).trim();
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Writes a small file by a temporary file and a rename, as huggingface_hub writes refs. */
async function writeSmallFile(path: string, text: string): Promise<void> {
  await fs.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await fs.writeFile(tmp, text);
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

export function nodeHubFiles(s: NodeHubSettings): ModelFiles {
  const repo = join(s.cacheDir, repoFolderName(s.id));
  const ctx: HubContext = { caller: s.caller, id: s.id, revision: s.revision, endpoint: s.endpoint, cacheDir: s.cacheDir };
  /** The commit every file of this load comes from, once known. */
  let commit: string | undefined;
  /** Why the network is not used (localFilesOnly, or it failed): files not cached are then missing. */
  let offline: string | undefined = s.localFilesOnly ? 'localFilesOnly' : undefined;
  const snapshot = (c: string) => join(repo, 'snapshots', c);

  /** The commit of the revision according to the cache: the revision itself if it is one, else refs/<revision>. */
  const cachedCommit = async (): Promise<string | undefined> => {
    const c = COMMIT_HASH.test(s.revision) ? s.revision : await readText(join(repo, 'refs', s.revision));
    return c !== undefined && COMMIT_HASH.test(c) && await exists(snapshot(c)) ? c : undefined;
  };

  const notCached = (why: string) => new Error(`${s.caller}: ${s.id} (revision ${s.revision}) is not in the cache at ${repo}` +
    `${why}; run once without localFilesOnly to download it`);

  /** Downloads `url` into blobs/<etag>, checked, or leaves nothing. */
  const download = async (file: string, url: string, etag: string, expected: { size?: number; sha256?: string }): Promise<string> => {
    const blob = join(repo, 'blobs', etag);
    await fs.mkdir(dirname(blob), { recursive: true });
    const tmp = `${blob}.${randomBytes(4).toString('hex')}.incomplete`;
    const out = await fs.open(tmp, 'wx');
    try {
      const response = await fetchUrl(url, { headers: { 'Accept-Encoding': 'identity' } }, s.signal, s.caller);
      if (!response.ok) throw httpError(url, response, ctx);
      const length = response.headers.get('Content-Length');
      const total = expected.size ?? (length !== null && /^\d+$/.test(length) ? Number(length) : undefined);
      const hash = createHash('sha256');
      // Hashed as it streams to disk: a model's gigabytes never sit in memory for WebCrypto's one-shot digest.
      const size = await readBody(response, file, url, total, async (chunk) => {
        hash.update(chunk);
        for (let done = 0; done < chunk.byteLength;) done += (await out.write(chunk, done, chunk.byteLength - done)).bytesWritten;
      }, s.onProgress, s.signal, s.caller);
      checkIntegrity(file, url, size, hash.digest('hex'), expected, s.caller);
      // On disk before the rename makes it a blob, or a power cut could leave a short one.
      await out.sync();
      await out.close();
      await fs.rename(tmp, blob);
      return blob;
    } catch (e) {
      await out.close().catch(() => {});
      await fs.rm(tmp, { force: true });
      throw e;
    }
  };

  /** snapshots/<commit>/<file> → ../../blobs/<etag> (more ../ for a file in a subfolder), as huggingface_hub's _create_symlink. */
  const link = async (blob: string, pointer: string): Promise<void> => {
    await fs.mkdir(dirname(pointer), { recursive: true });
    await fs.rm(pointer, { force: true });
    try {
      await fs.symlink(relative(dirname(pointer), blob), pointer);
    } catch (e) {
      if ((e as { code?: string }).code === 'EEXIST' && await exists(pointer)) return;
      // No symlinks (some Windows setups): a copy, as huggingface_hub falls back to.
      if ((e as { code?: string }).code === 'EPERM') return fs.copyFile(blob, pointer, fsConstants.COPYFILE_EXCL);
      throw e;
    }
  };

  /** Asks the server about the file: the snapshot folder holding it once cached, or undefined for a file the commit lacks. */
  const fetchFile = async (file: string): Promise<string | undefined> => {
    const url = resolveUrl(s.endpoint, s.id, commit ?? s.revision, file);
    let head: Awaited<ReturnType<typeof headFile>> | undefined;
    let failure: Error | undefined;
    try {
      head = await headFile(url, s.signal, s.caller);
      if (head.response.status === 429 || head.response.status >= 500) failure = httpError(head.url, head.response, ctx);
    } catch (e) {
      if (s.signal?.aborted || !(e instanceof HubNetworkError)) throw e;
      failure = e;
    }
    if (failure !== undefined) {
      // No network, or the hub failing: the cache answers if it has the revision (huggingface_hub does the same).
      commit ??= await cachedCommit();
      if (commit === undefined) {
        throw new Error(`${failure.message}, and ${s.id} (revision ${s.revision}) is not in the cache at ${repo}: ` +
          `check the network (and HF_ENDPOINT or option endpoint); if you meant a folder, there is no folder ${s.id} here`, { cause: failure });
      }
      offline = `offline: ${failure.message.replace(`${s.caller}: `, '')}`;
      return locate(file);
    }
    const { response, url: headUrl } = head!;
    const answered = response.headers.get('X-Repo-Commit') ?? undefined;
    if (answered !== undefined && !COMMIT_HASH.test(answered)) {
      throw new Error(`${s.caller}: ${headUrl} answered X-Repo-Commit ${JSON.stringify(answered)}, not a 40-hex commit`);
    }
    if (isMissingFile(response)) {
      // Remembered, so that offline loads know the file is missing rather than not downloaded.
      if (answered !== undefined) {
        await remember(answered);
        await writeSmallFile(join(repo, '.no_exist', answered, file), '');
      }
      return undefined;
    }
    if (!(response.ok || response.status >= 300 && response.status < 400)) throw httpError(headUrl, response, ctx);
    const meta = fileMetadata(response, headUrl);
    if (meta.commit === undefined || meta.etag === undefined) {
      throw new Error(`${s.caller}: ${headUrl} answered without ${meta.commit === undefined ? 'X-Repo-Commit' : 'ETag'}: ` +
        'is option endpoint (or HF_ENDPOINT) a Hugging Face hub?');
    }
    if (/[/\\]|^\.\.?$/.test(meta.etag)) throw new Error(`${s.caller}: ${headUrl} answered the ETag ${JSON.stringify(meta.etag)}, which cannot name a file`);
    await remember(meta.commit);
    // The commit this answer names, which may not be the load's: a branch that moved between two
    // first requests sent together links the later file under its own commit, and it is read there.
    const pointer = join(snapshot(meta.commit), file);
    if (await exists(pointer)) return snapshot(meta.commit);
    const blob = join(repo, 'blobs', meta.etag);
    if (!await exists(blob)) await download(file, meta.location, meta.etag, { size: meta.size, sha256: meta.sha256 });
    await link(blob, pointer);
    return snapshot(meta.commit);
  };

  /** Pins the load to the commit and writes refs/<revision> (unless the revision is that commit). */
  const remember = async (c: string): Promise<void> => {
    commit ??= c;
    if (s.revision !== c && await readText(join(repo, 'refs', s.revision)) !== c) await writeSmallFile(join(repo, 'refs', s.revision), c);
  };

  /** The snapshot folder holding the file, or undefined for a file the repository lacks (or, offline, that was never downloaded). */
  const locate = async (file: string): Promise<string | undefined> => {
    checkRepoFile(file, s.caller);
    s.signal?.throwIfAborted();
    if (commit === undefined && (offline !== undefined || COMMIT_HASH.test(s.revision))) {
      commit = await cachedCommit();
      if (commit === undefined && offline !== undefined) {
        const ref = COMMIT_HASH.test(s.revision) ? undefined : await readText(join(repo, 'refs', s.revision));
        throw notCached(COMMIT_HASH.test(s.revision) ? ` (no snapshots/${s.revision})`
          : ref === undefined ? ` (no refs/${s.revision})` : ` (refs/${s.revision} names ${ref}, which has no snapshot)`);
      }
      // A commit revision never moves: its cached files need no network.
      commit ??= COMMIT_HASH.test(s.revision) ? s.revision : undefined;
    }
    if (commit !== undefined) {
      if (await exists(join(snapshot(commit), file))) return snapshot(commit);
      if (await exists(join(repo, '.no_exist', commit, file))) return undefined;
      if (offline !== undefined) return undefined;
    }
    return fetchFile(file);
  };

  return {
    get where() {
      const at = commit !== undefined ? snapshot(commit) : repo;
      return offline !== undefined ? `${s.id} (revision ${s.revision}) in the cache at ${at} (${offline === 'localFilesOnly'
        ? 'localFilesOnly: a file never downloaded is not fetched; run once without localFilesOnly' : offline})`
        : `${s.id} (revision ${s.revision}) from ${s.endpoint}, cached at ${at}`;
    },
    read: async (name) => {
      const at = await locate(name);
      return at === undefined ? undefined : directoryFiles(at).read(name);
    },
    open: async (name) => {
      const at = await locate(name);
      return at === undefined ? undefined : directoryFiles(at).open!(name);
    },
  };
}
