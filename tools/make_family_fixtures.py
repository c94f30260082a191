#!/usr/bin/python3
"""Reference fixtures for more encoder families and task heads: RoBERTa, XLM-RoBERTa, CamemBERT, MPNet, and
token-classification / question-answering / masked-LM heads on BERT, DistilBERT, RoBERTa, XLM-R and MPNet.

Run with Debian's torch, after the tokenizer fixtures (this script reads them):

    /usr/bin/python3 tools/make_tokenizer_fixtures.py      # tests/fixtures/tokenizers/
    /usr/bin/python3 tools/make_family_fixtures.py [outdir] # default: tests/fixtures

Each fixture folder is laid out like a Hugging Face checkpoint (config.json, model.safetensors, tokenizer.json,
tokenizer_config.json; sentence-transformers files where named) plus fixture.json with inputs and outputs.

As in make_transformer_fixtures.py (whose helpers this script imports), the forward passes are plain torch
functions over a dict keyed by Hugging Face's parameter names, following the modeling code named in each
docstring operation by operation, and every layer is checked against torch.nn's own modules given the same
weights (the script aborts on a difference above 1e-5). Tokens come from the reference tokenizers of
make_tokenizer_fixtures.py (GPT-2's bpe(), sentencepiece) and make_transformer_fixtures.py (WordPiece).

Dimension letters: B batch, T sequence, D model width, H heads, Dh = D / H, F feed-forward width, V vocabulary,
L layers, P position-table rows.
"""

import json
import math
import os
import shutil
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_tokenizer_fixtures as tk  # noqa: E402
import make_transformer_fixtures as base  # noqa: E402
from make_transformer_fixtures import (  # noqa: E402
    DTYPE, additive_padding_mask, embedding, encoder_layer_from, layer_norm_w, lin, linear, ln, mean_pool_normalize,
    pad_batch, read_safetensors, record, rnd, tensor_json, write_json, write_safetensors,
)

torch.set_num_threads(1)

# Sizes shared by every fixture here. P = 40 rows: RoBERTa-style positions run from pad + 1 = 2 to T + 1, so
# sequences up to 38 tokens fit (HF's max_position_embeddings = model_max_length + 2 convention).
D, H, FF, L, P = 32, 4, 64, 2, 40
MAX_LEN = P - 2

NER_LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
SENTIMENT = ["negative", "positive"]
NLI = ["contradiction", "neutral", "entailment"]

# ----------------------------------------------------------------------------------------------
# Tokenizers (reference encoders; the tokenizer.json files are copied from tests/fixtures/tokenizers)
# ----------------------------------------------------------------------------------------------


class ByteBPE:
    """GPT-2 bpe() with RobertaProcessing, over the vocab / merges of tests/fixtures/tokenizers/byte-bpe."""

    kind = "byte-level BPE"

    def __init__(self, tokdir):
        self.dir = os.path.join(tokdir, "byte-bpe")
        with open(os.path.join(self.dir, "vocab.json"), encoding="utf-8") as f:
            self.vocab = json.load(f)
        with open(os.path.join(self.dir, "merges.txt"), encoding="utf-8") as f:
            merges = [tuple(line.rstrip("\n").split(" ")) for line in f if not line.startswith("#version")]
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.V, self.pad, self.mask = len(self.vocab), self.vocab["<pad>"], self.vocab["<mask>"]

    def encode(self, text, pair=None):
        r = tk.bpe_reference(text, pair, self.vocab, self.ranks)
        return {"text": text, "text_pair": pair, "input_ids": r["ids"], "tokens": r["tokens"],
                "offsets": r["offsets"], "sequence_ids": r["sequence_ids"]}

    def write(self, d, tokenizer_class="RobertaTokenizer"):
        copy_tokenizer(self.dir, d, tokenizer_class)


class Unigram:
    """sentencepiece (the model of tests/fixtures/tokenizers/unigram) with the fairseq id offset and the
    XLM-R template."""

    kind = "Unigram (sentencepiece)"

    def __init__(self, tokdir):
        self.dir = os.path.join(tokdir, "unigram")
        self.sp = tk.spm.SentencePieceProcessor(model_file=os.path.join(self.dir, "sentencepiece.bpe.model"))
        self.V = self.sp.get_piece_size() + 2  # [<s>, <pad>, </s>, <unk>] + pieces[3:] + <mask>
        self.pad, self.mask = 1, self.V - 1

    def encode(self, text, pair=None):
        r = tk.unigram_reference(self.sp, text, pair, self.mask)
        return {"text": text, "text_pair": pair, "input_ids": r["ids"], "tokens": r["tokens"],
                "offsets": r["offsets"], "sequence_ids": r["sequence_ids"]}

    def write(self, d, tokenizer_class="XLMRobertaTokenizer"):
        copy_tokenizer(self.dir, d, tokenizer_class)  # sentencepiece.bpe.model stays in tokenizers/unigram only


def copy_tokenizer(src, d, tokenizer_class):
    shutil.copyfile(os.path.join(src, "tokenizer.json"), os.path.join(d, "tokenizer.json"))
    with open(os.path.join(src, "tokenizer_config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    cfg["tokenizer_class"], cfg["model_max_length"] = tokenizer_class, MAX_LEN
    write_json(os.path.join(d, "tokenizer_config.json"), cfg)


def wordpiece_pieces(text, vocab, unk):
    """make_transformer_fixtures.bert_tokenize (BertNormalizer lowercase + BertPreTokenizer + WordPiece) with
    another unknown token: it looks "[UNK]" up, so it gets a copy of the vocab with unk renamed."""
    shadow = ["[UNK]" if t == unk else t for t in vocab]
    return base.bert_tokenize(text, shadow)


class BertWordPiece:
    """The WordPiece tokenizer of tests/fixtures/bert: [CLS] A [SEP] (B [SEP]), token types 0 / 1. A literal
    "[MASK]" is cut out first, as Hugging Face's added-token matching does (no lstrip for BERT's mask)."""

    kind = "WordPiece"

    def __init__(self):
        self.vocab = base.bert_vocab()
        self.V, self.pad, self.mask = len(self.vocab), 0, self.vocab.index("[MASK]")

    def pieces(self, text):
        out = []
        for k, part in enumerate(text.split("[MASK]")):
            if k:
                out.append(self.mask)
            out += wordpiece_pieces(part, self.vocab, "[UNK]")
        return out

    def encode(self, text, pair=None):
        cls, sep = self.vocab.index("[CLS]"), self.vocab.index("[SEP]")
        ids = [cls] + self.pieces(text) + [sep]
        types = [0] * len(ids)
        if pair is not None:
            b = self.pieces(pair) + [sep]
            ids, types = ids + b, types + [1] * len(b)
        return {"text": text, "text_pair": pair, "input_ids": ids, "token_type_ids": types}

    def write(self, d, tokenizer_class="BertTokenizer"):
        write_json(os.path.join(d, "tokenizer.json"), base.bert_tokenizer_json(self.vocab))
        cfg = base.bert_tokenizer_config(MAX_LEN)
        cfg["tokenizer_class"] = tokenizer_class
        write_json(os.path.join(d, "tokenizer_config.json"), cfg)


MPNET_SPECIAL = ["<s>", "<pad>", "</s>", "<unk>"]


class MPNetWordPiece:
    """BERT's WordPiece vocabulary under MPNet's special tokens: <s> 0, <pad> 1, </s> 2, <unk> 3, then BERT's
    words and pieces, <mask> last (as in microsoft/mpnet-base, where <mask> is the last id). MPNetConverter's
    template: <s> A </s> and <s> A </s> </s> B </s> (type ids 0, then 1 on B's part; MPNet takes none).
    <mask> is lstrip (MPNetTokenizer), which does not change WordPiece's output."""

    kind = "WordPiece (MPNet specials)"

    def __init__(self):
        self.vocab = MPNET_SPECIAL + base.bert_vocab()[len(base.BERT_SPECIAL):] + ["<mask>"]
        assert len(set(self.vocab)) == len(self.vocab)
        self.V, self.pad, self.mask = len(self.vocab), 1, len(self.vocab) - 1

    def pieces(self, text):
        out = []
        for k, part in enumerate(text.split("<mask>")):
            if k:
                out.append(self.mask)
            out += wordpiece_pieces(part, self.vocab, "<unk>")
        return out

    def encode(self, text, pair=None):
        ids = [0] + self.pieces(text) + [2]
        if pair is not None:
            ids += [2] + self.pieces(pair) + [2]
        return {"text": text, "text_pair": pair, "input_ids": ids}

    def tokenizer_json(self):
        """MPNetConverter: BertNormalizer, BertPreTokenizer, WordPiece, the template above."""
        mask = base.added_token(self.mask, "<mask>")
        mask["lstrip"] = True

        def special(t, ty):
            return {"SpecialToken": {"id": t, "type_id": ty}}

        a, b = {"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}
        return {
            "version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [base.added_token(i, t) for i, t in enumerate(MPNET_SPECIAL)] + [mask],
            "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                           "strip_accents": None, "lowercase": True},
            "pre_tokenizer": {"type": "BertPreTokenizer"},
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [special("<s>", 0), a, special("</s>", 0)],
                "pair": [special("<s>", 0), a, special("</s>", 0), special("</s>", 0), b, special("</s>", 1)],
                "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]},
                                   "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}},
            },
            "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
            "model": {"type": "WordPiece", "unk_token": "<unk>", "continuing_subword_prefix": "##",
                      "max_input_chars_per_word": 100, "vocab": {t: i for i, t in enumerate(self.vocab)}},
        }

    def write(self, d, tokenizer_class="MPNetTokenizer"):
        write_json(os.path.join(d, "tokenizer.json"), self.tokenizer_json())
        write_json(os.path.join(d, "tokenizer_config.json"), {
            "tokenizer_class": tokenizer_class, "do_lower_case": True, "model_max_length": MAX_LEN,
            "bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>", "unk_token": "<unk>",
            "pad_token": "<pad>", "mask_token": "<mask>", "strip_accents": None, "tokenize_chinese_chars": True,
            "clean_up_tokenization_spaces": True})


# ----------------------------------------------------------------------------------------------
# Families: weights and forward passes
# ----------------------------------------------------------------------------------------------
# A family dict: name, prefix of the base model's tensors ("" for a bare base model, as save_pretrained of
# XLMRobertaModel / MPNetModel writes them), EPS, pad id, position style, token types.


def bert_like_weights(w, fam, V, pooler):
    """BertModel / RobertaModel names (RobertaModel, XLMRobertaModel and CamembertModel copy BERT's layers).
    RoBERTa-style position tables have a zero pad row (nn.Embedding(padding_idx=pad) as _init_weights leaves it)."""
    p = fam["prefix"]
    embedding(w, p + "embeddings.word_embeddings", V, D, pad=fam["pad"])
    embedding(w, p + "embeddings.position_embeddings", P, D, pad=fam["pad"] if fam["positions"] == "roberta" else None,
              std=0.5)
    embedding(w, p + "embeddings.token_type_embeddings", fam["types"], D, std=0.5)
    layer_norm_w(w, p + "embeddings.LayerNorm", D)
    for i in range(L):
        q = f"{p}encoder.layer.{i}."
        for n in ("query", "key", "value"):
            linear(w, q + "attention.self." + n, D, D)
        linear(w, q + "attention.output.dense", D, D)
        layer_norm_w(w, q + "attention.output.LayerNorm", D)
        linear(w, q + "intermediate.dense", FF, D)
        linear(w, q + "output.dense", D, FF)
        layer_norm_w(w, q + "output.LayerNorm", D)
    if pooler:
        linear(w, p + "pooler.dense", D, D)


def mpnet_weights(w, fam, V, pooler):
    """MPNetModel names: attention.attn.{q,k,v,o}, attention.LayerNorm, and one relative_attention_bias
    table [32 buckets, H] in the encoder, shared by every layer. No token types."""
    p = fam["prefix"]
    embedding(w, p + "embeddings.word_embeddings", V, D, pad=fam["pad"])
    embedding(w, p + "embeddings.position_embeddings", P, D, pad=fam["pad"], std=0.5)
    layer_norm_w(w, p + "embeddings.LayerNorm", D)
    for i in range(L):
        q = f"{p}encoder.layer.{i}."
        for n in ("q", "k", "v", "o"):
            linear(w, q + "attention.attn." + n, D, D)
        layer_norm_w(w, q + "attention.LayerNorm", D)
        linear(w, q + "intermediate.dense", FF, D)
        linear(w, q + "output.dense", D, FF)
        layer_norm_w(w, q + "output.LayerNorm", D)
    w[p + "encoder.relative_attention_bias.weight"] = rnd(MPNET_BUCKETS, H, std=1.0)
    if pooler:
        linear(w, p + "pooler.dense", D, D)


def distil_weights(w, fam, V, pooler):
    """DistilBertModel names, learned positions (sinusoidal_pos_embds false, the config default)."""
    p = fam["prefix"]
    embedding(w, p + "embeddings.word_embeddings", V, D, pad=fam["pad"])
    embedding(w, p + "embeddings.position_embeddings", P, D, std=0.5)
    layer_norm_w(w, p + "embeddings.LayerNorm", D)
    for i in range(L):
        q = f"{p}transformer.layer.{i}."
        for n in ("q_lin", "k_lin", "v_lin", "out_lin"):
            linear(w, q + "attention." + n, D, D)
        layer_norm_w(w, q + "sa_layer_norm", D)
        linear(w, q + "ffn.lin1", FF, D)
        linear(w, q + "ffn.lin2", D, FF)
        layer_norm_w(w, q + "output_layer_norm", D)


def create_position_ids(input_ids, pad):
    """modeling_roberta.create_position_ids_from_input_ids (also modeling_mpnet's): non-pad tokens get
    pad + 1, pad + 2, ... in order; pad tokens get pad. mask = ne(pad); (cumsum(mask) * mask) + pad."""
    m = input_ids.ne(pad).int()
    incremental = torch.cumsum(m, dim=1).type_as(m) * m
    return incremental.long() + pad


def position_ids_for(fam, input_ids):
    if fam["positions"] == "roberta":
        return create_position_ids(input_ids, fam["pad"])
    return torch.arange(input_ids.shape[1])[None].expand_as(input_ids)  # BERT / DistilBERT: 0..T-1


def bert_like_layer(x, w, q, ext, eps):
    """BertLayer (= RobertaLayer): post-LN; LN(dense(attn) + x), LN(dense(gelu(dense(a))) + a)."""
    ctx = base.bert_self_attention(x, w, q + "attention.self.", ext, H)
    a = ln(lin(ctx, w, q + "attention.output.dense") + x, w, q + "attention.output.LayerNorm", eps)
    h = F.gelu(lin(a, w, q + "intermediate.dense"))
    return ln(lin(h, w, q + "output.dense") + a, w, q + "output.LayerNorm", eps)


def bert_like_forward(fam, w, input_ids, mask, token_type_ids=None):
    """BertEmbeddings / RobertaEmbeddings: word + token_type + position, LayerNorm(eps); then the layers with the
    extended mask; BertPooler tanh(dense(h[:, 0])) if the pooler's weights exist. Token types default to 0
    (RoBERTa's type_vocab_size is 1: one row, added to every token)."""
    p, eps = fam["prefix"], fam["eps"]
    if token_type_ids is None:
        token_type_ids = torch.zeros_like(input_ids)
    pos = position_ids_for(fam, input_ids)
    e = (F.embedding(input_ids, w[p + "embeddings.word_embeddings.weight"])
         + F.embedding(token_type_ids, w[p + "embeddings.token_type_embeddings.weight"])
         + F.embedding(pos, w[p + "embeddings.position_embeddings.weight"]))
    x = ln(e, w, p + "embeddings.LayerNorm", eps)
    ext = additive_padding_mask(mask)
    hidden = [x]
    for i in range(L):
        x = bert_like_layer(x, w, f"{p}encoder.layer.{i}.", ext, eps)
        hidden.append(x)
    out = dict(hidden_states=hidden, last_hidden_state=x, position_ids=pos)
    if p + "pooler.dense.weight" in w:
        out["pooler_output"] = torch.tanh(lin(x[:, 0], w, p + "pooler.dense"))
    return out


MPNET_BUCKETS, MPNET_MAX_DISTANCE = 32, 128


def mpnet_relative_position_bucket(relative_position, num_buckets=MPNET_BUCKETS, max_distance=MPNET_MAX_DISTANCE):
    """MPNetEncoder.relative_position_bucket (bidirectional): n = -(key - query); half the buckets for n < 0
    (keys after the query); |n| < 8 exact; beyond, log-spaced up to max_distance, capped at bucket 15. The log is
    torch.log of float32 divided by the float64 math.log, cast to long (truncation)."""
    ret = 0
    n = -relative_position
    num_buckets //= 2
    ret += (n < 0).to(torch.long) * num_buckets
    n = torch.abs(n)
    max_exact = num_buckets // 2
    is_small = n < max_exact
    val_if_large = max_exact + (
        torch.log(n.float() / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact)
    ).to(torch.long)
    val_if_large = torch.min(val_if_large, torch.full_like(val_if_large, num_buckets - 1))
    ret += torch.where(is_small, n, val_if_large)
    return ret


def mpnet_position_bias(w, fam, B, T):
    """MPNetEncoder.compute_position_bias: relative position = key index - query index over 0..T-1 (not the
    position ids: padding does not enter), bucketed, looked up in relative_attention_bias [32, H] ->
    [B, H, T, T]. Computed once and added to every layer's scores."""
    ctx = torch.arange(T, dtype=torch.long)[:, None]
    mem = torch.arange(T, dtype=torch.long)[None, :]
    bucket = mpnet_relative_position_bucket(mem - ctx)
    values = F.embedding(bucket, w[fam["prefix"] + "encoder.relative_attention_bias.weight"])  # [T, T, H]
    return values.permute([2, 0, 1]).unsqueeze(0).expand((B, -1, T, T)).contiguous()


def mpnet_layer(x, w, q, ext, bias, eps):
    """MPNetLayer: MPNetSelfAttention scores = q k^T / sqrt(Dh) + position_bias + extended mask, softmax, times v,
    then o; MPNetAttention LN(o + x); MPNetIntermediate gelu; MPNetOutput LN(dense(h) + a)."""
    a = q + "attention.attn."
    qh = base.split_heads(lin(x, w, a + "q"), H)
    kh = base.split_heads(lin(x, w, a + "k"), H)
    vh = base.split_heads(lin(x, w, a + "v"), H)
    scores = torch.matmul(qh, kh.transpose(-1, -2)) / math.sqrt(qh.shape[-1])
    scores = scores + bias
    scores = scores + ext
    ctx = base.merge_heads(torch.matmul(torch.softmax(scores, dim=-1), vh))
    att = ln(lin(ctx, w, a + "o") + x, w, q + "attention.LayerNorm", eps)
    h = F.gelu(lin(att, w, q + "intermediate.dense"))
    return ln(lin(h, w, q + "output.dense") + att, w, q + "output.LayerNorm", eps)


def mpnet_forward(fam, w, input_ids, mask, token_type_ids=None):
    """MPNetModel: MPNetEmbeddings (word + RoBERTa-style positions, LayerNorm; no token types), MPNetEncoder
    (position bias once, each layer), MPNetPooler tanh(dense(h[:, 0])) if present."""
    p, eps = fam["prefix"], fam["eps"]
    pos = create_position_ids(input_ids, fam["pad"])
    e = F.embedding(input_ids, w[p + "embeddings.word_embeddings.weight"]) + F.embedding(pos, w[p + "embeddings.position_embeddings.weight"])
    x = ln(e, w, p + "embeddings.LayerNorm", eps)
    ext = additive_padding_mask(mask)
    bias = mpnet_position_bias(w, fam, input_ids.shape[0], input_ids.shape[1])
    hidden = [x]
    for i in range(L):
        x = mpnet_layer(x, w, f"{p}encoder.layer.{i}.", ext, bias, eps)
        hidden.append(x)
    out = dict(hidden_states=hidden, last_hidden_state=x, position_ids=pos, position_bias=bias)
    if p + "pooler.dense.weight" in w:
        out["pooler_output"] = torch.tanh(lin(x[:, 0], w, p + "pooler.dense"))
    return out


def distil_forward(fam, w, input_ids, mask, token_type_ids=None):
    """DistilBertModel: word + learned position (0..T-1), LayerNorm eps 1e-12; TransformerBlock as in
    make_transformer_fixtures.distil_layer (q / sqrt(Dh) before q k^T, masked_fill finfo.min, post-LN)."""
    p, eps = fam["prefix"], fam["eps"]
    T = input_ids.shape[1]
    e = F.embedding(input_ids, w[p + "embeddings.word_embeddings.weight"]) + F.embedding(
        torch.arange(T)[None], w[p + "embeddings.position_embeddings.weight"])
    x = ln(e, w, p + "embeddings.LayerNorm", eps)
    hidden = [x]
    for i in range(L):
        q = f"{p}transformer.layer.{i}."
        sa = ln(base.distil_attention(x, w, q + "attention.", mask, H) + x, w, q + "sa_layer_norm", eps)
        f = lin(F.gelu(lin(sa, w, q + "ffn.lin1")), w, q + "ffn.lin2")
        x = ln(f + sa, w, q + "output_layer_norm", eps)
        hidden.append(x)
    return dict(hidden_states=hidden, last_hidden_state=x)


FAMILIES = {
    "roberta": dict(model_type="roberta", weights=bert_like_weights, forward=bert_like_forward, eps=1e-5, pad=1,
                    positions="roberta", types=1, prefix="roberta.", base_class="RobertaModel"),
    "xlm-roberta": dict(model_type="xlm-roberta", weights=bert_like_weights, forward=bert_like_forward, eps=1e-5,
                        pad=1, positions="roberta", types=1, prefix="roberta.", base_class="XLMRobertaModel"),
    "camembert": dict(model_type="camembert", weights=bert_like_weights, forward=bert_like_forward, eps=1e-5, pad=1,
                      positions="roberta", types=1, prefix="roberta.", base_class="CamembertModel"),
    "mpnet": dict(model_type="mpnet", weights=mpnet_weights, forward=mpnet_forward, eps=1e-12, pad=1,
                  positions="roberta", types=0, prefix="mpnet.", base_class="MPNetModel"),
    "bert": dict(model_type="bert", weights=bert_like_weights, forward=bert_like_forward, eps=1e-12, pad=0,
                 positions="absolute", types=2, prefix="bert.", base_class="BertModel"),
    "distilbert": dict(model_type="distilbert", weights=distil_weights, forward=distil_forward, eps=1e-12, pad=0,
                       positions="absolute", types=0, prefix="distilbert.", base_class="DistilBertModel"),
}

# ----------------------------------------------------------------------------------------------
# Heads
# ----------------------------------------------------------------------------------------------


def head_weights(w, fam, head, V, n_labels):
    f = fam["model_type"]
    if head == "seqcls":  # RobertaClassificationHead
        linear(w, "classifier.dense", D, D)
        linear(w, "classifier.out_proj", n_labels, D, std=1.0)
    elif head == "tokcls":
        linear(w, "classifier", n_labels, D, std=0.4)
        w["classifier.bias"][0] += 1.5  # lean towards "O" so that predictions mix O and entities
    elif head == "qa":
        linear(w, "qa_outputs", 2, D, std=1.0)
    elif head == "mlm" and f == "bert":
        linear(w, "cls.predictions.transform.dense", D, D)
        layer_norm_w(w, "cls.predictions.transform.LayerNorm", D)
        w["cls.predictions.bias"] = rnd(V, std=0.5)
    elif head == "mlm" and f == "distilbert":
        linear(w, "vocab_transform", D, D)
        layer_norm_w(w, "vocab_layer_norm", D)
        w["vocab_projector.bias"] = rnd(V, std=0.5)
    elif head == "mlm":  # RobertaLMHead / CamembertLMHead / MPNetLMHead
        linear(w, "lm_head.dense", D, D)
        layer_norm_w(w, "lm_head.layer_norm", D)
        w["lm_head.bias"] = rnd(V, std=0.5)
    elif head != "base":
        raise ValueError(head)


def word_embeddings(w, fam):
    return w[fam["prefix"] + "embeddings.word_embeddings.weight"]


def apply_head(w, fam, head, out):
    """The heads, in eval mode (dropout is identity)."""
    h, f, eps = out["last_hidden_state"], fam["model_type"], fam["eps"]
    if head == "seqcls":  # RobertaClassificationHead: out_proj(tanh(dense(h[:, 0])))
        return {"logits": lin(torch.tanh(lin(h[:, 0], w, "classifier.dense")), w, "classifier.out_proj")}
    if head == "tokcls":  # *ForTokenClassification: classifier(h)
        return {"logits": lin(h, w, "classifier")}
    if head == "qa":  # *ForQuestionAnswering: qa_outputs(h).split(1, -1) -> start, end ([B, T] each)
        logits = lin(h, w, "qa_outputs")
        return {"start_logits": logits[..., 0].contiguous(), "end_logits": logits[..., 1].contiguous()}
    if head == "mlm" and f == "bert":
        # BertLMPredictionHead: transform = LayerNorm(gelu(dense(h))) (hidden_act, layer_norm_eps); decoder tied
        # to the word embeddings (no weight stored) + cls.predictions.bias
        t = ln(F.gelu(lin(h, w, "cls.predictions.transform.dense")), w, "cls.predictions.transform.LayerNorm", eps)
        return {"logits": F.linear(t, word_embeddings(w, fam)) + w["cls.predictions.bias"]}
    if head == "mlm" and f == "distilbert":
        # DistilBertForMaskedLM: vocab_layer_norm(gelu(vocab_transform(h))) (eps 1e-12), vocab_projector tied
        t = ln(F.gelu(lin(h, w, "vocab_transform")), w, "vocab_layer_norm", 1e-12)
        return {"logits": F.linear(t, word_embeddings(w, fam)) + w["vocab_projector.bias"]}
    if head == "mlm":  # RobertaLMHead / MPNetLMHead: layer_norm(gelu(dense(h))), decoder tied + lm_head.bias
        t = ln(F.gelu(lin(h, w, "lm_head.dense")), w, "lm_head.layer_norm", eps)
        return {"logits": F.linear(t, word_embeddings(w, fam)) + w["lm_head.bias"]}
    return {}


TOKENIZER_CLASS = {"roberta": "RobertaTokenizer", "xlm-roberta": "XLMRobertaTokenizer", "camembert": "CamembertTokenizer",
                   "mpnet": "MPNetTokenizer", "bert": "BertTokenizer", "distilbert": "DistilBertTokenizer"}

ARCH = {
    ("roberta", "seqcls"): "RobertaForSequenceClassification", ("roberta", "tokcls"): "RobertaForTokenClassification",
    ("roberta", "qa"): "RobertaForQuestionAnswering", ("xlm-roberta", "base"): "XLMRobertaModel",
    ("xlm-roberta", "tokcls"): "XLMRobertaForTokenClassification", ("camembert", "mlm"): "CamembertForMaskedLM",
    ("mpnet", "base"): "MPNetModel", ("mpnet", "mlm"): "MPNetForMaskedLM", ("mpnet", "qa"): "MPNetForQuestionAnswering",
    ("bert", "tokcls"): "BertForTokenClassification", ("bert", "qa"): "BertForQuestionAnswering",
    ("bert", "mlm"): "BertForMaskedLM", ("distilbert", "tokcls"): "DistilBertForTokenClassification",
    ("distilbert", "qa"): "DistilBertForQuestionAnswering", ("distilbert", "mlm"): "DistilBertForMaskedLM",
}

# ----------------------------------------------------------------------------------------------
# Configs
# ----------------------------------------------------------------------------------------------


def model_config(fam, arch, V, labels):
    f = fam["model_type"]
    if f == "distilbert":
        cfg = {"architectures": [arch], "model_type": f, "activation": "gelu", "attention_dropout": 0.1, "dim": D,
               "dropout": 0.1, "hidden_dim": FF, "initializer_range": 0.02, "max_position_embeddings": P,
               "n_heads": H, "n_layers": L, "pad_token_id": 0, "qa_dropout": 0.1, "seq_classif_dropout": 0.2,
               "sinusoidal_pos_embds": False, "tie_weights_": True, "vocab_size": V}
    else:
        cfg = {"architectures": [arch], "model_type": f, "attention_probs_dropout_prob": 0.1, "hidden_act": "gelu",
               "hidden_dropout_prob": 0.1, "hidden_size": D, "initializer_range": 0.02, "intermediate_size": FF,
               "layer_norm_eps": fam["eps"], "max_position_embeddings": P, "num_attention_heads": H,
               "num_hidden_layers": L, "pad_token_id": fam["pad"], "vocab_size": V}
        if f == "mpnet":
            cfg.update(relative_attention_num_buckets=MPNET_BUCKETS, bos_token_id=0, eos_token_id=2)
        else:
            cfg.update(position_embedding_type="absolute", type_vocab_size=fam["types"], classifier_dropout=None,
                       use_cache=True)
            if fam["positions"] == "roberta":
                cfg.update(bos_token_id=0, eos_token_id=2)
    if labels:
        cfg["id2label"] = {str(i): n for i, n in enumerate(labels)}
        cfg["label2id"] = {n: i for i, n in enumerate(labels)}
    cfg["tie_word_embeddings"] = True
    cfg["torch_dtype"] = "float32"
    return cfg


# ----------------------------------------------------------------------------------------------
# Cross-checks against independent implementations
# ----------------------------------------------------------------------------------------------


def check_layers(name, fam, w, out, mask):
    """Every layer against torch.nn.TransformerEncoderLayer (post-LN, gelu) holding the same weights. MPNet's
    position bias goes in as a float attn_mask [B*H, T, T] (batch-major, as nn.MultiheadAttention reads it)
    together with the padding (finfo.min on padded keys); run with grad enabled so the fused fast path, which
    does not take such a mask, stays off."""
    f, p = fam["model_type"], fam["prefix"]
    for i in range(L):
        x, y = out["hidden_states"][i], out["hidden_states"][i + 1]
        if f == "distilbert":
            q = f"{p}transformer.layer.{i}."
            layer = encoder_layer_from(w, q, D, H, FF, F.gelu, fam["eps"],
                                       ("attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin"),
                                       None, ("ffn.lin1", "ffn.lin2"), ("sa_layer_norm", "output_layer_norm"))
            ref = base.run_encoder_layer(layer, x, mask)
        elif f == "mpnet":
            q = f"{p}encoder.layer.{i}."
            layer = encoder_layer_from(w, q, D, H, FF, F.gelu, fam["eps"],
                                       ("attention.attn.q", "attention.attn.k", "attention.attn.v", "attention.attn.o"),
                                       None, ("intermediate.dense", "output.dense"),
                                       ("attention.LayerNorm", "output.LayerNorm"))
            B, T = mask.shape
            m = out["position_bias"] + additive_padding_mask(mask)  # [B, H, T, T]
            with torch.enable_grad():
                ref = layer(x, src_mask=m.reshape(B * H, T, T)).detach()
        else:
            q = f"{p}encoder.layer.{i}."
            layer = encoder_layer_from(w, q, D, H, FF, F.gelu, fam["eps"],
                                       ("attention.self.query", "attention.self.key", "attention.self.value"),
                                       ("attention.output.dense",), ("intermediate.dense", "output.dense"),
                                       ("attention.output.LayerNorm", "output.LayerNorm"))
            ref = base.run_encoder_layer(layer, x, mask)
        record(f"{name} layer {i} vs nn.TransformerEncoderLayer", y, ref, mask)


def check_embeddings(name, fam, w, out, ids, mask, tt):
    """Embedding output against nn.Embedding / nn.LayerNorm modules, with position ids counted in a plain loop
    (RoBERTa / MPNet: the i-th non-pad token of a row gets pad + i, pad tokens get pad)."""
    p = fam["prefix"]
    B, T = ids.shape
    if fam["positions"] == "roberta":
        pos = torch.full_like(ids, fam["pad"])
        for b in range(B):
            k = 0
            for t in range(T):
                if int(ids[b, t]) != fam["pad"]:
                    k += 1
                    pos[b, t] = fam["pad"] + k
    else:
        pos = torch.arange(T)[None].expand(B, T)
    if "position_ids" in out:
        assert torch.equal(out["position_ids"], pos), (name, out["position_ids"], pos)
    word = torch.nn.Embedding.from_pretrained(w[p + "embeddings.word_embeddings.weight"])
    posm = torch.nn.Embedding.from_pretrained(w[p + "embeddings.position_embeddings.weight"])
    norm = torch.nn.LayerNorm(D, eps=fam["eps"])
    base.set_lin(norm, w, p + "embeddings.LayerNorm")
    with torch.no_grad():
        e = word(ids) + posm(pos)
        if p + "embeddings.token_type_embeddings.weight" in w:
            e = e + torch.nn.Embedding.from_pretrained(w[p + "embeddings.token_type_embeddings.weight"])(
                torch.zeros_like(ids) if tt is None else tt)
        ref = norm(e)
    record(f"{name} embeddings vs nn.Embedding + nn.LayerNorm", out["hidden_states"][0], ref, mask)


def t5_relative_position_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    """The second formulation: T5Attention._relative_position_bucket (modeling_t5.py), which MPNet's copies with
    the sign flipped (T5 tests relative_position > 0 where MPNet tests -relative_position < 0)."""
    relative_buckets = 0
    if bidirectional:
        num_buckets //= 2
        relative_buckets += (relative_position > 0).to(torch.long) * num_buckets
        relative_position = torch.abs(relative_position)
    else:
        relative_position = -torch.min(relative_position, torch.zeros_like(relative_position))
    max_exact = num_buckets // 2
    is_small = relative_position < max_exact
    if_large = max_exact + (
        torch.log(relative_position.float() / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact)
    ).to(torch.long)
    if_large = torch.min(if_large, torch.full_like(if_large, num_buckets - 1))
    relative_buckets += torch.where(is_small, relative_position, if_large)
    return relative_buckets


def bucket_float64(rel, num_buckets=32, max_distance=128):
    """Scalar float64 version of the same bucketing (what a JS port computes with Math.log)."""
    half = num_buckets // 2
    out = half if rel > 0 else 0
    n = abs(rel)
    max_exact = half // 2
    if n < max_exact:
        return out + n
    return out + min(max_exact + int(math.log(n / max_exact) / math.log(max_distance / max_exact) * (half - max_exact)), half - 1)


def check_mpnet_buckets():
    rel = torch.arange(-300, 301)
    a = mpnet_relative_position_bucket(rel)
    b = t5_relative_position_bucket(rel)
    assert torch.equal(a, b), "MPNet bucket vs T5 bucket"
    c = torch.tensor([bucket_float64(int(r)) for r in rel])
    differ = [int(r) for r, x, y in zip(rel, a, c) if int(x) != int(y)]
    print(f"  check mpnet relative_position_bucket = T5 _relative_position_bucket(bidirectional) on -300..300: equal;"
          f" float64 scalar version differs at {differ if differ else 'no position'}")
    base.CHECKS.append(("mpnet bucket vs T5", 0.0))
    return differ


def check_heads(name, fam, head, w, out, heads):
    """The heads against torch.nn modules holding the same weights."""
    h, f = out["last_hidden_state"], fam["model_type"]
    with torch.no_grad():
        if head == "seqcls":
            m = torch.nn.Sequential(torch.nn.Linear(D, D), torch.nn.Tanh(), torch.nn.Linear(D, w["classifier.out_proj.weight"].shape[0]))
            base.set_lin(m[0], w, "classifier.dense"), base.set_lin(m[2], w, "classifier.out_proj")
            record(f"{name} head vs nn.Sequential(Linear, Tanh, Linear)", heads["logits"], m(h[:, 0]))
        elif head in ("tokcls", "qa"):
            n = "classifier" if head == "tokcls" else "qa_outputs"
            m = torch.nn.Linear(D, w[n + ".weight"].shape[0])
            base.set_lin(m, w, n)
            ref = m(h)
            got = heads["logits"] if head == "tokcls" else torch.stack([heads["start_logits"], heads["end_logits"]], -1)
            record(f"{name} head vs nn.Linear", got, ref)
        elif head == "mlm":
            names = {"bert": ("cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm", "cls.predictions.bias", fam["eps"]),
                     "distilbert": ("vocab_transform", "vocab_layer_norm", "vocab_projector.bias", 1e-12)}.get(
                f, ("lm_head.dense", "lm_head.layer_norm", "lm_head.bias", fam["eps"]))
            emb = word_embeddings(w, fam)
            dec = torch.nn.Linear(D, emb.shape[0])
            dec.weight.copy_(emb), dec.bias.copy_(w[names[2]])
            m = torch.nn.Sequential(torch.nn.Linear(D, D), torch.nn.GELU(), torch.nn.LayerNorm(D, eps=names[3]), dec)
            base.set_lin(m[0], w, names[0]), base.set_lin(m[2], w, names[1])
            record(f"{name} head vs nn.Sequential(Linear, GELU, LayerNorm, Linear(tied))", heads["logits"], m(h))


# ----------------------------------------------------------------------------------------------
# Fixtures
# ----------------------------------------------------------------------------------------------

SEEDS = {"roberta": 100, "roberta-nli": 101, "roberta-ner": 102, "roberta-qa": 103, "xlm-roberta": 110,
         "xlm-roberta-ner": 111, "camembert": 120, "mpnet": 130, "mpnet-mlm": 131, "mpnet-qa": 132, "bert-ner": 140,
         "bert-qa": 141, "bert-mlm": 142, "distilbert-ner": 150, "distilbert-qa": 151, "distilbert-mlm": 152}

# Texts: each batch has rows of different lengths and one text pair.
TEXTS_CLS = [("Hello world", None), ("who lived at hartfield?", "emma lived there"), ("I love it 😀🎉 ok", None),
             ("she said that she would not", None)]
TEXTS_NLI = [("the house is big", "the house is small"), ("emma lived at hartfield", "emma lived there"),
             ("she said that she would not", "she said nothing")]
TEXTS_NER = [("Emma Woodhouse lived at Hartfield", None), ("Mr. Knightley went to London", None),
             ("who lived there?", "Emma lived in Highbury")]
TEXTS_QA = [("who lived at hartfield?", "emma lived at hartfield with her father"),
            ("where was she?", "she was in the house"), ("what did she say?", "she said that she would not")]
TEXTS_ST = [("Hello world", None), ("the house the house", None), ("who lived at hartfield?", "emma lived there"),
            ("Café naïve façade ﬁne", None)]
TEXTS_MPNET = [("The movie was great!", None), ("I hate this", "It was boring."), ("The dogs were sleeping.", None),
               ("Hello world, today is a very good day", None)]
TEXTS_NER_WP = [("Emma Woodhouse lived at Hartfield", None), ("the dog was sleeping in the house", None),
                ("who was there?", "Emma was there")]
TEXTS_QA_WP = [("who was happy?", "the dog was happy and the cat was sad"), ("is it good?", "the movie was very good"),
               ("what is red?", "the big red house")]


FULL_LOGITS_MAX = 6000  # MLM fixtures store the full [B, T, V] logits up to this size, else only mask_logits


def mlm_texts(mask):
    return [(f"The capital of France is {mask}.", None), (f"she said {mask} she would not", None),
            ("Hello world", None), (f"the {mask} was {mask}", "it was a dog")]


def make_fixture(outdir, name, family, head, tokenizer, texts, labels=None, st=None):
    fam = FAMILIES[family]
    fam = dict(fam, prefix="" if head == "base" else fam["prefix"])  # bare base models are saved without prefix
    arch = ARCH[(family, head)]
    V = tokenizer.V
    encs = [tokenizer.encode(a, b) for a, b in texts]
    seqs = [e["input_ids"] for e in encs]
    assert max(len(s) for s in seqs) <= MAX_LEN, (name, max(len(s) for s in seqs))
    has_types = "token_type_ids" in encs[0] and fam["types"] > 1
    if not has_types:  # DistilBERT's tokenizer returns no token types (model_input_names)
        for e in encs:
            e.pop("token_type_ids", None)
    ids, mask, tt = pad_batch(seqs, tokenizer.pad, [e["token_type_ids"] for e in encs] if has_types else None)
    tt_arg = tt if has_types else None

    def run(i, m, t=None):
        o = fam["forward"](fam, w, i, m, t)
        o.update(apply_head(w, fam, head, o))
        return o

    # Classifiers: the first seed (SEEDS[name] + 1000 k) whose predictions are not all one label, so that label
    # tests see more than one class (sequence classifiers: two rows differ; token classifiers: "O" and >= 3 others).
    for attempt in range(100):
        seed = SEEDS[name] + 1000 * attempt
        torch.manual_seed(seed)
        w = {}
        fam["weights"](w, fam, V, pooler=(head == "base"))
        head_weights(w, fam, head, V, len(labels or []))
        if head == "mlm":
            # the decoder is tied to the word embeddings: scaled down so logits spread over a few units instead of
            # ~30 (where float32 rounding alone is ~1e-5); the embedding LayerNorm makes the encoder indifferent
            w[fam["prefix"] + "embeddings.word_embeddings.weight"] *= 0.25
        with torch.no_grad():
            out = run(ids, mask, tt_arg)
        if head == "seqcls":
            varied = len(set(out["logits"].argmax(-1).tolist())) > 1
        elif head == "tokcls":
            pred = set(out["logits"].argmax(-1)[mask.bool()].tolist())
            varied = 0 in pred and len(pred) >= 4
        else:
            varied = True
        if varied:
            break
    else:
        sys.exit(f"ABORT: no seed gives {name} varied predictions")
    print(f"{name} ({arch}, {tokenizer.kind}, V {V}, B {ids.shape[0]}, T {ids.shape[1]}):")
    check_embeddings(name, fam, w, out, ids, mask, tt_arg)
    check_layers(name, fam, w, out, mask)
    check_heads(name, fam, head, w, out, out)

    # a padded batch equals each text alone (unpadded): last hidden state and every head output
    singles = []
    for b in range(ids.shape[0]):
        n = int(mask[b].sum())
        with torch.no_grad():
            one = run(ids[b : b + 1, :n], mask[b : b + 1, :n], None if tt_arg is None else tt_arg[b : b + 1, :n])
        record(f"{name} row {b} alone: last_hidden_state", out["last_hidden_state"][b : b + 1, :n], one["last_hidden_state"])
        for k in ("logits", "start_logits", "end_logits", "pooler_output"):
            if k in out:
                a = out[k][b : b + 1]
                a = a[:, :n] if (k != "pooler_output" and not (head == "seqcls" and k == "logits")) else a
                record(f"{name} row {b} alone: {k}", a, one[k])
        singles.append(tensor_json(one["last_hidden_state"]))

    d = os.path.join(outdir, name)
    os.makedirs(d, exist_ok=True)
    size = write_safetensors(os.path.join(d, "model.safetensors"), w)
    back = read_safetensors(os.path.join(d, "model.safetensors"))
    assert set(back) == set(w) and all(torch.equal(back[k], w[k]) for k in w), "safetensors round trip"
    assert not any(k.endswith("decoder.weight") or k == "vocab_projector.weight" for k in w), "tied decoder stored"
    write_json(os.path.join(d, "config.json"), model_config(fam, arch, V, labels))
    tokenizer.write(d, TOKENIZER_CLASS[family])

    inputs = {"texts": [{"text": a, "text_pair": b} for a, b in texts], "encodings": encs,
              "input_ids": ids.tolist(), "attention_mask": mask.tolist()}
    if has_types:
        inputs["token_type_ids"] = tt.tolist()
    if fam["positions"] == "roberta":
        inputs["position_ids"] = out["position_ids"].tolist()  # create_position_ids_from_input_ids
    outputs = {"hidden_states": [tensor_json(x) for x in out["hidden_states"]],
               "last_hidden_state": tensor_json(out["last_hidden_state"])}
    if "pooler_output" in out:
        outputs["pooler_output"] = tensor_json(out["pooler_output"])
    if head == "seqcls":
        probs = torch.softmax(out["logits"], -1)
        outputs.update(logits=tensor_json(out["logits"]), probabilities=tensor_json(probs),
                       predicted_labels=[labels[i] for i in probs.argmax(-1).tolist()])
    elif head == "tokcls":
        pred = out["logits"].argmax(-1)
        outputs.update(logits=tensor_json(out["logits"]),
                       predicted_labels=[[labels[int(pred[b, t])] for t in range(int(mask[b].sum()))] for b in range(len(seqs))])
    elif head == "qa":
        outputs.update(start_logits=tensor_json(out["start_logits"]), end_logits=tensor_json(out["end_logits"]))
    elif head == "mlm":
        where = (ids == tokenizer.mask).nonzero().tolist()
        outputs.update(mask_positions=where, mask_logits=tensor_json(torch.stack([out["logits"][b, t] for b, t in where])),
                       mask_top5=[out["logits"][b, t].topk(5).indices.tolist() for b, t in where])
        if out["logits"].numel() <= FULL_LOGITS_MAX:
            outputs["logits"] = tensor_json(out["logits"])
    if family == "mpnet":
        rel = torch.arange(-(P - 1), P)
        outputs["relative_position_buckets"] = {"relative_positions": rel.tolist(),
                                                "buckets": mpnet_relative_position_bucket(rel).tolist()}
        outputs["position_bias"] = tensor_json(out["position_bias"][0])  # [H, T, T], the same for every row
    outputs["single"] = singles
    fx = {"model": name, "architecture": arch, "family": fam["model_type"], "tokenizer": tokenizer.kind, "seed": seed,
          "inputs": inputs, "outputs": outputs,
          "max_abs": {"hidden_states_valid_positions": base.max_abs_valid(out["hidden_states"], mask)}}
    if st:
        fx["sentence_transformers"] = write_sentence_transformers(d, st, out, mask)
    write_json(os.path.join(d, "fixture.json"), fx, compact=True)
    print(f"  wrote {name}: model.safetensors {size} bytes, fixture.json {os.path.getsize(os.path.join(d, 'fixture.json'))} bytes")
    return w, fx


def write_sentence_transformers(d, pooling, out, mask):
    """sentence-transformers layout: modules.json (Transformer at "", Pooling at 1_Pooling, Normalize at
    2_Normalize when asked), sentence_bert_config.json, 1_Pooling/config.json. Normalize has no files, so its
    folder is absent (git keeps no empty folders; sentence-transformers does not need it either)."""
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
    if pooling == "mean":
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})
    write_json(os.path.join(d, "modules.json"), modules)
    write_json(os.path.join(d, "sentence_bert_config.json"), {"max_seq_length": MAX_LEN, "do_lower_case": False})
    os.makedirs(os.path.join(d, "1_Pooling"), exist_ok=True)
    write_json(os.path.join(d, "1_Pooling", "config.json"), {
        "word_embedding_dimension": D, "pooling_mode_cls_token": pooling == "cls",
        "pooling_mode_mean_tokens": pooling == "mean", "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False, "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False, "include_prompt": True})
    h = out["last_hidden_state"]
    mean_norm = mean_pool_normalize(h, mask)
    if pooling == "mean":  # Pooling(mean): sum(h * mask) / clamp(sum(mask), 1e-9); Normalize: F.normalize(p=2)
        emb = mean_norm
        m = mask[..., None].to(DTYPE)
        ref = (h * m).sum(1) / m.sum(1)
        ref = ref / ref.norm(dim=1, keepdim=True)
        record("sentence embedding (mean, normalize) vs direct formula", emb, ref)
    else:  # Pooling(cls): h[:, 0], no Normalize module
        emb = h[:, 0]
    return {"pooling": pooling, "normalize": pooling == "mean", "sentence_embedding": tensor_json(emb),
            "mean_pooled_normalized": tensor_json(mean_norm)}


def make_mpnet_st(outdir, src_fx):
    """mpnet-st: the mpnet fixture's files plus a sentence-transformers layout with CLS pooling and no Normalize,
    so a test can tell that the checkpoint's pooling (not a default mean + normalize) is used."""
    src, d = os.path.join(outdir, "mpnet"), os.path.join(outdir, "mpnet-st")
    os.makedirs(d, exist_ok=True)
    for f in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(src, f), os.path.join(d, f))
    ids, mask = torch.tensor(src_fx["inputs"]["input_ids"]), torch.tensor(src_fx["inputs"]["attention_mask"])
    lh = src_fx["outputs"]["last_hidden_state"]
    h = torch.tensor(lh["data"], dtype=DTYPE).reshape(lh["shape"])
    st = write_sentence_transformers(d, "cls", {"last_hidden_state": h}, mask)
    diff = float((torch.tensor(st["sentence_embedding"]["data"]) - torch.tensor(st["mean_pooled_normalized"]["data"])).abs().max())
    assert diff > 0.1, "cls and mean pooling must differ clearly"
    fx = {"model": "mpnet-st", "architecture": "MPNetModel", "family": "mpnet", "same_weights_as": "mpnet",
          "inputs": {k: src_fx["inputs"][k] for k in ("texts", "encodings", "input_ids", "attention_mask")},
          "outputs": {"last_hidden_state": lh}, "sentence_transformers": st}
    write_json(os.path.join(d, "fixture.json"), fx, compact=True)
    print(f"mpnet-st: CLS pooling, no Normalize; max |cls - mean_normalized| = {diff:.3f}")


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "tests", "fixtures")
    outdir = os.path.abspath(outdir)
    tokdir = os.path.join(HERE, "..", "tests", "fixtures", "tokenizers")
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, out {outdir}")
    bpe, uni, wp, mp = ByteBPE(tokdir), Unigram(tokdir), BertWordPiece(), MPNetWordPiece()

    make_fixture(outdir, "roberta", "roberta", "seqcls", bpe, TEXTS_CLS, SENTIMENT)
    make_fixture(outdir, "roberta-nli", "roberta", "seqcls", bpe, TEXTS_NLI, NLI)
    make_fixture(outdir, "xlm-roberta", "xlm-roberta", "base", uni, TEXTS_ST, st="mean")
    print("mpnet buckets:")
    check_mpnet_buckets()
    _, mpnet_fx = make_fixture(outdir, "mpnet", "mpnet", "base", mp, TEXTS_MPNET)
    make_mpnet_st(outdir, mpnet_fx)
    make_fixture(outdir, "camembert", "camembert", "mlm", uni, mlm_texts("<mask>"))
    make_fixture(outdir, "roberta-ner", "roberta", "tokcls", bpe, TEXTS_NER, NER_LABELS)
    make_fixture(outdir, "roberta-qa", "roberta", "qa", bpe, TEXTS_QA)
    make_fixture(outdir, "xlm-roberta-ner", "xlm-roberta", "tokcls", uni, TEXTS_NER, NER_LABELS)
    make_fixture(outdir, "mpnet-mlm", "mpnet", "mlm", mp, mlm_texts("<mask>"))
    make_fixture(outdir, "mpnet-qa", "mpnet", "qa", mp, TEXTS_QA_WP)
    make_fixture(outdir, "bert-ner", "bert", "tokcls", wp, TEXTS_NER_WP, NER_LABELS)
    make_fixture(outdir, "bert-qa", "bert", "qa", wp, TEXTS_QA_WP)
    make_fixture(outdir, "bert-mlm", "bert", "mlm", wp, mlm_texts("[MASK]"))
    make_fixture(outdir, "distilbert-ner", "distilbert", "tokcls", wp, TEXTS_NER_WP, NER_LABELS)
    make_fixture(outdir, "distilbert-qa", "distilbert", "qa", wp, TEXTS_QA_WP)
    make_fixture(outdir, "distilbert-mlm", "distilbert", "mlm", wp, mlm_texts("[MASK]"))
    print(f"{len(base.CHECKS)} checks, worst {max(e for _, e in base.CHECKS):.3e} (tolerance {base.CHECK_TOL})")


if __name__ == "__main__":
    main()
