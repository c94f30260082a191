#!/usr/bin/python3
# The gensim side of the word2vec benchmark. Run it with Debian's /usr/bin/python3 (gensim
# comes from python3-gensim), not with the pyenv python3 first on PATH.
#
#   /usr/bin/python3 bench/word2vec/gensim_train.py CORPUS --workers 1 --epochs 1 [--out vec.bin] [--eval questions-words.txt]
#   /usr/bin/python3 bench/word2vec/gensim_train.py --evaluate-vectors model.vec --eval questions-words.txt [--peer fasttext]
#
# Prints one JSON line. Training settings are the issue's: skip-gram, dim 100, window 5,
# negative 5 (no hierarchical softmax), minCount 5, sample 1e-3, seed 1, from a line-broken
# file through corpus_file= (gensim's fast path: each worker reads its own byte range).
#
# Speed: the vocabulary is built first with build_vocab() and is NOT part of the timed span;
# only train() is timed (time.perf_counter around it). rawWordsPerSecond is what the issue
# means by words/s: corpus words processed (corpus_total_words x epochs) per second of
# training wall time. effectiveWordsPerSecond is gensim's own count, the words left after
# min_count and subsampling (what gensim's progress log calls "effective words"), per second.
import argparse
import json
import os
import sys
import time


def analogy_result(kv, questions, restrict_vocab):
    score, sections = kv.evaluate_word_analogies(questions, restrict_vocab=restrict_vocab)
    per = []
    sem = [0, 0]
    syn = [0, 0]
    for s in sections:
        if s['section'] == 'Total accuracy':
            continue
        correct, total = len(s['correct']), len(s['correct']) + len(s['incorrect'])
        per.append({'section': s['section'], 'correct': correct, 'total': total,
                    'accuracy': correct / total if total else None})
        acc = syn if s['section'].startswith('gram') else sem
        acc[0] += correct
        acc[1] += total
    with open(questions, encoding='utf8') as f:
        asked = sum(1 for line in f if line.strip() and not line.startswith(':'))
    evaluated = sem[1] + syn[1]
    return {
        'accuracy': score,
        'semantic': sem[0] / sem[1] if sem[1] else None,
        'syntactic': syn[0] / syn[1] if syn[1] else None,
        'questions': asked,           # all questions in the file
        'evaluated': evaluated,       # those whose four words are in the top restrict_vocab words
        'restrictVocab': restrict_vocab,
        'sections': per,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('corpus', nargs='?')
    p.add_argument('--workers', type=int, default=1)
    p.add_argument('--epochs', type=int, default=1)
    p.add_argument('--out', help='save the vectors here, word2vec binary format')
    p.add_argument('--eval', dest='questions', help='questions-words.txt: report analogy accuracy')
    p.add_argument('--restrict-vocab', type=int, default=30000)
    p.add_argument('--evaluate-vectors', help='only evaluate this word2vec text file (a fastText .vec)')
    p.add_argument('--binary', action='store_true', help='--evaluate-vectors file is binary')
    p.add_argument('--peer', default='fasttext', help='peer name to report with --evaluate-vectors')
    a = p.parse_args()

    import gensim
    from gensim.models import Word2Vec, KeyedVectors

    if a.evaluate_vectors:
        if not a.questions:
            p.error('--evaluate-vectors needs --eval QUESTIONS')
        t0 = time.perf_counter()
        kv = KeyedVectors.load_word2vec_format(a.evaluate_vectors, binary=a.binary)
        r = {'peer': a.peer, 'evaluatedWith': 'gensim ' + gensim.__version__, 'vocabSize': len(kv.key_to_index)}
        r.update(analogy_result(kv, a.questions, a.restrict_vocab))
        r['evalSeconds'] = time.perf_counter() - t0
        print(json.dumps(r))
        return

    if not a.corpus:
        p.error('CORPUS is required')
    from gensim.models.word2vec_inner import FAST_VERSION
    from gensim.models.word2vec_corpusfile import CORPUSFILE_VERSION  # noqa: F401 (fails if the corpus_file path is not compiled)

    model = Word2Vec(vector_size=100, window=5, negative=5, hs=0, sg=1, min_count=5, sample=1e-3,
                     workers=a.workers, epochs=a.epochs, seed=1)
    t0 = time.perf_counter()
    model.build_vocab(corpus_file=a.corpus)          # not timed as training
    vocab_seconds = time.perf_counter() - t0
    total_words = model.corpus_total_words

    t0 = time.perf_counter()
    effective, raw = model.train(corpus_file=a.corpus, total_words=total_words, total_examples=model.corpus_count,
                                 epochs=a.epochs)
    seconds = time.perf_counter() - t0

    r = {
        'peer': 'gensim',
        'version': gensim.__version__,
        'fastVersion': FAST_VERSION,
        'workers': a.workers,
        'epochs': a.epochs,
        'seconds': seconds,
        'vocabSeconds': vocab_seconds,
        'corpusWords': total_words,
        'rawWords': raw,
        'effectiveWords': effective,
        'rawWordsPerSecond': total_words * a.epochs / seconds,
        'effectiveWordsPerSecond': effective / seconds,
        'vocabSize': len(model.wv.key_to_index),
        'openblas': {k: v for k, v in os.environ.items() if k.startswith('OPENBLAS')},
    }
    if a.out:
        tmp = '%s.%d.tmp' % (a.out, os.getpid())
        model.wv.save_word2vec_format(tmp, binary=True)
        os.replace(tmp, a.out)
        r['out'] = a.out
    if a.questions:
        r.update(analogy_result(model.wv, a.questions, a.restrict_vocab))
    print(json.dumps(r))


if __name__ == '__main__':
    sys.exit(main())
