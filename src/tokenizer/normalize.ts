// The library's normalizers, run with alignment: each step builds its string the way
// tokenizers' NormalizedString does (see aligned.ts), then is reconciled with the library's own
// output for that step, so the normalized text is always exactly the library's.
import { Aligned, mapClusters, prependAligned, reconcile, replaceAligned, stripAligned } from './aligned';
import type { LibNormalizer } from './internals';

export function normalizeAligned(n: LibNormalizer, a: Aligned): Aligned {
  const type = n.config?.type;
  if (type === 'Sequence') {
    return (n.normalizers ?? []).reduce<Aligned>((acc, child) => (child ? normalizeAligned(child, acc) : acc), a);
  }
  let candidate: Aligned;
  switch (type) {
    case 'Replace':
      candidate = n.pattern ? replaceAligned(a, n.pattern, String(n.config['content'] ?? '')) : a;
      break;
    case 'Strip':
      candidate = stripAligned(a, !!n.config['strip_left'], !!n.config['strip_right']);
      break;
    case 'Prepend':
      candidate = prependAligned(a, String(n.config['prepend']));
      break;
    default:
      // BertNormalizer, Precompiled, NFC/NFD/NFKC/NFKD, Lowercase, StripAccents: cluster by cluster
      candidate = mapClusters(a, (s) => n.normalize(s));
  }
  return reconcile(candidate, n.normalize(a.text));
}

/** tokenizer_config.json's remove_space (XLNet, ALBERT): trim, then one space for each run of whitespace. */
export function removeSpaceAligned(a: Aligned): Aligned {
  const candidate = replaceAligned(stripAligned(a, true, true), /\s+/g, ' ');
  return reconcile(candidate, a.text.trim().split(/\s+/).join(' '));
}

/** tokenizer_config.json's do_lowercase_and_remove_accent (XLM): as the library's lowercase_and_remove_accents. */
export function lowercaseAndRemoveAccentAligned(a: Aligned): Aligned {
  const f = (s: string) => s.toLowerCase().replace(/\p{M}/gu, '');
  return reconcile(mapClusters(a, f), f(a.text));
}
