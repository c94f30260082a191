// Reading a Hugging Face model folder: from a directory (Node), a base URL (fetch, Node and
// browsers), a hub id ('org/name': src/hub/, through huggingface_hub's cache in Node and the
// Cache API in browsers), or files already in memory. Nothing runs from these files: they are data.
declare const __BROWSER__: boolean;

import { FormatError } from '../io/errors';
import type { ByteSource } from '../io/safetensors';
import { fetchUrl, httpError, readBody } from '../hub/download';
import { checkHubOptions, HUB_ONLY_KEYS, hubFiles, lazyFiles } from '../hub/hub-files';
import { isHubId } from '../hub/hub-id';
import type { HubOptions } from '../hub/options';

export type ModelSource = string | URL | { files: Record<string, Uint8Array | string> };

export interface ModelFiles {
  /** The file's bytes, or undefined if the model has no such file. */
  read(name: string): Promise<Uint8Array | undefined>;
  /** Where the files come from, for error messages. */
  readonly where: string;
  /** The file to read piece by piece, or undefined if the model has no such file (directories only). */
  open?(name: string): Promise<(ByteSource & { close(): void }) | undefined>;
}

const isNode = () => !__BROWSER__ && typeof process !== 'undefined' && !!process.versions?.node;

/**
 * The files of `source`: a directory (Node), a base URL, a hub id, or { files }. A hub id is a
 * string shaped 'org/name' or 'name' that is not an existing path (Node) or has no scheme
 * (browsers). The HubOptions revision, endpoint, cacheDir and localFilesOnly are for hub ids;
 * onProgress and signal also serve a URL's downloads. `caller` starts every message.
 */
export function modelFiles(source: ModelSource, options: HubOptions = {}, caller = 'loadModel'): ModelFiles {
  checkHubOptions(options, caller);
  const hubOnly = (what: string) => {
    const given = HUB_ONLY_KEYS.filter((k) => options[k] !== undefined);
    if (given.length > 0) throw new Error(`${caller}: option${given.length > 1 ? 's' : ''} ${given.join(', ')} ${given.length > 1 ? 'are' : 'is'} for hub ids ('org/name'); the source is ${what}`);
  };
  if (typeof source === 'string' && isHubId(source)) {
    if (__BROWSER__ || !isNode()) return hubFiles(source, options, caller);
    // 'models/bert' may be a folder: an existing path is one, whatever its shape.
    const decided = import('node:fs/promises').then((fs) => fs.stat(source).then(() => true, () => false))
      .then((isPath) => isPath ? (hubOnly(`the folder ${source}`), directoryFiles(source)) : hubFiles(source, options, caller));
    return lazyFiles(decided, `${source} (a folder, or else a hub id)`);
  }
  if (typeof source === 'object' && !(source instanceof URL)) {
    if (!source || typeof source.files !== 'object') throw new Error(`${caller}: source must be a directory, a URL, a hub id or { files }`);
    hubOnly('files in memory');
    const encoder = new TextEncoder();
    return {
      where: 'the in-memory files',
      read: async (name) => {
        // Own entries only: a shard index naming "__proto__" or "constructor" must not find Object's.
        const f = Object.hasOwn(source.files, name) ? source.files[name] : undefined;
        if (f === undefined) return undefined;
        if (typeof f !== 'string' && !(f instanceof Uint8Array)) throw new Error(`${caller}: files["${name}"] must be a Uint8Array or a string`);
        return typeof f === 'string' ? encoder.encode(f) : f;
      },
    };
  }
  const text = String(source);
  if (/^https?:/.test(text) || source instanceof URL && source.protocol !== 'file:') {
    hubOnly(`the URL ${text}`);
    return urlFiles(text.endsWith('/') ? text : `${text}/`, options, caller);
  }
  if (!isNode()) {
    throw new Error(`${caller}: a directory works in Node only; in a browser give a base URL, a hub id ('org/name') or { files }`);
  }
  hubOnly(`the folder ${text}`);
  return directoryFiles(source instanceof URL ? decodeURIComponent(source.pathname) : text);
}

/** A folder served over HTTP: each file fetched from base + name. */
function urlFiles(base: string, options: HubOptions, caller: string): ModelFiles {
  return {
    where: base,
    read: async (name) => {
      const url = new URL(name, base).href;
      const response = await fetchUrl(url, {}, options.signal, caller);
      if (response.status === 404) return undefined;
      if (!response.ok) throw httpError(url, response, { caller });
      const length = response.headers.get('Content-Encoding') ? null : response.headers.get('Content-Length');
      const chunks: Uint8Array[] = [];
      const total = length !== null && /^\d+$/.test(length) ? Number(length) : undefined;
      const size = await readBody(response, name, url, total, (c) => void chunks.push(c), options.onProgress, options.signal, caller);
      if (total !== undefined && size !== total) throw new Error(`${caller}: the download of ${name} from ${url} has ${size} bytes, not the ${total} of its Content-Length: try again`);
      if (chunks.length === 1) return chunks[0]!;
      const bytes = new Uint8Array(size);
      let at = 0;
      for (const c of chunks) {
        bytes.set(c, at);
        at += c.byteLength;
      }
      return bytes;
    },
  };
}

/** A model folder on disk (Node): files read whole, or opened to be read piece by piece. */
export function directoryFiles(dir: string): ModelFiles {
  return {
    where: dir,
    read: async (name) => {
      const fs = await import('node:fs/promises');
      const path = await import('node:path');
      try {
        // A plain Uint8Array over the Buffer's memory, not a copy: model files run to gigabytes.
        const b = await fs.readFile(path.join(dir, name));
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      } catch (e) {
        if ((e as { code?: string }).code === 'ENOENT') return undefined;
        throw e;
      }
    },
    open: async (name) => {
      const fs = await import('node:fs');
      const path = await import('node:path');
      let fd: number;
      try {
        fd = fs.openSync(path.join(dir, name), 'r');
      } catch (e) {
        if ((e as { code?: string }).code === 'ENOENT') return undefined;
        throw e;
      }
      const length = fs.fstatSync(fd).size;
      // One buffer for every read, grown to the largest tensor: the loader uses each tensor's
      // bytes before it reads the next, and fresh buffers per tensor would pile up until a GC.
      let scratch = new Uint8Array(0);
      return {
        length,
        close: () => fs.closeSync(fd),
        read(offset, count) {
          if (scratch.length < count) scratch = new Uint8Array(count);
          const bytes = scratch.subarray(0, count);
          for (let done = 0; done < count;) {
            const n = fs.readSync(fd, bytes, done, count - done, offset + done);
            if (n === 0) throw new FormatError(`loadModel: ${name} ended at byte ${offset + done} while being read (was it changed?)`, name, offset + done);
            done += n;
          }
          return bytes;
        },
      };
    },
  };
}
