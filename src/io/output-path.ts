// Where a file will be written, checked before the work that produces it: an hour of training
// must not end in "ENOENT … open 'nodir/.out.bin.17329….tmp'". The checks are the ones a write
// would fail on, stated with the user's own path: the folder exists, is a folder, and may be
// written in; the path itself is not a folder. Node only (the browser has no paths).
declare const __BROWSER__: boolean;

/**
 * Fails unless a file can be written at `path`. `what` starts the message: "output",
 * "checkpoint", "word2vec: option checkpointPath".
 */
export async function checkOutputPath(path: string, what: string): Promise<void> {
  if (__BROWSER__ || typeof process === 'undefined' || !process.versions?.node) {
    throw new Error(`${what} ${path}: writing files needs Node's file system; in a browser, save the bytes yourself`);
  }
  if (typeof path !== 'string' || path === '') throw new Error(`${what} must be a file path, got ${JSON.stringify(path) ?? String(path)}`);
  const fs = await import('node:fs/promises');
  const { dirname } = await import('node:path');
  const target = await fs.stat(path).catch(() => undefined);
  if (target?.isDirectory()) throw new Error(`${what} ${path} is a folder; give a file name (in it, or beside it)`);
  const dir = dirname(path);
  const folder = await fs.stat(dir).catch(() => undefined);
  if (!folder) throw new Error(`${what} ${path}: the folder ${dir} does not exist`);
  if (!folder.isDirectory()) throw new Error(`${what} ${path}: ${dir} is not a folder`);
  // Writing is a new file in the folder, renamed over the target (atomic-write.ts): the folder's
  // permission decides, not the target's.
  await fs.access(dir, fs.constants.W_OK | fs.constants.X_OK).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`${what} ${path}: the folder ${dir} is not writable (${e.code ?? e.message})`);
  });
}

/**
 * The error of a failed write, told with the target's path (never the temporary file's) and
 * what it means; the system's code and message are kept (`code`, and in the text).
 */
export function writeError(path: string, tmp: string | undefined, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  const code = err?.code;
  // A rename of tmp onto a folder fails with EISDIR, open of a tmp in a missing folder with ENOENT.
  const dir = path.includes('/') || path.includes('\\') ? path.replace(/[\\/][^\\/]*$/, '') || '/' : '.';
  const why = code === 'ENOENT' ? `the folder ${dir} does not exist`
    : code === 'EISDIR' ? 'it is a folder'
    : code === 'ENOTDIR' ? `${dir} is not a folder`
    : code === 'EACCES' || code === 'EPERM' ? `permission denied in the folder ${dir}`
    : code === 'EROFS' ? `the folder ${dir} is on a read-only file system`
    : undefined;
  const detail = String(err?.message ?? e);
  const message = why ? `cannot write ${path}: ${why} (${code})` : `cannot write ${path}: ${tmp ? detail.split(tmp).join(path) : detail}`;
  return Object.assign(new Error(message, { cause: e }), code ? { code } : {});
}
