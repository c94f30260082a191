// Option names that are not ours. An options object with a name we do not know is a mistake
// (a typo, or another tool's name: gensim's vector_size, fastText's ws), and training 100-d
// vectors instead of the 20-d asked for is worse than an error. So every API that takes an
// options object checks the names first and says what was meant: the close names by edit
// distance, and for another tool's name, ours with the value translated.

/** Another tool's name for an option: which tool, our name for it, and how a value maps. */
export interface ForeignOption {
  /** "gensim", "fastText", "the word2vec C tool". */
  tool: string;
  /** Our name, when there is one. */
  ours?: string;
  /** The value in our terms (sg: 1 → model: 'skipgram'); default: the same value. */
  value?: (v: unknown) => unknown;
  /** What to do instead, when there is no option of ours for it. */
  note?: string;
}

/**
 * Throws when `options` has a name not in `known`, naming each unknown one with what was meant.
 * `where` starts the message ("word2vec", "Word2Vec.save"). E.g. { vector_size: 20, min_count: 1 }:
 * "word2vec: unknown options vector_size (gensim's name for dim), min_count (gensim's name for
 * minCount); write { dim: 20, minCount: 1 }".
 */
export function checkOptionNames(where: string, options: object, known: readonly string[],
  foreign: Readonly<Record<string, ForeignOption>> = {}): void {
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length === 0) return;
  const parts: string[] = [];
  const write: string[] = [];
  let unexplained = false;
  for (const key of unknown) {
    // Own keys only: 'constructor' or 'toString' must not find Object.prototype's.
    const f = Object.hasOwn(foreign, key) ? foreign[key] : undefined;
    if (f?.ours !== undefined && known.includes(f.ours)) {
      parts.push(`${key} (${f.tool}'s name for ${f.ours})`);
      const v = (options as Record<string, unknown>)[key];
      write.push(`${f.ours}: ${showValue(f.value ? f.value(v) : v)}`);
    } else if (f?.note !== undefined) {
      parts.push(`${key} (${f.tool}'s; ${f.note})`);
    } else {
      const close = closeNames(key, known);
      if (close.length === 0) unexplained = true;
      parts.push(close.length ? `${key} (did you mean ${orList(close)}?)` : key);
    }
  }
  let message = `${where}: unknown option${unknown.length > 1 ? 's' : ''} ${parts.join(', ')}`;
  if (write.length) message += `; write { ${write.join(', ')} }`;
  if (unexplained) message += `; the options are ${known.join(', ')}`;
  throw new Error(message);
}

/**
 * The names of `known` close to `name`, closest first (at most 3): the same once case, '-' and
 * '_' are ignored (min_count, minCount), within an edit or two (dimm, epoch), or a longer name
 * that starts with it (neg → negative).
 */
export function closeNames(name: string, known: readonly string[]): string[] {
  const n = normalise(name);
  if (n.length === 0) return [];
  const budget = Math.min(2, Math.max(1, Math.floor(n.length / 3)));
  const scored: [string, number][] = [];
  for (const k of known) {
    const m = normalise(k);
    const d = editDistance(n, m);
    if (d <= budget) scored.push([k, d]);
    else if (n.length >= 3 && m.startsWith(n)) scored.push([k, budget + 1]);
  }
  return scored.sort((a, b) => a[1] - b[1]).slice(0, 3).map(([k]) => k);
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, '');
}

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3; // more than any budget: no need to count
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

function orList(names: string[]): string {
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** A value as the user would write it in code: 'cbow', 20, true. */
function showValue(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (typeof v === 'function') return 'a function';
  return '…';
}
