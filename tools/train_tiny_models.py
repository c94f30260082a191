#!/usr/bin/python3
"""Trains the three tiny real transformer models shipped in data/models/ (issue 6, part 1; issue 15).

    /usr/bin/python3 tools/train_tiny_models.py [translator|classifier|storyteller|all] [outdir]   # default: all, data/models

- number-translator: a Marian encoder-decoder that turns spelled-out English numbers into digits and back,
  the direction chosen by a target-style control token as in opus-mt multilingual models:
  ">>digits<< three hundred forty two" -> "342", ">>words<< 342" -> "three hundred forty two".
- book-classifier: a BERT encoder with BertForSequenceClassification's head (CLS token, pooler, classifier)
  that tells which book of data/corpus-pd4m.txt.gz a 32-word passage comes from.
- tiny-storyteller: a LlamaForCausalLM (RMSNorm, RoPE, SwiGLU, grouped-query attention) with a byte-level
  BPE, trained on Moby Dick as the corpus has it, for the demo's text-generation panel.

The models' math is the plain-torch forward passes of tools/make_transformer_fixtures.py (BERT, Marian) and
tools/make_decoder_fixtures.py (Llama): Hugging Face's parameter names and operations, checked there against
torch.nn or an independent formulation, imported, not copied: training backpropagates through them (the
Llama's through the same operations without that module's f64 cross-checks, checked equal before writing), and
the reference outputs are what they compute on the shipped weights.
Those functions read their sizes from the module's BERT and MARIAN dicts, so this script points those at
its own models' sizes. Weights are stored as float16 (each folder stays under 3 MB); every accuracy and
reference output below is computed with the float16-rounded weights, i.e. with the model as shipped.

Debian's torch 1.13 on the CPU, 1 thread, fixed seeds. The translator and the classifier each need about 8
minutes of CPU time (0.14 s a step). On the shared 2-core machine, with the load average between 7 and 20,
that was 23 to 30 minutes of wall time. The storyteller needs about 5 minutes (its BPE 1 to 2, 650 steps of
0.3 to 0.5 s). A second run gives the same files; only the "seconds" in reference.json differ. The JS side is
checked against reference.json by tests/transformer/tiny-models.test.ts (translator, classifier) and
tests/browser/demo.test.ts and tests/cli/demo.test.ts (storyteller).
"""

import functools
import gzip
import math
import os
import random
import re
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_decoder_fixtures as dx  # noqa: E402
import make_tokenizer_fixtures as tx  # noqa: E402
import make_transformer_fixtures as fx  # noqa: E402

torch.set_num_threads(1)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
# The position table is a pure function of (P, D) that the fixture code rebuilds with Python loops on every
# forward pass; cached here because training runs thousands of passes.
fx.marian_sinusoidal_table = functools.lru_cache(maxsize=None)(fx.marian_sinusoidal_table)


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ----------------------------------------------------------------------------------------------
# Training helpers shared by both models
# ----------------------------------------------------------------------------------------------


def hf_init(w, pad_rows):
    """Hugging Face's _init_weights on the fixture module's parameter dict: Linear and Embedding weights
    N(0, 0.02), biases 0, LayerNorm weight 1 and bias 0, the padding row of each embedding 0
    (nn.Embedding(padding_idx)), final_logits_bias 0 (a buffer in MarianMTModel, never trained)."""
    for name, t in w.items():
        if name == "final_logits_bias" or name.endswith(".bias"):
            t.zero_()
        elif t.dim() == 1:
            t.fill_(1.0)
        else:
            t.normal_(0.0, 0.02)
    for name, row in pad_rows.items():
        w[name][row].zero_()
    return w


def train(w, pad_rows, frozen, batches, steps, loss_fn, lr, warmup, label):
    """AdamW with linear warm-up and linear decay, gradient clipping at 1. The embeddings' padding rows
    get no gradient (as nn.Embedding(padding_idx) gives none); `frozen` tensors are not trained."""
    params = {k: v.requires_grad_(True) for k, v in w.items() if k not in frozen}
    opt = torch.optim.AdamW(params.values(), lr=lr, betas=(0.9, 0.98), weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup))))
    t0, running = time.time(), None
    for step in range(steps):
        loss = loss_fn(*next(batches))
        opt.zero_grad()
        loss.backward()
        for name, row in pad_rows.items():
            w[name].grad[row].zero_()
        torch.nn.utils.clip_grad_norm_(params.values(), 1.0)
        opt.step()
        sched.step()
        running = float(loss) if running is None else 0.98 * running + 0.02 * float(loss)
        if step % 100 == 0 or step == steps - 1:
            log(f"{label} step {step + 1}/{steps} loss {running:.4f} ({time.time() - t0:.0f} s)")
    for v in w.values():
        v.requires_grad_(False)
    return time.time() - t0


def as_shipped(w):
    """The float16 weights written to model.safetensors, and the float32 values a loader gets back."""
    half = {k: v.detach().to(torch.float16) for k, v in w.items()}
    return half, {k: v.to(torch.float32) for k, v in half.items()}


def folder_size(d):
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))


# ----------------------------------------------------------------------------------------------
# Number translator (Marian)
# ----------------------------------------------------------------------------------------------
# Numbers 0..999,999 in American English without "and", hyphens or commas (text8 style, as the corpus):
# 342 -> "three hundred forty two", 100000 -> "one hundred thousand", 1005 -> "one thousand five".
# Digits are written plainly ("342000"). The tokenizer is Marian's (SentencePiece Unigram behind a Metaspace
# pre-tokenizer): every word is one piece "▁three", a number's first digit is "▁3" and the others are the
# bare digits "4", "2", so each digit is one token and the Metaspace decoder joins them without spaces.
# (@huggingface/tokenizers 0.2.0 has no WordLevel model; Unigram with one segmentation per word is the same.)

ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen").split()
TENS = "- - twenty thirty forty fifty sixty seventy eighty ninety".split()
TO_DIGITS, TO_WORDS = ">>digits<<", ">>words<<"


def below_thousand(n):
    words = []
    if n >= 100:
        words += [ONES[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        words.append(TENS[n // 10])
        n %= 10
    if n:
        words.append(ONES[n])
    return words


def number_words(n):
    assert 0 <= n < 1_000_000
    if n == 0:
        return "zero"
    words = below_thousand(n // 1000) + ["thousand"] if n >= 1000 else []
    return " ".join(words + below_thousand(n % 1000))


# d 64, 2 + 2 layers, FFN 4x: 0.24 M parameters. Positions are computed, not stored.
# EMB_STD and EOS_BIAS only feed the fixture module's random init, which hf_init then replaces.
TRANSLATOR = dict(V=55, D=64, H=4, F=256, LE=2, LD=2, P=64, EPS=1e-5, EOS=0, UNK=1, PAD=54,
                  EMB_STD=0.02, EOS_BIAS=0.0, SEED=20261129, STEPS=3000, BATCH=64, LR=2e-3, WARMUP=200, MAX_LENGTH=16)


def translator_vocab():
    """Marian's layout: </s> = 0, <unk> = 1, the pieces, <pad> = the last id (also the decoder start).
    Each word has exactly one segmentation, so the Unigram scores only need to be valid log-probabilities."""
    pieces = ["▁" + TO_DIGITS, "▁" + TO_WORDS] + ["▁" + w for w in ONES + TENS[2:] + ["hundred", "thousand"]]
    pieces += ["▁" + d for d in "0123456789"] + list("0123456789")
    vocab = [("</s>", 0.0), ("<unk>", 0.0)] + [(p, -3.0) for p in pieces] + [("<pad>", 0.0)]
    assert len(vocab) == TRANSLATOR["V"] and vocab[TRANSLATOR["PAD"]][0] == "<pad>"
    return vocab


def translator_split(rng):
    """Held-out numbers, disjoint from every number trained on: 10% of the 2-digit numbers and 100 of each
    of the 3- to 6-digit lengths. The ten 1-digit numbers are all trained on (holding one out would leave
    the model never having seen it alone)."""
    held = set(rng.sample(range(10, 100), 9))
    for k in range(3, 7):
        held.update(rng.sample(range(10 ** (k - 1), 10 ** k), 100))
    return sorted(held)


def translation_pair(n, to_digits):
    words = number_words(n)
    return (f"{TO_DIGITS} {words}", str(n)) if to_digits else (f"{TO_WORDS} {n}", words)


def translator_batches(rng, held, vocab):
    """Endless training batches: a digit count 1..6 uniformly, then a number of that length uniformly
    (never a held-out one), and a direction at random."""
    c, held = TRANSLATOR, set(held)
    tok = functools.lru_cache(maxsize=None)(lambda text: tuple(fx.marian_tokenize(text, vocab)))
    while True:
        src, tgt = [], []
        while len(src) < c["BATCH"]:
            k = rng.randint(1, 6)
            n = rng.randrange(0 if k == 1 else 10 ** (k - 1), 10 ** k)
            if n in held:
                continue
            s, t = translation_pair(n, rng.random() < 0.5)
            src.append(list(tok(s)))
            tgt.append(list(tok(t)))
        ids, mask, _ = fx.pad_batch(src, c["PAD"])
        dec_in, _, _ = fx.pad_batch([[c["PAD"]] + t[:-1] for t in tgt], c["PAD"])  # shift_tokens_right
        labels, lmask, _ = fx.pad_batch(tgt, c["PAD"])
        yield ids, mask, dec_in, labels.masked_fill(lmask == 0, -100)


def translator_loss(w):
    def loss(ids, mask, dec_in, labels):
        enc = fx.marian_encode(w, ids, mask)[-1]
        _, logits = fx.marian_decode(w, dec_in, enc, mask)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)
    return loss


def greedy(w, texts, vocab):
    """Greedy decoding of a batch and of each text alone; they must agree. Returns the input ids, the
    output ids (start token to EOS), and the smallest top-1 minus top-2 score of a chosen token."""
    c = TRANSLATOR
    seqs = [fx.marian_tokenize(t, vocab) for t in texts]
    ids, mask, _ = fx.pad_batch(seqs, c["PAD"])
    with torch.no_grad():
        gen, margins = fx.marian_greedy(w, ids, mask, c["MAX_LENGTH"])
    rows = []
    for b, s in enumerate(seqs):
        row = gen[b].tolist()
        rows.append(row[: row.index(c["EOS"]) + 1] if c["EOS"] in row else row)
        with torch.no_grad():
            alone = fx.marian_greedy(w, torch.tensor([s]), torch.ones(1, len(s), dtype=torch.long), c["MAX_LENGTH"])[0]
        assert alone[0].tolist()[: len(rows[-1])] == rows[-1], f"greedy batch vs alone: {texts[b]!r}"
    return seqs, rows, min(min(m) for m in margins if m)


def make_translator(outdir):
    c = TRANSLATOR
    fx.MARIAN = c
    d = os.path.join(outdir, "number-translator")
    os.makedirs(d, exist_ok=True)
    vocab = translator_vocab()
    rng = random.Random(c["SEED"])
    held = translator_split(rng)
    torch.manual_seed(c["SEED"])
    w = hf_init(fx.marian_weights(), {"model.shared.weight": c["PAD"]})
    log(f"translator: {sum(v.numel() for v in w.values()):,} parameters, {len(held)} held-out numbers")
    seconds = train(w, {"model.shared.weight": c["PAD"]}, {"final_logits_bias"},
                    translator_batches(rng, held, vocab), c["STEPS"], translator_loss(w), c["LR"], c["WARMUP"],
                    "translator")
    half, shipped = as_shipped(w)

    examples, accuracy = [], {}
    for direction, to_digits in (("words_to_digits", True), ("digits_to_words", False)):
        pairs = [translation_pair(n, to_digits) for n in held]
        texts = [s for s, _ in pairs]
        src_ids, rows, margin = greedy(shipped, texts, vocab)
        outs = [fx.marian_detokenize(r, vocab) for r in rows]
        right = sum(o == t for o, (_, t) in zip(outs, pairs))
        accuracy[direction] = right / len(pairs)
        log(f"translator {direction}: {right}/{len(pairs)} exact ({100 * accuracy[direction]:.1f}%), "
            f"smallest greedy margin {margin:.4f}")
        assert margin > 1e-3, "a greedy choice is too close to a tie to be a stable reference"
        for (s, t), ids, r, o in zip(pairs, src_ids, rows, outs):
            examples.append({"direction": direction, "text": s, "input_ids": ids, "expected": t,
                             "output_ids": r, "output": o, "correct": o == t})

    fx.write_safetensors(os.path.join(d, "model.safetensors"), half)
    cfg = fx.marian_config()
    cfg.update(torch_dtype="float16", max_length=c["MAX_LENGTH"], num_beams=1, dropout=0.0)
    fx.write_json(os.path.join(d, "config.json"), cfg)
    gen = fx.marian_generation_config()
    gen.update(max_length=c["MAX_LENGTH"], num_beams=1)
    fx.write_json(os.path.join(d, "generation_config.json"), gen)
    fx.write_json(os.path.join(d, "tokenizer.json"), fx.marian_tokenizer_json(vocab))
    tcfg = fx.marian_tokenizer_config()
    for k in ("source_lang", "target_lang"):
        tcfg.pop(k)
    tcfg["model_max_length"] = c["P"]
    fx.write_json(os.path.join(d, "tokenizer_config.json"), tcfg)
    ref = {
        "model": "number-translator",
        "notes": "Held-out numbers (never trained on), both directions. output_ids: torch's greedy decoding "
                 "(Hugging Face's generate rules, num_beams 1) with the float16 weights, start token to EOS; "
                 "output: its detokenization; correct: output == expected.",
        "generation": {"num_beams": 1, "max_length": c["MAX_LENGTH"]},
        "accuracy": accuracy,
        "training": {"steps": c["STEPS"], "batch": c["BATCH"], "seconds": round(seconds, 1),
                     "threads": torch.get_num_threads(), "torch": torch.__version__, "seed": c["SEED"]},
        "examples": examples,
    }
    fx.write_json(os.path.join(d, "reference.json"), ref, compact=True)
    log(f"translator: wrote {d} ({folder_size(d):,} bytes)")
    return ref


# ----------------------------------------------------------------------------------------------
# Book classifier (BERT)
# ----------------------------------------------------------------------------------------------
# The corpus is the texts one after another with no markers (data/README.md). Each book is found by its
# opening words and ends at its closing words, both searched in corpus order; what lies between (titles,
# prefaces, Project Gutenberg notices) is left out. Found this way (token offsets in the corpus):
# Emma, Mansfield Park, Northanger Abbey, Persuasion, Pride and Prejudice, Sense and Sensibility (Austen's
# six novels), The War of the Worlds, Twenty Thousand Leagues, a second copy of Pride and Prejudice (left
# out: it would put held-out passages into the training set), Great Expectations, then ~185k tokens that are
# only book titles repeated ("the war of the worlds the war of ...", left out), Moby Dick, the King James
# Bible, and the State of the Union addresses (one class, though not a book).
# Labels: each distinct book, Austen's six novels separately (character and place names tell them apart).

BOOKS = [  # (label, opening words, closing words)
    ("Emma", "emma woodhouse handsome clever and rich", "fully answered in the perfect happiness of the union"),
    ("Mansfield Park", "about thirty years ago miss maria ward", "view and patronage of mansfield park had long been"),
    ("Northanger Abbey", "no one who had ever seen catherine morland", "parental tyranny or reward filial disobedience"),
    ("Persuasion", "sir walter elliot of kellynch hall", "domestic virtues than in its national importance"),
    ("Pride and Prejudice", "it is a truth universally acknowledged", "had been the means of uniting them"),
    ("Sense and Sensibility", "the family of dashwood had long been settled", "or producing coolness between their husbands"),
    ("The War of the Worlds", "no one would have believed in the last years", "she has counted me among the dead"),
    ("Twenty Thousand Leagues under the Sea", "the year one eight six six was signalised",
     "the right to give an answer captain nemo and myself"),
    ("Great Expectations", "my father s family name being pirrip", "i saw no shadow of another parting from her"),
    ("Moby Dick", "call me ishmael some years ago", "missing children only found another orphan"),
    ("King James Bible", "in the beginning god created the heaven",
     "even so come lord jesus the grace of our lord jesus christ be with you all amen"),
    ("State of the Union addresses", "fellow citizens of the senate and house of representatives", None),
]

# d 64, 2 layers, FFN 4x, 8,000 tokens: 0.62 M parameters (mostly the embeddings).
CLASSIFIER = dict(V=8000, D=64, H=4, F=256, L=2, P=64, TYPES=2, EPS=1e-12, LABELS=[b[0] for b in BOOKS],
                  SEED=20261130, WINDOW=32, HELD_OUT=0.1, STEPS=3500, BATCH=64, LR=2e-3, WARMUP=150,
                  EVAL_PER_BOOK=400, REFERENCE_PER_BOOK=20, MIN_MARGIN=1e-4)


def find(tokens, phrase, start):
    """Token offset of the first occurrence of phrase at or after start."""
    words = phrase.split()
    i = start
    while True:
        i = tokens.index(words[0], i)
        if tokens[i : i + len(words)] == words:
            return i
        i += 1


def book_spans(tokens):
    spans, pos = [], 0
    for label, opening, closing in BOOKS:
        begin = find(tokens, opening, pos)
        end = find(tokens, closing, begin) + len(closing.split()) if closing else len(tokens)
        spans.append((label, begin, end))
        pos = end
    return spans


def windows(tokens, begin, end, size, stride):
    return [" ".join(tokens[i : i + size]) for i in range(begin, end - size + 1, stride)]


def classifier_data(tokens):
    """Per book: training windows (32 words, stride 8) from its first 90%, held-out windows (32 words,
    not overlapping) from its last 10%, with one window's gap so no held-out word is in a training window."""
    c, data = CLASSIFIER, []
    for label, begin, end in book_spans(tokens):
        cut = end - int((end - begin) * c["HELD_OUT"])
        train_w = windows(tokens, begin, cut - c["WINDOW"], c["WINDOW"], 8)
        held_w = list(range(cut, end - c["WINDOW"] + 1, c["WINDOW"]))  # start offsets
        log(f"  {label:<38s} tokens {begin:>9,}..{end:>9,}  train windows {len(train_w):>7,}  held-out {len(held_w):>6,}")
        data.append((label, (begin, cut - c["WINDOW"]), train_w, held_w))
    return data


def classifier_vocab(tokens, data):
    """[PAD] [UNK] [CLS] [SEP] [MASK], then the V − 5 words with the highest frequency summed over the books'
    training portions, each book's counts divided by its length (so the Bible and the addresses, a third and
    a half of the corpus, do not crowd out the novels' names). No '##' pieces: a word outside the vocabulary
    is one [UNK], which is also what WordPiece gives."""
    score = {}
    for _, (begin, cut), _, _ in data:
        counts = {}
        for t in tokens[begin:cut]:
            counts[t] = counts.get(t, 0) + 1
        for t, n in counts.items():
            score[t] = score.get(t, 0.0) + n / (cut - begin)
    words = sorted(score, key=lambda t: (-score[t], t))[: CLASSIFIER["V"] - len(fx.BERT_SPECIAL)]
    return fx.BERT_SPECIAL + words


def encode_windows(texts, index):
    """[CLS] word ids [SEP]; every window has the same number of words, so no padding."""
    unk, cls, sep = index["[UNK]"], index["[CLS]"], index["[SEP]"]
    return torch.tensor([[cls] + [index.get(t, unk) for t in s.split()] + [sep] for s in texts], dtype=torch.long)


def classifier_batches(rng, data, index):
    """Endless balanced batches: each example picks a book uniformly, then one of its training windows."""
    c = CLASSIFIER
    while True:
        books = [rng.randrange(len(data)) for _ in range(c["BATCH"])]
        ids = encode_windows([rng.choice(data[b][2]) for b in books], index)
        yield ids, torch.tensor(books)


def classifier_logits(w, ids):
    return fx.bert_forward(w, ids, torch.zeros_like(ids), torch.ones_like(ids))["logits"]


def evenly(xs, n):
    return xs if len(xs) <= n else [xs[(i * len(xs)) // n] for i in range(n)]


def make_classifier(outdir):
    c = CLASSIFIER
    fx.BERT = c
    d = os.path.join(outdir, "book-classifier")
    os.makedirs(d, exist_ok=True)
    with gzip.open(os.path.join(ROOT, "data", "corpus-pd4m.txt.gz"), "rt") as f:
        tokens = f.read().split()
    log(f"classifier: corpus {len(tokens):,} tokens; books:")
    data = classifier_data(tokens)
    vocab = classifier_vocab(tokens, data)
    index = {t: i for i, t in enumerate(vocab)}
    sample = " ".join(tokens[data[0][3][0] : data[0][3][0] + c["WINDOW"]])
    assert encode_windows([sample], index)[0].tolist() == [index["[CLS]"]] + fx.bert_tokenize(sample, vocab) + [index["[SEP]"]]
    rng = random.Random(c["SEED"])
    torch.manual_seed(c["SEED"])
    pads = {"bert.embeddings.word_embeddings.weight": 0}
    w = hf_init(fx.bert_weights(), pads)
    log(f"classifier: {sum(v.numel() for v in w.values()):,} parameters, {len(vocab)} tokens")
    seconds = train(w, pads, set(), classifier_batches(rng, data, index), c["STEPS"],
                    lambda ids, y: F.cross_entropy(classifier_logits(w, ids), y), c["LR"], c["WARMUP"], "classifier")
    half, shipped = as_shipped(w)

    per_book, right_all, n_all, reference, passages = {}, 0, 0, [], []
    for b, (label, _, _, held) in enumerate(data):
        starts = evenly(held, c["EVAL_PER_BOOK"])
        texts = [" ".join(tokens[i : i + c["WINDOW"]]) for i in starts]
        with torch.no_grad():
            pred = classifier_logits(shipped, encode_windows(texts, index)).argmax(-1)
        passages += [[b, i, int(p)] for i, p in zip(starts, pred)]
        right = int((pred == b).sum())
        per_book[label] = right / len(texts)
        right_all, n_all = right_all + right, n_all + len(texts)
        log(f"  {label:<38s} held-out accuracy {100 * per_book[label]:5.1f}% of {len(texts)}")
        reference += [(t, b) for t in evenly(texts, c["REFERENCE_PER_BOOK"])]
    log(f"classifier: held-out accuracy {100 * right_all / n_all:.1f}% over {n_all} passages")

    texts = [t for t, _ in reference]
    ids = encode_windows(texts, index)
    with torch.no_grad():
        logits = classifier_logits(shipped, ids)
    probs = torch.softmax(logits, dim=-1)
    top2 = probs.topk(2, dim=-1).values
    margin = float((top2[:, 0] - top2[:, 1]).min())
    assert margin > c["MIN_MARGIN"], "a reference prediction is too close to a tie to be a stable reference"
    examples = [{"text": t, "input_ids": ids[i].tolist(), "label": c["LABELS"][b],
                 "logits": [float(x) for x in logits[i]], "probabilities": [float(x) for x in probs[i]],
                 "predicted": c["LABELS"][int(probs[i].argmax())]}
                for i, (t, b) in enumerate(reference)]
    ref_right = sum(e["predicted"] == e["label"] for e in examples)

    fx.write_safetensors(os.path.join(d, "model.safetensors"), half)
    cfg = fx.bert_config()
    cfg.update(torch_dtype="float16", hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    fx.write_json(os.path.join(d, "config.json"), cfg)
    fx.write_json(os.path.join(d, "tokenizer.json"), fx.bert_tokenizer_json(vocab))
    fx.write_json(os.path.join(d, "tokenizer_config.json"), fx.bert_tokenizer_config(c["P"]))
    ref = {
        "model": "book-classifier",
        "notes": f"Passages of {c['WINDOW']} words from the last 10% of each book (never trained on). "
                 "accuracy: over up to "
                 f"{c['EVAL_PER_BOOK']} evenly spaced held-out passages per book (accuracy_passages); "
                 "reference_accuracy: over the "
                 "examples below. logits and probabilities: torch with the float16 weights, in label order.",
        "labels": c["LABELS"],
        "accuracy": {"overall": right_all / n_all, "passages": n_all, "per_book": per_book},
        # every passage the accuracy counts, as [true label index, token offset in the corpus, torch's
        # predicted label index]: the passage is the WINDOW words from that offset of data/corpus-pd4m.txt.gz
        "accuracy_passages": {"window": c["WINDOW"], "passages": passages},
        "reference_accuracy": ref_right / len(examples),
        "smallest_top2_margin": margin,
        "books": [{"label": label, "train_tokens": [begin, cut], "held_out_windows": len(held)}
                  for label, (begin, cut), _, held in data],
        "training": {"steps": c["STEPS"], "batch": c["BATCH"], "seconds": round(seconds, 1),
                     "threads": torch.get_num_threads(), "torch": torch.__version__, "seed": c["SEED"]},
        "examples": examples,
    }
    fx.write_json(os.path.join(d, "reference.json"), ref, compact=True)
    log(f"classifier: reference accuracy {100 * ref['reference_accuracy']:.1f}% over {len(examples)}; "
        f"wrote {d} ({folder_size(d):,} bytes)")
    return ref


# ----------------------------------------------------------------------------------------------
# Tiny storyteller (Llama causal LM)
# ----------------------------------------------------------------------------------------------
# A LlamaForCausalLM (RMSNorm, RoPE, SwiGLU, grouped-query attention: 4 query heads sharing 2 key/value
# heads, tied head) trained on Moby Dick as data/corpus-pd4m.txt.gz has it (text8 style: lower-case words,
# no punctuation), found by its BOOKS entry. The last 5% of the book is held out for the validation loss.
# The math is make_decoder_fixtures.llama_forward's (Hugging Face's modeling_llama.py), imported: training
# runs story_logits, the same operations without that function's f64 cross-checks, and the script checks
# the two agree on the shipped weights before writing anything; every reference output is llama_forward's.
#
# Tokenizer: byte-level BPE, GPT-2's layout (ByteLevel pre-tokenizer and decoder), trained here with
# make_tokenizer_fixtures.train_bpe on the training part. Its normalizer maps any prompt into the
# corpus's alphabet, so what a user types is text the model has seen: Lowercase, every run of
# characters other than a-z to one space, Strip; then ByteLevel adds the space before the first word that
# every other word has. The vocabulary is <|endoftext|> (id 0, bos and eos, never trained on, so
# generation runs to max_new_tokens), the 27 symbols 'Ġ' a..z, then one token per merge.

STORY = dict(D=96, H=4, KVH=2, F=256, L=3, T=128, MERGES=1000, THETA=10000.0, SEED=20261206, STEPS=650,
             BATCH=24, LR=4e-3, WARMUP=50, HELD_OUT=0.05, EVAL_BATCHES=16,
             # generation_config.json: sampling, as a story wants (greedy search loops on "the whale").
             GENERATION=dict(do_sample=True, temperature=0.8, top_k=40, top_p=1.0, max_new_tokens=80),
             PROMPTS=["call me ishmael", "the white whale", "captain ahab stood upon the deck",
                      "the harpooneer", "queequeg"],
             REFERENCE_PROMPTS=3, NEW=32, SAMPLES=2, MIN_MARGIN=1e-3, MIN_GAP=1e-5)
STORY_EOS = "<|endoftext|>"


def story_variant():
    """The dict make_decoder_fixtures.llama_forward and llama_config read."""
    c = STORY
    return dict(model_type="llama", arch="LlamaForCausalLM", D=c["D"], H=c["H"], KVH=c["KVH"], Dh=None, F=c["F"],
                L=c["L"], theta=c["THETA"], rope_scaling=None, tie=True)


def story_normalize(text):
    """The tokenizer's normalizer (Lowercase, Replace [^a-z]+ -> ' ', Strip) and ByteLevel's prefix space."""
    t = re.sub("[^a-z]+", " ", text.lower()).strip()
    return " " + t if t else ""


class StoryTokenizer:
    def __init__(self, merges):
        self.merges = merges
        self.ranks = {m: i for i, m in enumerate(merges)}
        # The normalized text's alphabet: the space (as ByteLevel writes it) and a-z.
        symbols = [tx.BYTE_ENCODER[ord(" ")]] + list("abcdefghijklmnopqrstuvwxyz")
        assert {ch for a, b in merges for ch in a + b} <= set(symbols)
        self.vocab = {STORY_EOS: 0}
        for t in symbols + [a + b for a, b in merges]:
            assert t not in self.vocab, t
            self.vocab[t] = len(self.vocab)
        self.tokens = list(self.vocab)
        self.byte_decoder = {ch: b for b, ch in tx.BYTE_ENCODER.items()}
        self.cache = {}

    def encode(self, text):
        """ByteLevel pre-tokenization (GPT-2's regex, bytes as characters) of the normalized text, then
        GPT-2's bpe() on each pre-token."""
        ids = []
        for word in tx.GPT2_PATTERN.findall(story_normalize(text)):
            if word not in self.cache:
                chars = "".join(tx.BYTE_ENCODER[b] for b in word.encode("utf-8"))
                self.cache[word] = [self.vocab[p] for p in tx.gpt2_bpe(chars, self.ranks)]
            ids += self.cache[word]
        return ids

    def decode(self, ids):
        """ByteLevel decoder, special tokens skipped."""
        chars = "".join(self.tokens[i] for i in ids if i != 0)
        return bytes(self.byte_decoder[ch] for ch in chars).decode("utf-8", errors="replace")

    def tokenizer_json(self):
        byte_level = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
        return {
            "version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [tx.added_token(0, STORY_EOS)],
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "Lowercase"},
                {"type": "Replace", "pattern": {"Regex": "[^a-z]+"}, "content": " "},
                {"type": "Strip", "strip_left": True, "strip_right": True}]},
            "pre_tokenizer": byte_level,
            "post_processor": {**byte_level, "add_prefix_space": False},  # GPT-2's: no BOS
            "decoder": byte_level,
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                      "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                      "vocab": self.vocab, "merges": [f"{a} {b}" for a, b in self.merges]},
        }


def story_text(tokens):
    """Moby Dick's words: the BOOKS entry's span of the corpus."""
    label, begin, end = next(s for s in book_spans(tokens) if s[0] == "Moby Dick")
    return tokens[begin:end]


@functools.lru_cache(maxsize=None)
def story_rope(T):
    return dx.rope_cos_sin(dx.inv_freq(story_variant()), T)


def story_logits(w, ids):
    """llama_forward (make_decoder_fixtures) for training: the same operations in the same order, without
    its f64 cross-checks. ids [B, T] -> logits [B, T, V]."""
    c = STORY
    B, T = ids.shape
    H, KVH, Dh = c["H"], c["KVH"], c["D"] // c["H"]
    cos, sin = story_rope(T)
    mask = dx.causal_window_mask(T, None)
    x = w["model.embed_tokens.weight"][ids]
    for i in range(c["L"]):
        l = f"model.layers.{i}."
        h = dx.rms_norm(x, w[l + "input_layernorm.weight"], dx.EPS)
        q = F.linear(h, w[l + "self_attn.q_proj.weight"]).view(B, T, H, Dh).transpose(1, 2)
        k = F.linear(h, w[l + "self_attn.k_proj.weight"]).view(B, T, KVH, Dh).transpose(1, 2)
        v = F.linear(h, w[l + "self_attn.v_proj.weight"]).view(B, T, KVH, Dh).transpose(1, 2)
        q = q * cos + dx.rotate_half(q) * sin
        k = k * cos + dx.rotate_half(k) * sin
        k, v = dx.repeat_kv(k, H // KVH), dx.repeat_kv(v, H // KVH)
        attn = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(Dh) + mask, dim=-1, dtype=torch.float32) @ v
        x = x + F.linear(attn.transpose(1, 2).reshape(B, T, H * Dh), w[l + "self_attn.o_proj.weight"])
        h = dx.rms_norm(x, w[l + "post_attention_layernorm.weight"], dx.EPS)
        x = x + F.linear(F.silu(F.linear(h, w[l + "mlp.gate_proj.weight"])) * F.linear(h, w[l + "mlp.up_proj.weight"]),
                         w[l + "mlp.down_proj.weight"])
    x = dx.rms_norm(x, w["model.norm.weight"], dx.EPS)
    return x @ w["model.embed_tokens.weight"].T


def story_weights(V):
    """Hugging Face's names (LlamaForCausalLM, tied head: no lm_head.weight)."""
    c = STORY
    D, Dh, F_ = c["D"], c["D"] // c["H"], c["F"]
    w = {"model.embed_tokens.weight": torch.empty(V, D)}
    for i in range(c["L"]):
        l = f"model.layers.{i}."
        w[l + "self_attn.q_proj.weight"] = torch.empty(c["H"] * Dh, D)
        w[l + "self_attn.k_proj.weight"] = torch.empty(c["KVH"] * Dh, D)
        w[l + "self_attn.v_proj.weight"] = torch.empty(c["KVH"] * Dh, D)
        w[l + "self_attn.o_proj.weight"] = torch.empty(D, c["H"] * Dh)
        w[l + "mlp.gate_proj.weight"] = torch.empty(F_, D)
        w[l + "mlp.up_proj.weight"] = torch.empty(F_, D)
        w[l + "mlp.down_proj.weight"] = torch.empty(D, F_)
        w[l + "input_layernorm.weight"] = torch.empty(D)
        w[l + "post_attention_layernorm.weight"] = torch.empty(D)
    w["model.norm.weight"] = torch.empty(D)
    return hf_init(w, {})  # LlamaPreTrainedModel._init_weights: N(0, 0.02); RMSNorm weights 1


def story_batches(gen, ids):
    """Endless batches of T + 1 consecutive tokens from a random offset: inputs and next-token labels."""
    c = STORY
    while True:
        starts = torch.randint(0, len(ids) - c["T"] - 1, (c["BATCH"],), generator=gen)
        rows = torch.stack([ids[s : s + c["T"] + 1] for s in starts.tolist()])
        yield rows[:, :-1], rows[:, 1:]


def story_loss(w):
    def loss(x, y):
        logits = story_logits(w, x)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
    return loss


def story_eval(w, ids):
    """Mean next-token loss over EVAL_BATCHES × BATCH evenly spaced windows of ids."""
    c = STORY
    n = c["EVAL_BATCHES"] * c["BATCH"]
    starts = [(i * (len(ids) - c["T"] - 1)) // n for i in range(n)]
    rows = torch.stack([ids[s : s + c["T"] + 1] for s in starts])
    with torch.no_grad():
        return float(sum(story_loss(w)(rows[b : b + c["BATCH"], :-1], rows[b : b + c["BATCH"], 1:])
                         for b in range(0, n, c["BATCH"])) / c["EVAL_BATCHES"])


def story_greedy(forward, prompt, new):
    """GenerationMixin greedy search, each step rerunning the whole prefix; EOS (0) ends it."""
    return dx.greedy(forward, prompt, new, {0})


def story_sample(forward, prompt, new, seed, options):
    """Sampling as our TextGenerationModel does it with a seed: Hugging Face's warpers on torch's logits
    (make_decoder_fixtures.hf_processors), then our xoshiro128** inverse-CDF draw in f64 (draw). Returns the
    new ids, the smallest distance of a draw from the next token's boundary, and the smallest top-k margin."""
    rng, seq, gap, margin = dx.Xoshiro128(seed), list(prompt), float("inf"), float("inf")
    for _ in range(new):
        scores, m = dx.hf_processors(torch.tensor([seq]), forward(torch.tensor([seq]))[0, -1][None].clone(), options)
        token, g = dx.draw(dx.probs_f64(scores), rng)
        gap, margin = min(gap, g), min(margin, m)
        seq.append(token)
        if token == 0:
            break
    return seq[len(prompt):], gap, margin


def make_storyteller(outdir):
    c = STORY
    d = os.path.join(outdir, "tiny-storyteller")
    os.makedirs(d, exist_ok=True)
    with gzip.open(os.path.join(ROOT, "data", "corpus-pd4m.txt.gz"), "rt") as f:
        words = story_text(f.read().split())
    cut = len(words) - int(len(words) * c["HELD_OUT"])
    train_text, held_text = " ".join(words[:cut]), " ".join(words[cut:])
    t0 = time.time()
    tok = StoryTokenizer(tx.train_bpe([story_normalize(train_text)], c["MERGES"]))
    V = len(tok.vocab)
    train_ids = torch.tensor(tok.encode(train_text))
    held_ids = torch.tensor(tok.encode(held_text))
    log(f"storyteller: Moby Dick {len(words):,} words; BPE {c['MERGES']} merges, V {V} ({time.time() - t0:.0f} s); "
        f"{len(train_ids):,} training tokens ({len(train_text) / len(train_ids):.2f} characters each), "
        f"{len(held_ids):,} held out")
    sample = " ".join(words[cut : cut + 300])
    assert tok.decode(tok.encode(sample)) == story_normalize(sample), "the tokenizer does not round-trip"

    torch.manual_seed(c["SEED"])
    gen = torch.Generator().manual_seed(c["SEED"])
    w = story_weights(V)
    log(f"storyteller: {sum(v.numel() for v in w.values()):,} parameters")
    seconds = train(w, {}, set(), story_batches(gen, train_ids), c["STEPS"], story_loss(w), c["LR"], c["WARMUP"],
                    "storyteller")
    half, shipped = as_shipped(w)
    held_loss, train_loss = story_eval(shipped, held_ids), story_eval(shipped, train_ids)
    log(f"storyteller: loss {train_loss:.4f} training, {held_loss:.4f} held out "
        f"(perplexity {math.exp(held_loss):.1f} a token, {held_loss / math.log(2) * len(held_ids) / len(held_text):.3f} bits a character)")

    # The reference: make_decoder_fixtures.llama_forward on the shipped (float16-rounded) weights.
    v = story_variant()
    forward = lambda ids: dx.llama_forward(shipped, "model.", v, ids)  # noqa: E731
    probe = held_ids[: c["T"]][None]
    with torch.no_grad():
        diff = float((forward(probe) - story_logits(shipped, probe)).abs().max())
    assert diff <= 1e-5, f"story_logits differs from llama_forward by {diff}"
    for check, value in dx.CHECKS.items():
        assert value <= dx.CHECK_TOL, f"cross-check {check} differs by {value}"
    options = {k: c["GENERATION"][k] for k in ("do_sample", "temperature", "top_k", "top_p")}
    examples = []
    with torch.no_grad():
        for text in c["PROMPTS"]:
            prompt = tok.encode(text)
            # Only outputs no float rounding can flip: greedy search never near a tie; samples (the first
            # SAMPLES seeds from 1 on that qualify) with no draw near a boundary between two tokens and no
            # top-k cut near a tie.
            greedy_ids, margin = story_greedy(forward, prompt, c["NEW"])
            if margin < c["MIN_MARGIN"]:
                log(f"storyteller: prompt {text!r} left out (greedy margin {margin:.2e})")
                continue
            samples = []
            for seed in range(1, 50):
                ids, gap, cut = story_sample(forward, prompt, c["NEW"], seed, options)
                if gap >= c["MIN_GAP"] and cut >= c["MIN_GAP"]:
                    samples.append({"seed": seed, "ids": ids, "gap": gap, "margin": cut})
                    if len(samples) == c["SAMPLES"]:
                        break
            assert len(samples) == c["SAMPLES"], f"{text!r}: too few seeds far enough from ties"
            logits = forward(torch.tensor([prompt]))[0, -1]
            examples.append({"prompt": text, "input_ids": prompt, "last_logits": [float(x) for x in logits],
                             "greedy_ids": greedy_ids, "greedy": tok.decode(greedy_ids), "greedy_margin": margin,
                             "samples": [{**s, "text": tok.decode(s["ids"])} for s in samples]})
            log(f"storyteller: {text!r} greedy → {tok.decode(greedy_ids)!r}")
            for s in examples[-1]["samples"]:
                log(f"storyteller: {text!r} seed {s['seed']} → {s['text']!r}")
            if len(examples) == c["REFERENCE_PROMPTS"]:
                break
    assert len(examples) == c["REFERENCE_PROMPTS"], "too few prompts far enough from a greedy tie"

    fx.write_safetensors(os.path.join(d, "model.safetensors"), half)
    cfg = dx.llama_config(v, 0)
    cfg.update(vocab_size=V, max_position_embeddings=c["T"], bos_token_id=0, eos_token_id=0, torch_dtype="float16")
    fx.write_json(os.path.join(d, "config.json"), cfg)
    fx.write_json(os.path.join(d, "generation_config.json"),
                  {"bos_token_id": 0, "eos_token_id": 0, **c["GENERATION"]})
    fx.write_json(os.path.join(d, "tokenizer.json"), tok.tokenizer_json())
    fx.write_json(os.path.join(d, "tokenizer_config.json"),
                  {"tokenizer_class": "GPT2Tokenizer", "model_max_length": c["T"], "add_prefix_space": True,
                   "bos_token": STORY_EOS, "eos_token": STORY_EOS, "unk_token": STORY_EOS,
                   "clean_up_tokenization_spaces": False})
    ref = {
        "model": "tiny-storyteller",
        "notes": "Prompts with torch's outputs on the float16 weights (make_decoder_fixtures.llama_forward). "
                 "greedy_ids: greedy search, new tokens; samples: sampling with generation_config.json's "
                 "settings and our seeded sampler (xoshiro128**, inverse CDF) on torch's warped distributions; "
                 "gap: the smallest distance of a draw from another token; margin: the smallest top-k cut margin. "
                 "last_logits: the logits after the prompt.",
        "new_tokens": c["NEW"],
        "sampling": options,
        "loss": {"training": train_loss, "held_out": held_loss},
        "training": {"steps": c["STEPS"], "batch": c["BATCH"], "context": c["T"], "seconds": round(seconds, 1),
                     "threads": torch.get_num_threads(), "torch": torch.__version__, "seed": c["SEED"]},
        "examples": examples,
    }
    fx.write_json(os.path.join(d, "reference.json"), ref, compact=True)
    log(f"storyteller: wrote {d} ({folder_size(d):,} bytes)")
    return ref


MAKERS = {"translator": lambda d: make_translator(d), "classifier": lambda d: make_classifier(d),
          "storyteller": lambda d: make_storyteller(d)}


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    if which not in ("all", "both", *MAKERS):
        sys.exit("usage: train_tiny_models.py [translator|classifier|storyteller|all] [outdir]")
    outdir = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "data", "models"))
    log(f"torch {torch.__version__}, {torch.get_num_threads()} threads, out {outdir}")
    t0 = time.time()
    for name, make in MAKERS.items():
        # "both": the translator and the classifier.
        if which in (name, "all") or (which == "both" and name != "storyteller"):
            make(outdir)
    log(f"done in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
