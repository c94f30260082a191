// The post-processing of the "text-classification" task (alias "sentiment-analysis"): a
// sequence classifier's logits → labelled scores, as Hugging Face's
// TextClassificationPipeline.postprocess. tools/pipeline_reference.py holds the same code in Python.
import { checkLabels, checkLogits, sigmoid, softmax } from './scores';

export type ClassificationFunction = 'softmax' | 'sigmoid' | 'none';
const FUNCTIONS: readonly ClassificationFunction[] = ['softmax', 'sigmoid', 'none'];

export type ProblemType = 'regression' | 'single_label_classification' | 'multi_label_classification';

export interface LabelScore {
  label: string;
  score: number;
}

export interface ClassificationOptions {
  /** Default: HF's rule (defaultFunctionToApply) from problemType and the number of labels. */
  functionToApply?: ClassificationFunction;
  /** The config's problem_type, for the default function. */
  problemType?: ProblemType | null;
  /** Labels returned, best first; null for all of them. Default 1. */
  topK?: number | null;
}

/**
 * HF's default: no function for regression, sigmoid for multi-label classification or a single
 * label, softmax otherwise (several labels).
 */
export function defaultFunctionToApply(numLabels: number, problemType?: ProblemType | null): ClassificationFunction {
  if (problemType === 'regression') return 'none';
  if (problemType === 'multi_label_classification' || numLabels === 1) return 'sigmoid';
  return 'softmax';
}

/** One text's labels with their scores, best first (ties keep label order), at most topK. */
export function classificationScores(logits: ArrayLike<number>, id2label: readonly string[], options: ClassificationOptions = {}): LabelScore[] {
  checkLabels(id2label);
  const C = id2label.length;
  checkLogits('logits', logits, C, 'one per label of id2label');
  const topK = options.topK === undefined ? 1 : options.topK;
  if (topK !== null && (!Number.isInteger(topK) || topK < 1)) throw new Error(`topK must be an integer ≥ 1 or null (all labels), got ${String(topK)}`);
  const fn = options.functionToApply ?? defaultFunctionToApply(C, options.problemType);
  if (!FUNCTIONS.includes(fn)) throw new Error(`Unrecognized \`function_to_apply\` argument: ${String(fn)} (expected softmax, sigmoid or none)`);
  const scores = fn === 'softmax' ? Array.from(softmax(logits)) : Array.from(logits, (x) => (fn === 'sigmoid' ? sigmoid(x) : x));
  const out = scores.map((score, i) => ({ label: id2label[i]!, score })).sort((a, b) => b.score - a.score);
  return topK === null ? out : out.slice(0, topK);
}
