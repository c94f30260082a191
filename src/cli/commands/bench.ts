// wasm-nlp bench: a self-contained benchmark through the public API, engines measured in
// interleaved rounds (so a busy machine slows them alike) and compared as ratios of medians.
// 1. GEMM at a BERT-base shape, C = x·Wᵀ with W packed as the models pack their weights: the
//    WASM kernels against their pure-JS twin.
// 2. word2vec skip-gram, one epoch on a slice of the sample corpus: WASM on 1 and N threads,
//    and the JS twin.
import { join, relative } from 'node:path';
import { existsSync } from 'node:fs';
import { init, MAX_THREADS, type Runtime } from '../../runtime';
import { jsKernels } from '../../kernels/js/index';
import type { Kernels, Operand } from '../../kernels/types';
import { Word2Vec } from '../../word2vec/word2vec';
import { sentences } from '../../io/corpus';
import { columns } from '../args';
import type { Command } from '../command';
import { corpusFile } from '../input-files';
import { printJson, println, type CliIO } from '../io';
import { packageRoot } from '../package-root';
import { formatCount } from '../progress';
import { JSON_OPTION } from '../runtime-options';

/** BERT-base: 128 tokens through a 768 → 768 Linear layer. */
const GEMM = { m: 128, k: 768, n: 768 };
/** Each engine runs at least this long per round, so fast kernels are timed over many calls. */
const ROUND_MS = 200;

export const benchCommand: Command = {
  spec: {
    name: 'bench',
    summary: 'Measure this machine: GEMM GFLOPS and word2vec words/s, WASM against the pure-JS twin.',
    positionals: [],
    options: [
      { name: 'quick', type: 'boolean', help: 'fewer rounds and a smaller corpus slice (about 20 s)' },
      { name: 'threads', type: 'int', min: 1, max: MAX_THREADS, default: 2, help: 'threads of the multi-threaded word2vec run' },
      { name: 'simd', type: 'choice', choices: ['auto', 'relaxed', 'baseline'], default: 'auto', help: 'kernel build' },
      { name: 'corpus', type: 'string', value: 'FILE', help: "word2vec corpus (default: the repo's data/corpus-pd4m.txt.gz, else a synthetic Zipf corpus)" },
      { name: 'tokens', type: 'int', min: 1000, value: 'N', help: 'corpus tokens to train on (default: 300000 with --quick, else 1000000)' },
      JSON_OPTION,
    ],
    examples: ['bench --quick', 'bench --json > bench.json'],
  },
  async run(args, io) {
    const o = args.options;
    const quick = o.quick === true;
    const rounds = quick ? 3 : 7;
    const threads = o.threads as number;
    const simd = o.simd as 'auto' | 'relaxed' | 'baseline';
    const note = (text: string) => { if (!o.json) io.stderr.write(`${text}\n`); };
    const wasm1 = await init({ simd, threads: 1 });
    const wasmN = threads > 1 ? await init({ simd, threads }) : undefined;
    const js = await init({ backend: 'js' });
    try {
      note(`GEMM ${GEMM.m}×${GEMM.k}×${GEMM.n}, ${rounds} rounds…`);
      const gemm = benchGemm(wasm1, rounds);
      const tokens = (o.tokens as number | undefined) ?? (quick ? 300_000 : 1_000_000);
      const corpus = await corpusSlice(o.corpus as string | undefined, tokens);
      note(`word2vec on ${formatCount(corpus.tokens)} tokens of ${corpus.name}, ${quick ? 1 : 3} round(s)…`);
      // The JS twin is about 15× slower: it trains on the first tenth of the slice.
      const tenth = corpus.sentences.slice(0, Math.max(1, Math.round(corpus.sentences.length / 10)));
      const engines: Word2VecEngine[] = [
        { name: 'wasm, 1 thread', runtime: wasm1, sentences: corpus.sentences },
        ...(wasmN ? [{ name: `wasm, ${wasmN.features.threads} threads`, runtime: wasmN, sentences: corpus.sentences }] : []),
        { name: 'js twin, 1 thread', runtime: js, sentences: tenth },
      ];
      const w2v = await benchWord2Vec(engines, quick ? 1 : 3);
      const result = {
        engine: { build: wasm1.features.build, node: process.version },
        gemm: { shape: `${GEMM.m}x${GEMM.k}x${GEMM.n}`, wasmGflops: gemm.wasm, jsGflops: gemm.js, ratio: gemm.wasm / gemm.js },
        word2vec: {
          corpus: corpus.name, tokens: corpus.tokens,
          wordsPerSecond: Object.fromEntries(w2v.map((r) => [r.name, r.wordsPerSecond])),
          jsTokens: w2v[w2v.length - 1]!.tokens,
          wasmOverJs: w2v[0]!.wordsPerSecond / w2v[w2v.length - 1]!.wordsPerSecond,
          ...(wasmN ? { threadsSpeedup: w2v[1]!.wordsPerSecond / w2v[0]!.wordsPerSecond } : {}),
        },
      };
      if (o.json) return printJson(io, result);
      printReport(io, result, w2v);
    } finally {
      wasm1.dispose();
      wasmN?.dispose();
      js.dispose();
    }
  },
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** GFLOPS of x·Wᵀ + b on the WASM kernels (operands resident in WASM memory) and the JS twin. */
function benchGemm(rt: Runtime, rounds: number): { wasm: number; js: number } {
  const { m, k, n } = GEMM;
  const fill = (len: number, seed: number) => Float32Array.from({ length: len }, (_, i) => Math.sin(i * 0.37 + seed));
  const x = fill(m * k, 1), w = fill(n * k, 2), bias = fill(n, 3);
  const setups: { kernels: Kernels; x: Operand; bias: Operand; out: Operand }[] = [
    { kernels: rt.kernels, x: rt.tensor([m, k], x), bias: rt.tensor([n], bias), out: rt.tensor([m, n]) },
    { kernels: jsKernels, x, bias, out: new Float32Array(m * n) },
  ];
  const packed = setups.map((s) => s.kernels.packB(w, { k, n, transB: true }));
  const gflops: number[][] = [[], []];
  for (let r = 0; r < rounds; r++) {
    setups.forEach((s, e) => {
      let calls = 0;
      const t0 = performance.now();
      let t = t0;
      while (calls === 0 || t - t0 < ROUND_MS) {
        s.kernels.matmul(s.x, packed[e]!, { m, bias: s.bias, out: s.out });
        calls++;
        t = performance.now();
      }
      gflops[e]!.push((2 * m * k * n * calls) / ((t - t0) * 1e6));
    });
  }
  packed.forEach((p) => p.free());
  for (const s of setups.slice(0, 1)) for (const op of [s.x, s.bias, s.out]) (op as { free?: () => void }).free?.();
  return { wasm: median(gflops[0]!), js: median(gflops[1]!) };
}

interface Word2VecEngine { name: string; runtime: Runtime; sentences: string[][] }
interface Word2VecRun { name: string; tokens: number; wordsPerSecond: number }

async function benchWord2Vec(engines: Word2VecEngine[], rounds: number): Promise<Word2VecRun[]> {
  const rates: number[][] = engines.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [e, { runtime, sentences }] of engines.entries()) {
      const model = await Word2Vec.train(sentences, { epochs: 1, threads: runtime.features.threads, runtime, seed: 1 + r });
      rates[e]!.push(model.wordsPerSecond!);
    }
  }
  return engines.map(({ name, sentences }, e) => ({ name, tokens: sentences.reduce((n, s) => n + s.length, 0), wordsPerSecond: median(rates[e]!) }));
}

/** The first `tokens` tokens of the corpus, as sentences. */
async function corpusSlice(path: string | undefined, tokens: number): Promise<{ name: string; tokens: number; sentences: string[][] }> {
  const root = packageRoot();
  const sample = root ? join(root, 'data', 'corpus-pd4m.txt.gz') : undefined;
  const file = path ?? (sample && existsSync(sample) ? sample : undefined);
  if (!file) return { name: 'a synthetic Zipf corpus', tokens, sentences: zipfCorpus(tokens) };
  const out: string[][] = [];
  let n = 0;
  for await (const s of sentences(await corpusFile(file))) {
    const take = s.slice(0, tokens - n);
    out.push(take);
    n += take.length;
    if (n >= tokens) break;
  }
  return { name: relative(process.cwd(), file) || file, tokens: n, sentences: out };
}

/** Words w0…w29999 drawn from Zipf's law (exponent 1), seeded, in sentences of 1000. */
function zipfCorpus(tokens: number): string[][] {
  const V = 30000;
  const cdf = new Float64Array(V);
  let sum = 0;
  for (let i = 0; i < V; i++) cdf[i] = sum += 1 / (i + 1);
  let s = 1;
  const random = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const out: string[][] = [];
  for (let t = 0; t < tokens; t += 1000) {
    out.push(Array.from({ length: Math.min(1000, tokens - t) }, () => {
      const u = random() * sum;
      let lo = 0, hi = V - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid]! < u) lo = mid + 1;
        else hi = mid;
      }
      return `w${lo}`;
    }));
  }
  return out;
}

function printReport(io: CliIO, r: { engine: { build: string | null; node: string }; gemm: { shape: string; wasmGflops: number; jsGflops: number; ratio: number } },
  w2v: Word2VecRun[]): void {
  println(io, `kernel build: ${r.engine.build}, Node ${r.engine.node}`);
  println(io, `GEMM ${GEMM.m}×${GEMM.k}×${GEMM.n} (x·Wᵀ + b, W packed), median GFLOPS:`);
  for (const line of columns([['wasm, 1 thread', r.gemm.wasmGflops.toFixed(2)], ['js twin', r.gemm.jsGflops.toFixed(3)], ['wasm / js', `${r.gemm.ratio.toFixed(1)}×`]])) println(io, line);
  println(io, 'word2vec skip-gram (dim 100, window 5, negative 5), one epoch, median words/s:');
  const base = w2v[0]!.wordsPerSecond;
  for (const line of columns(w2v.map((x) => [x.name, `${formatCount(x.wordsPerSecond)}  (${(x.wordsPerSecond / base).toFixed(2)}× wasm 1 thread)` +
    (x.tokens !== w2v[0]!.tokens ? `  on the first ${formatCount(x.tokens)} tokens` : '')]))) println(io, line);
}
