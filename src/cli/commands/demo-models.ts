// The demo's transformer part: the three tiny models shipped in data/models/, each shown on a few
// examples and checked against the reference.json written when it was trained (the translator's
// and classifier's inputs never trained on, with PyTorch's outputs and the accuracies measured
// there; the storyteller's prompts with torch's greedy tokens and the tokens our seeded sampler
// drew from torch's distributions): our outputs are recomputed here and compared with torch's.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Runtime } from '../../runtime';
import { loadModel } from '../../transformer/load';
import { TextEncoderModel } from '../../transformer/text-encoder';
import { TextGenerationModel } from '../../transformer/text-generation';
import { TextSeq2SeqModel } from '../../transformer/text-seq2seq';
import { columns } from '../args';
import { readTextFile } from '../input-files';
import { println, type CliIO } from '../io';

/** Examples shown per direction or class. */
const SHOWN = 3;

interface TranslationExample {
  direction: string;
  text: string;
  expected: string;
  /** torch's greedy output, detokenized. */
  output: string;
}

interface ClassificationExample {
  text: string;
  /** The true book. */
  label: string;
  /** torch's prediction. */
  predicted: string;
}

export async function demoTranslator(io: CliIO, runtime: Runtime, dir: string): Promise<void> {
  const loaded = await loadIfPresent(io, runtime, dir, 'translator');
  if (!loaded) return;
  const { model, reference } = loaded;
  try {
    if (!(model instanceof TextSeq2SeqModel)) throw new Error(`demo: ${dir} is not an encoder-decoder model`);
    const examples = field<TranslationExample[]>(reference, 'examples', dir, Array.isArray);
    const outputs = model.translate(examples.map((e) => e.text));
    const directions = [...new Set(examples.map((e) => e.direction))];
    for (const direction of directions) {
      const rows = examples.flatMap((e, i) => (e.direction === direction ? [i] : []));
      println(io, `${direction.replace(/_/g, ' ')}:`);
      const shown = spaced(rows, SHOWN).map((i): [string, string] => [examples[i]!.text, `→ ${outputs[i]}${mark(outputs[i] === examples[i]!.expected)}`]);
      for (const line of columns(shown, 2, 72)) println(io, line);
    }
    const sameAsTorch = outputs.filter((o, i) => o === examples[i]!.output).length;
    const right = outputs.filter((o, i) => o === examples[i]!.expected).length;
    const recorded = field<Record<string, number>>(reference, 'accuracy', dir, (x) => typeof x === 'object' && x !== null);
    println(io, `exact matches here: ${pct(right, examples.length)} of ${examples.length} held-out numbers; ` +
      `identical to PyTorch's greedy output on ${sameAsTorch}/${examples.length}`);
    println(io, `held-out accuracy when trained: ${Object.entries(recorded).map(([k, v]) => `${k.replace(/_/g, ' ')} ${(v * 100).toFixed(1)}%`).join(', ')}`);
  } finally {
    model.dispose();
  }
}

export async function demoClassifier(io: CliIO, runtime: Runtime, dir: string): Promise<void> {
  const loaded = await loadIfPresent(io, runtime, dir, 'classifier');
  if (!loaded) return;
  const { model, reference } = loaded;
  try {
    if (!(model instanceof TextEncoderModel)) throw new Error(`demo: ${dir} is not an encoder (classifier) model`);
    const examples = field<ClassificationExample[]>(reference, 'examples', dir, Array.isArray);
    const results = model.classify(examples.map((e) => e.text));
    const labels = [...new Set(examples.map((e) => e.label))];
    // One passage from each of a few books spread over the corpus, then the totals.
    const shown = spaced(labels, 2 * SHOWN).map((label) => examples.findIndex((e) => e.label === label));
    for (const i of shown) {
      const r = results[i]!, truth = examples[i]!.label;
      println(io, `  "${excerpt(examples[i]!.text)}"`);
      println(io, `      → ${r.label} (${r.score.toFixed(2)})${r.label === truth ? mark(true) : `${mark(false)} it is from ${truth}`}`);
    }
    const right = results.filter((r, i) => r.label === examples[i]!.label).length;
    const sameAsTorch = results.filter((r, i) => r.label === examples[i]!.predicted).length;
    const recorded = field<{ overall: number; passages: number }>(reference, 'accuracy', dir, (x) => typeof (x as { overall?: unknown })?.overall === 'number');
    println(io, `accuracy here: ${pct(right, examples.length)} of ${examples.length} held-out passages (${labels.length} books); ` +
      `the same label as PyTorch on ${sameAsTorch}/${examples.length}`);
    println(io, `held-out accuracy when trained: ${(recorded.overall * 100).toFixed(1)}% of ${recorded.passages} passages`);
  } finally {
    model.dispose();
  }
}

interface StoryExample {
  prompt: string;
  /** torch's greedy search: the new ids. */
  greedy_ids: number[];
  /** generation_config.json's sampling with a seed: the ids our sampler drew from torch's distributions. */
  samples: { seed: number; ids: number[] }[];
}

export async function demoStoryteller(io: CliIO, runtime: Runtime, dir: string): Promise<void> {
  const loaded = await loadIfPresent(io, runtime, dir, 'storyteller');
  if (!loaded) return;
  const { model, reference } = loaded;
  try {
    if (!(model instanceof TextGenerationModel)) throw new Error(`demo: ${dir} is not a decoder-only (text generation) model`);
    const examples = field<StoryExample[]>(reference, 'examples', dir, Array.isArray);
    const maxNewTokens = field<number>(reference, 'new_tokens', dir, (x) => Number.isInteger(x) && (x as number) > 0);
    const same = (a: number[], b: number[]) => a.length === b.length && a.every((id, i) => id === b[i]);
    let greedySame = 0, sampled = 0, sampledSame = 0;
    for (const e of examples) {
      if (same(model.generate(e.prompt, { doSample: false, maxNewTokens }).ids, e.greedy_ids)) greedySame++;
      for (const [k, s] of e.samples.entries()) {
        // generation_config.json's sampling (do_sample, temperature, top_k) with the recorded seed.
        const out = model.generate(e.prompt, { seed: s.seed, maxNewTokens });
        sampled++;
        if (same(out.ids, s.ids)) sampledSame++;
        if (k === 0) println(io, `  ${e.prompt} …${out.text}  (seed ${s.seed})${mark(same(out.ids, s.ids))}`);
      }
    }
    const d = model.generationDefaults;
    println(io, `identical to PyTorch: greedy search on ${greedySame}/${examples.length} prompts, ` +
      `seeded sampling (temperature ${d.temperature}, top-k ${d.topK}) on ${sampledSame}/${sampled}, ${maxNewTokens} tokens each`);
  } finally {
    model.dispose();
  }
}

async function loadIfPresent(io: CliIO, runtime: Runtime, dir: string, what: string) {
  if (!existsSync(join(dir, 'config.json'))) {
    println(io, `no model folder ${dir}: skipping the ${what}`);
    return undefined;
  }
  const reference = JSON.parse(await readTextFile(join(dir, 'reference.json'), 'reference file')) as unknown;
  return { model: await loadModel(dir, { runtime }), reference };
}

function field<T>(json: unknown, name: string, dir: string, ok: (x: unknown) => boolean): T {
  const value = (json as Record<string, unknown> | null)?.[name];
  if (!ok(value)) throw new Error(`demo: ${join(dir, 'reference.json')} has no valid "${name}"`);
  return value as T;
}

/** `count` items spread evenly over `xs`. */
function spaced<T>(xs: readonly T[], count: number): T[] {
  if (xs.length <= count) return [...xs];
  return Array.from({ length: count }, (_, i) => xs[Math.floor((i * xs.length) / count)]!);
}

const mark = (ok: boolean) => (ok ? '  ✓' : '  ✗');
const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;

function excerpt(text: string, chars = 70): string {
  return text.length <= chars ? text : `${text.slice(0, chars).replace(/\s+\S*$/, '')} …`;
}
