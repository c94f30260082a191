// The WASM backend: the same argument checks as the JS twins (kernels/args/), then the arguments
// staged into memory and the kernels of the loaded build called, split across the worker pool
// when there is one and the problem is large enough to pay for it.
import type { Arena } from '../wasm/arena';
import { RANGE_ARGUMENT, type KernelExports, type RangeKernel } from '../wasm/builds';
import type { WorkerPool } from '../wasm/pool';
import { attentionArgs } from './args/attention';
import { matmulArgs, packArgs, packQ8Args, quantizeWeightsArgs } from './args/matmul';
import { quantizeRowsArgs } from './args/quantize';
import { addLayerNormArgs, geluArgs, layerNormArgs, rmsNormArgs, rotaryArgs, softmaxArgs } from './args/rowops';
import { axpyArgs, elementwiseArgs, scaleArgs } from './args/vector';
import { word2vecJobArgs, word2vecModelArgs } from './args/word2vec';
import { PackedB } from './packed';
import { quantizeWeights } from './quantize';
import { residentOffset, Staging } from './staging';
import type { Kernels, Operand, PackedMatrix, QuantizedWeights, Resident, Word2VecJob, Word2VecModelArrays } from './types';
import { P, PARAMS_BYTES, scratchFloats } from './word2vec-params';

/** Columns per GEMM panel: threads split C at multiples of it. */
const NR = 8;
/** Chunks of a split kernel's range per thread of the pool: more balance a slowed thread better, but each is a call of its own. */
const CHUNKS_PER_THREAD = 2;
/** Rows of a plain weight packB copies into WASM memory at a time: about 1 MiB of floats. */
const PACK_CHUNK_FLOATS = 1 << 18;
/** Below this many rows of A, packing B costs more than it saves: the unpacked kernel runs. */
const GEMM_MIN_M = 4;
/**
 * Work (flops) below which a kernel stays on the calling thread by default. Measured with 2
 * threads on packed weights: 64³ (0.5 MFLOP) 0.93× and 16×64×64 0.77× of one thread; 96³
 * (1.8 MFLOP) 1.12×, 128³ 1.25×, 32×256×256 1.47×, 128×768×768 1.91×. A GEMV reads each
 * weight once and is bound by memory, not flops, so its work counts 8× (1×384×384: 1.28×,
 * 1×768×768: 2.3×, each core then keeping its half of the weights in its own L2).
 */
export const PARALLEL_MIN_FLOPS = 2e6;

export function wasmKernels(k: KernelExports, arena: Arena, pool?: WorkerPool, minParallelFlops = PARALLEL_MIN_FLOPS,
  useFusedIntegerDot: () => boolean = () => false): Kernels {
  const threads = pool?.threads ?? 1;
  // GEMM scratch (a tail tile and a packed block of A, 240 KiB) per thread, for the runtime's life.
  const gemmScratch = Array.from({ length: threads }, () => arena.alloc(Math.max(k.gemmScratchFloats(), k.gemmQ8ScratchFloats()) * 4));

  /** Runs `body` with a staging area that is always released. */
  function staged<T>(body: (s: Staging) => T): T {
    const s = new Staging(arena);
    try {
      return body(s);
    } finally {
      s.release();
    }
  }

  /**
   * Runs a kernel over [0, total), in one call or shared by the pool's threads in chunks with
   * edges on multiples of align (a few per thread, so that a thread the OS deschedules holds
   * up little). args(lo, hi, t): the arguments for the range [lo, hi) on thread t.
   */
  function parallel(kernel: RangeKernel, total: number, align: number, worthSplitting: boolean,
    args: (lo: number, hi: number, thread: number) => number[], chunksPerThread = CHUNKS_PER_THREAD): void {
    if (!pool || !worthSplitting || total <= align) {
      (k[kernel] as (...a: number[]) => void)(...args(0, total, 0));
      return;
    }
    const chunks = Math.min(Math.ceil(total / align), chunksPerThread * threads);
    // No more threads than chunks: a caller sizes per-thread scratch to min(threads, blocks).
    const jobs = Array.from({ length: Math.min(threads, chunks) }, (_, t) => args(0, 0, t));
    pool.share(kernel, jobs, { total, align, chunks, rangeArg: RANGE_ARGUMENT[kernel] });
  }

  function packInto(pb: number, ldb: number, out: number, kk: number, n: number, transB: boolean): void {
    // Packing moves memory: a float counts as 16 flops of work.
    parallel('packB', n, NR, 16 * kk * n >= minParallelFlops, (lo, hi) => [pb, ldb, out, kk, n, transB ? 1 : 0, lo, hi]);
  }

  /**
   * Packs a plain n×k array (a Linear weight, out × in) a block of rows at a time, each copied
   * into one small scratch block: loading a model then copies its weights into memory that
   * stays warm in cache, not into a fresh block per weight (a BERT-base is 440 MB of them).
   * Panels are independent, so the result is the one-call packing's.
   */
  function packRowsInChunks(B: Float32Array, out: number, kk: number, n: number): void {
    const rows = Math.min(n, Math.max(NR, Math.floor(PACK_CHUNK_FLOATS / kk / NR) * NR));
    staged((s) => {
      const chunk = s.scratch(rows * kk);
      for (let r0 = 0; r0 < n; r0 += rows) {
        const r1 = Math.min(n, r0 + rows);
        arena.f32().set(B.subarray(r0 * kk, r1 * kk), chunk >>> 2);
        packInto(chunk, kk, out + r0 * kk * 4, kk, r1 - r0, true);
      }
    });
  }

  /** A single-operand elementwise kernel. */
  function unary(x: Operand, X: Float32Array, out: Operand | undefined, O: Float32Array | undefined,
    run: (x: number, out: number, n: number) => void): Float32Array {
    return staged((s) => {
      const px = s.place(x, X);
      const po = out ? s.place(out, O) : s.scratch(X.length);
      s.copyIn();
      run(px, po, X.length);
      return s.result(po, X.length, O);
    });
  }

  /** A two-operand elementwise kernel. */
  function binary(kernel: string, a: Operand, b: Operand, out: Operand | undefined,
    run: (a: number, b: number, out: number, n: number) => void): Float32Array {
    const { n, arrays: [A, B], out: O } = elementwiseArgs(kernel, ['a', 'b'], [a, b], out);
    return staged((s) => {
      const pa = s.place(a, A), pb = s.place(b, B);
      const po = O ? s.place(out, O) : s.scratch(n);
      s.copyIn();
      run(pa, pb, po, n);
      return s.result(po, n, O);
    });
  }

  /** Bytes of a q8 pack (assembly/quant/tile.ts): the panels, then column scales and sums. */
  const q8Bytes = (kk: number, n: number) => roundUp(n, 8) * roundUp(kk, 4) + 8 * roundUp(n, 8);

  /** Rows of a weight matrix handled at a time by the q8 paths: about 1 MiB of int8. */
  const q8ChunkRows = (kk: number, n: number) => Math.min(n, Math.max(NR, Math.floor(4 * PACK_CHUNK_FLOATS / Math.max(kk, 1) / NR) * NR));

  /**
   * Runs `each(int8, scales, r0, r1)` over blocks of rows of a weight (n×k): from int8 values
   * and their scales, copied in; or from f32 rows, copied in and quantized here (the same
   * numbers as quantizeWeights). int8 holds the block's rows; scales all n.
   */
  function q8Blocks(source: QuantizedWeights | Float32Array, kk: number, n: number,
    each: (int8: number, scales: number, r0: number, r1: number) => void): void {
    staged((s) => {
      const rows = q8ChunkRows(kk, n);
      const int8 = s.scratch(Math.ceil(rows * kk / 4)), scales = s.scratch(n);
      const floats = source instanceof Float32Array ? s.scratch(rows * kk) : 0;
      if (!(source instanceof Float32Array)) arena.f32().set(source.scales, scales >>> 2);
      for (let r0 = 0; r0 < n; r0 += rows) {
        const r1 = Math.min(n, r0 + rows);
        if (source instanceof Float32Array) {
          arena.f32().set(source.subarray(r0 * kk, r1 * kk), floats >>> 2);
          // The kernel addresses row j at j·k from its base: the bases are put r0 rows back (mod 2³²).
          parallel('quantizeWeightRows', r1 - r0, 1, (r1 - r0) * kk >= minParallelFlops,
            (lo, hi) => [floats - r0 * kk * 4, int8 - r0 * kk, scales, kk, r0 + lo, r0 + hi]);
        } else {
          new Int8Array(arena.buf as ArrayBuffer, int8, (r1 - r0) * kk).set(source.values.subarray(r0 * kk, r1 * kk));
        }
        each(int8, scales, r0, r1);
      }
    });
  }

  /** A q8 pack of int8 weights, or of f32 weights n×k (a Linear's, out×in) quantized on the way. */
  function packQ8Into(source: QuantizedWeights | Float32Array, kk: number, n: number): PackedMatrix {
    const offset = arena.alloc(q8Bytes(kk, n));
    try {
      q8Blocks(source, kk, n, (int8, scales, r0, r1) => {
        const src = int8 - r0 * kk;
        parallel('packQ8', r1 - r0, NR, 4 * (r1 - r0) * kk >= minParallelFlops, (lo, hi) => [src, scales, offset, kk, n, r0 + lo, r0 + hi]);
      });
    } catch (e) {
      arena.release(offset);
      throw e;
    }
    return new PackedB(kernels, kk, n, 'q8', { offset, release: () => arena.release(offset) });
  }

  /**
   * A matmul on a q8 pack: the rows of A quantized on the calling thread (grouped for the
   * micro-kernel; one plain row for the GEMV), then the int8 GEMM split by columns.
   */
  function matmulQ8(a: Operand, A: Float32Array, packed: PackedB, options: { bias?: Operand; out?: Operand },
    m: number, kk: number, n: number, bias: Float32Array | undefined, act: number, out: Float32Array | undefined): Float32Array {
    return staged((s) => {
      const pa = s.place(a, A), pbias = s.place(options.bias, bias);
      const pc = out ? s.place(options.out, out) : s.scratch(m * n);
      const kp = roundUp(kk, 4), mp = roundUp(m, 4);
      const pq = s.scratch(mp * kp / 4), ps = s.scratch(mp), pz = s.scratch(mp);
      s.copyIn();
      const ops = 2 * m * kk * n, fused = useFusedIntegerDot() ? 1 : 0;
      if (m === 1) {
        k.quantizeRows(pa, kk, 1, kk, pq, kp, ps, pz, 0);
        // Bound by reading B, a byte a weight: worth splitting at a quarter of the f32 GEMV's size.
        parallel('gemvQ8', n, 4 * NR, 2 * ops >= minParallelFlops, (lo, hi) => [pq, ps, pz, packed.offset, pc, pbias, kk, n, lo, hi, act, fused]);
      } else {
        k.quantizeRows(pa, kk, m, kk, pq, 0, ps, pz, 1);
        // About twice the f32 GEMM's speed: worth splitting at twice its size.
        parallel('gemmQ8', n, NR, ops >= 2 * minParallelFlops, (lo, hi, t) => [pq, ps, pz, packed.offset, pc, n, pbias, m, kk, n, lo, hi, act, gemmScratch[t]!, fused]);
      }
      return s.result(pc, m * n, out);
    });
  }

  const kernels: Kernels = {
    matmul(a, b, options) {
      const { m, k: kk, n, transB, A, B, packed, bias, act, out } = matmulArgs(kernels, a, b, options);
      if (packed?.dtype === 'q8') return matmulQ8(a, A, packed, options, m, kk, n, bias, act, out);
      return staged((s) => {
        const pa = s.place(a, A), pbias = s.place(options.bias, bias);
        const pb = packed ? 0 : s.place(b as Operand, B);
        const pc = out ? s.place(options.out, out) : s.scratch(m * n);
        const bp = packed ? packed.offset : m >= GEMM_MIN_M ? s.scratch(Math.ceil(n / NR) * NR * kk) : 0;
        s.copyIn();
        if (!packed && m < GEMM_MIN_M) {
          k.matmul(pa, pb, pc, pbias, m, kk, n, transB ? 1 : 0);
          k.activate(pc, n, m, n, act);
        } else {
          if (!packed) packInto(pb, transB ? kk : n, bp, kk, n, transB);
          const flops = 2 * m * kk * n;
          if (m === 1) parallel('gemv', n, 4 * NR, 8 * flops >= minParallelFlops, (lo, hi) => [pa, bp, pc, pbias, kk, n, lo, hi, act]);
          // One chunk a thread: each call packs its rows of A again.
          else parallel('gemm', n, NR, flops >= minParallelFlops, (lo, hi, t) => [pa, kk, bp, pc, n, pbias, m, kk, n, lo, hi, act, gemmScratch[t]!], 1);
        }
        return s.result(pc, m * n, out);
      });
    },

    packB(b, options) {
      const { k: kk, n, transB, dtype, B } = packArgs(b, options);
      if (dtype === 'q8') return packQ8Into(transB ? B : quantizeWeights(B, kk, n, false), kk, n);
      const bytes = Math.ceil(n / NR) * NR * kk * 4;
      const offset = arena.alloc(bytes);
      try {
        if (transB && residentOffset(arena, b, B) === undefined) packRowsInChunks(B, offset, kk, n);
        else {
          staged((s) => {
            const pb = s.place(b, B);
            s.copyIn();
            packInto(pb, transB ? kk : n, offset, kk, n, transB);
          });
        }
      } catch (e) {
        arena.release(offset);
        throw e;
      }
      return new PackedB(kernels, kk, n, 'f32', { offset, release: () => arena.release(offset) });
    },

    packQ8(w, options) {
      const { k: kk, n } = packQ8Args(w, options);
      return packQ8Into(w, kk, n);
    },

    quantizeWeights(b, options) {
      const { k: kk, n, transB, B } = quantizeWeightsArgs(b, options);
      if (!transB) return quantizeWeights(B, kk, n, false);
      const values = new Int8Array(n * kk), scales = new Float32Array(n);
      q8Blocks(B, kk, n, (int8, sc, r0, r1) => {
        values.set(new Int8Array(arena.buf as ArrayBuffer, int8, (r1 - r0) * kk), r0 * kk);
        if (r1 === n) scales.set(new Float32Array(arena.buf as ArrayBuffer, sc, n));
      });
      return { values, scales };
    },

    quantizeRows(x, options) {
      const { rows, cols, X } = quantizeRowsArgs(x, options);
      return staged((s) => {
        const px = s.place(x, X);
        const pq = s.scratch(Math.ceil(rows * cols / 4)), ps = s.scratch(rows), pz = s.scratch(rows);
        s.copyIn();
        k.quantizeRows(px, cols, rows, cols, pq, cols, ps, pz, 0);
        const heap = arena.buf as ArrayBuffer;
        return {
          values: new Uint8Array(heap, pq, rows * cols).slice(),
          scales: new Float32Array(heap, ps, rows).slice(),
          zeroPoints: new Int32Array(heap, pz, rows).slice(),
        };
      });
    },

    attention(q, kx, v, options) {
      const { batch, heads, kvHeads, tq, tk, dHead, window, scale, Q, K, V, mask, bias, causal, out } = attentionArgs(q, kx, v, options);
      const width = heads * dHead, kvWidth = kvHeads * dHead, units = batch * heads;
      const split = 4 * batch * heads * tq * tk * dHead >= minParallelFlops;
      const parts = pool && split ? Math.min(threads, units) : 1;
      return staged((s) => {
        const pq = s.place(q, Q), pk = s.place(kx, K), pv = s.place(v, V), pm = s.place(options.mask, mask);
        const pbias = s.place(options.bias, bias);
        const po = out ? s.place(options.out, out) : s.scratch(batch * tq * width);
        const scratchFloats = k.attentionScratchFloats(tk, dHead);
        const scratch = Array.from({ length: parts }, () => s.scratch(scratchFloats));
        s.copyIn();
        parallel('attention', units, 1, parts > 1, (lo, hi, t) =>
          [pq, pk, pv, po, heads, tq, tk, dHead, width, kvWidth, kvWidth, width, scale, pm, pbias, causal ? 1 : 0, heads / kvHeads, window, lo, hi, scratch[t]!]);
        return s.result(po, batch * tq * width, out);
      });
    },

    softmax(x, options) {
      const { rows, cols, scale, X, mask, maskStride, causal, out } = softmaxArgs(x, options);
      return staged((s) => {
        const px = s.place(x, X), pm = s.place(options.mask, mask);
        const po = out ? s.place(options.out, out) : s.scratch(rows * cols);
        s.copyIn();
        k.softmax(px, po, rows, cols, scale, pm, maskStride, causal ? 1 : 0, cols - rows);
        return s.result(po, rows * cols, out);
      });
    },

    layerNorm(x, options) {
      const { rows, cols, eps, X, gamma, beta, out } = layerNormArgs(x, options);
      return staged((s) => {
        const px = s.place(x, X), pg = s.place(options.gamma, gamma), pb = s.place(options.beta, beta);
        const po = out ? s.place(options.out, out) : s.scratch(rows * cols);
        s.copyIn();
        k.layerNorm(px, pg, pb, po, rows, cols, eps);
        return s.result(po, rows * cols, out);
      });
    },

    addLayerNorm(x, residual, options) {
      const { rows, cols, eps, X, R, gamma, beta, out, sumOut } = addLayerNormArgs(x, residual, options);
      return staged((s) => {
        const px = s.place(x, X), pr = s.place(residual, R);
        const pg = s.place(options.gamma, gamma), pb = s.place(options.beta, beta);
        const ps = s.place(options.sumOut, sumOut);
        const po = out ? s.place(options.out, out) : s.scratch(rows * cols);
        s.copyIn();
        k.addLayerNorm(px, pr, pg, pb, po, ps, rows, cols, eps);
        if (sumOut) s.result(ps, rows * cols, sumOut);
        return s.result(po, rows * cols, out);
      });
    },

    rmsNorm(x, options) {
      const { rows, cols, eps, X, gamma, out } = rmsNormArgs(x, options);
      return staged((s) => {
        const px = s.place(x, X), pg = s.place(options.gamma, gamma);
        const po = out ? s.place(options.out, out) : s.scratch(rows * cols);
        s.copyIn();
        k.rmsNorm(px, pg, po, rows, cols, eps);
        return s.result(po, rows * cols, out);
      });
    },

    rotary(x, table, options) {
      const { rows, heads, dHead, rotaryDim, interleaved, X, T, out } = rotaryArgs(x, table, options);
      const n = rows * heads * dHead;
      return staged((s) => {
        const px = s.place(x, X), pt = s.place(table, T);
        const po = out ? s.place(options.out, out) : s.scratch(n);
        s.copyIn();
        k.rotary(px, pt, po, rows, heads, dHead, rotaryDim, interleaved ? 1 : 0);
        return s.result(po, n, out);
      });
    },

    gelu(x, options = {}) {
      const { tanh, X, out } = geluArgs(x, options);
      return unary(x, X, options.out, out, (px, po, n) => k.gelu(px, po, n, tanh ? 1 : 0));
    },

    exp(x, options = {}) {
      const { arrays: [X], out } = elementwiseArgs('exp', ['x'], [x], options.out);
      return unary(x, X!, options.out, out, k.exp);
    },

    scale(alpha, x, options = {}) {
      const { alpha: a, X, out } = scaleArgs(alpha, x, options.out);
      return unary(x, X, options.out, out, (px, po, n) => k.scale(a, px, po, n));
    },

    add(a, b, options = {}) {
      return binary('add', a, b, options.out, k.add);
    },

    mul(a, b, options = {}) {
      return binary('mul', a, b, options.out, k.mul);
    },

    dot(a, b) {
      const { n, arrays: [A, B] } = elementwiseArgs('dot', ['a', 'b'], [a, b]);
      return staged((s) => {
        const pa = s.place(a, A), pb = s.place(b, B);
        s.copyIn();
        return k.dot(pa, pb, n);
      });
    },

    word2vecTrain(model, jobs) {
      const offset = (name: string, r: Resident<ArrayBufferView>) => {
        const t = r as { arena?: unknown; offset?: number };
        if (t.arena !== arena || typeof t.offset !== 'number') throw new Error(`word2vecTrain: ${name} must be a buffer of this runtime (runtime.buffer)`);
        return t.offset;
      };
      word2vecJobArgs(jobs);
      word2vecModelArgs(model);
      const shared = {
        syn0: offset('syn0', model.syn0), syn1: offset('syn1', model.syn1), keep: offset('keep', model.keep),
        aliasProb: offset('aliasProb', model.aliasProb), alias: offset('alias', model.alias), codes: offset('codes', model.codes),
        points: offset('points', model.points), codeLen: offset('codeLen', model.codeLen), tables: offset('tables', model.tables),
        subwordOffsets: model.subwords ? offset('subwords.offsets', model.subwords.offsets) : 0,
        subwordRows: model.subwords ? offset('subwords.rows', model.subwords.rows) : 0,
      };
      const tokenOffsets = jobs.map((j, i) => offset(`job ${i} tokens`, j.tokens));
      return staged((s) => {
        // The parameter blocks one after the other (the queue indexes them), one scratch per thread.
        const block = s.scratch(jobs.length * PARAMS_BYTES / 4);
        const params = jobs.map((_, i) => block + i * PARAMS_BYTES);
        const parts = pool && jobs.length > 1 ? Math.min(threads, jobs.length) : 1;
        const scratch = Array.from({ length: parts }, () => s.scratch(scratchFloats(model.stride, model.vocab, model.negative)));
        const heap = arena.buf as ArrayBuffer;
        jobs.forEach((job, i) => writeParams(new DataView(heap, params[i]!, PARAMS_BYTES), model, shared, job, tokenOffsets[i]!, scratch[0]!));
        if (parts === 1) {
          for (const p of params) k.w2vTrain(p);
        } else {
          // A work queue: each thread takes the next job as it finishes one (w2vTrainQueue).
          const next = s.scratch(1);
          new Int32Array(heap, next, 1)[0] = 0;
          pool!.share('w2vTrainQueue', scratch.map((sc) => [block, jobs.length, next, sc]));
        }
        return params.map((p) => {
          const v = new DataView(arena.buf as ArrayBuffer, p, PARAMS_BYTES);
          return { loss: v.getFloat64(P.OUT_LOSS, true), words: v.getFloat64(P.OUT_WORDS, true), examples: v.getFloat64(P.OUT_EXAMPLES, true), alpha: v.getFloat64(P.OUT_ALPHA, true) };
        });
      });
    },

    axpy(alpha, x, y) {
      const { alpha: a, n, X, Y } = axpyArgs(alpha, x, y);
      return staged((s) => {
        const px = s.place(x, X), py = s.place(y, Y);
        s.copyIn();
        k.axpy(a, px, py, n);
        return s.result(py, n, Y);
      });
    },
  };
  return kernels;
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

function writeParams(v: DataView, m: Word2VecModelArrays, at: Record<string, number>, job: Word2VecJob, tokens: number, scratch: number): void {
  const i32 = (o: number, x: number) => v.setInt32(o, x, true);
  i32(P.TOKENS, tokens); i32(P.NTOKENS, job.length);
  i32(P.SYN0, at.syn0!); i32(P.SYN1, at.syn1!);
  i32(P.DIM, m.dim); i32(P.STRIDE, m.stride); i32(P.VOCAB, m.vocab); i32(P.WINDOW, m.window); i32(P.NEGATIVE, m.negative);
  i32(P.MODEL, m.cbow ? 1 : 0); i32(P.LOSS, ['ns', 'hs', 'softmax'].indexOf(m.loss));
  i32(P.KEEP, at.keep!); i32(P.ALIAS_PROB, at.aliasProb!); i32(P.ALIAS, at.alias!);
  i32(P.CODES, at.codes!); i32(P.POINTS, at.points!); i32(P.CODELEN, at.codeLen!); i32(P.MAXCODE, m.maxCode);
  i32(P.TABLES, at.tables!); i32(P.SCRATCH, scratch); v.setUint32(P.SEED, job.seed >>> 0, true);
  v.setFloat32(P.ALPHA_START, m.alphaStart, true); v.setFloat32(P.ALPHA_END, m.alphaEnd, true);
  i32(P.SUBSAMPLE, m.subsample ? 1 : 0);
  i32(P.SHARED_NEGATIVES, m.sharedNegatives ? 1 : 0);
  i32(P.SUBWORD_OFFSETS, at.subwordOffsets!); i32(P.SUBWORD_ROWS, at.subwordRows!);
  v.setFloat64(P.WORDS_BEFORE, job.wordsBefore, true); v.setFloat64(P.WORDS_TOTAL, m.wordsTotal, true);
}
