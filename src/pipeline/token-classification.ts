// The post-processing of the "token-classification" task (alias "ner"): per-token label scores
// → entities, step for step as Hugging Face's TokenClassificationPipeline (postprocess,
// gather_pre_entities, aggregate, aggregate_words, aggregate_word, group_entities,
// group_sub_entities, aggregate_overlapping_entities). tools/pipeline_reference.py holds the same
// code in Python, and tests/pipeline/token-classification.test.ts compares the two.
import type { Encoding, Offset } from '../tokenizer/encoding';
import { argmax, checkLabels, checkLogits, isList, softmax } from './scores';

export type AggregationStrategy = 'none' | 'simple' | 'first' | 'average' | 'max';
const STRATEGIES: readonly AggregationStrategy[] = ['none', 'simple', 'first', 'average', 'max'];

/** One token's prediction (strategy 'none'). start/end are null when the tokenizer gave no offsets. */
export interface TokenEntity {
  entity: string;
  score: number;
  /** The token's index in the encoding, special tokens counted. */
  index: number;
  /** The token string ([UNK] replaced by the text it covers). */
  word: string;
  start: number | null;
  end: number | null;
}

/** A run of tokens (or words) with one entity type (strategies other than 'none'). */
export interface EntityGroup {
  /** The label without its "B-" / "I-" prefix. */
  entity_group: string;
  score: number;
  /** The tokens joined by the tokenizer's decoder. */
  word: string;
  start: number | null;
  end: number | null;
}

export interface TokenEntitiesOptions {
  /** The text the encoding came from. */
  text: string;
  /** T × labels, row-major: the model's logits for each token of the encoding. */
  logits: ArrayLike<number>;
  /** The encoding of `text`. An empty `offsets` array stands for a tokenizer without offsets (HF's slow tokenizers). */
  encoding: Encoding;
  id2label: readonly string[];
  strategy?: AggregationStrategy;
  /** Labels (or entity groups) left out of the result. Default ['O']. */
  ignoreLabels?: readonly string[];
  /**
   * True when the tokenizer's model has a continuing_subword_prefix ("##" in WordPiece): a token
   * is then a subword when its string is longer or shorter than the text it covers. Otherwise
   * HF's heuristic: a token is a subword when no space touches its start.
   */
  wordAware: boolean;
  /** Tokens with this id are reported as the text they cover (HF replaces [UNK] so). */
  unkTokenId?: number | null;
  /**
   * The tokenizer's decoder over token strings (HF's convert_tokens_to_string: WordPiece drops
   * "##" and joins the rest with spaces, ByteLevel maps bytes back, Metaspace turns "▁" into spaces).
   * It also receives already-joined words (from 'first', 'average' and 'max'), as in HF.
   */
  convertTokensToString: (tokens: string[]) => string;
}

/** What gather_pre_entities keeps of each non-special token. */
interface PreEntity {
  word: string;
  scores: Float64Array;
  start: number | null;
  end: number | null;
  index: number;
  isSubword: boolean;
}

/** An entity before grouping: a token (simple) or a word (first, average, max). */
interface Entity {
  entity: string;
  score: number;
  word: string;
  start: number | null;
  end: number | null;
}

/**
 * Entities of one text, as HF's token-classification pipeline returns them: one per token for
 * strategy 'none' (`{ entity, score, index, word, start, end }`), else groups of adjacent tokens
 * or words with the same entity type (`{ entity_group, score, word, start, end }`). Labels in
 * `ignoreLabels` are dropped after grouping.
 */
export function tokenEntities(options: TokenEntitiesOptions & { strategy?: 'none' }): TokenEntity[];
export function tokenEntities(options: TokenEntitiesOptions & { strategy: Exclude<AggregationStrategy, 'none'> }): EntityGroup[];
export function tokenEntities(options: TokenEntitiesOptions): TokenEntity[] | EntityGroup[];
export function tokenEntities(options: TokenEntitiesOptions): TokenEntity[] | EntityGroup[] {
  const { text, encoding, id2label, wordAware, convertTokensToString } = options;
  const strategy = options.strategy ?? 'none';
  const ignoreLabels = options.ignoreLabels ?? ['O'];
  if (!STRATEGIES.includes(strategy)) {
    throw new Error(`strategy must be one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(strategy)}`);
  }
  if (typeof text !== 'string') throw new Error(`text must be a string, got ${typeof text}`);
  if (typeof convertTokensToString !== 'function') throw new Error('convertTokensToString must be a function (tokens: string[]) => string');
  if (!isList(ignoreLabels)) throw new Error('ignoreLabels must be an array of label names');
  checkLabels(id2label);
  const T = checkEncoding(encoding);
  const offsets = encoding.offsets.length === 0 && T > 0 ? null : encoding.offsets;
  if (offsets === null && strategy !== 'none' && strategy !== 'simple') {
    // HF refuses these strategies for slow tokenizers, the ones that give no offsets.
    throw new Error('Slow tokenizers cannot handle subwords. Please set the `aggregation_strategy` option to `"simple"` or use a fast tokenizer.');
  }
  const C = id2label.length;
  checkLogits('logits', options.logits, T * C, `T × labels = ${T} × ${C}`);

  const pre = gatherPreEntities(text, encoding, offsets, options.logits, C, wordAware, options.unkTokenId ?? null);
  const ignored = new Set(ignoreLabels);
  if (strategy === 'none') {
    return pre.map((p) => toTokenEntity(p, id2label)).filter((e) => !ignored.has(e.entity));
  }
  const entities = strategy === 'simple'
    ? pre.map((p) => toTokenEntity(p, id2label))
    : aggregateWords(pre, strategy, id2label, convertTokensToString);
  return groupEntities(entities, convertTokensToString).filter((g) => !ignored.has(g.entity_group));
}

/** Checks the encoding's arrays against each other; returns its length T. */
function checkEncoding(encoding: Encoding): number {
  if (encoding === null || typeof encoding !== 'object' || !isList(encoding.ids)) throw new Error('encoding must be an Encoding (ids, tokens, offsets, specialTokensMask, …)');
  const T = encoding.ids.length;
  for (const field of ['tokens', 'specialTokensMask'] as const) {
    if (!isList(encoding[field]) || encoding[field].length !== T) {
      throw new Error(`encoding.${field} must have one entry per token (${T}), got ${isList(encoding[field]) ? encoding[field].length : typeof encoding[field]}`);
    }
  }
  if (!isList(encoding.offsets) || (encoding.offsets.length !== T && encoding.offsets.length !== 0)) {
    throw new Error(`encoding.offsets must have one [start, end) per token (${T}) or be empty for a tokenizer without offsets`);
  }
  return T;
}

/** gather_pre_entities: the non-special tokens with their label probabilities, span and subword flag. */
function gatherPreEntities(
  text: string, encoding: Encoding, offsets: Offset[] | null, logits: ArrayLike<number>, C: number,
  wordAware: boolean, unkTokenId: number | null,
): PreEntity[] {
  const pre: PreEntity[] = [];
  for (let idx = 0; idx < encoding.ids.length; idx++) {
    if (encoding.specialTokensMask[idx]) continue;
    let word = encoding.tokens[idx]!;
    let start: number | null = null;
    let end: number | null = null;
    let isSubword = false;
    if (offsets !== null) {
      const o = offsets[idx]!;
      [start, end] = o;
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > text.length) {
        throw new Error(`encoding.offsets[${idx}] = [${String(o[0])}, ${String(o[1])}] is not a range of the text (length ${text.length})`);
      }
      const wordRef = text.slice(start, end);
      if (wordAware) {
        // HF compares Python string lengths: code points, not UTF-16 units.
        isSubword = codePoints(word) !== codePoints(wordRef);
      } else {
        // Fallback heuristic: a token continues a word unless a space sits just before it or at its start.
        isSubword = start > 0 && !text.slice(start - 1, start + 1).includes(' ');
      }
      if (unkTokenId !== null && encoding.ids[idx] === unkTokenId) {
        word = wordRef;
        isSubword = false;
      }
    }
    pre.push({ word, scores: softmax(logits, idx * C, C), start, end, index: idx, isSubword });
  }
  return pre;
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function toTokenEntity(p: PreEntity, id2label: readonly string[]): TokenEntity {
  const best = argmax(p.scores);
  return { entity: id2label[best]!, score: p.scores[best]!, index: p.index, word: p.word, start: p.start, end: p.end };
}

/** aggregate_words: tokens flagged as subwords join the word before them; each word gets one label. */
function aggregateWords(
  pre: PreEntity[], strategy: 'first' | 'average' | 'max', id2label: readonly string[], decode: (tokens: string[]) => string,
): Entity[] {
  const words: Entity[] = [];
  let group: PreEntity[] | null = null;
  for (const p of pre) {
    if (group === null) group = [p];
    else if (p.isSubword) group.push(p);
    else {
      words.push(aggregateWord(group, strategy, id2label, decode));
      group = [p];
    }
  }
  if (group !== null) words.push(aggregateWord(group, strategy, id2label, decode));
  return words;
}

/** aggregate_word: the word's label from its first token, its most confident token, or the mean of its tokens. */
function aggregateWord(
  tokens: PreEntity[], strategy: 'first' | 'average' | 'max', id2label: readonly string[], decode: (tokens: string[]) => string,
): Entity {
  const word = decode(tokens.map((t) => t.word));
  let scores: Float64Array;
  if (strategy === 'first') {
    scores = tokens[0]!.scores;
  } else if (strategy === 'max') {
    // Python's max() keeps the first token on ties.
    let best = tokens[0]!;
    let bestMax = best.scores[argmax(best.scores)]!;
    for (const t of tokens.slice(1)) {
      const m = t.scores[argmax(t.scores)]!;
      if (m > bestMax) [best, bestMax] = [t, m];
    }
    scores = best.scores;
  } else {
    scores = new Float64Array(tokens[0]!.scores.length);
    for (const t of tokens) t.scores.forEach((s, i) => (scores[i]! += s));
    scores.forEach((s, i) => (scores[i] = s / tokens.length));
  }
  const idx = argmax(scores);
  return { entity: id2label[idx]!, score: scores[idx]!, word, start: tokens[0]!.start, end: tokens[tokens.length - 1]!.end };
}

/** get_tag: "B-PER" → ['B', 'PER']; a label without a B-/I- prefix counts as a continuation (I). */
function getTag(name: string): [bi: 'B' | 'I', tag: string] {
  if (name.startsWith('B-')) return ['B', name.slice(2)];
  if (name.startsWith('I-')) return ['I', name.slice(2)];
  return ['I', name];
}

/** group_entities: adjacent entities of one type merge unless the next one is a B- (a new entity). */
function groupEntities(entities: Entity[], decode: (tokens: string[]) => string): EntityGroup[] {
  const groups: EntityGroup[] = [];
  let run: Entity[] = [];
  for (const e of entities) {
    if (run.length === 0) {
      run.push(e);
      continue;
    }
    const [bi, tag] = getTag(e.entity);
    const [, lastTag] = getTag(run[run.length - 1]!.entity);
    if (tag === lastTag && bi !== 'B') run.push(e);
    else {
      groups.push(groupSubEntities(run, decode));
      run = [e];
    }
  }
  if (run.length > 0) groups.push(groupSubEntities(run, decode));
  return groups;
}

/** group_sub_entities: the type from the first member's label (text after the first "-"), the mean score, the decoded words. */
function groupSubEntities(run: Entity[], decode: (tokens: string[]) => string): EntityGroup {
  const label = run[0]!.entity;
  const dash = label.indexOf('-');
  return {
    entity_group: dash < 0 ? label : label.slice(dash + 1),
    score: run.reduce((a, e) => a + e.score, 0) / run.length,
    word: decode(run.map((e) => e.word)),
    start: run[0]!.start,
    end: run[run.length - 1]!.end,
  };
}

/**
 * aggregate_overlapping_entities: the entity groups of a text run in overlapping chunks (HF's
 * `stride` option), merged. Sorted by start, an entity starting inside the previous kept one
 * replaces it when longer, or as long with a higher score.
 */
export function aggregateOverlappingEntities(entities: readonly EntityGroup[]): EntityGroup[] {
  if (entities.length === 0) return [];
  entities.forEach((e, i) => {
    if (e.start === null || e.end === null) throw new Error(`entities[${i}] has no start/end: overlapping chunks need offsets`);
  });
  const sorted = [...entities].sort((a, b) => a.start! - b.start!); // stable, as Python's sorted
  const out: EntityGroup[] = [];
  let previous = sorted[0]!;
  for (const e of sorted) {
    if (previous.start! <= e.start! && e.start! < previous.end!) {
      const length = e.end! - e.start!;
      const previousLength = previous.end! - previous.start!;
      if (length > previousLength || (length === previousLength && e.score > previous.score)) previous = e;
    } else {
      out.push(previous);
      previous = e;
    }
  }
  out.push(previous);
  return out;
}
