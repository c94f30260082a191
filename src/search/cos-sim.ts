// Cosine similarity as sentence-transformers' util.cos_sim computes it: each vector divided by
// max(‖v‖, 1e-12) (F.normalize), then dot products. Here in f64, as the reference the search's
// f32 GEMM is measured against.

/** A vector: a Float32Array (what embed returns) or any array of numbers. */
export type Vector = ArrayLike<number>;

const EPS = 1e-12;

/**
 * cosSim(a, b) for two vectors: their cosine similarity, a number (0 when either is all zeros).
 * With an array of vectors on either side, the matrix util.cos_sim gives: row i, column j is
 * cosSim(a[i], b[j]), as Float32Array rows (a single vector counts as one row).
 */
export function cosSim(a: Vector, b: Vector): number;
export function cosSim(a: Vector | readonly Vector[], b: Vector | readonly Vector[]): Float32Array[];
export function cosSim(a: Vector | readonly Vector[], b: Vector | readonly Vector[]): number | Float32Array[] {
  const aRows = rowsOf(a, 'a'), bRows = rowsOf(b, 'b');
  // a, or a[i] when a is an array of vectors: how messages name a vector.
  const name = (side: 'a' | 'b', single: boolean, i: number) => (single ? side : `${side}[${i}]`);
  const D = aRows.rows[0]!.length;
  for (const [side, { rows, single }] of [['a', aRows], ['b', bRows]] as const) {
    rows.forEach((v, i) => {
      if (v.length !== D) throw new Error(`cosSim: ${name(side, single, i)} has ${v.length} dimensions, ${name('a', aRows.single, 0)} has ${D}`);
    });
  }
  const an = aRows.rows.map((v, i) => normalized(v, name('a', aRows.single, i), 'cosSim'));
  const bn = bRows.rows.map((v, i) => normalized(v, name('b', bRows.single, i), 'cosSim'));
  if (aRows.single && bRows.single) return dot(an[0]!, bn[0]!);
  return an.map((x) => Float32Array.from(bn, (y) => dot(x, y)));
}

/** v / max(‖v‖, 1e-12) in f64; a non-finite element is refused, naming `name`. */
export function normalized(v: Vector, name: string, method: string): Float64Array {
  const out = Float64Array.from(v as ArrayLike<number>);
  let sum = 0;
  for (let j = 0; j < out.length; j++) {
    const x = out[j]!;
    if (!Number.isFinite(x)) throw new Error(`${method}: ${name} has a non-finite element (${x} at ${j})`);
    sum += x * x;
  }
  const norm = Math.max(Math.sqrt(sum), EPS);
  for (let j = 0; j < out.length; j++) out[j] = out[j]! / norm;
  return out;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j]! * b[j]!;
  return s;
}

function isVector(x: unknown): x is Vector {
  return ArrayBuffer.isView(x) || (Array.isArray(x) && (x.length === 0 || typeof x[0] === 'number'));
}

/** A vector as one row, or an array of vectors; refuses anything else and empty input. */
function rowsOf(x: Vector | readonly Vector[], name: string): { rows: readonly Vector[]; single: boolean } {
  if (isVector(x)) {
    if (x.length === 0) throw new Error(`cosSim: ${name} is an empty vector`);
    return { rows: [x], single: true };
  }
  if (!Array.isArray(x) || x.length === 0) throw new Error(`cosSim: ${name} must be a vector (Float32Array, number[]) or a non-empty array of vectors`);
  x.forEach((v, i) => {
    if (!isVector(v)) throw new Error(`cosSim: ${name}[${i}] is not a vector (Float32Array or number[])`);
  });
  if (x[0]!.length === 0) throw new Error(`cosSim: ${name}[0] is an empty vector`);
  return { rows: x as readonly Vector[], single: false };
}
