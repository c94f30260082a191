// Reading a Hugging Face model folder: from a directory (Node), a base URL (fetch, Node and
// browsers), or files already in memory. Nothing runs from these files: they are data.
declare const __BROWSER__: boolean;

import { FormatError } from '../io/errors';
import type { ByteSource } from '../io/safetensors';

export type ModelSource = string | URL | { files: Record<string, Uint8Array | string> };

export interface ModelFiles {
  /** The file's bytes, or undefined if the model has no such file. */
  read(name: string): Promise<Uint8Array | undefined>;
  /** Where the files come from, for error messages. */
  readonly where: string;
  /** The file to read piece by piece, or undefined if the model has no such file (directories only). */
  open?(name: string): Promise<(ByteSource & { close(): void }) | undefined>;
}

export function modelFiles(source: ModelSource): ModelFiles {
  if (typeof source === 'object' && !(source instanceof URL)) {
    if (!source || typeof source.files !== 'object') throw new Error('loadModel: source must be a directory, a URL or { files }');
    const encoder = new TextEncoder();
    return {
      where: 'the in-memory files',
      read: async (name) => {
        // Own entries only: a shard index naming "__proto__" or "constructor" must not find Object's.
        const f = Object.hasOwn(source.files, name) ? source.files[name] : undefined;
        if (f === undefined) return undefined;
        if (typeof f !== 'string' && !(f instanceof Uint8Array)) throw new Error(`loadModel: files["${name}"] must be a Uint8Array or a string`);
        return typeof f === 'string' ? encoder.encode(f) : f;
      },
    };
  }
  const text = String(source);
  if (/^https?:/.test(text) || source instanceof URL && source.protocol !== 'file:') {
    const base = text.endsWith('/') ? text : `${text}/`;
    return {
      where: base,
      read: async (name) => {
        const response = await fetch(new URL(name, base));
        if (response.status === 404) return undefined;
        if (!response.ok) throw new Error(`loadModel: ${new URL(name, base)} answered ${response.status} ${response.statusText}`);
        return new Uint8Array(await response.arrayBuffer());
      },
    };
  }
  if (__BROWSER__ || typeof process === 'undefined' || !process.versions?.node) {
    throw new Error('loadModel: a directory works in Node only; in a browser give a base URL or { files }');
  }
  const dir = source instanceof URL ? decodeURIComponent(source.pathname) : text;
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
