#!/usr/bin/python3
"""Reference fixtures for the JS transformer: tiny random-weight BERT, DistilBERT and Marian models.

Run with Debian's torch (not the pyenv python first on PATH):

    /usr/bin/python3 tools/make_transformer_fixtures.py [outdir]      # default: tests/fixtures

Each model is written the way a Hugging Face checkpoint folder looks (config.json, model.safetensors,
tokenizer.json, tokenizer_config.json) plus fixture.json with inputs and reference outputs.

The forward passes below are plain torch functions over a dict of tensors keyed by Hugging Face's own
parameter names, and follow Hugging Face's modeling code operation by operation (the file and class each
block follows is named in its docstring). Every layer is then checked against torch.nn's independent
implementation (TransformerEncoderLayer / TransformerDecoderLayer / MultiheadAttention) given the same
weights; the script aborts if any difference exceeds CHECK_TOL. Generation (greedy and Hugging Face's beam
search, beam_search below, also used by make_prenorm_fixture.py) reruns the whole decoder prefix each step.

Dimension letters, used everywhere: B batch, T sequence (S source, U decoder), D model width, H heads,
Dh = D / H head width, F feed-forward width, V vocabulary, L layers.
"""

import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
DTYPE = torch.float32
NEG = torch.finfo(torch.float32).min  # the mask value Hugging Face adds / fills (torch.finfo(dtype).min)
CHECK_TOL = 1e-5

# ----------------------------------------------------------------------------------------------
# Output helpers: float32 tensors as JSON, safetensors writer (no safetensors package in Debian 12)
# ----------------------------------------------------------------------------------------------


def tensor_json(t):
    """A float tensor as {dtype, shape, data}: data is the row-major float32 values, exactly (each JSON
    number is the float32 value printed as the shortest float64 that reads back to it)."""
    a = t.detach().to(torch.float32).contiguous().numpy()
    return {"dtype": "float32", "shape": list(a.shape), "data": [float(x) for x in a.reshape(-1)]}


ST_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def tensor_bytes(t):
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: reinterpret the 16-bit patterns
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    if t.dtype == torch.float16:
        return t.numpy().astype("<f2").tobytes()
    return t.numpy().astype("<f4").tobytes()


def write_safetensors(path, tensors, metadata=None):
    """safetensors format: u64 LE header length N, N bytes of JSON header ({name: {dtype, shape,
    data_offsets:[begin,end]}} with offsets relative to the data section, plus optional __metadata__
    of string values), padded with spaces so the data starts 8-byte aligned, then the raw LE data."""
    header = {"__metadata__": dict(metadata or {"format": "pt"})}
    blobs, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name]
        b = tensor_bytes(t)
        header[name] = {"dtype": ST_DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)
    return 8 + len(hjson) + offset


def read_safetensors(path):
    """Reader used only to verify the writer round-trips."""
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        buf = data[b:e]
        if info["dtype"] == "F32":
            t = torch.from_numpy(np.frombuffer(buf, dtype="<f4").copy())
        elif info["dtype"] == "F16":
            t = torch.from_numpy(np.frombuffer(buf, dtype="<f2").copy()).to(torch.float32)
        else:
            t = torch.from_numpy(np.frombuffer(buf, dtype="<i2").copy()).view(torch.bfloat16).to(torch.float32)
        out[name] = t.reshape(info["shape"])
    return out


def write_json(path, obj, compact=False):
    with open(path, "w") as f:
        if compact:
            json.dump(obj, f, separators=(",", ":"))
        else:
            json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


# ----------------------------------------------------------------------------------------------
# Random weights
# ----------------------------------------------------------------------------------------------
# Not Hugging Face's init (std 0.02, gamma 1, beta 0, zero biases): that would make attention nearly
# uniform and hide swapped gammas/betas or missing biases. Scales are chosen so attention scores are O(1).


def rnd(*shape, std=1.0):
    return torch.randn(*shape, dtype=DTYPE) * std


def linear(w, name, d_out, d_in, bias=True, std=None):
    w[name + ".weight"] = rnd(d_out, d_in, std=std if std is not None else 1.0 / math.sqrt(d_in))
    if bias:
        w[name + ".bias"] = rnd(d_out, std=0.1)


def layer_norm_w(w, name, d):
    w[name + ".weight"] = 1.0 + rnd(d, std=0.1)
    w[name + ".bias"] = rnd(d, std=0.1)


def embedding(w, name, n, d, pad=None, std=1.0):
    e = rnd(n, d, std=std)
    if pad is not None:
        e[pad].zero_()  # nn.Embedding(padding_idx=pad) / _init_weights zero the pad row
    w[name + ".weight"] = e


# ----------------------------------------------------------------------------------------------
# Neural-net blocks shared by the three families (Hugging Face's math)
# ----------------------------------------------------------------------------------------------


def lin(x, w, name):
    return F.linear(x, w[name + ".weight"], w.get(name + ".bias"))


def ln(x, w, name, eps):
    return F.layer_norm(x, (x.shape[-1],), w[name + ".weight"], w[name + ".bias"], eps)


def split_heads(x, H):  # [B, T, D] -> [B, H, T, Dh]
    B, T, D = x.shape
    return x.view(B, T, H, D // H).transpose(1, 2)


def merge_heads(x):  # [B, H, T, Dh] -> [B, T, D]
    B, H, T, Dh = x.shape
    return x.transpose(1, 2).contiguous().view(B, T, H * Dh)


def additive_padding_mask(mask):
    """[B, T] of 1/0 -> [B, 1, 1, T] of 0 / finfo.min.
    modeling_utils.get_extended_attention_mask: (1.0 - extended_attention_mask) * torch.finfo(dtype).min."""
    m = mask[:, None, None, :].to(DTYPE)
    return (1.0 - m) * NEG


def causal_mask(U):
    """[1, 1, U, U]: 0 on and below the diagonal, finfo.min above.
    Marian _prepare_4d_causal_attention_mask_with_cache_position: torch.full(min).triu(diagonal=1)."""
    return torch.triu(torch.full((U, U), NEG, dtype=DTYPE), diagonal=1)[None, None]


# ----------------------------------------------------------------------------------------------
# BERT (transformers/models/bert/modeling_bert.py)
# ----------------------------------------------------------------------------------------------

# Each model's weights come from its own seed (torch.nn layers built for the cross-checks draw from the
# global generator too, so one model's weights must not depend on the checks run before it).
BERT = dict(SEED=0, V=120, D=48, H=4, F=72, L=2, P=64, TYPES=2, LABELS=["negative", "neutral", "positive"], EPS=1e-12)


def bert_weights():
    c, w = BERT, {}
    torch.manual_seed(c["SEED"])
    embedding(w, "bert.embeddings.word_embeddings", c["V"], c["D"], pad=0)
    embedding(w, "bert.embeddings.position_embeddings", c["P"], c["D"], std=0.5)
    embedding(w, "bert.embeddings.token_type_embeddings", c["TYPES"], c["D"], std=0.5)
    layer_norm_w(w, "bert.embeddings.LayerNorm", c["D"])
    for i in range(c["L"]):
        p = f"bert.encoder.layer.{i}."
        for n in ("query", "key", "value"):
            linear(w, p + "attention.self." + n, c["D"], c["D"])
        linear(w, p + "attention.output.dense", c["D"], c["D"])
        layer_norm_w(w, p + "attention.output.LayerNorm", c["D"])
        linear(w, p + "intermediate.dense", c["F"], c["D"])
        linear(w, p + "output.dense", c["D"], c["F"])
        layer_norm_w(w, p + "output.LayerNorm", c["D"])
    linear(w, "bert.pooler.dense", c["D"], c["D"])
    linear(w, "classifier", len(c["LABELS"]), c["D"], std=1.0)
    return w


def bert_self_attention(x, w, p, ext_mask, H):
    """BertSelfAttention: scores = (q k^T) / sqrt(Dh) + extended mask, softmax, times v."""
    q = split_heads(lin(x, w, p + "query"), H)
    k = split_heads(lin(x, w, p + "key"), H)
    v = split_heads(lin(x, w, p + "value"), H)
    scores = torch.matmul(q, k.transpose(-1, -2))
    scores = scores / math.sqrt(q.shape[-1])
    scores = scores + ext_mask
    probs = torch.softmax(scores, dim=-1)
    return merge_heads(torch.matmul(probs, v))


def bert_layer(x, w, i, ext_mask):
    """BertLayer: post-LN. BertSelfOutput: LayerNorm(dense(ctx) + x); BertIntermediate: gelu (erf form,
    ACT2FN['gelu']); BertOutput: LayerNorm(dense(h) + attention_output)."""
    c, p = BERT, f"bert.encoder.layer.{i}."
    ctx = bert_self_attention(x, w, p + "attention.self.", ext_mask, c["H"])
    a = ln(lin(ctx, w, p + "attention.output.dense") + x, w, p + "attention.output.LayerNorm", c["EPS"])
    h = F.gelu(lin(a, w, p + "intermediate.dense"))
    return ln(lin(h, w, p + "output.dense") + a, w, p + "output.LayerNorm", c["EPS"])


def bert_forward(w, input_ids, token_type_ids, attention_mask):
    """BertModel + BertForSequenceClassification (eval: dropout is identity)."""
    c = BERT
    T = input_ids.shape[1]
    pos = torch.arange(T)[None]  # BertEmbeddings.position_ids[:, 0:T], absolute, from 0
    e = (
        F.embedding(input_ids, w["bert.embeddings.word_embeddings.weight"])
        + F.embedding(token_type_ids, w["bert.embeddings.token_type_embeddings.weight"])
        + F.embedding(pos, w["bert.embeddings.position_embeddings.weight"])
    )
    x = ln(e, w, "bert.embeddings.LayerNorm", c["EPS"])
    ext = additive_padding_mask(attention_mask)
    hidden = [x]
    for i in range(c["L"]):
        x = bert_layer(x, w, i, ext)
        hidden.append(x)
    pooled = torch.tanh(lin(x[:, 0], w, "bert.pooler.dense"))  # BertPooler: tanh(dense(first token))
    logits = lin(pooled, w, "classifier")
    return dict(hidden_states=hidden, last_hidden_state=x, pooler_output=pooled, logits=logits)


# ----------------------------------------------------------------------------------------------
# DistilBERT (transformers/models/distilbert/modeling_distilbert.py)
# ----------------------------------------------------------------------------------------------

DISTIL = dict(SEED=1, V=120, D=40, H=4, F=100, L=2, P=64, LABELS=["NEGATIVE", "POSITIVE"], EPS=1e-12)


def distil_sinusoidal_table(n_pos, dim):
    """_create_sinusoidal_embeddings: interleaved, out[:, 0::2] = sin, out[:, 1::2] = cos of
    pos / 10000^(2*(j//2)/dim), computed in float64 numpy then stored as float32."""
    enc = np.array([[pos / np.power(10000, 2 * (j // 2) / dim) for j in range(dim)] for pos in range(n_pos)])
    out = torch.empty(n_pos, dim, dtype=DTYPE)
    out[:, 0::2] = torch.FloatTensor(np.sin(enc[:, 0::2]))
    out[:, 1::2] = torch.FloatTensor(np.cos(enc[:, 1::2]))
    return out


def distil_weights():
    c, w = DISTIL, {}
    torch.manual_seed(c["SEED"])
    embedding(w, "distilbert.embeddings.word_embeddings", c["V"], c["D"], pad=0)
    w["distilbert.embeddings.position_embeddings.weight"] = distil_sinusoidal_table(c["P"], c["D"])
    layer_norm_w(w, "distilbert.embeddings.LayerNorm", c["D"])
    for i in range(c["L"]):
        p = f"distilbert.transformer.layer.{i}."
        for n in ("q_lin", "k_lin", "v_lin", "out_lin"):
            linear(w, p + "attention." + n, c["D"], c["D"])
        layer_norm_w(w, p + "sa_layer_norm", c["D"])
        linear(w, p + "ffn.lin1", c["F"], c["D"])
        linear(w, p + "ffn.lin2", c["D"], c["F"])
        layer_norm_w(w, p + "output_layer_norm", c["D"])
    linear(w, "pre_classifier", c["D"], c["D"])
    linear(w, "classifier", len(c["LABELS"]), c["D"], std=1.0)
    return w


def distil_attention(x, w, p, mask, H):
    """MultiHeadSelfAttention: q = q / sqrt(Dh) BEFORE the matmul; scores.masked_fill(mask == 0,
    finfo.min); softmax; context; out_lin."""
    q = split_heads(lin(x, w, p + "q_lin"), H)
    k = split_heads(lin(x, w, p + "k_lin"), H)
    v = split_heads(lin(x, w, p + "v_lin"), H)
    q = q / math.sqrt(q.shape[-1])
    scores = torch.matmul(q, k.transpose(2, 3))
    m = (mask == 0).view(mask.shape[0], 1, 1, -1).expand_as(scores)
    scores = scores.masked_fill(m, torch.tensor(NEG))
    probs = torch.softmax(scores, dim=-1)
    return lin(merge_heads(torch.matmul(probs, v)), w, p + "out_lin")


def distil_layer(x, w, i, mask):
    """TransformerBlock: sa_layer_norm(attn + x); output_layer_norm(lin2(gelu(lin1(.))) + .). eps 1e-12."""
    c, p = DISTIL, f"distilbert.transformer.layer.{i}."
    sa = ln(distil_attention(x, w, p + "attention.", mask, c["H"]) + x, w, p + "sa_layer_norm", c["EPS"])
    f = lin(F.gelu(lin(sa, w, p + "ffn.lin1")), w, p + "ffn.lin2")
    return ln(f + sa, w, p + "output_layer_norm", c["EPS"])


def distil_forward(w, input_ids, attention_mask):
    """DistilBertModel + DistilBertForSequenceClassification: word + position (no token types), LayerNorm;
    head = classifier(dropout(relu(pre_classifier(h[:, 0]))))."""
    c = DISTIL
    T = input_ids.shape[1]
    e = F.embedding(input_ids, w["distilbert.embeddings.word_embeddings.weight"]) + F.embedding(
        torch.arange(T)[None], w["distilbert.embeddings.position_embeddings.weight"]
    )
    x = ln(e, w, "distilbert.embeddings.LayerNorm", c["EPS"])
    hidden = [x]
    for i in range(c["L"]):
        x = distil_layer(x, w, i, attention_mask)
        hidden.append(x)
    pre = torch.relu(lin(x[:, 0], w, "pre_classifier"))
    logits = lin(pre, w, "classifier")
    return dict(hidden_states=hidden, last_hidden_state=x, logits=logits)


# ----------------------------------------------------------------------------------------------
# Marian (transformers/models/marian/modeling_marian.py)
# ----------------------------------------------------------------------------------------------

# Marian's seed, embedding scale and EOS bias were picked (by a search over seeds) so that greedy decoding of
# the fixture batch is not degenerate: one row stops on its own EOS, the others run into the forced EOS at
# max_length. Random tied-embedding decoders otherwise tend to repeat one token forever.
MARIAN = dict(SEED=26, V=100, D=32, H=4, F=56, LE=2, LD=2, P=64, EPS=1e-5, EOS=0, UNK=1, PAD=99,
              EMB_STD=0.05, EOS_BIAS=2.0)


def marian_sinusoidal_table(n_pos, dim):
    """MarianSinusoidalPositionalEmbedding._init_weight: NOT interleaved; sin in columns [0, dim/2),
    cos in [dim/2, dim), both of pos / 10000^(2*(j//2)/dim) taken at even / odd j respectively,
    i.e. column i and i + dim/2 share frequency 10000^(-2i/dim). float64 numpy -> float32."""
    enc = np.array([[pos / np.power(10000, 2 * (j // 2) / dim) for j in range(dim)] for pos in range(n_pos)])
    out = torch.empty(n_pos, dim, dtype=DTYPE)
    sentinel = dim // 2 if dim % 2 == 0 else dim // 2 + 1
    out[:, 0:sentinel] = torch.FloatTensor(np.sin(enc[:, 0::2]))
    out[:, sentinel:] = torch.FloatTensor(np.cos(enc[:, 1::2]))
    return out


def marian_attention_w(w, p, D):
    for n in ("k_proj", "v_proj", "q_proj", "out_proj"):
        linear(w, p + n, D, D)


def marian_weights():
    c, w = MARIAN, {}
    torch.manual_seed(c["SEED"])
    embedding(w, "model.shared", c["V"], c["D"], pad=c["PAD"], std=c["EMB_STD"])
    for i in range(c["LE"]):
        p = f"model.encoder.layers.{i}."
        marian_attention_w(w, p + "self_attn.", c["D"])
        layer_norm_w(w, p + "self_attn_layer_norm", c["D"])
        linear(w, p + "fc1", c["F"], c["D"])
        linear(w, p + "fc2", c["D"], c["F"])
        layer_norm_w(w, p + "final_layer_norm", c["D"])
    for i in range(c["LD"]):
        p = f"model.decoder.layers.{i}."
        marian_attention_w(w, p + "self_attn.", c["D"])
        layer_norm_w(w, p + "self_attn_layer_norm", c["D"])
        marian_attention_w(w, p + "encoder_attn.", c["D"])
        layer_norm_w(w, p + "encoder_attn_layer_norm", c["D"])
        linear(w, p + "fc1", c["F"], c["D"])
        linear(w, p + "fc2", c["D"], c["F"])
        layer_norm_w(w, p + "final_layer_norm", c["D"])
    w["final_logits_bias"] = rnd(1, c["V"], std=0.5)
    w["final_logits_bias"][0, c["EOS"]] += c["EOS_BIAS"]
    return w


def marian_attention(x, kv, w, p, add_mask, H):
    """MarianAttention + eager_attention_forward: attn = softmax((q k^T) * Dh^-0.5 + mask) v, out_proj.
    (The current code multiplies the scores by `scaling`; releases before the attention-interface
    refactor multiplied q_proj(x) by `scaling` instead; the two agree to float32 rounding.)"""
    q = split_heads(lin(x, w, p + "q_proj"), H)
    k = split_heads(lin(kv, w, p + "k_proj"), H)
    v = split_heads(lin(kv, w, p + "v_proj"), H)
    scores = torch.matmul(q, k.transpose(2, 3)) * (q.shape[-1] ** -0.5)
    if add_mask is not None:
        scores = scores + add_mask
    probs = torch.softmax(scores, dim=-1)
    return lin(merge_heads(torch.matmul(probs, v)), w, p + "out_proj")


def marian_ffn(x, w, p):
    return lin(F.silu(lin(x, w, p + "fc1")), w, p + "fc2")  # activation_function 'swish' = SiLU


def marian_encoder_layer(x, w, i, enc_mask):
    """MarianEncoderLayer (normalize_before False => post-LN):
    x = self_attn_layer_norm(x + self_attn(x)); x = final_layer_norm(x + fc2(swish(fc1(x))))."""
    c, p = MARIAN, f"model.encoder.layers.{i}."
    x = ln(x + marian_attention(x, x, w, p + "self_attn.", enc_mask, c["H"]), w, p + "self_attn_layer_norm", c["EPS"])
    return ln(x + marian_ffn(x, w, p), w, p + "final_layer_norm", c["EPS"])


def marian_decoder_layer(y, enc, w, i, self_mask, cross_mask):
    """MarianDecoderLayer: causal self-attention, then cross-attention to the encoder output with the
    encoder padding mask, then the FFN, each followed by residual + LayerNorm."""
    c, p = MARIAN, f"model.decoder.layers.{i}."
    y = ln(y + marian_attention(y, y, w, p + "self_attn.", self_mask, c["H"]), w, p + "self_attn_layer_norm", c["EPS"])
    y = ln(y + marian_attention(y, enc, w, p + "encoder_attn.", cross_mask, c["H"]), w, p + "encoder_attn_layer_norm", c["EPS"])
    return ln(y + marian_ffn(y, w, p), w, p + "final_layer_norm", c["EPS"])


def marian_encode(w, input_ids, attention_mask):
    """MarianEncoder: embed_tokens(ids) * sqrt(d_model) (scale_embedding) + sinusoidal positions 0..S-1.
    No embedding LayerNorm, no final LayerNorm. Padding mask: _prepare_4d_attention_mask = finfo.min
    where mask == 0."""
    c = MARIAN
    S = input_ids.shape[1]
    x = F.embedding(input_ids, w["model.shared.weight"]) * math.sqrt(c["D"])
    x = x + marian_sinusoidal_table(c["P"], c["D"])[:S]
    m = additive_padding_mask(attention_mask)
    hidden = [x]
    for i in range(c["LE"]):
        x = marian_encoder_layer(x, w, i, m)
        hidden.append(x)
    return hidden


def marian_decode(w, decoder_ids, enc_out, enc_mask):
    """MarianDecoder + MarianMTModel head: logits = y @ shared^T (lm_head tied) + final_logits_bias.
    Decoder positions start at 0 (past_key_values_length 0) and use the same sinusoidal table."""
    c = MARIAN
    U = decoder_ids.shape[1]
    y = F.embedding(decoder_ids, w["model.shared.weight"]) * math.sqrt(c["D"])
    y = y + marian_sinusoidal_table(c["P"], c["D"])[:U]
    self_mask, cross_mask = causal_mask(U), additive_padding_mask(enc_mask)
    hidden = [y]
    for i in range(c["LD"]):
        y = marian_decoder_layer(y, enc_out, w, i, self_mask, cross_mask)
        hidden.append(y)
    logits = F.linear(y, w["model.shared.weight"]) + w["final_logits_bias"]
    return hidden, logits


def marian_greedy(w, input_ids, attention_mask, max_length):
    """GenerationMixin greedy search with Marian's generation config: start from decoder_start_token_id
    (= pad); logits processors NoBadWordsLogitsProcessor(bad_words_ids=[[pad]]) -> pad gets -inf, and
    ForcedEOSTokenLogitsProcessor(max_length, eos) -> at cur_len == max_length - 1 only eos is allowed;
    argmax (first index on ties); finished rows are continued with pad; stop when all rows have produced
    eos or cur_len == max_length. Output includes the start token, like generate()."""
    c = MARIAN
    enc = marian_encode(w, input_ids, attention_mask)[-1]
    B = input_ids.shape[0]
    seq = torch.full((B, 1), c["PAD"], dtype=torch.long)
    unfinished = torch.ones(B, dtype=torch.long)
    margins = [[] for _ in range(B)]  # top-1 minus top-2 processed score of every token a live row chose
    while seq.shape[1] < max_length:
        _, logits = marian_decode(w, seq, enc, attention_mask)
        scores = logits[:, -1, :].clone()
        scores[:, c["PAD"]] = -float("inf")
        if seq.shape[1] == max_length - 1:
            scores[:, :] = -float("inf")
            scores[:, c["EOS"]] = 0
        nxt = torch.argmax(scores, dim=-1)
        if seq.shape[1] < max_length - 1:
            top2 = scores.topk(2, dim=-1).values
            for b in range(B):
                if unfinished[b]:
                    margins[b].append(float(top2[b, 0] - top2[b, 1]))
        nxt = nxt * unfinished + c["PAD"] * (1 - unfinished)
        seq = torch.cat([seq, nxt[:, None]], dim=1)
        unfinished = unfinished * (nxt != c["EOS"]).long()
        if unfinished.max() == 0:
            break
    return seq, margins


class BeamHypotheses:
    """transformers/generation/beam_search.py BeamHypotheses (4.35-4.46, with decoder_prompt_len): the
    num_beams best finished hypotheses of one batch row, each scored sum_logprobs / generated_len ** lp,
    generated_len counting the tokens after the prompt (the eos included)."""

    def __init__(self, num_beams, length_penalty, early_stopping, max_length):
        self.num_beams, self.length_penalty, self.early_stopping, self.max_length = num_beams, length_penalty, early_stopping, max_length
        self.beams, self.worst_score = [], 1e9

    def add(self, hyp, sum_logprobs, generated_len):
        score = sum_logprobs / (generated_len ** self.length_penalty)
        if len(self.beams) < self.num_beams or score > self.worst_score:
            self.beams.append((score, hyp))
            if len(self.beams) > self.num_beams:
                ranked = sorted([(s, i) for i, (s, _) in enumerate(self.beams)])
                del self.beams[ranked[0][1]]
                self.worst_score = ranked[1][0]
            else:
                self.worst_score = min(score, self.worst_score)

    def is_done(self, best_sum_logprobs, cur_len, prompt_len):
        if len(self.beams) < self.num_beams:
            return False
        if self.early_stopping is True:
            return True
        if self.early_stopping is False or self.length_penalty <= 0.0:
            return self.worst_score >= best_sum_logprobs / (cur_len - prompt_len) ** self.length_penalty
        return self.worst_score >= best_sum_logprobs / (self.max_length - prompt_len) ** self.length_penalty  # "never"


# Beam settings of the fixture: two and four beams, length penalties 1, 0.6 and 2, each early_stopping mode,
# num_return_sequences > 1, a max_length that cuts beams off, and a forced BOS (the config's
# forced_bos_token_id, which the fixture's config.json does not set: the test sets it on the model's config).
BEAM_SETTINGS = [
    dict(max_length=12, num_beams=2, length_penalty=1.0, early_stopping=False, num_return_sequences=1),
    dict(max_length=12, num_beams=4, length_penalty=0.6, early_stopping=True, num_return_sequences=2),
    dict(max_length=10, num_beams=3, length_penalty=2.0, early_stopping="never", num_return_sequences=3),
    dict(max_length=8, num_beams=2, length_penalty=1.0, early_stopping=False, num_return_sequences=2, forced_bos_token_id=7),
]


def beam_search(next_logits, prompt, max_length, num_beams, V, eos, pad, suppressed=(), forced_eos=None,
                forced_bos=None, length_penalty=1.0, early_stopping=False, num_return_sequences=1):
    """GenerationMixin._beam_search with BeamSearchScorer (transformers 4.35-4.46) over any model:
    next_logits(seq [B*N, L]) gives the logits after each row's last token. The prompt ([B, P]) is repeated
    num_beams times (_expand_inputs_for_generation); beam scores 0 for beam 0 and -1e9 for the others; each
    step log_softmax(logits), the logits processors on the log-probs (suppressed ids -inf:
    NoBadWordsLogitsProcessor; only forced_bos at cur_len == 1: ForcedBOSTokenLogitsProcessor; only forced_eos at
    cur_len == max_length - 1: ForcedEOSTokenLogitsProcessor, applied after it),
    plus the beam scores; top 2 * num_beams over beams x vocab; an eos among the first num_beams candidates ends
    a hypothesis (scored with generated_len = cur_len + 1 - P), the other candidates fill the beams in order; a
    row is done by BeamHypotheses.is_done and then fed pad; at max_length the open beams are added with
    generated_len = their length - P; the best hypotheses are returned best first, eos appended where it fits
    and rows padded to the longest. Also returns the smallest gap between neighbouring finite candidate
    scores (and between kept hypotheses' scores) seen on the way: how far the reference is from a tie."""
    N, (B, P) = num_beams, prompt.shape
    seq = prompt.repeat_interleave(N, dim=0)
    beam_scores = torch.zeros(B, N, dtype=DTYPE)
    beam_scores[:, 1:] = -1e9
    beam_scores = beam_scores.view(-1)
    hyps = [BeamHypotheses(N, length_penalty, early_stopping, max_length) for _ in range(B)]
    done = [False] * B
    gaps = []
    while True:
        cur_len = seq.shape[1]
        scores = F.log_softmax(next_logits(seq), dim=-1)
        scores[:, list(suppressed)] = -float("inf")
        for token, at in ((forced_bos, 1), (forced_eos, max_length - 1)):
            if token is not None and cur_len == at:
                forced = torch.full_like(scores, -float("inf"))
                forced[:, token] = 0
                scores = forced
        scores = (scores + beam_scores[:, None]).view(B, N * V)
        top, flat = torch.topk(scores, 2 * N, dim=1, largest=True, sorted=True)
        beam_of, token_of = flat // V, flat % V
        next_scores = torch.zeros(B, N, dtype=DTYPE)
        next_tokens = torch.zeros(B, N, dtype=torch.long)
        next_rows = torch.zeros(B, N, dtype=torch.long)
        for b in range(B):
            if done[b]:
                next_tokens[b, :] = pad  # next_rows 0 and scores 0, as BeamSearchScorer.process
                continue
            k, used = 0, 0
            for rank in range(2 * N):
                used = rank + 1
                token, score, row = int(token_of[b, rank]), float(top[b, rank]), b * N + int(beam_of[b, rank])
                if token == eos:
                    if rank < N:
                        hyps[b].add(seq[row].clone(), score, cur_len + 1 - P)
                else:
                    next_scores[b, k], next_tokens[b, k], next_rows[b, k] = top[b, rank], token, row
                    k += 1
                if k == N:
                    break
            # the order of the candidates used, and the one after them, decides the step
            ranked = torch.sort(scores[b], descending=True).values[: used + 1]
            finite = ranked[torch.isfinite(ranked)]
            if len(finite) > 1:
                gaps.append(float((finite[:-1] - finite[1:]).min()))
            done[b] = done[b] or hyps[b].is_done(float(top[b].max()), cur_len + 1, P)
        beam_scores = next_scores.view(-1)
        seq = torch.cat([seq[next_rows.view(-1)], next_tokens.view(-1, 1)], dim=1)
        if all(done) or seq.shape[1] >= max_length:
            break
    for b in range(B):
        if not done[b]:
            for j in range(N):
                hyps[b].add(seq[b * N + j], float(beam_scores[b * N + j]), seq.shape[1] - P)
    best, best_scores = [], []
    for h in hyps:
        ranked = sorted(h.beams, key=lambda x: x[0])
        kept = [s for s, _ in ranked if math.isfinite(s)]
        if len(kept) > 1:
            gaps.append(min(a - b for a, b in zip(kept[1:], kept[:-1])))
        for _ in range(num_return_sequences):
            score, hyp = ranked.pop()
            best.append(hyp.tolist())
            best_scores.append(score)
    longest = min(max(len(h) for h in best) + 1, max_length)
    end = eos if eos is not None else pad
    out = [(h + [end] if len(h) < longest else h) + [pad] * (longest - len(h) - 1) for h in best]
    return [r[:longest] for r in out], best_scores, min(gaps)


def marian_beam(w, input_ids, attention_mask, max_length, num_beams, forced_bos_token_id=None, **options):
    """beam_search with Marian's generation config: from decoder_start_token_id (= pad), the pad token
    suppressed, eos forced at the last position; the encoder output repeated num_beams times. The decoder
    reruns the whole prefix each step (no cache). forced_bos_token_id: as if config.json set it."""
    c = MARIAN
    enc = marian_encode(w, input_ids, attention_mask)[-1].repeat_interleave(num_beams, dim=0)
    mask = attention_mask.repeat_interleave(num_beams, dim=0)
    start = torch.full((input_ids.shape[0], 1), c["PAD"], dtype=torch.long)
    return beam_search(lambda seq: marian_decode(w, seq, enc, mask)[1][:, -1, :], start, max_length, num_beams, c["V"],
                       c["EOS"], c["PAD"], suppressed=[c["PAD"]], forced_eos=c["EOS"], forced_bos=forced_bos_token_id, **options)


def check_beam_exhaustive(w, input_ids, attention_mask, allowed=(2, 40, 41), max_length=5, length_penalty=0.6, k=5):
    """beam_search against exhaustive search where beams cannot miss anything: every token but three
    (and eos) suppressed, so each prefix has four continuations, and num_beams = 4 * 3^(max_length - 2),
    enough to keep every live prefix and to rank every eos candidate among the first num_beams. The k best
    hypotheses must be the k best of all sequences start + t1..tn + eos (n < max_length - 1), each scored
    directly: the sum of its tokens' log-probs (the forced eos at max_length - 1 counting 0) over (n + 1) **
    length_penalty."""
    c = MARIAN
    enc = marian_encode(w, input_ids, attention_mask)[-1]
    suppressed = [t for t in range(c["V"]) if t not in allowed and t != c["EOS"]]

    def logprobs(prefix):
        scores = F.log_softmax(marian_decode(w, torch.tensor([prefix]), enc, attention_mask)[1][0, -1], dim=-1)
        return {t: float(scores[t]) for t in list(allowed) + [c["EOS"]]}

    finished, frontier = [], [([c["PAD"]], 0.0)]
    while frontier:
        prefix, total = frontier.pop()
        if len(prefix) == max_length - 1:  # ForcedEOS: only eos, scored 0
            finished.append((total / (len(prefix)) ** length_penalty, prefix + [c["EOS"]]))
            continue
        lp = logprobs(prefix)
        finished.append(((total + lp[c["EOS"]]) / len(prefix) ** length_penalty, prefix + [c["EOS"]]))
        frontier += [(prefix + [t], total + lp[t]) for t in allowed]
    finished.sort(key=lambda x: -x[0])
    n = 4 * 3 ** (max_length - 2)
    seqs, scores, _ = beam_search(lambda seq: marian_decode(w, seq, enc.repeat_interleave(n, dim=0), attention_mask.repeat_interleave(n, dim=0))[1][:, -1, :],
                                  torch.full((1, 1), c["PAD"], dtype=torch.long), max_length, n, c["V"], c["EOS"], c["PAD"],
                                  suppressed=suppressed, forced_eos=c["EOS"], length_penalty=length_penalty,
                                  early_stopping="never", num_return_sequences=k)
    got = [s[: s.index(c["EOS"]) + 1] for s in seqs]
    err = max(abs(a - b) for a, (b, _) in zip(scores, finished[:k]))
    print(f"  check beam search = exhaustive search ({len(finished)} sequences, the best {k}): score max|diff| = {err:.1e}")
    assert got == [h for _, h in finished[:k]] and err < 1e-5, (got, finished[:k])


# ----------------------------------------------------------------------------------------------
# Cross-checks against torch.nn (independent implementation)
# ----------------------------------------------------------------------------------------------

CHECKS = []


def record(name, a, b, valid=None):
    """Max |a - b| over valid positions ([B, T] 0/1 mask) or everything."""
    d = (a - b).abs()
    if valid is not None:
        d = d * valid[..., None].to(DTYPE)
    err = float(d.max())
    CHECKS.append((name, err))
    print(f"  check {name:<58s} max|diff| = {err:.3e}")
    if not err <= CHECK_TOL:
        sys.exit(f"ABORT: {name} differs from torch.nn by {err} > {CHECK_TOL}")


def mha_from(w, p, D, H, names):
    """nn.MultiheadAttention holding the weights of an attention block; names = (q, k, v, out)."""
    m = torch.nn.MultiheadAttention(D, H, batch_first=True)
    with torch.no_grad():
        m.in_proj_weight.copy_(torch.cat([w[p + n + ".weight"] for n in names[:3]]))
        m.in_proj_bias.copy_(torch.cat([w[p + n + ".bias"] for n in names[:3]]))
        m.out_proj.weight.copy_(w[p + names[3] + ".weight"])
        m.out_proj.bias.copy_(w[p + names[3] + ".bias"])
    return m.eval()


def set_lin(mod, w, name):
    with torch.no_grad():
        mod.weight.copy_(w[name + ".weight"])
        mod.bias.copy_(w[name + ".bias"])


def encoder_layer_from(w, p, D, H, Fd, act, eps, attn_names, out_names, ffn_names, ln_names):
    """nn.TransformerEncoderLayer (post-LN: norm_first False) given one layer's weights."""
    layer = torch.nn.TransformerEncoderLayer(D, H, Fd, dropout=0.0, activation=act, layer_norm_eps=eps,
                                             batch_first=True, norm_first=False)
    mha = mha_from(w, p, D, H, attn_names if out_names is None else attn_names + out_names)
    layer.self_attn.load_state_dict(mha.state_dict())
    set_lin(layer.linear1, w, p + ffn_names[0])
    set_lin(layer.linear2, w, p + ffn_names[1])
    set_lin(layer.norm1, w, p + ln_names[0])
    set_lin(layer.norm2, w, p + ln_names[1])
    return layer.eval()


def run_encoder_layer(layer, x, mask):
    # the user-facing math path (the inference fast path may zero padded rows); compare valid rows only
    with torch.no_grad():
        return layer(x, src_key_padding_mask=(mask == 0))


def check_bert(w, out, mask):
    c = BERT
    for i in range(c["L"]):
        p = f"bert.encoder.layer.{i}."
        layer = encoder_layer_from(w, p, c["D"], c["H"], c["F"], F.gelu, c["EPS"],
                                   ("attention.self.query", "attention.self.key", "attention.self.value"),
                                   ("attention.output.dense",), ("intermediate.dense", "output.dense"),
                                   ("attention.output.LayerNorm", "output.LayerNorm"))
        ref = run_encoder_layer(layer, out["hidden_states"][i], mask)
        record(f"bert layer {i} vs nn.TransformerEncoderLayer(gelu)", out["hidden_states"][i + 1], ref, mask)
    # attention alone vs nn.MultiheadAttention (before the output projection is folded in by HF's BertSelfOutput)
    p = "bert.encoder.layer.0.attention."
    mha = mha_from(w, p, c["D"], c["H"], ("self.query", "self.key", "self.value", "output.dense"))
    x = out["hidden_states"][0]
    with torch.no_grad():
        ref, _ = mha(x, x, x, key_padding_mask=(mask == 0), need_weights=False)
    mine = lin(bert_self_attention(x, w, p + "self.", additive_padding_mask(mask), c["H"]), w, p + "output.dense")
    record("bert layer 0 attention vs nn.MultiheadAttention", mine, ref, mask)


def check_distil(w, out, mask):
    c = DISTIL
    for i in range(c["L"]):
        p = f"distilbert.transformer.layer.{i}."
        layer = encoder_layer_from(w, p, c["D"], c["H"], c["F"], F.gelu, c["EPS"],
                                   ("attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin"),
                                   None, ("ffn.lin1", "ffn.lin2"), ("sa_layer_norm", "output_layer_norm"))
        ref = run_encoder_layer(layer, out["hidden_states"][i], mask)
        record(f"distilbert layer {i} vs nn.TransformerEncoderLayer(gelu)", out["hidden_states"][i + 1], ref, mask)


def check_marian(w, enc_hidden, enc_mask, dec_hidden):
    c = MARIAN
    attn = ("q_proj", "k_proj", "v_proj", "out_proj")
    for i in range(c["LE"]):
        p = f"model.encoder.layers.{i}."
        layer = encoder_layer_from(w, p, c["D"], c["H"], c["F"], F.silu, c["EPS"],
                                   tuple("self_attn." + n for n in attn), None, ("fc1", "fc2"),
                                   ("self_attn_layer_norm", "final_layer_norm"))
        ref = run_encoder_layer(layer, enc_hidden[i], enc_mask)
        record(f"marian encoder layer {i} vs nn.TransformerEncoderLayer(silu)", enc_hidden[i + 1], ref, enc_mask)
    enc = enc_hidden[-1]
    U = dec_hidden[0].shape[1]
    for i in range(c["LD"]):
        p = f"model.decoder.layers.{i}."
        layer = torch.nn.TransformerDecoderLayer(c["D"], c["H"], c["F"], dropout=0.0, activation=F.silu,
                                                 layer_norm_eps=c["EPS"], batch_first=True, norm_first=False)
        layer.self_attn.load_state_dict(mha_from(w, p + "self_attn.", c["D"], c["H"], attn).state_dict())
        layer.multihead_attn.load_state_dict(mha_from(w, p + "encoder_attn.", c["D"], c["H"], attn).state_dict())
        set_lin(layer.linear1, w, p + "fc1")
        set_lin(layer.linear2, w, p + "fc2")
        set_lin(layer.norm1, w, p + "self_attn_layer_norm")
        set_lin(layer.norm2, w, p + "encoder_attn_layer_norm")
        set_lin(layer.norm3, w, p + "final_layer_norm")
        layer.eval()
        with torch.no_grad():
            ref = layer(dec_hidden[i], enc, tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(U),
                        memory_key_padding_mask=(enc_mask == 0))
        record(f"marian decoder layer {i} vs nn.TransformerDecoderLayer(silu)", dec_hidden[i + 1], ref)
    # cross-attention alone vs nn.MultiheadAttention with a key padding mask
    p = "model.decoder.layers.0.encoder_attn."
    mha = mha_from(w, p, c["D"], c["H"], attn)
    y = dec_hidden[0]
    with torch.no_grad():
        ref, _ = mha(y, enc, enc, key_padding_mask=(enc_mask == 0), need_weights=False)
    record("marian decoder 0 cross-attention vs nn.MultiheadAttention",
           marian_attention(y, enc, w, p, additive_padding_mask(enc_mask), c["H"]), ref)


def check_batch_vs_single(name, fn, ids, mask, extra=None):
    """A padded batch must give the same valid rows as each sequence alone, unpadded."""
    full = fn(ids, mask, extra)
    for b in range(ids.shape[0]):
        n = int(mask[b].sum())
        one = fn(ids[b : b + 1, :n], mask[b : b + 1, :n], None if extra is None else extra[b : b + 1, :n])
        record(f"{name} batch row {b} vs alone", full[b : b + 1, :n], one)


# ----------------------------------------------------------------------------------------------
# Tokenizers (tokenizer.json in Hugging Face tokenizers format) and the tiny tokenizers used here
# ----------------------------------------------------------------------------------------------

BERT_SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
BERT_WORDS = (
    ". , ! ? ' - the a an is was are be to of and in on it this that he she they we you i my "
    "his her dog cat movie film book day night time good bad great terrible awful love hate like not very "
    "really so but with for at from sleeping running play played happy sad fun boring house tree sun rain "
    "hello world today yesterday new old big small red blue green one two three"
).split()
BERT_PIECES = "##s ##ing ##ed ##ly ##er ##est ##y un re ##able ##ness ##ful ##less".split()
BERT_CHARS = list("abcdefghijklmnopqrstuvwxyz")


def bert_vocab():
    vocab = list(BERT_SPECIAL) + BERT_WORDS + BERT_PIECES
    for ch in BERT_CHARS:  # single letters so WordPiece can always fall back
        if ch not in vocab:
            vocab.append(ch)
        if len(vocab) >= BERT["V"]:
            break
    for ch in BERT_CHARS:
        if len(vocab) >= BERT["V"]:
            break
        vocab.append("##" + ch)
    assert len(vocab) == BERT["V"], len(vocab)
    assert len(set(vocab)) == len(vocab)
    return vocab


def bert_tokenize(text, vocab):
    """BertNormalizer(lowercase) + BertPreTokenizer + WordPiece, enough for the ASCII texts used here."""
    ids = {t: i for i, t in enumerate(vocab)}
    words, cur = [], ""
    for ch in text.lower():
        if ch.isspace():
            if cur:
                words.append(cur)
            cur = ""
        elif not ch.isalnum():
            if cur:
                words.append(cur)
            words.append(ch)
            cur = ""
        else:
            cur += ch
    if cur:
        words.append(cur)
    out = []
    for word in words:
        start, pieces = 0, []
        while start < len(word):
            end = len(word)
            while end > start:
                sub = word[start:end] if start == 0 else "##" + word[start:end]
                if sub in ids:
                    break
                end -= 1
            if end == start:
                pieces = [ids["[UNK]"]]
                break
            pieces.append(ids[sub])
            start = end
        out.extend(pieces)
    return out


def added_token(i, content):
    return {"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": True}


def bert_tokenizer_json(vocab):
    cls, sep = vocab.index("[CLS]"), vocab.index("[SEP]")
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [added_token(vocab.index(t), t) for t in BERT_SPECIAL],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [cls], "tokens": ["[CLS]"]},
                               "[SEP]": {"id": "[SEP]", "ids": [sep], "tokens": ["[SEP]"]}},
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": {t: i for i, t in enumerate(vocab)}},
    }


def bert_tokenizer_config(max_len):
    return {"tokenizer_class": "BertTokenizer", "do_lower_case": True, "model_max_length": max_len,
            "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]",
            "mask_token": "[MASK]", "clean_up_tokenization_spaces": True, "strip_accents": None,
            "tokenize_chinese_chars": True}


MARIAN_WORDS = ("he she it is was sleeping running the a dog cat house big small red and not "
                "er sie es ist schläft läuft der die das ein hund katze haus groß klein rot und nicht "
                "today heute very sehr good gut").split()
MARIAN_PIECES = list("abcdefghijklmnopqrstuvwxyzäöüß.,!?") + ["▁" + ch for ch in "abcdefghiklmnoprst"]


def marian_vocab():
    """Marian layout: </s> = 0 (eos), <unk> = 1, pieces, <pad> = last id (pad and decoder start)."""
    pieces = [("</s>", 0.0), ("<unk>", 0.0), ("▁", -4.0)]
    pieces += [("▁" + wd, -3.0 - 0.01 * i) for i, wd in enumerate(MARIAN_WORDS)]
    pieces += [(p, -8.0 - 0.01 * i) for i, p in enumerate(MARIAN_PIECES)]
    seen, vocab = set(), []
    for p, s in pieces:
        if p not in seen:
            seen.add(p)
            vocab.append((p, s))
    vocab = vocab[: MARIAN["V"] - 1]
    while len(vocab) < MARIAN["V"] - 1:
        vocab.append((f"<extra_{len(vocab)}>", -20.0))
    vocab.append(("<pad>", 0.0))
    assert vocab[MARIAN["PAD"]][0] == "<pad>" and vocab[MARIAN["EOS"]][0] == "</s>"
    return vocab


def marian_tokenize(text, vocab):
    """Metaspace ('▁' for spaces, prepended) + Unigram Viterbi (best total log-probability), then </s>."""
    specials = {MARIAN["EOS"], MARIAN["UNK"], MARIAN["PAD"]}
    score = {p: s for i, (p, s) in enumerate(vocab) if i not in specials}
    ids = {p: i for i, (p, _) in enumerate(vocab)}
    s = "▁" + text.replace(" ", "▁")
    best = [(0.0, [])] + [(-math.inf, None)] * len(s)
    for end in range(1, len(s) + 1):
        for start in range(end):
            piece = s[start:end]
            if piece in score and best[start][1] is not None and best[start][0] + score[piece] > best[end][0]:
                best[end] = (best[start][0] + score[piece], best[start][1] + [ids[piece]])
    assert best[-1][1] is not None, f"no segmentation for {text!r}"
    return best[-1][1] + [MARIAN["EOS"]]


def marian_detokenize(ids, vocab):
    """Metaspace decoder with skip_special_tokens: join pieces, '▁' -> ' ', strip the leading space."""
    special = {MARIAN["EOS"], MARIAN["UNK"], MARIAN["PAD"]}
    s = "".join(vocab[i][0] for i in ids if i not in special).replace("▁", " ")
    return s[1:] if s.startswith(" ") else s


def marian_tokenizer_json(vocab):
    specials = [(MARIAN["EOS"], "</s>"), (MARIAN["UNK"], "<unk>"), (MARIAN["PAD"], "<pad>")]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [added_token(i, t) for i, t in specials],
        "normalizer": None,
        "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 0}},
                     {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "special_tokens": {"</s>": {"id": "</s>", "ids": [MARIAN["EOS"]], "tokens": ["</s>"]}},
        },
        "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": MARIAN["UNK"], "vocab": [[p, s] for p, s in vocab],
                  "byte_fallback": False},
    }


def marian_tokenizer_config():
    return {"tokenizer_class": "MarianTokenizer", "eos_token": "</s>", "unk_token": "<unk>",
            "pad_token": "<pad>", "model_max_length": 512, "clean_up_tokenization_spaces": True,
            "source_lang": "en", "target_lang": "de"}


# ----------------------------------------------------------------------------------------------
# Configs (the fields Hugging Face's config.json carries for each architecture)
# ----------------------------------------------------------------------------------------------


def labels(names):
    return {str(i): n for i, n in enumerate(names)}, {n: i for i, n in enumerate(names)}


def bert_config():
    c = BERT
    id2label, label2id = labels(c["LABELS"])
    return {
        "architectures": ["BertForSequenceClassification"], "model_type": "bert",
        "attention_probs_dropout_prob": 0.1, "classifier_dropout": None, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1, "hidden_size": c["D"], "initializer_range": 0.02,
        "intermediate_size": c["F"], "layer_norm_eps": c["EPS"], "max_position_embeddings": c["P"],
        "num_attention_heads": c["H"], "num_hidden_layers": c["L"], "pad_token_id": 0,
        "position_embedding_type": "absolute", "type_vocab_size": c["TYPES"], "vocab_size": c["V"],
        "id2label": id2label, "label2id": label2id, "problem_type": "single_label_classification",
        "torch_dtype": "float32", "use_cache": True,
    }


def distil_config():
    c = DISTIL
    id2label, label2id = labels(c["LABELS"])
    return {
        "architectures": ["DistilBertForSequenceClassification"], "model_type": "distilbert",
        "activation": "gelu", "attention_dropout": 0.1, "dim": c["D"], "dropout": 0.1, "hidden_dim": c["F"],
        "initializer_range": 0.02, "max_position_embeddings": c["P"], "n_heads": c["H"], "n_layers": c["L"],
        "pad_token_id": 0, "qa_dropout": 0.1, "seq_classif_dropout": 0.2, "sinusoidal_pos_embds": True,
        "tie_weights_": True, "vocab_size": c["V"], "id2label": id2label, "label2id": label2id,
        "torch_dtype": "float32",
    }


def marian_config():
    c = MARIAN
    return {
        "architectures": ["MarianMTModel"], "model_type": "marian",
        "activation_dropout": 0.0, "activation_function": "swish", "add_bias_logits": False,
        "add_final_layer_norm": False, "attention_dropout": 0.0, "bad_words_ids": [[c["PAD"]]],
        "bos_token_id": 0, "classif_dropout": 0.0, "classifier_dropout": 0.0, "d_model": c["D"],
        "decoder_attention_heads": c["H"], "decoder_ffn_dim": c["F"], "decoder_layerdrop": 0.0,
        "decoder_layers": c["LD"], "decoder_start_token_id": c["PAD"], "decoder_vocab_size": c["V"],
        "dropout": 0.1, "encoder_attention_heads": c["H"], "encoder_ffn_dim": c["F"], "encoder_layerdrop": 0.0,
        "encoder_layers": c["LE"], "eos_token_id": c["EOS"], "forced_eos_token_id": c["EOS"],
        "init_std": 0.02, "is_encoder_decoder": True, "max_length": 512, "max_position_embeddings": c["P"],
        "normalize_before": False, "normalize_embedding": False, "num_beams": 4,
        "num_hidden_layers": c["LE"], "pad_token_id": c["PAD"], "scale_embedding": True,
        "share_encoder_decoder_embeddings": True, "static_position_embeddings": True,
        "tie_word_embeddings": True, "torch_dtype": "float32", "use_cache": True, "vocab_size": c["V"],
    }


def marian_generation_config():
    c = MARIAN
    return {"bad_words_ids": [[c["PAD"]]], "bos_token_id": 0, "decoder_start_token_id": c["PAD"],
            "eos_token_id": c["EOS"], "forced_eos_token_id": c["EOS"], "max_length": 512, "num_beams": 4,
            "pad_token_id": c["PAD"]}


# ----------------------------------------------------------------------------------------------
# Fixture assembly
# ----------------------------------------------------------------------------------------------


def pad_batch(seqs, pad_id, types=None):
    T = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), T), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), T), dtype=torch.long)
    tt = torch.zeros((len(seqs), T), dtype=torch.long)
    for b, s in enumerate(seqs):
        ids[b, : len(s)] = torch.tensor(s)
        mask[b, : len(s)] = 1
        if types is not None:
            tt[b, : len(s)] = torch.tensor(types[b])
    return ids, mask, tt


def mean_pool_normalize(h, mask):
    """sentence-transformers Pooling(mean) + Normalize: sum(h * mask) / clamp(sum(mask), 1e-9), then
    F.normalize(p=2, dim=1) (eps 1e-12)."""
    m = mask[..., None].to(DTYPE)
    mean = (h * m).sum(1) / torch.clamp(m.sum(1), min=1e-9)
    return F.normalize(mean, p=2, dim=1)


def stats(tensors):
    return max(float(t.abs().max()) for t in tensors)


def max_abs_valid(tensors, mask):
    return max(float((t.abs() * mask[..., None].to(DTYPE)).max()) for t in tensors)


def bert_inputs(vocab):
    texts = [("The movie was great!", None), ("I hate this", "It was boring."), ("The dogs were sleeping.", None),
             ("Hello world, today is a very good day and the sun is happy", None)]
    seqs, types, enc = [], [], []
    cls, sep = vocab.index("[CLS]"), vocab.index("[SEP]")
    for a, b in texts:
        ia = bert_tokenize(a, vocab)
        ids = [cls] + ia + [sep]
        tt = [0] * len(ids)
        if b is not None:
            ib = bert_tokenize(b, vocab)
            ids += ib + [sep]
            tt += [1] * (len(ib) + 1)
        seqs.append(ids)
        types.append(tt)
        enc.append({"text": a, "text_pair": b, "input_ids": ids, "token_type_ids": tt})
    return texts, seqs, types, enc


def make_bert(outdir, vocab):
    w = bert_weights()
    d = os.path.join(outdir, "bert")
    os.makedirs(d, exist_ok=True)
    texts, seqs, types, enc = bert_inputs(vocab)
    ids, mask, tt = pad_batch(seqs, 0, types)
    with torch.no_grad():
        out = bert_forward(w, ids, tt, mask)
    print("bert:")
    check_bert(w, out, mask)
    check_batch_vs_single("bert last_hidden_state", lambda i, m, t: bert_forward(w, i, t, m)["last_hidden_state"],
                          ids, mask, tt)
    probs = torch.softmax(out["logits"], dim=-1)
    emb = mean_pool_normalize(out["last_hidden_state"], mask)

    sizes = {}
    sizes["model.safetensors"] = write_safetensors(os.path.join(d, "model.safetensors"), w)
    back = read_safetensors(os.path.join(d, "model.safetensors"))
    assert all(torch.equal(back[k], w[k]) for k in w), "safetensors round trip"
    variants = {}
    for tag, dt in (("f16", torch.float16), ("bf16", torch.bfloat16)):
        wl = {k: v.to(dt) for k, v in w.items()}
        fname = f"model-{tag}.safetensors"
        sizes[fname] = write_safetensors(os.path.join(d, fname), wl)
        wu = {k: v.to(torch.float32) for k, v in wl.items()}  # what a loader should get after conversion
        back = read_safetensors(os.path.join(d, fname))
        assert all(torch.equal(back[k], wu[k]) for k in w), f"{tag} round trip"
        with torch.no_grad():
            o = bert_forward(wu, ids, tt, mask)
        variants[tag] = {"file": fname, "last_hidden_state": tensor_json(o["last_hidden_state"]),
                         "pooler_output": tensor_json(o["pooler_output"]), "logits": tensor_json(o["logits"]),
                         "max_abs_diff_vs_f32_last_hidden_state": max_abs_valid(
                             [o["last_hidden_state"] - out["last_hidden_state"]], mask)}

    cfg = bert_config()
    write_json(os.path.join(d, "config.json"), cfg)
    tok = bert_tokenizer_json(vocab)
    write_json(os.path.join(d, "tokenizer.json"), tok)
    write_json(os.path.join(d, "tokenizer_config.json"), bert_tokenizer_config(BERT["P"]))

    # the same F32 weights in two shards, as save_pretrained(max_shard_size=...) lays them out
    sd = os.path.join(outdir, "bert-sharded")
    os.makedirs(sd, exist_ok=True)
    names = sorted(w)
    half = len(names) // 2
    shards = [names[:half], names[half:]]
    weight_map, total = {}, 0
    for k, part in enumerate(shards):
        fname = f"model-{k + 1:05d}-of-{len(shards):05d}.safetensors"
        write_safetensors(os.path.join(sd, fname), {n: w[n] for n in part})
        for n in part:
            weight_map[n] = fname
            total += w[n].numel() * 4
    write_json(os.path.join(sd, "model.safetensors.index.json"), {"metadata": {"total_size": total}, "weight_map": weight_map})
    write_json(os.path.join(sd, "config.json"), cfg)
    write_json(os.path.join(sd, "tokenizer.json"), tok)
    write_json(os.path.join(sd, "tokenizer_config.json"), bert_tokenizer_config(BERT["P"]))

    fx = {
        "model": "bert", "architecture": "BertForSequenceClassification",
        "inputs": {"texts": [{"text": a, "text_pair": b} for a, b in texts], "encodings": enc,
                   "input_ids": ids.tolist(), "attention_mask": mask.tolist(), "token_type_ids": tt.tolist()},
        "outputs": {
            "hidden_states": [tensor_json(h) for h in out["hidden_states"]],
            "last_hidden_state": tensor_json(out["last_hidden_state"]),
            "pooler_output": tensor_json(out["pooler_output"]),
            "logits": tensor_json(out["logits"]),
            "probabilities": tensor_json(probs),
            "predicted_labels": [BERT["LABELS"][i] for i in probs.argmax(-1).tolist()],
            "mean_pooled_normalized": tensor_json(emb),
        },
        "variants": variants,
        "max_abs": {"hidden_states_valid_positions": max_abs_valid(out["hidden_states"], mask),
                    "hidden_states_all_positions": stats(out["hidden_states"]),
                    "logits": stats([out["logits"]])},
    }
    write_json(os.path.join(d, "fixture.json"), fx, compact=True)
    return fx


def make_distil(outdir, vocab):
    w = distil_weights()
    d = os.path.join(outdir, "distilbert")
    os.makedirs(d, exist_ok=True)
    texts = ["The movie was great!", "I hate this. It was boring.", "A very good day",
             "Hello world, today is a very good day and the sun is happy"]
    cls, sep = vocab.index("[CLS]"), vocab.index("[SEP]")
    seqs = [[cls] + bert_tokenize(t, vocab) + [sep] for t in texts]
    ids, mask, _ = pad_batch(seqs, 0)
    with torch.no_grad():
        out = distil_forward(w, ids, mask)
    print("distilbert:")
    table = w["distilbert.embeddings.position_embeddings.weight"].double()
    pos = torch.arange(DISTIL["P"], dtype=torch.float64)[:, None]
    freq = torch.pow(10000.0, -2.0 * torch.arange(DISTIL["D"] // 2, dtype=torch.float64) / DISTIL["D"])[None]
    err = max(float((table[:, 0::2] - torch.sin(pos * freq)).abs().max()), float((table[:, 1::2] - torch.cos(pos * freq)).abs().max()))
    print(f"  check distilbert positions interleaved sin/cos, p from 0: max|diff| = {err:.3e}")
    assert err < 1e-6
    check_distil(w, out, mask)
    check_batch_vs_single("distilbert last_hidden_state", lambda i, m, _: distil_forward(w, i, m)["last_hidden_state"],
                          ids, mask)
    probs = torch.softmax(out["logits"], dim=-1)
    emb = mean_pool_normalize(out["last_hidden_state"], mask)
    write_safetensors(os.path.join(d, "model.safetensors"), w)
    write_json(os.path.join(d, "config.json"), distil_config())
    write_json(os.path.join(d, "tokenizer.json"), bert_tokenizer_json(vocab))
    cfg = bert_tokenizer_config(DISTIL["P"])
    cfg["tokenizer_class"] = "DistilBertTokenizer"
    write_json(os.path.join(d, "tokenizer_config.json"), cfg)
    fx = {
        "model": "distilbert", "architecture": "DistilBertForSequenceClassification",
        "inputs": {"texts": texts, "encodings": [{"text": t, "input_ids": s} for t, s in zip(texts, seqs)],
                   "input_ids": ids.tolist(), "attention_mask": mask.tolist()},
        "outputs": {
            "hidden_states": [tensor_json(h) for h in out["hidden_states"]],
            "last_hidden_state": tensor_json(out["last_hidden_state"]),
            "logits": tensor_json(out["logits"]),
            "probabilities": tensor_json(probs),
            "predicted_labels": [DISTIL["LABELS"][i] for i in probs.argmax(-1).tolist()],
            "mean_pooled_normalized": tensor_json(emb),
        },
        "max_abs": {"hidden_states_valid_positions": max_abs_valid(out["hidden_states"], mask),
                    "hidden_states_all_positions": stats(out["hidden_states"]),
                    "logits": stats([out["logits"]])},
    }
    write_json(os.path.join(d, "fixture.json"), fx, compact=True)
    return fx


def make_marian(outdir):
    c = MARIAN
    vocab = marian_vocab()
    w = marian_weights()
    d = os.path.join(outdir, "marian")
    os.makedirs(d, exist_ok=True)
    texts = ["he is sleeping", "the big red dog is not running today", "she is very good"]
    seqs = [marian_tokenize(t, vocab) for t in texts]
    ids, mask, _ = pad_batch(seqs, c["PAD"])
    # teacher-forced decoder input: shift_tokens_right(target) = [decoder_start] + target pieces, cut to U = 4
    targets = ["er schläft", "der hund ist nicht rot", "sie ist sehr gut"]
    dec = [([c["PAD"]] + marian_tokenize(t, vocab))[:4] for t in targets]
    dec_ids = torch.tensor(dec, dtype=torch.long)
    with torch.no_grad():
        enc_hidden = marian_encode(w, ids, mask)
        dec_hidden, logits = marian_decode(w, dec_ids, enc_hidden[-1], mask)
    print("marian:")
    check_marian(w, enc_hidden, mask, dec_hidden)
    check_batch_vs_single("marian encoder output", lambda i, m, _: marian_encode(w, i, m)[-1], ids, mask)
    # decoder logits of each row alone (unpadded encoder input) vs the padded batch
    for b in range(ids.shape[0]):
        n = int(mask[b].sum())
        with torch.no_grad():
            e1 = marian_encode(w, ids[b : b + 1, :n], mask[b : b + 1, :n])[-1]
            _, l1 = marian_decode(w, dec_ids[b : b + 1], e1, mask[b : b + 1, :n])
        record(f"marian decoder logits row {b} vs alone", logits[b : b + 1], l1)

    table = marian_sinusoidal_table(c["P"], c["D"]).double()
    pos = torch.arange(c["P"], dtype=torch.float64)[:, None]
    freq = torch.pow(10000.0, -2.0 * torch.arange(c["D"] // 2, dtype=torch.float64) / c["D"])[None]
    direct = torch.cat([torch.sin(pos * freq), torch.cos(pos * freq)], dim=1)
    err = float((table - direct).abs().max())
    print(f"  check marian positions = [sin(p*f_i) | cos(p*f_i)], f_i = 10000^(-2i/D), p from 0: max|diff| = {err:.3e}")
    assert err < 1e-6 and float(table[0, : c["D"] // 2].abs().max()) == 0.0 and float(table[0, c["D"] // 2 :].min()) == 1.0

    max_len = 12
    with torch.no_grad():
        gen, margins = marian_greedy(w, ids, mask, max_len)
        singles = [marian_greedy(w, ids[b : b + 1, : int(mask[b].sum())], mask[b : b + 1, : int(mask[b].sum())], max_len)[0][0]
                   for b in range(ids.shape[0])]
    gen_rows = []
    for b in range(ids.shape[0]):
        row = gen[b].tolist()
        cut = row.index(c["EOS"]) + 1 if c["EOS"] in row else len(row)
        assert row[:cut] == singles[b].tolist()[:cut], "greedy batch vs alone"
        assert c["PAD"] not in row[1:cut], "pad generated"
        gen_rows.append(row[:cut])
    print("  greedy:", gen_rows)
    min_margin = min(min(m) for m in margins)
    print(f"  greedy: smallest top-1 minus top-2 score of a chosen token = {min_margin:.4f}")
    assert min_margin > 1e-3, "greedy choice too close to a tie to be a stable reference"
    assert any(len(r) < max_len for r in gen_rows) and any(len(r) == max_len for r in gen_rows)

    with torch.no_grad():
        check_beam_exhaustive(w, ids[:1, : int(mask[0].sum())], mask[:1, : int(mask[0].sum())])
    # beam search: num_beams 1 with early stopping is greedy search; then three settings of HF's generate()
    with torch.no_grad():
        one, _, _ = marian_beam(w, ids, mask, max_len, 1, early_stopping=True)
    assert [r[: len(g)] for r, g in zip(one, gen_rows)] == gen_rows, "beam search with one beam vs greedy"
    beam_runs = []
    for params in BEAM_SETTINGS:
        with torch.no_grad():
            seqs_b, scores_b, gap = marian_beam(w, ids, mask, **params)
        print(f"  beam {params}: {seqs_b} scores {[round(s, 4) for s in scores_b]}, smallest gap {gap:.2e}")
        assert gap > 1e-4, "beam candidates too close to a tie to be a stable reference"
        beam_runs.append({"params": params, "sequences": seqs_b, "sequence_scores": scores_b, "min_gap": gap,
                          "texts": [marian_detokenize(r, vocab) for r in seqs_b]})
    # a source longer than the positions, truncated as HF's tokenizer does (truncation=True, max_length=P): the
    # pieces cut to P - 1, then the </s> it adds after truncation
    long_text = " ".join(["the big red dog is not running today"] * 10)
    long_ids = marian_tokenize(long_text, vocab)
    assert len(long_ids) > c["P"]
    truncation_case = {"text": long_text, "length": len(long_ids), "max_length": c["P"],
                       "input_ids": long_ids[: c["P"] - 1] + [c["EOS"]]}

    # as save_pretrained writes it: embed_positions are not saved (_keys_to_ignore_on_save), lm_head.weight and
    # both embed_tokens are tied to model.shared.weight
    write_safetensors(os.path.join(d, "model.safetensors"), w)
    write_json(os.path.join(d, "config.json"), marian_config())
    write_json(os.path.join(d, "generation_config.json"), marian_generation_config())
    write_json(os.path.join(d, "tokenizer.json"), marian_tokenizer_json(vocab))
    write_json(os.path.join(d, "tokenizer_config.json"), marian_tokenizer_config())
    fx = {
        "model": "marian", "architecture": "MarianMTModel",
        "inputs": {"texts": texts, "encodings": [{"text": t, "input_ids": s} for t, s in zip(texts, seqs)],
                   "input_ids": ids.tolist(), "attention_mask": mask.tolist(),
                   "decoder_input_ids": dec_ids.tolist(),
                   # tokenizer-only cases (not model inputs): Unigram splits of words that are not one piece
                   "tokenizer_cases": [{"text": t, "input_ids": marian_tokenize(t, vocab)}
                                       for t in ("the dogs are running", "heute ist es sehr kalt")]},
        "outputs": {
            "encoder_hidden_states": [tensor_json(h) for h in enc_hidden],
            "encoder_last_hidden_state": tensor_json(enc_hidden[-1]),
            "decoder_hidden_states": [tensor_json(h) for h in dec_hidden],
            "decoder_last_hidden_state": tensor_json(dec_hidden[-1]),
            "logits": tensor_json(logits),
            "position_table": tensor_json(marian_sinusoidal_table(c["P"], c["D"])),
        },
        "generation": {
            "params": {"num_beams": 1, "do_sample": False, "max_length": max_len,
                       "decoder_start_token_id": c["PAD"], "eos_token_id": c["EOS"], "pad_token_id": c["PAD"],
                       "forced_eos_token_id": c["EOS"], "bad_words_ids": [[c["PAD"]]]},
            "sequences": gen.tolist(),
            "min_top2_margin": min_margin,
            "sequences_trimmed": gen_rows,
            "texts": [marian_detokenize(r, vocab) for r in gen_rows],
        },
        "beam_search": beam_runs,
        "truncation_case": truncation_case,
        "max_abs": {"encoder_hidden_states_valid_positions": max_abs_valid(enc_hidden, mask),
                    "decoder_hidden_states": stats(dec_hidden), "logits": stats([logits])},
    }
    write_json(os.path.join(d, "fixture.json"), fx, compact=True)
    return fx


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
    outdir = os.path.abspath(outdir)
    os.makedirs(outdir, exist_ok=True)
    print(f"torch {torch.__version__}, numpy {np.__version__}, threads {torch.get_num_threads()}, out {outdir}")
    vocab = bert_vocab()
    make_bert(outdir, vocab)
    make_distil(outdir, vocab)
    make_marian(outdir)
    print(f"{len(CHECKS)} checks, worst {max(e for _, e in CHECKS):.3e} (tolerance {CHECK_TOL})")


if __name__ == "__main__":
    main()
