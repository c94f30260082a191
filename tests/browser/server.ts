// A static server on 127.0.0.1 for the browser tests: the package's dist/ and the test pages,
// with the COOP/COEP headers of cross-origin isolation under /isolated/ and without them
// elsewhere, so both sides of the threads fallback can be seen.
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript', '.html': 'text/html', '.map': 'application/json', '.css': 'text/css', '.json': 'application/json',
  '.gz': 'application/gzip', '.txt': 'text/plain', '.safetensors': 'application/octet-stream',
};

export async function serve(root: string, pages: Record<string, string>): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const isolated = url.pathname.startsWith('/isolated/');
    const path = isolated ? url.pathname.slice('/isolated'.length) : url.pathname;
    const headers: Record<string, string> = isolated
      ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
      : {};
    try {
      const page = pages[path];
      const file = resolve(root, '.' + normalize(path));
      if (!page && !file.startsWith(resolve(root))) throw new Error('outside root');
      const body = page ?? (await readFile(file));
      res.writeHead(200, { 'Content-Type': TYPES[extname(path)] ?? 'text/html', ...headers });
      res.end(body);
    } catch {
      res.writeHead(404, headers);
      res.end();
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

export const DIST = join(__dirname, '..', '..');
