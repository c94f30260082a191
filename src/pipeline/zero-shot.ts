// The "zero-shot-classification" task over an NLI model, as Hugging Face's
// ZeroShotClassificationPipeline: each candidate label becomes a hypothesis paired with the
// text (the premise); the NLI logits of the pairs → label scores. tools/pipeline_reference.py
// holds the same code in Python.
import { checkLabels, checkLogits, isList, softmax } from './scores';

export interface ZeroShotResult {
  sequence: string;
  /** The candidate labels, most likely first. */
  labels: string[];
  scores: number[];
}

export interface ZeroShotOptions {
  /** The text the pairs were made from (returned as `sequence`). */
  sequence: string;
  /** Scores each label on its own (softmax of entailment vs contradiction) instead of a softmax across labels. Default false. */
  multiLabel?: boolean;
  /** Index of the entailment logit (nliLabelIds). */
  entailmentId: number;
  /** Index of the contradiction logit (nliLabelIds). */
  contradictionId: number;
}

/** HF's _parse_labels: a string is a comma-separated list (pieces trimmed, empty ones dropped). */
export function parseCandidateLabels(candidateLabels: string | readonly string[]): string[] {
  if (typeof candidateLabels === 'string') return candidateLabels.split(',').map((l) => l.trim()).filter((l) => l !== '');
  if (!isList(candidateLabels)) throw new Error('candidateLabels must be a string or an array of strings');
  candidateLabels.forEach((l, i) => {
    if (typeof l !== 'string') throw new Error(`candidateLabels[${i}] must be a string, got ${typeof l}`);
  });
  return [...candidateLabels];
}

/**
 * The (premise, hypothesis) pairs to run through the NLI model: for each sequence, one pair per
 * candidate label, the label put in the template. Throws HF's errors for no labels or sequences
 * and for a template that does not change when formatted with the first label.
 */
export function zeroShotPairs(
  sequences: string | readonly string[], candidateLabels: string | readonly string[], hypothesisTemplate = 'This example is {}.',
): [premise: string, hypothesis: string][] {
  const labels = parseCandidateLabels(candidateLabels);
  const texts = typeof sequences === 'string' ? [sequences] : sequences;
  if (!isList(texts) || texts.some((t) => typeof t !== 'string')) throw new Error('sequences must be a string or an array of strings');
  if (labels.length === 0 || texts.length === 0) throw new Error('You must include at least one label and at least one sequence.');
  if (typeof hypothesisTemplate !== 'string') throw new Error('hypothesisTemplate must be a string');
  if (formatTemplate(hypothesisTemplate, labels[0]!) === hypothesisTemplate) {
    throw new Error(
      `The provided hypothesis_template "${hypothesisTemplate}" was not able to be formatted with the target labels. ` +
        'Make sure the passed template includes formatting syntax such as {} where the label should go.',
    );
  }
  return texts.flatMap((t) => labels.map((l): [string, string] => [t, formatTemplate(hypothesisTemplate, l)]));
}

/**
 * Python's str.format with one positional argument, the part HF relies on: "{}" and "{0}" become
 * the label, "{{" and "}}" braces. Other fields raise as Python would (an IndexError or KeyError there).
 */
function formatTemplate(template: string, label: string): string {
  let out = '';
  let auto = 0;
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if ((c === '{' || c === '}') && template[i + 1] === c) {
      out += c;
      i++;
    } else if (c === '{') {
      const close = template.indexOf('}', i);
      const field = close < 0 ? null : template.slice(i + 1, close);
      if (field === '' ? auto++ > 0 : field !== '0') {
        throw new Error(`hypothesisTemplate "${template}" has the field {${field ?? ''}: only one "{}" (or "{0}") can be filled with the label`);
      }
      out += label;
      i = close;
    } else if (c === '}') {
      throw new Error(`hypothesisTemplate "${template}" has a single "}" (write "}}" for a brace)`);
    } else out += c;
  }
  return out;
}

/**
 * The entailment and contradiction indices as HF finds them: entailment is the first label
 * whose lower case starts with "entail"; contradiction is index 0, or the last index when
 * entailment is 0. HF falls back to -1 (the last logit) with a warning when no label matches;
 * this throws instead, naming the labels.
 */
export function nliLabelIds(id2label: readonly string[]): { entailmentId: number; contradictionId: number } {
  checkLabels(id2label);
  const entailmentId = id2label.findIndex((l) => l.toLowerCase().startsWith('entail'));
  if (entailmentId < 0) {
    throw new Error(`id2label (${id2label.join(', ')}) has no entailment label (one starting with "entail"): zero-shot classification needs an NLI model`);
  }
  return { entailmentId, contradictionId: entailmentId === 0 ? id2label.length - 1 : 0 };
}

/**
 * Label scores of one sequence from the NLI logits of its pairs (one row per candidate label, in
 * zeroShotPairs' order). Single-label: softmax of the entailment logits across labels.
 * Multi-label (or a single candidate): per label, softmax of [contradiction, entailment].
 * Labels come sorted by score, highest first; ties put the later label first (numpy's reversed argsort).
 */
export function zeroShotScores(
  logits: readonly ArrayLike<number>[], candidateLabels: string | readonly string[], options: ZeroShotOptions,
): ZeroShotResult {
  const labels = parseCandidateLabels(candidateLabels);
  const { sequence, entailmentId, contradictionId } = options;
  const multiLabel = options.multiLabel ?? false;
  if (labels.length === 0) throw new Error('You must include at least one label and at least one sequence.');
  if (!isList(logits) || logits.length !== labels.length) {
    throw new Error(`logits must hold one row per candidate label (${labels.length}), got ${isList(logits) ? logits.length : typeof logits}`);
  }
  const C = logits[0]!.length;
  logits.forEach((row, i) => checkLogits(`logits[${i}]`, row, C, 'NLI classes, as logits[0]'));
  for (const [name, id] of [['entailmentId', entailmentId], ['contradictionId', contradictionId]] as const) {
    if (!Number.isInteger(id) || id < 0 || id >= C) throw new Error(`${name} must be an index into the ${C} NLI logits, got ${String(id)}`);
  }
  let scores: number[];
  if (multiLabel || labels.length === 1) {
    // Entailment against contradiction alone. HF exponentiates without subtracting the max; the quotient is the same.
    scores = logits.map((row) => softmax([row[contradictionId]!, row[entailmentId]!])[1]!);
  } else {
    scores = Array.from(softmax(logits.map((row) => row[entailmentId]!)));
  }
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || b - a);
  return { sequence, labels: order.map((i) => labels[i]!), scores: order.map((i) => scores[i]!) };
}
