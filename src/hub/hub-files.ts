// hubFiles: a hub repository as ModelFiles. Node reads through huggingface_hub's cache folder
// (node-cache.ts), browsers through the Cache API (browser-cache.ts). A file the repository
// lacks reads as undefined (the loader decides which are required); a repository that is not
// there, private or gated is an Error naming the URL, the status and what to try.
declare const __BROWSER__: boolean;

import type { ModelFiles } from '../transformer/files';
import { checkEndpoint, checkHubId, checkRevision, HUB_ENDPOINT } from './hub-id';
import type { HubOptions } from './options';

const isNode = () => !__BROWSER__ && typeof process !== 'undefined' && !!process.versions?.node;

/** Type checks of the HubOptions: an Error names the option. */
export function checkHubOptions(options: HubOptions, caller: string): void {
  if (options.revision !== undefined) checkRevision(options.revision, caller);
  if (options.endpoint !== undefined) checkEndpoint(options.endpoint, caller);
  if (options.cacheDir !== undefined && (typeof options.cacheDir !== 'string' || options.cacheDir === '')) {
    throw new Error(`${caller}: option cacheDir must be a folder's path, got ${JSON.stringify(options.cacheDir)}`);
  }
  if (options.localFilesOnly !== undefined && typeof options.localFilesOnly !== 'boolean') {
    throw new Error(`${caller}: option localFilesOnly must be true or false, got ${String(options.localFilesOnly)}`);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new Error(`${caller}: option onProgress must be a function, got ${typeof options.onProgress}`);
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new Error(`${caller}: option signal must be an AbortSignal (from an AbortController), got ${String(options.signal)}`);
  }
}

/** The options that only a hub id can use (onProgress and signal serve any source). */
export const HUB_ONLY_KEYS = ['revision', 'endpoint', 'cacheDir', 'localFilesOnly'] as const;

/**
 * The files of hub repository `id` ('org/name' or 'name') at option revision (default 'main').
 * In Node, HF_ENDPOINT overrides the default endpoint and HF_HUB_OFFLINE=1 means localFilesOnly,
 * as for huggingface_hub. `caller` starts every message ('loadModel').
 */
export function hubFiles(id: string, options: HubOptions = {}, caller = 'loadModel'): ModelFiles {
  checkHubId(id, caller);
  checkHubOptions(options, caller);
  const node = isNode();
  const env = node ? process.env : {};
  const settings = {
    id,
    revision: options.revision ?? 'main',
    endpoint: checkEndpoint(options.endpoint ?? env.HF_ENDPOINT ?? HUB_ENDPOINT, caller),
    localFilesOnly: options.localFilesOnly ?? /^(1|on|yes|true)$/i.test(env.HF_HUB_OFFLINE ?? ''),
    onProgress: options.onProgress,
    signal: options.signal,
    caller,
  };
  if (!__BROWSER__ && node) {
    return lazyFiles((async () => {
      const { nodeHubFiles, defaultCacheDir, expandUser } = await import('./node-cache');
      // '~/models' as a shell would give it: Node's fs would make a folder named '~'.
      return nodeHubFiles({ ...settings, cacheDir: options.cacheDir !== undefined ? expandUser(options.cacheDir) : await defaultCacheDir() });
    })(), `${id} (revision ${settings.revision}) from ${settings.endpoint}`);
  }
  if (options.cacheDir !== undefined) throw new Error(`${caller}: option cacheDir is for Node; a browser keeps the files in the Cache API`);
  return lazyFiles(import('./browser-cache').then((m) => m.browserHubFiles(settings)), `${id} (revision ${settings.revision}) from ${settings.endpoint}`);
}

/**
 * ModelFiles known later (an import, a stat): `where` until then. Node's side is imported
 * lazily so that it never reaches a browser bundle.
 */
export function lazyFiles(files: Promise<ModelFiles>, where: string): ModelFiles {
  let ready: ModelFiles | undefined;
  const get = async () => (ready ??= await files);
  // Handled here so that a rejected import surfaces at the first read, not as an unhandled rejection.
  files.catch(() => {});
  return {
    get where() {
      return ready?.where ?? where;
    },
    read: async (name) => (await get()).read(name),
    open: isNode() ? async (name) => (await get()).open!(name) : undefined,
  };
}
