// The sample corpus (data/corpus-pd4m.txt.gz, 1,000 tokens a line) as lines of text, gunzipped
// as the bytes arrive, cut after the first line that reaches `maxTokens` so a short run never
// downloads or decompresses more than it uses.

/** The lines of the corpus `bytes` (gzipped or not), until at least `maxTokens` tokens (Infinity: all). */
export async function* sampleLines(bytes: ReadableStream<Uint8Array<ArrayBuffer>>, maxTokens: number): AsyncGenerator<string> {
  const text = (await gunzipIfGzip(bytes)).pipeThrough(new TextDecoderStream());
  const reader = text.getReader();
  let tokens = 0;
  let rest = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const lines = (rest + value).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        yield line;
        tokens += countTokens(line);
        if (tokens >= maxTokens) return;
      }
    }
    if (rest) yield rest;
  } finally {
    await reader.cancel();
  }
}

function countTokens(line: string): number {
  const words = line.match(/\S+/g);
  return words ? words.length : 0;
}

/**
 * Some servers (Vite's dev and preview servers among them) send a .gz file with
 * Content-Encoding: gzip, so the browser has already decompressed it: look at the magic bytes.
 */
async function gunzipIfGzip(bytes: ReadableStream<Uint8Array<ArrayBuffer>>): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
  const [probe, whole] = bytes.tee();
  const reader = probe.getReader();
  const { value } = await reader.read();
  // Not awaited: a tee branch's cancel resolves only once the other branch is cancelled too.
  void reader.cancel();
  const gzip = value !== undefined && value[0] === 0x1f && value[1] === 0x8b;
  return gzip ? whole.pipeThrough(new DecompressionStream('gzip')) : whole;
}
