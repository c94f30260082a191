// The k best of many scores without sorting them all: a bounded heap whose root is the worst
// of the best k so far, O(N log k). "Better" is the higher score, and on equal scores the lower
// id, so that ties come out in corpus order, as a stable sort of sentence-transformers' would.

export interface Hit {
  corpusId: number;
  score: number;
}

/** Keeps the k best hits pushed into it. */
export class TopK {
  private readonly ids: Int32Array;
  private readonly scores: Float64Array;
  private size = 0;

  constructor(readonly k: number) {
    this.ids = new Int32Array(k);
    this.scores = new Float64Array(k);
  }

  /** The score a new hit must beat (or tie with a lower id) to get in, once full; -Infinity before. */
  get threshold(): number {
    return this.size < this.k ? -Infinity : this.scores[0]!;
  }

  push(id: number, score: number): void {
    if (this.size < this.k) {
      this.ids[this.size] = id;
      this.scores[this.size] = score;
      this.up(this.size++);
    } else if (better(score, id, this.scores[0]!, this.ids[0]!)) {
      this.ids[0] = id;
      this.scores[0] = score;
      this.down(0);
    }
  }

  /** The hits kept, best first. */
  sorted(): Hit[] {
    const out: Hit[] = [];
    for (let i = 0; i < this.size; i++) out.push({ corpusId: this.ids[i]!, score: this.scores[i]! });
    return out.sort((x, y) => y.score - x.score || x.corpusId - y.corpusId);
  }

  // A min-heap under `better`: a parent is worse than its children.
  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!better(this.scores[p]!, this.ids[p]!, this.scores[i]!, this.ids[i]!)) return;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let worst = i;
      if (l < this.size && better(this.scores[worst]!, this.ids[worst]!, this.scores[l]!, this.ids[l]!)) worst = l;
      if (r < this.size && better(this.scores[worst]!, this.ids[worst]!, this.scores[r]!, this.ids[r]!)) worst = r;
      if (worst === i) return;
      this.swap(i, worst);
      i = worst;
    }
  }

  private swap(i: number, j: number): void {
    const id = this.ids[i]!, s = this.scores[i]!;
    this.ids[i] = this.ids[j]!;
    this.scores[i] = this.scores[j]!;
    this.ids[j] = id;
    this.scores[j] = s;
  }
}

/** Hit (s1, id1) ranks above (s2, id2). */
function better(s1: number, id1: number, s2: number, id2: number): boolean {
  return s1 > s2 || (s1 === s2 && id1 < id2);
}
