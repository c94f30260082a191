// The corpus of the subword tests: words that share stems and suffixes.
import { rng } from '../kernel-tester';

/** A corpus whose words share stems and suffixes (king, kings, kingdom …), so n-grams carry meaning. */
export function morphologyCorpus(sentences: number, seed = 1): string {
  const random = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  const rulers = ['king', 'queen', 'prince', 'princess', 'duke', 'duchess'];
  const places = ['castle', 'city', 'garden', 'river', 'forest', 'tower'];
  const verbs = ['rule', 'see', 'love', 'find', 'keep', 'visit'];
  const lines: string[] = [];
  for (let i = 0; i < sentences; i++) {
    const words: string[] = [];
    for (let j = 0; j < 3; j++) {
      const plural = random() < 0.4;
      words.push('the', pick(rulers) + (plural ? 's' : ''), pick(verbs) + (plural ? '' : 's'), 'the', pick(places) + (random() < 0.3 ? 's' : ''),
        random() < 0.2 ? 'ünd' : 'then');
    }
    lines.push(words.join(' '));
  }
  return lines.join('\n');
}
