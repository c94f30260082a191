#!/usr/bin/python3
"""End-to-end references for pipeline(task, folder): what Hugging Face's Python pipelines return on the random-weight
model fixtures of tests/fixtures/, computed here without any of the JS code:

  tokens, offsets, words   WordPiece: BertTokenizerFast re-typed below (BertNormalizer, BertPreTokenizer, WordPiece,
                           the added-token split, the post-processor's template) after tokenization_bert.py and
                           tokenizers' bert normalizer / pre-tokenizer / wordpiece model; byte-level BPE: GPT-2's bpe()
                           of make_tokenizer_fixtures.py, per pre-token; Unigram: sentencepiece itself with the fairseq
                           id offset (make_tokenizer_fixtures.py)
  the model                the torch forward passes of make_family_fixtures.py (and make_transformer_fixtures.py for
                           Marian) over the weights read back from each fixture's model.safetensors, one text (or
                           window, or pair) at a time as the pipelines run them
  the post-processing      tools/pipeline_reference.py (HF's pipelines/*.py transcribed), whose definitions are taken
                           without running its fixture writer

    /usr/bin/python3 tools/make_pipeline_fixtures.py [out.json]   # default: tests/fixtures/pipelines/end-to-end.json

Run it after the model fixtures (make_family_fixtures.py, make_transformer_fixtures.py): it reads them. Each case
is also run again with the model outputs shifted by noise of NOISE: a case whose labels, spans, words or order
change under that noise is too close to a tie for a float32 reference and aborts the script, so every exact
assertion of tests/pipeline/end-to-end.test.ts has a margin well above the JS-vs-torch difference (~1e-6).

Dimension letters: B batch, T tokens, D model width, V vocabulary, L labels.
"""

import ast
import copy
import json
import math
import os
import sys
import unicodedata
from types import SimpleNamespace

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_family_fixtures as fm  # noqa: E402
import make_tokenizer_fixtures as tk  # noqa: E402
import make_transformer_fixtures as base  # noqa: E402

FIXTURES = os.path.join(HERE, "..", "tests", "fixtures")
torch.set_num_threads(1)

NOISE = 1e-4  # absolute noise on logits for the tie check; JS and torch logits differ by ~1e-6
NOISE_RUNS = 6


def load_definitions(path):
    """pipeline_reference.py writes its own fixtures at import (module-level calls). Only its definitions are
    taken: every top-level statement but the bare expressions (the write() and print() calls, os.makedirs)."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    tree.body = [n for n in tree.body if not isinstance(n, ast.Expr)]
    ns = {"__name__": "pipeline_reference_definitions", "__file__": path}
    exec(compile(tree, path, "exec"), ns)  # noqa: S102 - our own file
    return SimpleNamespace(**ns)


pr = load_definitions(os.path.join(HERE, "pipeline_reference.py"))


def read_json(*parts):
    with open(os.path.join(*parts), encoding="utf-8") as f:
        return json.load(f)


# ----------------------------------------------------------------------------------------------
# Encodings: {ids, tokens, typeIds, offsets, sequenceIds, wordIds, specialTokensMask}, as tokenizers' Encoding
# (and src/tokenizer/encoding.ts). Offsets are str indices of the text the token came from; every text here is
# in the BMP, so they equal JS's UTF-16 indices and HF's code-point offsets.
# ----------------------------------------------------------------------------------------------


def assemble(seq_a, seq_b, template):
    """The post-processor: seq_a / seq_b are [(id, token, (start, end), word)]; template(pair) gives the layout as
    [("A" | "B" | (special token, id), type id)]."""
    e = {k: [] for k in ("ids", "tokens", "typeIds", "offsets", "sequenceIds", "wordIds", "specialTokensMask")}
    for part, type_id in template(seq_b is not None):
        if isinstance(part, tuple):
            rows = [(part[1], part[0], (0, 0), None, None, 1)]
        else:
            seq = 0 if part == "A" else 1
            rows = [(i, t, off, seq, w, 0) for i, t, off, w in (seq_a if seq == 0 else seq_b)]
        for i, t, off, seq, w, special in rows:
            e["ids"].append(i), e["tokens"].append(t), e["typeIds"].append(type_id), e["offsets"].append(list(off))
            e["sequenceIds"].append(seq), e["wordIds"].append(w), e["specialTokensMask"].append(special)
    return e


def bert_template(cls, sep):
    """BertProcessing / TemplateProcessing: [CLS] A [SEP] (B [SEP]), type ids 0 then 1."""
    return lambda pair: [(cls, 0), ("A", 0), (sep, 0)] + ([("B", 1), (sep, 1)] if pair else [])


def roberta_template(cls, sep, b_type):
    """RobertaProcessing (b_type 0) / MPNet's TemplateProcessing (b_type 1): <s> A </s> (</s> B </s>)."""
    return lambda pair: [(cls, 0), ("A", 0), (sep, 0)] + ([(sep, 0), ("B", b_type), (sep, b_type)] if pair else [])


def split_added(text, token, lstrip):
    """The added-token split of the raw text (tokenizers' AddedVocabulary): [(start, end, is_token)]. A token with
    lstrip takes the whitespace before it (its span covers it)."""
    return tk.split_on_mask(text, token, lstrip)


class Tokenizer:
    """What every reference tokenizer gives: encode (one text or a pair), windows (the QA overflow), decode and
    convert_tokens_to_string (the tokenizer.json decoder, plus transformers' clean-up where the config asks)."""

    def encode(self, text, pair=None):
        return assemble(self.sequence(text), None if pair is None else self.sequence(pair), self.template)

    def windows(self, question, context, max_seq_len, doc_stride):
        """tokenizer(question, context, truncation="only_second", max_length=max_seq_len, stride=doc_stride,
        return_overflowing_tokens=True): the context's tokens cut as tokenizers' Encoding.truncate (windows of
        max_len = max_seq_len - question - specials tokens, each starting max_len - stride after the previous, the
        last one reaching the end), each with the whole question. One window when everything fits."""
        q, c = self.sequence(question), self.sequence(context)
        n_special = len(self.template(True)) - 2
        if len(q) + len(c) + n_special <= max_seq_len:
            return [assemble(q, c, self.template)]
        max_len = max_seq_len - len(q) - n_special
        assert 0 <= doc_stride < max_len, (doc_stride, max_len)
        out, start = [], 0
        while True:
            stop = min(start + max_len, len(c))
            out.append(assemble(q, c[start:stop], self.template))
            if stop == len(c):
                return out
            start += max_len - doc_stride

    def decode(self, ids, skip_special_tokens=False, clean_up=None):
        """PreTrainedTokenizerFast.decode: ids -> tokens (special ones dropped if asked) -> the decoder ->
        clean_up_tokenization when clean_up_tokenization_spaces (the tokenizer_config's, unless given)."""
        tokens = [self.vocab[i] for i in ids if not (skip_special_tokens and self.vocab[i] in self.specials)]
        text = self.decoder(tokens)
        if self.clean_up if clean_up is None else clean_up:
            text = clean_up_tokenization(text)
        return text

    def check(self, enc):
        """Unigram overrides this to refuse texts where its reference offsets are not HF's."""

    def convert_tokens_to_string(self, tokens):
        """PreTrainedTokenizerFast.convert_tokens_to_string: backend_tokenizer.decoder.decode(tokens)."""
        return self.decoder(tokens)


def clean_up_tokenization(s):
    """PreTrainedTokenizerBase.clean_up_tokenization."""
    for a, b in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
                 (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")]:
        s = s.replace(a, b)
    return s


# --- WordPiece (BertTokenizerFast) ------------------------------------------------------------


def is_bert_whitespace(c):
    """tokenizers' bert normalizer is_whitespace (tokenization_bert._is_whitespace): \\t \\n \\r, or Unicode Zs."""
    return c in " \t\n\r" or unicodedata.category(c) == "Zs"


def is_bert_control(c):
    """is_control: Cc / Cf, except \\t \\n \\r, which count as whitespace."""
    return c not in "\t\n\r" and unicodedata.category(c) in ("Cc", "Cf")


def is_bert_punctuation(c):
    """tokenization_bert._is_punctuation: ASCII non-alphanumeric printables, or Unicode P*."""
    cp = ord(c)
    return 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126 or unicodedata.category(c).startswith("P")


def is_chinese_char(cp):
    return any(a <= cp <= b for a, b in [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
                                          (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)])


def bert_normalize(text, start, end):
    """BertNormalizer(clean_text, handle_chinese_chars, strip_accents = lowercase = True) over text[start:end],
    with alignments: [(normalized char, index of the original char it came from)]. Order as the Rust normalizer:
    clean text (drop NUL, U+FFFD, controls; whitespace -> ' '), pad CJK with spaces, NFD minus Mn (strip accents),
    lowercase."""
    out = []
    for i in range(start, end):
        c = text[i]
        if ord(c) in (0, 0xFFFD) or is_bert_control(c):
            continue
        chars = [" "] if is_bert_whitespace(c) else ([" ", c, " "] if is_chinese_char(ord(c)) else [c])
        chars = [d for ch in chars for d in unicodedata.normalize("NFD", ch) if unicodedata.category(d) != "Mn"]
        out += [(d, i) for ch in chars for d in ch.lower()]
    return out


def bert_pre_tokenize(chars):
    """BertPreTokenizer: split on whitespace (removed), then every punctuation character is a word of its own."""
    words, cur = [], []
    for ch, i in chars:
        if ch.isspace():
            if cur:
                words.append(cur)
            cur = []
        elif is_bert_punctuation(ch):
            if cur:
                words.append(cur)
            words.append([(ch, i)])
            cur = []
        else:
            cur.append((ch, i))
    if cur:
        words.append(cur)
    return words


class WordPiece(Tokenizer):
    """BertTokenizerFast (and MPNetTokenizerFast): the added-token split of the raw text, BertNormalizer,
    BertPreTokenizer, WordPiece (greedy longest match, "##" continuations, [UNK] for the whole word when a piece
    cannot be matched or the word has more than 100 characters), then the template. Every word of the
    pre-tokenizer (and every added token) is a word of the encoding."""

    kind = "WordPiece"
    continuing_subword_prefix = "##"

    def __init__(self, folder):
        tj = read_json(folder, "tokenizer.json")
        cfg = read_json(folder, "tokenizer_config.json")
        model = tj["model"]
        assert model["type"] == "WordPiece" and tj["normalizer"]["lowercase"] and tj["normalizer"]["strip_accents"] is None
        self.token_id = model["vocab"]
        self.vocab = [None] * len(self.token_id)
        for t, i in self.token_id.items():
            self.vocab[i] = t
        self.unk = model["unk_token"]
        self.unk_id = self.token_id[self.unk]
        self.specials = {a["content"] for a in tj["added_tokens"] if a["special"]}
        self.mask = cfg["mask_token"]
        self.mask_lstrip = next(a["lstrip"] for a in tj["added_tokens"] if a["content"] == self.mask)
        self.cls, self.sep, self.pad = cfg.get("cls_token"), cfg.get("sep_token"), cfg["pad_token"]
        self.cls_id, self.pad_id, self.mask_id = self.token_id[self.cls], self.token_id[self.pad], self.token_id[self.mask]
        cls, sep = (self.cls, self.cls_id), (self.sep, self.token_id[self.sep])
        self.template = bert_template(cls, sep) if self.cls == "[CLS]" else roberta_template(cls, sep, 1)
        self.model_max_length = cfg["model_max_length"]
        self.clean_up = cfg["clean_up_tokenization_spaces"]
        self.decoder = pr.wordpiece_decoder  # decoders::wordpiece (prefix "##", cleanup true)

    def wordpiece(self, word):
        """[(token, first char, end char)] of one word (a list of (char, original index))."""
        text = "".join(ch for ch, _ in word)
        if len(text) > 100:
            return [(self.unk, 0, len(word))]
        pieces, start = [], 0
        while start < len(text):
            end, cur = len(text), None
            while start < end:
                sub = ("##" if start > 0 else "") + text[start:end]
                if sub in self.token_id:
                    cur = sub
                    break
                end -= 1
            if cur is None:
                return [(self.unk, 0, len(word))]
            pieces.append((cur, start, end))
            start = end
        return pieces

    def sequence(self, text):
        out, word_index = [], 0
        for start, end, is_token in split_added(text, self.mask, self.mask_lstrip):
            if is_token:
                out.append((self.mask_id, self.mask, (start, end), word_index))
                word_index += 1
                continue
            for word in bert_pre_tokenize(bert_normalize(text, start, end)):
                for tok, a, b in self.wordpiece(word):
                    out.append((self.token_id[tok], tok, (word[a][1], word[b - 1][1] + 1), word_index))
                word_index += 1
        return out


# --- Byte-level BPE (RobertaTokenizerFast) -----------------------------------------------------


def byte_level_decoder(tokens):
    """decoders::byte_level: each token's characters back to bytes (a token with a character outside the byte map
    keeps its own UTF-8 bytes), all bytes decoded as UTF-8 with replacement characters."""
    byte_of = {c: b for b, c in tk.BYTE_ENCODER.items()}
    raw = b"".join(bytes(byte_of[c] for c in t) if all(c in byte_of for c in t) else t.encode("utf-8") for t in tokens)
    return raw.decode("utf-8", errors="replace")


class ByteBPE(Tokenizer):
    """RobertaTokenizerFast over tests/fixtures/tokenizers/byte-bpe: make_tokenizer_fixtures.bpe_encode_segment
    (ByteLevel pre-tokenizer, GPT-2's bpe(), trim_offsets) run on each pre-token (GPT-2 regex match) so that each
    one is a word; <mask> (lstrip) split out first, as there."""

    kind = "byte-level BPE"
    continuing_subword_prefix = ""  # BPE model with continuing_subword_prefix "": HF's space heuristic applies

    def __init__(self, folder):
        tj = read_json(folder, "tokenizer.json")
        cfg = read_json(folder, "tokenizer_config.json")
        self.token_id = tj["model"]["vocab"]
        self.vocab = [None] * len(self.token_id)
        for t, i in self.token_id.items():
            self.vocab[i] = t
        self.ranks = {tuple(m.split(" ")): i for i, m in enumerate(tj["model"]["merges"])}
        self.specials = {a["content"] for a in tj["added_tokens"] if a["special"]}
        self.unk_id, self.cls_id, self.pad_id, self.mask_id = (self.token_id[t] for t in ("<unk>", "<s>", "<pad>", "<mask>"))
        self.template = roberta_template(("<s>", self.cls_id), ("</s>", self.token_id["</s>"]), 0)
        self.model_max_length = cfg["model_max_length"]
        self.clean_up = cfg["clean_up_tokenization_spaces"]
        self.decoder = byte_level_decoder

    def sequence(self, text):
        out, word_index = [], 0
        for s, e, is_mask in tk.split_on_mask(text, "<mask>"):
            if is_mask:
                out.append((self.mask_id, "<mask>", (s, e), word_index))
                word_index += 1
                continue
            whole = tk.bpe_encode_segment(text, s, e, self.token_id, self.ranks)
            parts = []
            for m in tk.GPT2_PATTERN.finditer(text[s:e]):
                parts += [t + (word_index,) for t in tk.bpe_encode_segment(text, s + m.start(), s + m.end(), self.token_id, self.ranks)]
                word_index += 1
            assert [p[:3] for p in parts] == whole, (text, parts, whole)  # per pre-token = the whole segment
            out += parts
        return out


# --- Unigram (XLMRobertaTokenizerFast, CamembertTokenizerFast) ---------------------------------


def metaspace_decoder(tokens):
    """decoders::metaspace (prepend_scheme always): '▁' -> ' ', except in the first token, where it is dropped."""
    return "".join(t.replace("▁", "") if i == 0 else t.replace("▁", " ") for i, t in enumerate(tokens))


class Unigram(Tokenizer):
    """sentencepiece (tests/fixtures/tokenizers/unigram/sentencepiece.bpe.model) with the fairseq ids, via
    make_tokenizer_fixtures.unigram_encode_text; a piece starting with '▁' starts a word (Metaspace splits the text
    before each '▁'), <mask> (lstrip) is a word of its own. Texts avoid where sentencepiece's offsets and HF's
    differ (a lone '▁' piece at a text's start, NFKC expansions, whitespace runs); sequence() checks the first."""

    kind = "Unigram (sentencepiece)"
    continuing_subword_prefix = None

    def __init__(self, folder):
        tj = read_json(folder, "tokenizer.json")
        cfg = read_json(folder, "tokenizer_config.json")
        self.vocab = [p for p, _ in tj["model"]["vocab"]]
        self.token_id = {t: i for i, t in enumerate(self.vocab)}
        self.sp = tk.spm.SentencePieceProcessor(model_file=os.path.join(FIXTURES, "tokenizers", "unigram", "sentencepiece.bpe.model"))
        self.specials = {a["content"] for a in tj["added_tokens"] if a["special"]}
        self.unk_id, self.cls_id, self.pad_id, self.mask_id = (self.token_id[t] for t in ("<unk>", "<s>", "<pad>", "<mask>"))
        self.template = roberta_template(("<s>", self.cls_id), ("</s>", self.token_id["</s>"]), 0)
        self.model_max_length = cfg["model_max_length"]
        self.clean_up = cfg["clean_up_tokenization_spaces"]
        self.decoder = metaspace_decoder

    def sequence(self, text):
        out, word_index = [], -1
        for i, piece, off in tk.unigram_encode_text(self.sp, text, self.mask_id):
            if i == self.mask_id or piece.startswith("▁"):
                word_index += 1
            out.append((i, self.vocab[i], off, max(word_index, 0)))
        return out

    def check(self, enc):
        """Texts of the cases must avoid a lone '▁' piece at the start of a text (or after <mask>), whose offsets
        sentencepiece and HF set differently."""
        for k, t in enumerate(enc["tokens"]):
            if t == "▁" and (k == 0 or enc["sequenceIds"][k - 1] is None or enc["tokens"][k - 1] == "<mask>"):
                sys.exit(f"ABORT: a lone '▁' starts a text or follows <mask> in {enc['tokens']}")


# ----------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------

HEADS = {"ForTokenClassification": "tokcls", "ForQuestionAnswering": "qa", "ForMaskedLM": "mlm",
         "ForSequenceClassification": "seqcls"}


class Checkpoint:
    """A fixture folder: config.json's architecture picks make_family_fixtures' family and head; the weights come
    back from model.safetensors. run(encoding) is the model on that one sequence (no padding), in eval mode."""

    noise = None  # a numpy Generator while the tie check runs: the heads' outputs get NOISE added

    def __init__(self, name):
        self.name = name
        self.dir = os.path.join(FIXTURES, name)
        self.config = read_json(self.dir, "config.json")
        arch = self.config["architectures"][0]
        self.head = next((h for suffix, h in HEADS.items() if arch.endswith(suffix)), "base")
        self.fam = dict(fm.FAMILIES[self.config["model_type"]])
        if self.head == "base":
            self.fam["prefix"] = ""  # save_pretrained of a bare base model: no prefix
        self.w = base.read_safetensors(os.path.join(self.dir, "model.safetensors"))
        n = len(self.config.get("id2label", {}))
        self.id2label = [self.config["id2label"][str(i)] for i in range(n)]
        tok_class = read_json(self.dir, "tokenizer_config.json")["tokenizer_class"]
        self.tokenizer = (ByteBPE if tok_class == "RobertaTokenizer" else
                          Unigram if tok_class in ("XLMRobertaTokenizer", "CamembertTokenizer") else WordPiece)(self.dir)
        self.check_against_fixture()

    def forward(self, ids, mask, types):
        with torch.no_grad():
            o = self.fam["forward"](self.fam, self.w, ids, mask, types if self.fam["types"] > 1 else None)
            o.update(fm.apply_head(self.w, self.fam, self.head, o))
        return o

    def run(self, enc):
        ids = torch.tensor([enc["ids"]])
        o = self.forward(ids, torch.ones_like(ids), torch.tensor([enc["typeIds"]]))
        out = {k: o[k][0].numpy().copy() for k in ("logits", "start_logits", "end_logits", "last_hidden_state") if k in o}
        if Checkpoint.noise is not None:
            for k in ("logits", "start_logits", "end_logits"):
                if k in out:
                    out[k] = (out[k] + Checkpoint.noise.uniform(-NOISE, NOISE, out[k].shape)).astype(np.float32)
        return out

    def check_against_fixture(self):
        """The weights, family and head read right: the fixture's own batch gives its stored last hidden state; the
        reference tokenizer gives the fixture's input ids (and, for BPE / Unigram, its tokens and offsets)."""
        fx = read_json(self.dir, "fixture.json")
        inp = fx["inputs"]
        ids = torch.tensor(inp["input_ids"])
        mask = torch.tensor(inp["attention_mask"])
        types = torch.tensor(inp["token_type_ids"]) if "token_type_ids" in inp else torch.zeros_like(ids)
        h = self.forward(ids, mask, types)["last_hidden_state"]
        want = fx["outputs"]["last_hidden_state"]
        err = float((h - torch.tensor(want["data"]).reshape(want["shape"])).abs().max())
        assert err < 1e-5, (self.name, err)
        for e in inp["encodings"]:
            got = self.tokenizer.encode(e["text"], e["text_pair"])
            assert got["ids"] == e["input_ids"], (self.name, e["text"], got["tokens"])
            bmp = all(ord(c) <= 0xFFFF for c in e["text"] + (e["text_pair"] or ""))
            if "offsets" in e and bmp and self.tokenizer.unk_id not in got["ids"]:
                assert got["tokens"] == e["tokens"] and got["offsets"] == e["offsets"], (self.name, e["text"])


CHECKPOINTS = {}


def checkpoint(name):
    if name not in CHECKPOINTS:
        CHECKPOINTS[name] = Checkpoint(name)
    return CHECKPOINTS[name]


ENCODINGS = {}  # (model, text, pair) -> encoding, written for the test's tokenizer check


def encode(ck, text, pair=None):
    enc = ck.tokenizer.encode(text, pair)
    ck.tokenizer.check(enc)
    assert len(enc["ids"]) <= ck.tokenizer.model_max_length, (ck.name, text, len(enc["ids"]))
    ENCODINGS[(ck.name, text, pair)] = enc
    return enc


# ----------------------------------------------------------------------------------------------
# The tasks: HF's preprocess (as the pipeline calls the tokenizer), the model, HF's postprocess
# ----------------------------------------------------------------------------------------------


def plain(x):
    """numpy scalars -> Python numbers, recursively."""
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    return x


def without_scores(x):
    if isinstance(x, dict):
        return {k: without_scores(v) for k, v in x.items() if k not in ("score", "scores")}
    if isinstance(x, list):
        return [without_scores(v) for v in x]
    return x


def stable(name, compute):
    """compute() with the model's outputs as they are, then NOISE_RUNS times with noise: everything but the scores
    must stay the same (else the case is a near-tie, useless for an exact comparison)."""
    want = plain(compute())
    rng = np.random.default_rng(20240612)
    try:
        for _ in range(NOISE_RUNS):
            Checkpoint.noise = rng
            got = plain(compute())
            if without_scores(got) != without_scores(want):
                sys.exit(f"ABORT: {name} changes under logits noise of {NOISE}: {without_scores(want)} vs {without_scores(got)}")
    finally:
        Checkpoint.noise = None
    return want


def token_classification(model, text, strategies=("none", "simple", "first", "average", "max")):
    """TokenClassificationPipeline: the text alone (offsets, special tokens mask), the logits, postprocess with each
    aggregation strategy (ignore_labels ["O"])."""
    ck = checkpoint(model)
    tok = ck.tokenizer
    enc = encode(ck, text)
    pipe = pr.TokenClassification(ck.id2label, tok.vocab, tok.unk_id, tok.convert_tokens_to_string, tok.continuing_subword_prefix)
    results = []
    for strategy in strategies:
        def compute():
            return pipe.postprocess(ck.run(enc)["logits"], text, np.array(enc["ids"]), [tuple(o) for o in enc["offsets"]],
                                    np.array(enc["specialTokensMask"]), strategy)
        ents = stable(f"{model} {text!r} {strategy}", compute)
        assert ents, (model, text, strategy, "no entity: nothing to compare")
        results.append({"options": {"aggregationStrategy": strategy}, "output": ents})
    return {"model": model, "text": text, "results": results}


def question_answering(model, question, context, runs, max_seq_len=None, doc_stride=None):
    """QuestionAnsweringPipeline: max_seq_len = min(tokenizer.model_max_length, 384) and doc_stride =
    min(max_seq_len // 2, 128) unless given; the windows of tokenizer(question, context, only_second, stride); the
    model on each window; postprocess over all windows (p_mask: not the context, but the CLS token)."""
    ck = checkpoint(model)
    tok = ck.tokenizer
    msl = max_seq_len if max_seq_len is not None else min(tok.model_max_length, 384)
    ds = doc_stride if doc_stride is not None else min(msl // 2, 128)
    windows = tok.windows(question, context, msl, ds)
    ENCODINGS[(model, question, context)] = tok.encode(question, context)
    for w in windows:
        tok.check(w)

    def outputs():
        out = []
        for enc in windows:
            o = ck.run(enc)
            out.append({"start": o["start_logits"][None], "end": o["end_logits"][None],
                        "p_mask": np.array([pr.p_mask_of(enc, tok.cls_id)]), "attention_mask": np.ones((1, len(enc["ids"])), dtype=np.int64),
                        "encoding": pr.FastEncoding(enc)})
        return out

    results = []
    for run in runs:
        hf = {"top_k": "topK", "max_answer_len": "maxAnswerLength", "handle_impossible_answer": "handleImpossibleAnswer",
              "align_to_words": "alignToWords"}
        options = {hf[k]: v for k, v in run.items()}
        if max_seq_len is not None:
            options["maxSeqLen"] = max_seq_len
        if doc_stride is not None:
            options["docStride"] = doc_stride
        answers = stable(f"{model} QA {question!r} {run}", lambda: pr.qa_postprocess(context, outputs(), **run))
        results.append({"options": options, "output": answers[0] if run.get("top_k", 1) == 1 else answers})
    return {"model": model, "question": question, "context": context, "maxSeqLen": msl, "docStride": ds,
            "windows": [{"ids": w["ids"], "offsets": w["offsets"]} for w in windows], "results": results}


def fill_mask_postprocess(tok, input_ids, logits_at_masks, top_k=5, target_ids=None):
    """FillMaskPipeline.postprocess (pipeline_reference.py's) with this tokenizer's ids and decoder."""
    return pr.fill_mask_postprocess(input_ids, logits_at_masks, top_k=top_k, target_ids=target_ids, pad_token_id=tok.pad_id,
                                       mask_token_id=tok.mask_id,
                                       decode=lambda ids, skip_special_tokens=False: tok.decode(list(ids), skip_special_tokens=skip_special_tokens))


def fill_mask(model, text, runs):
    ck = checkpoint(model)
    tok = ck.tokenizer
    enc = encode(ck, text)
    ids = np.array(enc["ids"])
    rows = np.nonzero(ids == tok.mask_id)[0]
    assert len(rows) >= 1, text
    results = []
    for run in runs:
        targets = run.get("targets")
        # get_target_ids: each target's vocabulary id, duplicates dropped (list(set(...)))
        target_ids = None if targets is None else np.array(list(set(tok.token_id[t] for t in targets)))
        got = stable(f"{model} {text!r} {run}", lambda: fill_mask_postprocess(tok, ids, ck.run(enc)["logits"][rows], run.get("top_k", 5), target_ids))
        options = {"topK": run["top_k"]} if "top_k" in run else {}
        if targets is not None:
            options["targets"] = targets
        results.append({"options": options, "output": got})
    return {"model": model, "text": text, "results": results}


def text_classification(model, inputs, runs):
    """TextClassificationPipeline on a text, {text, text_pair} or a list of them: postprocess with the default
    function (softmax for this two-label model) and top_k, in the shapes __call__ returns. Without top_k (the
    "legacy" call) each input gives a bare {label, score}, which __call__ wraps in a list for a single string
    only: "a" -> [{...}], {text, text_pair} -> {...}, [a, b] -> [{...}, {...}]. With top_k (None for all) each
    input gives a list."""
    ck = checkpoint(model)
    items = inputs if isinstance(inputs, list) else [inputs]
    encs = [encode(ck, x) if isinstance(x, str) else encode(ck, x["text"], x["text_pair"]) for x in items]
    results = []
    for run in runs:
        legacy = "topK" not in run

        def call():
            out = []
            for enc in encs:
                scores = pr.text_classification_postprocess(ck.run(enc)["logits"], ck.id2label, ck.config.get("problem_type"),
                                                            None, 1 if legacy else run["topK"])
                out.append(scores[0] if legacy else scores)
            if isinstance(inputs, list):
                return out
            return [out[0]] if isinstance(inputs, str) and legacy else out[0]

        results.append({"options": run, "output": stable(f"{model} {inputs!r} {run}", call)})
    return {"model": model, "input": inputs, "results": results}


def zero_shot(model, text, candidate_labels, runs):
    """ZeroShotClassificationPipeline: one (text, hypothesis) pair per label, each run alone; postprocess."""
    ck = checkpoint(model)
    label2id = {l: i for i, l in enumerate(ck.id2label)}
    results = []
    for run in runs:
        template = run.get("hypothesisTemplate", "This example is {}.")
        pairs, labels = pr.zero_shot_pairs(text, candidate_labels, template)
        encs = [encode(ck, p, h) for p, h in pairs]
        got = stable(f"{model} {text!r} {run}", lambda: pr.zero_shot_postprocess(
            text, labels, np.stack([ck.run(e)["logits"] for e in encs]), label2id, run.get("multiLabel", False)))
        results.append({"options": run, "output": got})
    return {"model": model, "text": text, "candidateLabels": candidate_labels, "results": results}


def feature_extraction(model, texts, options):
    """transformers.js's feature-extraction: pooling 'none' gives the last hidden state [B, T, D] (HF Python's
    FeatureExtractionPipeline output, one text at a time); 'mean' averages the tokens (sentence-transformers
    Pooling), 'cls' takes the first; normalize divides by the L2 norm (F.normalize, eps 1e-12)."""
    ck = checkpoint(model)
    hs = [torch.tensor(ck.run(encode(ck, t))["last_hidden_state"]) for t in texts]
    pooling = options.get("pooling", "none")
    if pooling == "none":
        assert len(texts) == 1 and not options.get("normalize")
        h = hs[0][None]
    else:
        h = torch.stack([x.mean(0) if pooling == "mean" else x[0] for x in hs])
        if options.get("normalize"):
            h = torch.nn.functional.normalize(h, p=2, dim=1)
    return {"model": model, "texts": texts, "options": options, "dims": list(h.shape), "data": [float(x) for x in h.reshape(-1)]}


# --- Translation (Marian) ----------------------------------------------------------------------


def translation(texts, runs):
    """TranslationPipeline on each text alone (a list is run text by text): tokenizer(text) -> ids + </s>;
    generate() with the generation config (num_beams 4, max_length 512, pad suppressed, </s> forced last),
    options overriding it; decode(skip_special_tokens=True, clean_up_tokenization_spaces=False, the
    pipeline's default). With the config's max_length (512) every text here runs into the model's 64 positions,
    where HF's sinusoidal table has no row (an IndexError there; the JS lowers max_length to 64): so the cases
    give maxLength and take the rest from the checkpoint (4 beams, length penalty 1, early_stopping false, <pad>
    suppressed, </s> forced), or ask for greedy search with numBeams 1."""
    d = os.path.join(FIXTURES, "marian")
    gen_cfg = read_json(d, "generation_config.json")
    P = read_json(d, "config.json")["max_position_embeddings"]
    w = base.read_safetensors(os.path.join(d, "model.safetensors"))
    vocab = base.marian_vocab()
    assert read_json(d, "tokenizer.json")["model"]["vocab"] == [list(v) for v in vocab]
    fx = read_json(d, "fixture.json")
    for e in fx["inputs"]["encodings"]:
        assert base.marian_tokenize(e["text"], vocab) == e["input_ids"]
    pieces = [p for p, _ in vocab]
    specials = {base.MARIAN["EOS"], base.MARIAN["UNK"], base.MARIAN["PAD"]}

    def decode(ids):
        return metaspace_decoder([pieces[i] for i in ids if i not in specials])

    out = []
    for run in runs:
        num_beams = run.get("numBeams", gen_cfg["num_beams"])
        max_length = min(run.get("maxLength", gen_cfg["max_length"]), P)
        outputs = []
        for text in texts:
            ids = torch.tensor([base.marian_tokenize(text, vocab)])
            mask = torch.ones_like(ids)
            with torch.no_grad():
                if num_beams == 1:
                    seq, margins = base.marian_greedy(w, ids, mask, max_length)
                    seq, margin = seq[0].tolist(), min(margins[0])
                else:
                    seqs, _, margin = base.marian_beam(w, ids, mask, max_length, num_beams, length_penalty=1.0,
                                                       early_stopping=False, num_return_sequences=1)
                    seq = seqs[0]
            # as make_transformer_fixtures: greedy margins above 1e-3, beam score gaps above 1e-4 (log-probabilities)
            assert margin > (1e-3 if num_beams == 1 else 1e-4), f"translation {text!r} {run}: a choice within {margin:.1e} of a tie"
            assert len(seq) < P, "a sequence ran into the position limit"
            outputs.append({"translation_text": decode(seq)})
            print(f"  marian {run}: {text!r} -> {seq} {outputs[-1]['translation_text']!r} (margin {margin:.2e})")
        out.append({"options": run, "output": outputs})
    return {"model": "marian", "texts": texts, "results": out}


# ----------------------------------------------------------------------------------------------
# The cases
# ----------------------------------------------------------------------------------------------

# WordPiece (lower-cased): "dogs" and "houses" split (dog ##s, house ##s), "dogs" twice, punctuation, "were" and
# "loved" unknown to the tiny vocabulary ([UNK], reported as their text), capitals and an accent stripped.
NER_WP = ["The big dogs were sleeping in the old houses, and the dogs loved it!",
          "Hello World! Today the sun is very red, and the redness is unreal."]
NER_BPE = ["Emma Woodhouse lived at Hartfield with her father, and Emma loved him.",
           "the house was quite old, but the old house was his own!"]
NER_UNIGRAM = ["emma woodhouse and harriet were friends, but emma loved mr. knightley!",
               "the house was quite old, and the old house was his own."]

QA_WP_SHORT = ("Where was the dog sleeping?", "The big dog was sleeping in the old house, and the cat was playing in the tree.")
QA_WP_LONG = ("What did the dog love?",
              "The big red dog was sleeping in the old house yesterday. The small cat was playing in the green tree, "
              "and the sun was very good. Today the dog is running with the cat, and they really love the rain. "
              "The dog is happy, the cat is sad, and the house is new.")
# The byte-level BPE has 250 merges: words fall into many pieces, so even the short context needs windows.
QA_BPE_SHORT = ("who lived at hartfield?", "emma woodhouse lived at hartfield with her father, and she was very happy.")
QA_BPE_LONG = ("where did emma live?",
               "emma woodhouse, handsome, clever, and rich, lived at hartfield with her father. she had lived nearly "
               "twenty one years in the world with very little to distress or vex her. her sister had married, "
               "and emma was the mistress of his house.")


def cases():
    out = {k: [] for k in ("tokenClassification", "questionAnswering", "fillMask", "textClassification",
                           "zeroShotClassification", "featureExtraction", "translation")}
    print("token classification")
    for model, texts in [("bert-ner", NER_WP), ("distilbert-ner", NER_WP), ("roberta-ner", NER_BPE), ("xlm-roberta-ner", NER_UNIGRAM)]:
        for text in texts:
            out["tokenClassification"].append(token_classification(model, text))

    print("question answering")
    runs = [dict(), dict(top_k=3)]
    more = [dict(), dict(top_k=3), dict(top_k=3, align_to_words=False), dict(top_k=2, handle_impossible_answer=True, max_answer_len=4)]
    for model, short, long in [("bert-qa", QA_WP_SHORT, QA_WP_LONG), ("distilbert-qa", QA_WP_SHORT, QA_WP_LONG),
                               ("mpnet-qa", QA_WP_SHORT, QA_WP_LONG), ("roberta-qa", QA_BPE_SHORT, QA_BPE_LONG)]:
        out["questionAnswering"].append(question_answering(model, *short, runs))
        case = question_answering(model, *long, more)
        assert len(case["windows"]) >= 3, (model, len(case["windows"]))
        out["questionAnswering"].append(case)
        out["questionAnswering"].append(question_answering(model, *long, runs, max_seq_len=30, doc_stride=6))

    print("fill-mask")
    for model, mask in [("bert-mlm", "[MASK]"), ("distilbert-mlm", "[MASK]"), ("mpnet-mlm", "<mask>"), ("camembert", "<mask>")]:
        if model == "camembert":
            # the mask last: a text after it would start with a lone '▁' (see Unigram.check)
            texts = [f"the old house was very {mask}", f"emma said that she would not {mask}"]
        else:
            texts = [f"The dog was {mask} in the old house.", f"Hello world, the {mask} is very big!"]
        for text in texts:
            out["fillMask"].append(fill_mask(model, text, [dict()]))
    out["fillMask"].append(fill_mask("bert-mlm", "The dog was [MASK] in the old house.",
                                     [dict(targets=["happy", "sad", "sleeping", "happy"]), dict(top_k=2, targets=["red", "blue", "green", "big"])]))
    out["fillMask"].append(fill_mask("bert-mlm", "the [MASK] was [MASK] today.", [dict(top_k=3)]))

    print("text classification")
    pair = {"text": "the house is big", "text_pair": "the house is small"}
    for inputs in ["I love this movie, it was great!", "the house was quite old.", pair,
                   ["I love this movie, it was great!", pair]]:
        out["textClassification"].append(text_classification("roberta", inputs, [dict(), dict(topK=None), dict(topK=1)]))

    print("zero-shot classification")
    out["zeroShotClassification"].append(zero_shot("roberta-nli", "the dog was sleeping in the old house.", ["animals", "politics", "houses"],
                                                   [dict(), dict(multiLabel=True), dict(hypothesisTemplate="This text is about {}.")]))
    out["zeroShotClassification"].append(zero_shot("roberta-nli", "emma lived at hartfield with her father.", "family, sports",
                                                   [dict(), dict(multiLabel=True, hypothesisTemplate="She talks about {}.")]))

    print("feature extraction")
    for model in ("mpnet-st", "xlm-roberta"):
        out["featureExtraction"].append(feature_extraction(model, ["the movie was great!"], {"pooling": "none"}))
        out["featureExtraction"].append(feature_extraction(model, ["the movie was great!", "she said that she would not go."],
                                                           {"pooling": "mean", "normalize": True}))
    out["featureExtraction"].append(feature_extraction("mpnet-st", ["the movie was great!", "she said that she would not go."], {"pooling": "cls"}))

    print("translation")
    out["translation"].append(translation(["he is sleeping", "the big red dog is not running today", "she is very good"],
                                          [dict(numBeams=1, maxLength=12), dict(maxLength=12), dict(maxLength=6)]))
    return out


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(FIXTURES, "pipelines", "end-to-end.json")
    print(f"torch {torch.__version__}, numpy {np.__version__}, out {os.path.abspath(path)}")
    data = cases()
    data["encodings"] = [{"model": m, "text": t, "pair": p, "encoding": e} for (m, t, p), e in ENCODINGS.items()]
    data = {"generator": "tools/make_pipeline_fixtures.py", "noise": NOISE, **data}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(plain(data), f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
