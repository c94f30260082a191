#!/usr/bin/python3
"""Reference tokenizers: a tiny byte-level BPE (RoBERTa layout) and a tiny sentencepiece Unigram (XLM-R layout).

Run with Debian's python (python3-regex and python3-sentencepiece):

    apt-get install -y --no-install-recommends python3-regex python3-sentencepiece
    /usr/bin/python3 tools/make_tokenizer_fixtures.py [outdir]      # default: tests/fixtures/tokenizers

Writes
  byte-bpe/  tokenizer.json, tokenizer_config.json, vocab.json, merges.txt, reference.json
  unigram/   tokenizer.json, tokenizer_config.json, sentencepiece.bpe.model, reference.json

Both are learnt from the first lines of data/corpus-pd4m.txt.gz (public-domain books, lower case, no punctuation).

byte-bpe: the trainer below is plain BPE over GPT-2's pre-tokens (the GPT-2 regex, bytes_to_unicode), the most
frequent pair merged first (ties: the smallest pair). tokenizer.json is laid out as Hugging Face's RobertaConverter
writes it. The reference encoder is GPT-2's bpe() (openai/gpt-2 src/encoder.py) re-typed here, plus
RobertaProcessing (<s> A </s> [</s> B </s>], trim_offsets) and the added tokens (<mask> with lstrip).

unigram: sentencepiece trains the model (nmt_nfkc) and is also the reference encoder. tokenizer.json is what
XLMRobertaConverter (transformers/convert_slow_tokenizer.py) writes: fairseq's id layout (<s> 0, <pad> 1, </s> 2,
<unk> 3, spm pieces 3.. shifted by one, <mask> last), Precompiled(nmt_nfkc charsmap) + Replace(" {2,}" -> " "),
Metaspace, TemplateProcessing.

reference.json: [{text, text_pair, ids, tokens, offsets, offsets_codepoints, sequence_ids}]. offsets are UTF-16
code-unit offsets into the text the token came from (JS string indices); offsets_codepoints the same in code points
(what Hugging Face's Python API reports). Special tokens have (0, 0) and sequence id null.
"""

import base64
import gzip
import json
import os
import sys
import tempfile
from collections import Counter

import regex
import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "data", "corpus-pd4m.txt.gz")
CORPUS_LINES = 100  # each line of the corpus is a ~9,500-character passage: 100 lines are ~950k characters

# ----------------------------------------------------------------------------------------------
# Shared helpers
# ----------------------------------------------------------------------------------------------


def corpus_lines(n=CORPUS_LINES):
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        return [next(f).rstrip("\n") for _ in range(n)]


def utf16_index(text):
    """Code-point index -> UTF-16 code-unit index, for every index 0..len(text)."""
    out, u = [0], 0
    for ch in text:
        u += 2 if ord(ch) > 0xFFFF else 1
        out.append(u)
    return out


def write_json(path, obj, compact=False):
    with open(path, "w", encoding="utf-8") as f:
        if compact:
            json.dump(obj, f, separators=(",", ":"), ensure_ascii=False)
        else:
            json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def added_token(i, content, lstrip=False, normalized=False):
    return {"id": i, "content": content, "single_word": False, "lstrip": lstrip, "rstrip": False,
            "normalized": normalized, "special": True}


def split_on_mask(text, mask, lstrip=True):
    """How Hugging Face's AddedVocabulary cuts a text around a special token (rstrip False): with lstrip the
    whitespace before the token is part of the token's match. Returns [(start, end, is_mask)] in code points."""
    parts, pos = [], 0
    while True:
        at = text.find(mask, pos)
        if at < 0:
            break
        start = at
        while lstrip and start > pos and text[start - 1].isspace():
            start -= 1
        if start > pos:
            parts.append((pos, start, False))
        parts.append((start, at + len(mask), True))
        pos = at + len(mask)
    if pos < len(text) or not parts:
        parts.append((pos, len(text), False))
    return parts


# ----------------------------------------------------------------------------------------------
# Byte-level BPE (GPT-2 / RoBERTa)
# ----------------------------------------------------------------------------------------------

GPT2_PATTERN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
BPE_MERGES = 250
BPE_SPECIAL = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # ids 0..4; <mask> is lstrip, as RobertaTokenizer makes it


def bytes_to_unicode():
    """openai/gpt-2 encoder.py: printable Latin-1 bytes map to themselves, the other 68 to U+0100.. in order."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BYTE_ENCODER = bytes_to_unicode()


def train_bpe(lines, n_merges):
    """Plain BPE over pre-token counts: each step merges the most frequent adjacent pair (ties: smallest pair)."""
    words = Counter()
    for line in lines:
        for tok in GPT2_PATTERN.findall(line):
            words["".join(BYTE_ENCODER[b] for b in tok.encode("utf-8"))] += 1
    splits = {w: tuple(w) for w in words}
    merges = []
    for _ in range(n_merges):
        pairs = Counter()
        for w, c in words.items():
            s = splits[w]
            for a, b in zip(s, s[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        for w in words:
            s = splits[w]
            if len(s) < 2:
                continue
            out, i = [], 0
            while i < len(s):
                if i < len(s) - 1 and (s[i], s[i + 1]) == best:
                    out.append(s[i] + s[i + 1])
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            splits[w] = tuple(out)
    return merges


def bpe_vocab(merges):
    vocab = {t: i for i, t in enumerate(BPE_SPECIAL)}
    for ch in BYTE_ENCODER.values():
        vocab[ch] = len(vocab)
    for a, b in merges:
        assert a + b not in vocab, a + b
        vocab[a + b] = len(vocab)
    return vocab


def get_pairs(word):
    return set(zip(word, word[1:]))


def gpt2_bpe(token, ranks):
    """openai/gpt-2 src/encoder.py Encoder.bpe: repeatedly merge the lowest-ranked adjacent pair (all its
    non-overlapping occurrences, left to right) until no pair of the word has a rank."""
    word = tuple(token)
    pairs = get_pairs(word)
    if not pairs:
        return [token]
    while True:
        bigram = min(pairs, key=lambda pair: ranks.get(pair, float("inf")))
        if bigram not in ranks:
            break
        first, second = bigram
        new_word, i = [], 0
        while i < len(word):
            try:
                j = word.index(first, i)
            except ValueError:
                new_word.extend(word[i:])
                break
            new_word.extend(word[i:j])
            i = j
            if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                new_word.append(first + second)
                i += 2
            else:
                new_word.append(word[i])
                i += 1
        word = tuple(new_word)
        if len(word) == 1:
            break
        pairs = get_pairs(word)
    return list(word)


def bpe_encode_segment(text, start, end, vocab, ranks):
    """Tokens of text[start:end] (no special tokens): ByteLevel pre-tokenization (GPT-2 regex, then bytes as
    characters), bpe() per pre-token. Offsets in code points into text: each byte maps to its whole character
    (so every token holding a byte of a split character spans that character), then RobertaProcessing's
    trim_offsets (byte_level.rs process_offsets): leading / trailing 'Ġ' (space bytes) leave the span."""
    out = []
    seg = text[start:end]
    for m in GPT2_PATTERN.finditer(seg):
        chars, owner = [], []  # byte characters of the pre-token, and the code-point index each came from
        for k, ch in enumerate(m.group()):
            for b in ch.encode("utf-8"):
                chars.append(BYTE_ENCODER[b])
                owner.append(start + m.start() + k)
        pos = 0
        for piece in gpt2_bpe("".join(chars), ranks):
            lo, hi = owner[pos], owner[pos + len(piece) - 1] + 1
            pos += len(piece)
            lead = len(piece) - len(piece.lstrip("Ġ"))
            trail = len(piece) - len(piece.rstrip("Ġ"))
            if lead:
                lo = min(lo + lead, hi)
            if trail and hi >= trail:
                hi = max(hi - trail, lo)
            out.append((vocab[piece], piece, (lo, hi)))
    return out


def bpe_encode_text(text, vocab, ranks):
    toks = []
    for s, e, is_mask in split_on_mask(text, "<mask>"):
        if is_mask:
            toks.append((vocab["<mask>"], "<mask>", (s, e)))  # lstrip: the span keeps the whitespace before it
        else:
            toks += bpe_encode_segment(text, s, e, vocab, ranks)
    return toks


def bpe_reference(text, pair, vocab, ranks):
    """RobertaProcessing: <s> A </s> and <s> A </s> </s> B </s>; all type ids 0; specials at (0, 0)."""
    seqs = [(0, text, bpe_encode_text(text, vocab, ranks))]
    if pair is not None:
        seqs.append((1, pair, bpe_encode_text(pair, vocab, ranks)))
    return assemble(text, pair, seqs, [("<s>", 0)], [("</s>", 2)], [("</s>", 2)], [("</s>", 2)])


def assemble(text, pair, seqs, before_a, after_a, before_b, after_b):
    ids, tokens, offs, offs_cp, seq_ids = [], [], [], [], []

    def special(lst):
        for t, i in lst:
            ids.append(i), tokens.append(t), offs.append([0, 0]), offs_cp.append([0, 0]), seq_ids.append(None)

    for k, (sid, src, toks) in enumerate(seqs):
        special(before_a if k == 0 else before_b)
        u16 = utf16_index(src)
        for i, t, (lo, hi) in toks:
            ids.append(i), tokens.append(t), offs.append([u16[lo], u16[hi]]), offs_cp.append([lo, hi]), seq_ids.append(sid)
        special(after_a if k == 0 else after_b)
    return {"text": text, "text_pair": pair, "ids": ids, "tokens": tokens, "offsets": offs,
            "offsets_codepoints": offs_cp, "sequence_ids": seq_ids}


def bpe_tokenizer_json(vocab, merges):
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [added_token(vocab[t], t, lstrip=(t == "<mask>"), normalized=(t != "<mask>")) for t in BPE_SPECIAL],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", vocab["</s>"]], "cls": ["<s>", vocab["<s>"]],
                           "trim_offsets": True, "add_prefix_space": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]},
    }


def bpe_tokenizer_config(max_len):
    return {"tokenizer_class": "RobertaTokenizer", "model_max_length": max_len, "add_prefix_space": False,
            "errors": "replace", "trim_offsets": True, "bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>",
            "cls_token": "<s>", "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>",
            "clean_up_tokenization_spaces": False}


BPE_TEXTS = [
    ("Hello world", None),
    ("the house the house the house", None),
    ("Well, it's 2024: prices rose 15%!", None),
    ("Café naïve façade", None),
    ("I love it 😀🎉 ok", None),
    ("two  spaces   and    more", None),
    ("line one\nline two\ttab", None),
    ("who lived at hartfield?", "emma woodhouse lived at hartfield with her father"),
    ("The capital of France is <mask>.", None),
    (" leading and trailing ", None),
    ("she said that she would not", None),
]


# ----------------------------------------------------------------------------------------------
# Unigram (sentencepiece, XLM-R layout)
# ----------------------------------------------------------------------------------------------

SPM_VOCAB = 250
FAIRSEQ_OFFSET = 1  # XLMRobertaTokenizer: fairseq ids = spm ids + 1 for every piece after </s>; spm <unk> 0 -> 3
# The corpus has neither capitals, digits nor punctuation; these lines put them in the model's alphabet
# (character_coverage 1.0 keeps every character seen), so the references exercise more than <unk>.
SPM_EXTRA = [
    "Hello World. It is 2024, and The Quick Brown Fox Jumps Over The Lazy Dog!",
    "Emma Woodhouse, handsome, clever, and rich; Mr. Knightley (aged 37) said: \"No?\" 0 1 2 3 4 5 6 7 8 9",
    "Café, naïve, façade, Zürich, España, déjà vu, Ärger, Öl, Übel - ABCDEFGHIJKLMNOPQRSTUVWXYZ",
]


def train_unigram(lines, workdir):
    """sentencepiece Unigram, nmt_nfkc, vocab 250 (<unk> 0, <s> 1, </s> 2 as XLM-R's model). The corpus lines
    are cut into 25-word sentences: sentencepiece skips sentences longer than max_sentence_length (4192 bytes)."""
    path = os.path.join(workdir, "train.txt")
    with open(path, "w", encoding="utf-8") as f:
        for line in lines:
            words = line.split()
            for i in range(0, len(words), 25):
                f.write(" ".join(words[i : i + 25]) + "\n")
        for _ in range(20):
            for line in SPM_EXTRA:
                f.write(line + "\n")
    prefix = os.path.join(workdir, "spm")
    spm.SentencePieceTrainer.train(input=path, model_prefix=prefix, vocab_size=SPM_VOCAB, model_type="unigram",
                                   character_coverage=1.0, normalization_rule_name="nmt_nfkc", num_threads=1,
                                   minloglevel=2)
    return prefix + ".model"


def load_proto(model_path):
    m = sentencepiece_model_pb2.ModelProto()
    with open(model_path, "rb") as f:
        m.ParseFromString(f.read())
    return m


def unigram_vocab(proto):
    """XLMRobertaConverter.vocab: [<s>, <pad>, </s>, <unk>] (score 0) + spm pieces[3:] + <mask> (score 0)."""
    vocab = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    vocab += [(p.piece, p.score) for p in proto.pieces[3:]]
    vocab += [("<mask>", 0.0)]
    return vocab


def spm_to_hf_id(sp_id):
    return 3 if sp_id == 0 else sp_id + FAIRSEQ_OFFSET  # spm <unk> is 0; <s>/</s> (1, 2) never come from encode


def spm_encode_segment(sp, text, start, end):
    """sentencepiece's own encoding of text[start:end]; immutable_proto's begin/end are code-point offsets
    into the string given (the Python wrapper converts sentencepiece's byte offsets), shifted to text."""
    out = []
    if start == end:
        return out
    for p in sp.encode(text[start:end], out_type="immutable_proto").pieces:
        out.append((spm_to_hf_id(p.id), p.piece, (start + p.begin, start + p.end)))
    return out


def unigram_encode_text(sp, text, mask_id):
    toks = []
    for s, e, is_mask in split_on_mask(text, "<mask>"):
        toks += [(mask_id, "<mask>", (s, e))] if is_mask else spm_encode_segment(sp, text, s, e)
    return toks


def unigram_reference(sp, text, pair, mask_id):
    """TemplateProcessing: <s> A </s> and <s> A </s> </s> B </s>; type ids all 0."""
    seqs = [(0, text, unigram_encode_text(sp, text, mask_id))]
    if pair is not None:
        seqs.append((1, pair, unigram_encode_text(sp, pair, mask_id)))
    return assemble(text, pair, seqs, [("<s>", 0)], [("</s>", 2)], [("</s>", 2)], [("</s>", 2)])


def special_template(tok):
    return {"SpecialToken": {"id": tok, "type_id": 0}}


def seq_template(s):
    return {"Sequence": {"id": s, "type_id": 0}}


def unigram_tokenizer_json(proto, vocab):
    mask_id = len(vocab) - 1
    charsmap = base64.b64encode(proto.normalizer_spec.precompiled_charsmap).decode("ascii")
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [added_token(0, "<s>"), added_token(1, "<pad>"), added_token(2, "</s>"), added_token(3, "<unk>"),
                         added_token(mask_id, "<mask>", lstrip=True)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": charsmap},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
        ]},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [special_template("<s>"), seq_template("A"), special_template("</s>")],
            "pair": [special_template("<s>"), seq_template("A"), special_template("</s>"), special_template("</s>"),
                     seq_template("B"), special_template("</s>")],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]},
                               "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}},
        },
        "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": 3, "vocab": [[p, s] for p, s in vocab], "byte_fallback": False},
    }


def unigram_tokenizer_config(max_len):
    return {"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": max_len, "bos_token": "<s>",
            "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>", "unk_token": "<unk>", "pad_token": "<pad>",
            "mask_token": "<mask>", "clean_up_tokenization_spaces": True}


# No leading or trailing whitespace here: sentencepiece drops it, while the converter's normalizer keeps a trailing
# space as a lone "▁" token (the current converter adds Strip(right) for that). See tests/fixtures/README.md.
UNIGRAM_TEXTS = [
    ("Hello world", None),
    ("the house the house the house", None),
    ("Well, it's 2024: prices rose 15%!", None),
    ("Café naïve façade", None),
    ("I love it 😀🎉 ok", None),
    ("two  spaces   and    more", None),
    ("line one\nline two\ttab", None),
    ("who lived at hartfield?", "emma woodhouse lived at hartfield with her father"),
    ("The capital of France is <mask>.", None),
    ("ﬁne ＡＢＣ ①", None),  # nmt_nfkc: ligature, full-width letters, circled digit
    ("she said that she would not", None),
]


# ----------------------------------------------------------------------------------------------


def make_byte_bpe(outdir, lines):
    merges = train_bpe(lines, BPE_MERGES)
    vocab = bpe_vocab(merges)
    ranks = {m: i for i, m in enumerate(merges)}
    d = os.path.join(outdir, "byte-bpe")
    os.makedirs(d, exist_ok=True)
    refs = [bpe_reference(t, p, vocab, ranks) for t, p in BPE_TEXTS]
    # sanity: byte-level is lossless, so the tokens (minus specials) decode back to each text
    byte_decoder = {c: b for b, c in BYTE_ENCODER.items()}
    for r in refs:
        for sid, src in ((0, r["text"]), (1, r["text_pair"])):
            if src is None:
                continue
            toks = [t for t, s in zip(r["tokens"], r["sequence_ids"]) if s == sid]
            raw = b"".join(b"<mask>" if t == "<mask>" else bytes(byte_decoder[c] for c in t) for t in toks)
            assert raw.decode("utf-8") == src.replace(" <mask>", "<mask>"), (raw, src)
    write_json(os.path.join(d, "tokenizer.json"), bpe_tokenizer_json(vocab, merges))
    write_json(os.path.join(d, "tokenizer_config.json"), bpe_tokenizer_config(512))
    write_json(os.path.join(d, "vocab.json"), vocab, compact=True)
    with open(os.path.join(d, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
    write_json(os.path.join(d, "reference.json"), refs)
    print(f"byte-bpe: {len(merges)} merges, vocab {len(vocab)}; first merges {merges[:6]}")
    for r in refs:
        print(f"  {r['text']!r}{'' if r['text_pair'] is None else ' + ' + repr(r['text_pair'])}: {r['tokens']}")
    return vocab, merges


def make_unigram(outdir, lines):
    d = os.path.join(outdir, "unigram")
    os.makedirs(d, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        proto = load_proto(train_unigram(lines, tmp))
    # the trainer records its (temporary) input and output paths: fixed names keep the file byte-identical
    del proto.trainer_spec.input[:]
    proto.trainer_spec.input.append("train.txt")
    proto.trainer_spec.model_prefix = "spm"
    model = os.path.join(d, "sentencepiece.bpe.model")
    with open(model, "wb") as f:
        f.write(proto.SerializeToString())
    proto = load_proto(model)
    assert [p.piece for p in proto.pieces[:3]] == ["<unk>", "<s>", "</s>"] and proto.trainer_spec.unk_id == 0
    vocab = unigram_vocab(proto)
    mask_id = len(vocab) - 1
    sp = spm.SentencePieceProcessor(model_file=model)
    refs = [unigram_reference(sp, t, p, mask_id) for t, p in UNIGRAM_TEXTS]
    for r in refs:  # the ids name the pieces sentencepiece chose (vocab layout check)
        assert all(tok == "<unk>" and vocab[i][0] == "<unk>" or vocab[i][0] == tok for i, tok in zip(r["ids"], r["tokens"])
                   if tok not in ("<s>", "</s>") and i != 3), r
        r["tokens"] = [vocab[i][0] for i in r["ids"]]  # unknown pieces show as <unk>, as Hugging Face's do
    write_json(os.path.join(d, "tokenizer.json"), unigram_tokenizer_json(proto, vocab))
    write_json(os.path.join(d, "tokenizer_config.json"), unigram_tokenizer_config(512))
    write_json(os.path.join(d, "reference.json"), refs)
    print(f"unigram: vocab {len(vocab)} (mask {mask_id}), charsmap {len(proto.normalizer_spec.precompiled_charsmap)} bytes")
    for r in refs:
        print(f"  {r['text']!r}{'' if r['text_pair'] is None else ' + ' + repr(r['text_pair'])}: {r['tokens']}")
    return vocab


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "tests", "fixtures", "tokenizers")
    outdir = os.path.abspath(outdir)
    os.makedirs(outdir, exist_ok=True)
    lines = corpus_lines()
    make_byte_bpe(outdir, lines)
    make_unigram(outdir, lines)


if __name__ == "__main__":
    main()
