#!/usr/bin/python3
"""Compares three int8 matmul quantization schemes by fake quantization in torch (f32 everywhere else).

    /usr/bin/python3 tools/compare_q8_schemes.py [--passages N] [--embed-q8] [--no-bert-base]

A  activations per row asymmetric 7-bit unsigned [0, 127] with a zero point (lo = min(0, min x),
   hi = max(0, max x)); weights symmetric int8 per output channel, max|w| / 127 (what wasm-nlp ships:
   i32x4.relaxed_dot_i8x16_i7x16_add_s with the activations as the 7-bit operand).
B  activations per row symmetric int8, max|x| / 127; weights 7-bit per output channel, max|w| / 63,
   in [-63, 63] (stored +64 at run time, the 7-bit operand).
C  activations per row asymmetric uint8 [0, 255] with a zero point; weights symmetric int8 per channel
   (onnxruntime quantize_dynamic's per-channel scheme; not usable with the relaxed op).

Rounding is torch.round (to nearest, ties to even). The activation rows are quantized and dequantized
right before every Linear (and the tied LM head), the weights once. Attention matmuls, LayerNorms, biases
and softmax stay f32. Embedding lookups are f32 unless --embed-q8 (then int8 per row, max|row| / 127, the
same in every scheme, as wasm-nlp's q8 stores the tables; the tied LM head still uses the scheme's
weight quantization).

Models: data/models/book-classifier (held-out passages of its reference.json), data/models/number-translator
(its 818 held-out examples, greedy), and bench/.models/bert-base (random weights, reference input) if present.
"""

import argparse
import gzip
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_transformer_fixtures as fx  # noqa: E402
import train_tiny_models as tt  # noqa: E402

torch.set_num_threads(1)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SCHEMES = ("f32", "A", "B", "C")


# ----------------------------------------------------------------------------------------------
# Fake quantization
# ----------------------------------------------------------------------------------------------


def q_act_asym(x, levels):
    """Per row (last dim) asymmetric to [0, levels] with an integer zero point."""
    lo = torch.clamp(x.amin(-1, keepdim=True), max=0.0)
    hi = torch.clamp(x.amax(-1, keepdim=True), min=0.0)
    scale = (hi - lo) / levels
    safe = torch.where(scale > 0, scale, torch.ones_like(scale))
    zp = torch.round(-lo / safe)
    q = torch.clamp(torch.round(x / safe) + zp, 0, levels)
    return torch.where(scale > 0, (q - zp) * safe, torch.zeros_like(x))


def q_sym(x, levels):
    """Per row (last dim) symmetric to [-levels, levels]."""
    scale = x.abs().amax(-1, keepdim=True) / levels
    safe = torch.where(scale > 0, scale, torch.ones_like(scale))
    q = torch.clamp(torch.round(x / safe), -levels, levels)
    return torch.where(scale > 0, q * safe, torch.zeros_like(x))


ACT = {"f32": lambda x: x, "A": lambda x: q_act_asym(x, 127), "B": lambda x: q_sym(x, 127), "C": lambda x: q_act_asym(x, 255)}
WEIGHT = {"f32": lambda w: w, "A": lambda w: q_sym(w, 127), "B": lambda w: q_sym(w, 63), "C": lambda w: q_sym(w, 127)}
# --ablation: one side quantized at a time (activations of A / B / C with f32 weights; weights /127 or /63 with f32 activations)
ABLATION = {"actA": ("A", "f32"), "actB": ("B", "f32"), "actC": ("C", "f32"), "w127": ("f32", "A"), "w63": ("f32", "B")}
for _k, (_a, _w) in ABLATION.items():
    ACT[_k], WEIGHT[_k] = ACT[_a], WEIGHT[_w]

STATE = {"scheme": "f32"}
_orig_lin = fx.lin


def qlin(x, w, name):
    return F.linear(ACT[STATE["scheme"]](x), w[name + ".weight"], w.get(name + ".bias"))


fx.lin = qlin  # bert_layer, marian_attention, marian_ffn look `lin` up in the module at call time


def marian_decode_q(w, decoder_ids, enc_out, enc_mask):
    """fx.marian_decode with the tied LM head through the quantized copy w['__lm_head']."""
    c = fx.MARIAN
    U = decoder_ids.shape[1]
    y = F.embedding(decoder_ids, w["__embed"]) * (c["D"] ** 0.5)
    y = y + fx.marian_sinusoidal_table(c["P"], c["D"])[:U]
    self_mask, cross_mask = fx.causal_mask(U), fx.additive_padding_mask(enc_mask)
    hidden = [y]
    for i in range(c["LD"]):
        y = fx.marian_decoder_layer(y, enc_out, w, i, self_mask, cross_mask)
        hidden.append(y)
    logits = F.linear(ACT[STATE["scheme"]](y), w["__lm_head"]) + w["final_logits_bias"]
    return hidden, logits


def marian_encode_q(w, input_ids, attention_mask):
    c = fx.MARIAN
    S = input_ids.shape[1]
    x = F.embedding(input_ids, w["__embed"]) * (c["D"] ** 0.5)
    x = x + fx.marian_sinusoidal_table(c["P"], c["D"])[:S]
    m = fx.additive_padding_mask(attention_mask)
    hidden = [x]
    for i in range(c["LE"]):
        x = fx.marian_encoder_layer(x, w, i, m)
        hidden.append(x)
    return hidden


fx.marian_decode = marian_decode_q
fx.marian_encode = marian_encode_q


def is_embedding(name):
    return "embeddings" in name or name == "model.shared.weight"


def quantize_weights(w, scheme, embed_q8):
    """Linear weights (2-D, not embedding tables) by the scheme; embedding tables f32 or int8/127 per row."""
    out = {}
    for k, v in w.items():
        if v.dim() == 2 and min(v.shape) > 1 and not is_embedding(k):
            out[k] = WEIGHT[scheme](v)
        elif is_embedding(k) and embed_q8 and scheme != "f32" and v.dim() == 2 and min(v.shape) > 1:
            out[k] = q_sym(v, 127)
        else:
            out[k] = v
    if "model.shared.weight" in w:
        out["__embed"] = out["model.shared.weight"]
        out["__lm_head"] = WEIGHT[scheme](w["model.shared.weight"])
    return out


def token_cos(a, b):
    return F.cosine_similarity(a.reshape(-1, a.shape[-1]).double(), b.reshape(-1, b.shape[-1]).double(), dim=-1)


# ----------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------


def classifier_eval(n_passages, embed_q8):
    fx.BERT = tt.CLASSIFIER
    d = os.path.join(ROOT, "data", "models", "book-classifier")
    ref = json.load(open(os.path.join(d, "reference.json")))
    vocab = json.load(open(os.path.join(d, "tokenizer.json")))["model"]["vocab"]
    window, passages = ref["accuracy_passages"]["window"], ref["accuracy_passages"]["passages"]
    if n_passages and n_passages < len(passages):
        passages = tt.evenly(passages, n_passages)
    with gzip.open(os.path.join(ROOT, "data", "corpus-pd4m.txt.gz"), "rt") as f:
        tokens = f.read().split()
    ids = tt.encode_windows([" ".join(tokens[s : s + window]) for _, s, _ in passages], vocab)
    labels = torch.tensor([b for b, _, _ in passages])
    recorded = torch.tensor([p for _, _, p in passages])
    w0 = fx.read_safetensors(os.path.join(d, "model.safetensors"))
    res, base, errs = {}, None, {}
    for scheme in SCHEMES:
        STATE["scheme"] = scheme
        w = quantize_weights(w0, scheme, embed_q8)
        logits, hidden = [], []
        with torch.no_grad():
            for i in range(0, len(ids), 512):
                out = fx.bert_forward(w, ids[i : i + 512], torch.zeros_like(ids[i : i + 512]), torch.ones_like(ids[i : i + 512]))
                logits.append(out["logits"])
                hidden.append(out["last_hidden_state"])
        logits, hidden = torch.cat(logits), torch.cat(hidden)
        pred = logits.argmax(-1)
        r = {"accuracy": float((pred == labels).float().mean())}
        if scheme == "f32":
            base = (pred, hidden, logits)
            r["same_as_recorded"] = float((pred == recorded).float().mean())
        else:
            cos = token_cos(hidden, base[1])
            dl = (logits - base[2]).double()
            kl = F.kl_div(F.log_softmax(logits.double(), -1), F.log_softmax(base[2].double(), -1),
                          log_target=True, reduction="none").sum(-1)
            r.update(same_top1=float((pred == base[0]).float().mean()), flips=int((pred != base[0]).sum()),
                     worst_cos=float(cos.min()), mean_cos=float(cos.mean()),
                     p01_cos=float(torch.quantile(cos, 0.001)), mean_1mcos=float((1 - cos).mean()),
                     logit_rms_err=float(dl.pow(2).mean().sqrt()), logit_max_err=float(dl.abs().max()),
                     mean_kl=float(kl.mean()))
            errs[scheme] = 1 - cos
        res[scheme] = r
        print(f"classifier {scheme}: {r}", flush=True)
    if "B" in errs and "A" in errs:
        res["tokens_B_closer_than_A"] = float((errs["B"] < errs["A"]).double().mean())
        print(f"classifier: B's token cosine closer to f32 than A's on {100 * res['tokens_B_closer_than_A']:.1f}% of tokens")
    return {"passages": len(passages), **res}


def translator_eval(embed_q8):
    fx.MARIAN = tt.TRANSLATOR
    c = tt.TRANSLATOR
    d = os.path.join(ROOT, "data", "models", "number-translator")
    ref = json.load(open(os.path.join(d, "reference.json")))
    vocab = tt.translator_vocab()
    ex = ref["examples"]
    ids, mask, _ = fx.pad_batch([e["input_ids"] for e in ex], c["PAD"])
    w0 = fx.read_safetensors(os.path.join(d, "model.safetensors"))
    res, base = {}, None
    for scheme in SCHEMES:
        STATE["scheme"] = scheme
        w = quantize_weights(w0, scheme, embed_q8)
        with torch.no_grad():
            gen, _ = fx.marian_greedy(w, ids, mask, c["MAX_LENGTH"])
        outs = []
        for row in gen.tolist():
            row = row[: row.index(c["EOS"]) + 1] if c["EOS"] in row else row
            outs.append(fx.marian_detokenize(row, vocab))
        r = {"exact": sum(o == e["expected"] for o, e in zip(outs, ex)) / len(ex),
             "same_as_recorded_f32": sum(o == e["output"] for o, e in zip(outs, ex)) / len(ex)}
        if scheme == "f32":
            base, f32_gen = outs, gen
        else:
            r["same_as_f32"] = sum(o == b for o, b in zip(outs, base)) / len(ex)
            r["differs"] = [(e["text"], b, o) for o, b, e in zip(outs, base, ex) if o != b][:5]
        # teacher-forced on f32's greedy outputs: encoder output, decoder output and logits vs f32
        with torch.no_grad():
            enc = fx.marian_encode(w, ids, mask)[-1]
            hid, logits = fx.marian_decode(w, f32_gen[:, :-1], enc, mask)
        live = torch.ones_like(f32_gen[:, :-1], dtype=torch.bool)
        live[:, 1:] = f32_gen[:, 1:-1] != c["PAD"]  # positions that predicted a token before/at EOS
        tf = (mask.bool(), enc, live, hid[-1], logits)
        if scheme == "f32":
            tf0 = tf
        else:
            ec = token_cos(tf[1][tf[0]], tf0[1][tf0[0]])
            dc = token_cos(tf[3][live], tf0[3][live])
            lg, lg0 = tf[4][live].double(), tf0[4][live].double()
            lg[:, c["PAD"]] = 0
            lg0[:, c["PAD"]] = 0
            top2 = lg0.topk(2, -1)
            margin0 = top2.values[:, 0] - top2.values[:, 1]
            r.update(enc_worst_cos=float(ec.min()), enc_mean_1mcos=float((1 - ec).mean()),
                     dec_worst_cos=float(dc.min()), dec_mean_1mcos=float((1 - dc).mean()),
                     logit_rms_err=float((lg - lg0).pow(2).mean().sqrt()), logit_max_err=float((lg - lg0).abs().max()),
                     smallest_f32_margin=float(margin0.min()))
        res[scheme] = r
        print(f"translator {scheme}: {r}", flush=True)
    return {"examples": len(ex), **res}


def bert_base_eval(embed_q8):
    d = os.path.join(ROOT, "bench", ".models", "bert-base")
    cfg = json.load(open(os.path.join(d, "config.json")))
    fx.BERT = dict(D=cfg["hidden_size"], H=cfg["num_attention_heads"], L=cfg["num_hidden_layers"], EPS=cfg["layer_norm_eps"])
    ref = json.load(open(os.path.join(d, "reference.json")))
    ids = torch.tensor(ref["input_ids"])
    w0 = {"bert." + k: v for k, v in fx.read_safetensors(os.path.join(d, "model.safetensors")).items()}
    lh = ref["last_hidden_state"]
    with open(os.path.join(d, "reference.bin"), "rb") as f:
        f.seek(lh["offset"])
        expected = torch.frombuffer(bytearray(f.read(lh["bytes"])), dtype=torch.float32).reshape(lh["shape"])

    def forward(w):
        T = ids.shape[1]
        e = (F.embedding(ids, w["bert.embeddings.word_embeddings.weight"])
             + F.embedding(torch.zeros_like(ids), w["bert.embeddings.token_type_embeddings.weight"])
             + F.embedding(torch.arange(T)[None], w["bert.embeddings.position_embeddings.weight"]))
        x = fx.ln(e, w, "bert.embeddings.LayerNorm", fx.BERT["EPS"])
        ext = fx.additive_padding_mask(torch.ones_like(ids))
        for i in range(fx.BERT["L"]):
            x = fx.bert_layer(x, w, i, ext)
        return x

    res, base = {}, None
    for scheme in SCHEMES:
        STATE["scheme"] = scheme
        with torch.no_grad():
            h = forward(quantize_weights(w0, scheme, embed_q8))
        if scheme == "f32":
            base = h
            r = {"max_abs_vs_reference": float((h - expected).abs().max())}
        else:
            cos = token_cos(h, base)
            r = {"worst_cos": float(cos.min()), "mean_cos": float(cos.mean()), "mean_1mcos": float((1 - cos).mean())}
        res[scheme] = r
        print(f"bert-base {scheme}: {r}", flush=True)
    return {"tokens": ids.numel(), **res}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--passages", type=int, default=0, help="classifier passages (0: all)")
    ap.add_argument("--embed-q8", action="store_true")
    ap.add_argument("--no-bert-base", action="store_true")
    ap.add_argument("--only", choices=("classifier", "translator", "bert-base"))
    ap.add_argument("--json")
    ap.add_argument("--ablation", action="store_true", help="also quantize one side at a time")
    a = ap.parse_args()
    global SCHEMES
    if a.ablation:
        SCHEMES = SCHEMES + tuple(ABLATION)
    t0, out = time.time(), {"embed_q8": a.embed_q8}
    if a.only in (None, "classifier"):
        out["classifier"] = classifier_eval(a.passages, a.embed_q8)
    if a.only in (None, "translator"):
        out["translator"] = translator_eval(a.embed_q8)
    if a.only in (None, "bert-base") and not a.no_bert_base and os.path.exists(os.path.join(ROOT, "bench", ".models", "bert-base", "model.safetensors")):
        out["bert_base"] = bert_base_eval(a.embed_q8)
    print(f"done in {time.time() - t0:.0f} s", flush=True)
    if a.json:
        fx.write_json(a.json, out)


if __name__ == "__main__":
    main()
