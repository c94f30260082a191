// Writes a whole file or nothing: the bytes go to a temporary file next to the target, which is
// then renamed over it. A crash or a full disk mid-write leaves the old file intact, never a
// truncated one that a later load would half-read. Node only: the browser bundle is built with
// __BROWSER__ = true, which drops the Node branch and its node:fs import entirely. A failure
// names the target, never the temporary file (the user never asked for that one).
import { writeError } from './output-path';

declare const __BROWSER__: boolean;

export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  if (!__BROWSER__ && typeof process !== 'undefined' && process.versions?.node) {
    const fs = await import('node:fs/promises');
    const { basename, dirname, join } = await import('node:path');
    // Same folder as the target: rename is only atomic within one file system.
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
    let file: Awaited<ReturnType<typeof fs.open>> | undefined;
    try {
      file = await fs.open(tmp, 'wx');
      await file.writeFile(bytes);
      // Data on disk before the rename makes it visible, or a power cut could leave an empty file.
      await file.sync();
      await file.close();
      file = undefined;
      await fs.rename(tmp, path);
    } catch (e) {
      await file?.close().catch(() => {});
      await fs.rm(tmp, { force: true }).catch(() => {});
      throw writeError(path, tmp, e);
    }
    return;
  }
  throw new Error(`writeFileAtomic: writing ${path} needs Node's file system; in a browser, save the bytes yourself`);
}
