#!/usr/bin/python3
"""References for the decoder-only families (src/transformer/families/llama.ts, gpt2.ts): tiny random
checkpoints in Hugging Face's layout, their logits and their greedy and beam-search continuations.

    /usr/bin/python3 tools/make_decoder_fixtures.py [outdir]     # default tests/fixtures/decoders

No transformers package here: each family's forward is written from Hugging Face's modeling code
(transformers 4.47: modeling_llama.py, modeling_mistral.py, modeling_qwen2.py, modeling_gpt2.py,
modeling_rope_utils.py), operation by operation, in f32:

  LlamaRMSNorm          weight · x · rsqrt(mean(x²) + eps)
  rope (rope_utils)     inv_freq = 1 / θ^(arange(0, Dh, 2) / Dh); 'linear': / factor; 'llama3': banded by
                        wavelength (_compute_llama3_parameters); cos, sin of cat(freqs, freqs), freqs = inv_freq·pos
  apply_rotary_pos_emb  q·cos + rotate_half(q)·sin
  LlamaAttention        q_proj D → H·Dh, k_proj / v_proj D → KVH·Dh (Qwen2: with biases; o_proj never),
                        repeat_kv, q·kᵀ / √Dh + mask (finfo.min above the diagonal; Mistral / Qwen2 sliding window:
                        also key j ≤ p − window), softmax in f32, · v, o_proj H·Dh → D
  LlamaMLP              down_proj(silu(gate_proj(x)) · up_proj(x))
  LlamaDecoderLayer     x + attn(input_layernorm(x)), then + mlp(post_attention_layernorm(x)); model.norm; lm_head
                        (or embed_tokens when tied)
  GPT2                  wte + wpe; x + c_proj(attn(ln_1(x))) with Conv1D (x·W + b, W stored in × out), c_attn split
                        into q, k, v; scores / √Dh, causal; x + c_proj(gelu_new(c_fc(ln_2(x)))); ln_f; logits = h·wteᵀ

Cross-checks, before anything is written (the script aborts above CHECK_TOL):
  - RoPE against an independent complex-number formulation: each pair (i, i + Dh/2) of a head as a complex number
    times exp(i·p·inv_freq), in f64;
  - grouped-query attention against the same attention with K and V grouped, not repeated: the queries reshaped to
    [B, KVH, H/KVH, T, Dh] against [B, KVH, 1, T, Dh] keys, in f64;
  - GPT-2's blocks against torch.nn.TransformerEncoderLayer (norm_first, gelu_new as its activation) given the
    same weights, transposed from Conv1D's layout.

Generation as Hugging Face's generate(): greedy (argmax of the last logits; a row ends at any id of eos_token_id)
and beam search (make_transformer_fixtures.beam_search: transformers 4.35-4.46), each step rerunning the whole
prefix (no cache), so the JS KV cache is checked against full recomputation.

Each variant is a folder: config.json, generation_config.json, model.safetensors, tokenizer.json (a byte-level BPE
reused from tests/fixtures/tokenizers/byte-bpe: GPT-2's pre-tokenizer and decoder; the Llama variants' template
adds <s>), tokenizer_config.json, and fixture.json:
  prompt            P token ids
  logits            [P, V] the prompt's logits
  greedy            the new ids of greedy search for max_new_tokens 32 (fewer when an EOS ends it)
  greedy_margin     the smallest top-1 − top-2 logit gap of those steps (how far from a tie)
  beam              the new ids of beam search, 3 beams, max_new_tokens 32
  parameters        sum of numel over the model's parameters (a tied matrix once)

Dimension letters: B batch, T sequence, D model width, H heads, KVH key/value heads, Dh head width, F FFN width,
V vocabulary, L layers, P prompt length.
"""

import json
import math
import os
import shutil
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_transformer_fixtures import beam_search, read_safetensors, tensor_json, write_json, write_safetensors  # noqa: E402

torch.set_num_threads(1)
CHECK_TOL = 1e-5
NEG = torch.finfo(torch.float32).min
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
TOKENIZER = os.path.join(ROOT, "tests", "fixtures", "tokenizers", "byte-bpe", "tokenizer.json")
V = 511  # the byte-level BPE's vocabulary
P, NEW, BEAMS = 7, 32, 3

# The variants: every key the loader reads, with what each one exercises.
VARIANTS = {
    # Llama, GQA (H 4, KVH 2), tied head, no rope_scaling; a "model." prefix (LlamaForCausalLM).
    "llama": dict(model_type="llama", arch="LlamaForCausalLM", D=48, H=4, KVH=2, Dh=None, F=80, L=2, theta=10000.0,
                  rope_scaling=None, tie=True),
    # head_dim 16 ≠ D/H = 12 (q: 48 → 64, o: 64 → 48), rope_scaling linear, an untied lm_head.
    "llama-head-dim": dict(model_type="llama", arch="LlamaForCausalLM", D=48, H=4, KVH=2, Dh=16, F=80, L=2, theta=10000.0,
                           rope_scaling={"type": "linear", "factor": 2.0}, tie=False),
    # rope_scaling llama3 (each of its three bands used: wavelengths 6.3 (between), 56 and longer (scaled)), θ 500000,
    # and an eos_token_id list in generation_config.json whose second id greedy search produces.
    "llama3": dict(model_type="llama", arch="LlamaForCausalLM", D=48, H=4, KVH=1, Dh=12, F=80, L=2, theta=500000.0,
                   rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                 "original_max_position_embeddings": 16}, tie=True, eos_list=True),
    # Mistral with a sliding window of 5 (shorter than the 39 positions: it matters), a bare MistralModel (no prefix).
    "mistral": dict(model_type="mistral", arch="MistralModel", D=32, H=4, KVH=2, Dh=None, F=64, L=2, theta=10000.0,
                    rope_scaling=None, tie=True, window=5),
    # Qwen2: biases on q, k, v (none on o), untied; sliding_window set but use_sliding_window false (no window).
    "qwen2": dict(model_type="qwen2", arch="Qwen2ForCausalLM", D=64, H=4, KVH=2, Dh=None, F=96, L=2, theta=1000000.0,
                  rope_scaling=None, tie=False, window=3, use_window=False),
    "gpt2": dict(model_type="gpt2", arch="GPT2LMHeadModel", D=48, H=4, F=None, L=2),
}
EPS = 1e-6
GPT2_EPS = 1e-5
MAX_POS = 64


def rnd(*shape, std=1.0):
    return torch.randn(*shape, dtype=torch.float32) * std


# ----------------------------------------------------------------------------------------------
# Llama / Mistral / Qwen2
# ----------------------------------------------------------------------------------------------


def head_dim(v):
    return v["Dh"] or v["D"] // v["H"]


def llama_weights(v):
    """Hugging Face's names under "model." (or none for a bare …Model). Not HF's init: gammas around 1 and
    projections scaled so attention is neither uniform nor one-hot and a misplaced weight shows."""
    D, H, KVH, Dh, F_, L = v["D"], v["H"], v["KVH"], head_dim(v), v["F"], v["L"]
    p = "" if v["arch"].endswith("Model") else "model."
    # Embeddings small against what the layers add: with a tied head, a large token embedding makes the
    # model repeat its input token forever, which would hide a wrong position or cache.
    w = {p + "embed_tokens.weight": rnd(V, D, std=0.3)}
    for i in range(L):
        l = f"{p}layers.{i}."
        w[l + "self_attn.q_proj.weight"] = rnd(H * Dh, D, std=1.5 / math.sqrt(D))
        w[l + "self_attn.k_proj.weight"] = rnd(KVH * Dh, D, std=1.5 / math.sqrt(D))
        w[l + "self_attn.v_proj.weight"] = rnd(KVH * Dh, D, std=1 / math.sqrt(D))
        w[l + "self_attn.o_proj.weight"] = rnd(D, H * Dh, std=1 / math.sqrt(H * Dh))
        if v["model_type"] == "qwen2":
            w[l + "self_attn.q_proj.bias"] = rnd(H * Dh, std=0.5)
            w[l + "self_attn.k_proj.bias"] = rnd(KVH * Dh, std=0.5)
            w[l + "self_attn.v_proj.bias"] = rnd(KVH * Dh, std=0.5)
        w[l + "mlp.gate_proj.weight"] = rnd(F_, D, std=1 / math.sqrt(D))
        w[l + "mlp.up_proj.weight"] = rnd(F_, D, std=1 / math.sqrt(D))
        w[l + "mlp.down_proj.weight"] = rnd(D, F_, std=1 / math.sqrt(F_))
        w[l + "input_layernorm.weight"] = 1 + rnd(D, std=0.2)
        w[l + "post_attention_layernorm.weight"] = 1 + rnd(D, std=0.2)
    w[p + "norm.weight"] = 1 + rnd(D, std=0.2)
    if not v["tie"]:
        w["lm_head.weight"] = rnd(V, D, std=1.0)
    return w, p


def inv_freq(v):
    """modeling_rope_utils: _compute_default_rope_parameters, then the rope_scaling type's."""
    Dh = head_dim(v)
    inv = 1.0 / (v["theta"] ** (torch.arange(0, Dh, 2, dtype=torch.int64).float() / Dh))
    s = v["rope_scaling"]
    kind = s and (s.get("rope_type") or s.get("type"))
    if kind == "linear":
        inv = inv / s["factor"]
    elif kind == "llama3":
        factor, low, high, old = s["factor"], s["low_freq_factor"], s["high_freq_factor"], s["original_max_position_embeddings"]
        low_wavelen, high_wavelen = old / low, old / high
        wavelen = 2 * math.pi / inv
        inv_llama = torch.where(wavelen > low_wavelen, inv / factor, inv)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * inv_llama / factor + smooth * inv_llama
        is_medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
        inv = torch.where(is_medium, smoothed, inv_llama)
    return inv


def rope_cos_sin(inv, T):
    """LlamaRotaryEmbedding.forward: freqs = inv_freq @ positions in f32, emb = cat(freqs, freqs)."""
    freqs = (inv[:, None].float() @ torch.arange(T, dtype=torch.float32)[None, :]).transpose(0, 1)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


def rope_complex(x, inv):
    """The independent formulation: column i and i + Dh/2 of a head are one complex number, times
    exp(i·p·f_i), in f64 (x: [B, heads, T, Dh])."""
    half = x.shape[-1] // 2
    xd = x.double()
    z = torch.complex(xd[..., :half], xd[..., half:])
    angle = torch.arange(x.shape[2], dtype=torch.float64)[:, None] * inv.double()[None, :]
    r = z * torch.polar(torch.ones_like(angle), angle)
    return torch.cat((r.real, r.imag), dim=-1)


def rms_norm(x, weight, eps):
    variance = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def repeat_kv(x, n_rep):
    B, KVH, T, Dh = x.shape
    if n_rep == 1:
        return x
    return x[:, :, None, :, :].expand(B, KVH, n_rep, T, Dh).reshape(B, KVH * n_rep, T, Dh)


def causal_window_mask(T, window):
    """_prepare_4d_causal_attention_mask_with_cache_position: finfo.min where j > i, and (sliding window)
    where j ≤ i − window."""
    j, i = torch.arange(T)[None, :], torch.arange(T)[:, None]
    hidden = j > i
    if window is not None:
        hidden = hidden | (j <= i - window)
    return torch.zeros(T, T).masked_fill(hidden, NEG)


def grouped_attention(q, k, v, mask, KVH):
    """The GQA cross-check: queries grouped by their KV head, no repeat_kv, in f64."""
    B, H, T, Dh = q.shape
    g = H // KVH
    qg = q.double().reshape(B, KVH, g, T, Dh)
    s = qg @ k.double()[:, :, None].transpose(-1, -2) / math.sqrt(Dh) + mask.double()
    out = torch.softmax(s, dim=-1) @ v.double()[:, :, None]
    return out.reshape(B, H, T, Dh)


def llama_window(v):
    if v["model_type"] == "mistral":
        return v.get("window")
    if v["model_type"] == "qwen2" and v.get("use_window"):
        return v.get("window")
    return None


CHECKS = {"rope": 0.0, "gqa": 0.0, "gpt2_torch_nn": 0.0}


def llama_forward(w, p, v, ids):
    """Logits [B, T, V] of ids [B, T]: Hugging Face's modeling_llama / _mistral / _qwen2 in f32."""
    D, H, KVH, Dh, L = v["D"], v["H"], v["KVH"], head_dim(v), v["L"]
    B, T = ids.shape
    inv = inv_freq(v)
    cos, sin = rope_cos_sin(inv, T)
    mask = causal_window_mask(T, llama_window(v))
    x = w[p + "embed_tokens.weight"][ids]
    lin = lambda h, name: F.linear(h, w[name + ".weight"], w.get(name + ".bias"))  # noqa: E731
    for i in range(L):
        l = f"{p}layers.{i}."
        h = rms_norm(x, w[l + "input_layernorm.weight"], EPS)
        q = lin(h, l + "self_attn.q_proj").view(B, T, H, Dh).transpose(1, 2)
        k = lin(h, l + "self_attn.k_proj").view(B, T, KVH, Dh).transpose(1, 2)
        vv = lin(h, l + "self_attn.v_proj").view(B, T, KVH, Dh).transpose(1, 2)
        q_raw, k_raw = q, k
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        CHECKS["rope"] = max(CHECKS["rope"], float((q.double() - rope_complex(q_raw, inv)).abs().max()),
                             float((k.double() - rope_complex(k_raw, inv)).abs().max()))
        kr, vr = repeat_kv(k, H // KVH), repeat_kv(vv, H // KVH)
        scores = q @ kr.transpose(2, 3) / math.sqrt(Dh) + mask
        attn = torch.softmax(scores, dim=-1, dtype=torch.float32) @ vr
        CHECKS["gqa"] = max(CHECKS["gqa"], float((attn.double() - grouped_attention(q, k, vv, mask, KVH)).abs().max()))
        x = x + lin(attn.transpose(1, 2).reshape(B, T, H * Dh), l + "self_attn.o_proj")
        h = rms_norm(x, w[l + "post_attention_layernorm.weight"], EPS)
        x = x + lin(F.silu(lin(h, l + "mlp.gate_proj")) * lin(h, l + "mlp.up_proj"), l + "mlp.down_proj")
    x = rms_norm(x, w[p + "norm.weight"], EPS)
    head = w[p + "embed_tokens.weight"] if v["tie"] else w["lm_head.weight"]
    return x @ head.T


def llama_config(v, eos):
    c = {
        "architectures": [v["arch"]], "model_type": v["model_type"],
        "hidden_size": v["D"], "intermediate_size": v["F"], "num_hidden_layers": v["L"], "num_attention_heads": v["H"],
        "num_key_value_heads": v["KVH"], "hidden_act": "silu", "max_position_embeddings": MAX_POS,
        "rms_norm_eps": EPS, "rope_theta": v["theta"], "rope_scaling": v["rope_scaling"],
        "tie_word_embeddings": v["tie"], "vocab_size": V, "bos_token_id": 0, "eos_token_id": eos,
        "torch_dtype": "float32", "use_cache": True, "attention_dropout": 0.0,
    }
    if v["Dh"]:
        c["head_dim"] = v["Dh"]
    if v["model_type"] == "llama":
        c.update(attention_bias=False, mlp_bias=False, pretraining_tp=1)
    if v["model_type"] == "mistral":
        c["sliding_window"] = v.get("window")
    if v["model_type"] == "qwen2":
        c.update(use_sliding_window=v.get("use_window", False), sliding_window=v.get("window"), max_window_layers=0)
    return c


# ----------------------------------------------------------------------------------------------
# GPT-2
# ----------------------------------------------------------------------------------------------


def gpt2_weights(v):
    D, L = v["D"], v["L"]
    F_ = v["F"] or 4 * D
    w = {"transformer.wte.weight": rnd(V, D, std=0.3), "transformer.wpe.weight": rnd(MAX_POS, D, std=0.3)}
    for i in range(L):
        l = f"transformer.h.{i}."
        w[l + "ln_1.weight"], w[l + "ln_1.bias"] = 1 + rnd(D, std=0.2), rnd(D, std=0.2)
        # Conv1D: weight in × out.
        w[l + "attn.c_attn.weight"], w[l + "attn.c_attn.bias"] = rnd(D, 3 * D, std=1.5 / math.sqrt(D)), rnd(3 * D, std=0.2)
        w[l + "attn.c_proj.weight"], w[l + "attn.c_proj.bias"] = rnd(D, D, std=1 / math.sqrt(D)), rnd(D, std=0.2)
        w[l + "ln_2.weight"], w[l + "ln_2.bias"] = 1 + rnd(D, std=0.2), rnd(D, std=0.2)
        w[l + "mlp.c_fc.weight"], w[l + "mlp.c_fc.bias"] = rnd(D, F_, std=1 / math.sqrt(D)), rnd(F_, std=0.2)
        w[l + "mlp.c_proj.weight"], w[l + "mlp.c_proj.bias"] = rnd(F_, D, std=1 / math.sqrt(F_)), rnd(D, std=0.2)
        # The causal-mask buffer old files store: the loader must ignore it.
        w[l + "attn.bias"] = torch.tril(torch.ones(MAX_POS, MAX_POS)).view(1, 1, MAX_POS, MAX_POS)
    w["transformer.ln_f.weight"], w["transformer.ln_f.bias"] = 1 + rnd(D, std=0.2), rnd(D, std=0.2)
    return w


def gelu_new(x):
    """NewGELUActivation."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def gpt2_forward(w, v, ids):
    D, H, L = v["D"], v["H"], v["L"]
    Dh = D // H
    B, T = ids.shape
    conv = lambda h, name: h @ w[name + ".weight"] + w[name + ".bias"]  # noqa: E731  Conv1D: x·W + b
    ln = lambda h, name: F.layer_norm(h, (D,), w[name + ".weight"], w[name + ".bias"], GPT2_EPS)  # noqa: E731
    x = w["transformer.wte.weight"][ids] + w["transformer.wpe.weight"][torch.arange(T)][None]
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for i in range(L):
        l = f"transformer.h.{i}."
        x_in = x
        q, k, vv = conv(ln(x, l + "ln_1"), l + "attn.c_attn").split(D, dim=2)
        heads = lambda t: t.view(B, T, H, Dh).permute(0, 2, 1, 3)  # noqa: E731
        q, k, vv = heads(q), heads(k), heads(vv)
        a = q @ k.transpose(-1, -2) / torch.full([], Dh ** 0.5)
        a = torch.where(causal, a, torch.full([], NEG))
        a = torch.softmax(a, dim=-1) @ vv
        x = x + conv(a.permute(0, 2, 1, 3).reshape(B, T, D), l + "attn.c_proj")
        x = x + conv(gelu_new(conv(ln(x, l + "ln_2"), l + "mlp.c_fc")), l + "mlp.c_proj")
        # Cross-check: the same block as torch.nn.TransformerEncoderLayer (pre-LN, gelu_new), weights transposed.
        ref = torch.nn.TransformerEncoderLayer(D, H, w[l + "mlp.c_fc.weight"].shape[1], dropout=0.0, activation=gelu_new,
                                               batch_first=True, norm_first=True, layer_norm_eps=GPT2_EPS)
        with torch.no_grad():
            ref.self_attn.in_proj_weight.copy_(w[l + "attn.c_attn.weight"].T)
            ref.self_attn.in_proj_bias.copy_(w[l + "attn.c_attn.bias"])
            ref.self_attn.out_proj.weight.copy_(w[l + "attn.c_proj.weight"].T)
            ref.self_attn.out_proj.bias.copy_(w[l + "attn.c_proj.bias"])
            ref.linear1.weight.copy_(w[l + "mlp.c_fc.weight"].T)
            ref.linear1.bias.copy_(w[l + "mlp.c_fc.bias"])
            ref.linear2.weight.copy_(w[l + "mlp.c_proj.weight"].T)
            ref.linear2.bias.copy_(w[l + "mlp.c_proj.bias"])
            for n in ("1", "2"):
                getattr(ref, "norm" + n).weight.copy_(w[l + f"ln_{n}.weight"])
                getattr(ref, "norm" + n).bias.copy_(w[l + f"ln_{n}.bias"])
            ref.eval()
            want = ref(x_in, src_mask=torch.triu(torch.full((T, T), float("-inf")), diagonal=1))
        CHECKS["gpt2_torch_nn"] = max(CHECKS["gpt2_torch_nn"], float((want - x).abs().max()))
    x = ln(x, "transformer.ln_f")
    return x @ w["transformer.wte.weight"].T


def gpt2_config(v, eos):
    return {
        "architectures": [v["arch"]], "model_type": "gpt2", "vocab_size": V, "n_positions": MAX_POS, "n_embd": v["D"],
        "n_layer": v["L"], "n_head": v["H"], "n_inner": v["F"], "activation_function": "gelu_new",
        "layer_norm_epsilon": GPT2_EPS, "scale_attn_weights": True, "bos_token_id": eos, "eos_token_id": eos,
        "resid_pdrop": 0.1, "embd_pdrop": 0.1, "attn_pdrop": 0.1, "torch_dtype": "float32",
    }


# ----------------------------------------------------------------------------------------------
# Generation
# ----------------------------------------------------------------------------------------------


def greedy(forward, prompt, new, stops):
    """GenerationMixin._sample with do_sample False: argmax of the last logits until an id of `stops`."""
    seq, margins = list(prompt), []
    for _ in range(new):
        logits = forward(torch.tensor([seq]))[0, -1]
        top2 = logits.topk(2).values
        margins.append(float(top2[0] - top2[1]))
        token = int(torch.argmax(logits))
        seq.append(token)
        if token in stops:
            break
    return seq[len(prompt):], min(margins)


class EosIds(int):
    """An eos_token_id list for make_transformer_fixtures.beam_search, which tests `token == eos` and appends
    `eos`: as an int it is the first id (what BeamSearchScorer.finalize appends, eos_token_id[0]); equality is
    membership, as BeamSearchScorer.process's `next_token.item() in eos_token_id` (Python asks this subclass's
    __eq__ first, also for `int == EosIds`)."""

    def __new__(cls, ids):
        obj = super().__new__(cls, ids[0])
        obj.ids = list(ids)
        return obj

    def __eq__(self, other):
        return other in self.ids

    __hash__ = int.__hash__


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "fixtures", "decoders")
    os.makedirs(out, exist_ok=True)
    tokenizer = json.load(open(TOKENIZER))
    summary = {}
    for n, (name, v) in enumerate(VARIANTS.items()):
        # The first seed whose weights make a useful reference: greedy search never within 1e-3 of a tie (so
        # f32 rounding cannot flip a token) and at least 8 different new tokens (a model that repeats one
        # token would hide a wrong position or cache).
        for seed in range(100 * n, 100 * n + 50):
            torch.manual_seed(seed)
            gpt2 = v["model_type"] == "gpt2"
            if gpt2:
                w = gpt2_weights(v)
                forward = lambda ids, w=w, v=v: gpt2_forward(w, v, ids)  # noqa: E731
            else:
                w, p = llama_weights(v)
                forward = lambda ids, w=w, p=p, v=v: llama_forward(w, p, v, ids)  # noqa: E731
            prompt = torch.randint(5, V, (P,)).tolist()
            with torch.no_grad():
                # The EOS: an id greedy search never picks (so it runs all 32 tokens), except for the eos list
                # variant, whose second id is the first new one greedy picks from its 10th token on (the list ends it there).
                free, free_margin = greedy(forward, prompt, NEW, set())
                if free_margin < 1e-3 or len(set(free)) < 8:
                    continue
                eos = next(t for t in range(3, V) if t not in free and t not in prompt)
                later = next(t for i, t in enumerate(free) if i >= 9 and t not in free[:i])
                stops = [eos, later] if v.get("eos_list") else [eos]
                new, margin = greedy(forward, prompt, NEW, set(stops))
                eos_arg = EosIds(stops) if len(stops) > 1 else eos
                beams, _, gap = beam_search(lambda seq: forward(seq)[:, -1, :], torch.tensor([prompt]), P + NEW, BEAMS, V, eos_arg, eos)
                logits = forward(torch.tensor([prompt]))[0]
            if gap > 1e-4:
                break
        else:
            sys.exit(f"{name}: no seed gave a reference far enough from ties")
        for check, value in CHECKS.items():
            if value > CHECK_TOL:
                sys.exit(f"{name}: cross-check {check} differs by {value} (> {CHECK_TOL})")
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        config = gpt2_config(v, eos) if gpt2 else llama_config(v, eos)
        write_json(os.path.join(d, "config.json"), config)
        generation = {"bos_token_id": config["bos_token_id"], "eos_token_id": stops if len(stops) > 1 else eos,
                      "max_new_tokens": NEW, "do_sample": False}
        write_json(os.path.join(d, "generation_config.json"), generation)
        tok = json.loads(json.dumps(tokenizer))
        if gpt2:
            tok["post_processor"] = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
        else:
            tok["post_processor"] = {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                                     "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 0}}],
                                     "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]}}}
        write_json(os.path.join(d, "tokenizer.json"), tok, compact=True)
        write_json(os.path.join(d, "tokenizer_config.json"), {"model_max_length": MAX_POS, "bos_token": "<s>", "eos_token": "</s>",
                                                               "add_bos_token": not gpt2, "clean_up_tokenization_spaces": False})
        # Parameters as torch counts them: the causal-mask buffers are not parameters; a tied head is the embedding.
        parameters = sum(t.numel() for k, t in w.items() if not (gpt2 and k.endswith(".attn.bias")))
        write_safetensors(os.path.join(d, "model.safetensors"), w)
        fixture = {
            "prompt": prompt, "logits": tensor_json(logits), "greedy": new, "greedy_margin": margin,
            "beam": beams[0][P:], "beam_gap": gap, "eos": stops, "parameters": parameters,
        }
        write_json(os.path.join(d, "fixture.json"), fixture, compact=True)
        summary[name] = dict(seed=seed, greedy=len(new), beam=len(beams[0]) - P, margin=round(margin, 4), gap=gap, parameters=parameters)
        print(name, summary[name])
    print("cross-checks (largest differences):", CHECKS)


if __name__ == "__main__" and "--sampling" not in sys.argv:
    main()


# ----------------------------------------------------------------------------------------------
# Sampling references (src/transformer/sampling.ts): tests/fixtures/decoders/sampling.json
# ----------------------------------------------------------------------------------------------
#
#     /usr/bin/python3 tools/make_decoder_fixtures.py --sampling     # reads the llama and gpt2 folders written above
#
# Hugging Face's logits processors as transformers 4.47 applies them for do_sample (GenerationMixin.
# _get_logits_processor: RepetitionPenaltyLogitsProcessor first, then, sampling only, TemperatureLogitsWarper,
# TopKLogitsWarper, TopPLogitsWarper, MinPLogitsWarper; min_tokens_to_keep 1), each transcribed from
# logits_process.py in torch f32, on the teacher-forced steps prompt + greedy[:t] of each fixture. Also
# greedy search with a repetition penalty (argmax of the processed scores), and our seeded sampler
# (xoshiro128** seeded by splitmix32, inverse CDF over f64 probabilities) transcribed in integer Python,
# driven by torch's processed distributions: the JS model must pick the same ids for the same seed.

SAMPLING_STEPS = 6
SAMPLING_CASES = [
    # HF's defaults for do_sample (top_k 50) with a temperature.
    dict(do_sample=True, temperature=0.7, top_k=50, top_p=1.0),
    dict(do_sample=True, temperature=1.3, top_k=0, top_p=0.9),
    dict(do_sample=True, temperature=1.0, top_k=20, top_p=0.8, min_p=0.05, repetition_penalty=1.3),
    dict(do_sample=True, temperature=0.5, top_k=0, top_p=1.0, min_p=0.1, repetition_penalty=0.8),
    dict(do_sample=True, temperature=1.0, top_k=5, top_p=1.0),
    dict(do_sample=False, repetition_penalty=1.5),
]
U32 = 0xFFFFFFFF


def hf_processors(input_ids, scores, o):
    """The processed scores [1, V] (f32) of logits_process.py's processors in _get_logits_processor's order, and the
    smallest distance of any kept/removed decision from its threshold (how far f32 vs f64 rounding is from a flip)."""
    margin = float("inf")
    p = o.get("repetition_penalty", 1.0)
    if p != 1.0:
        score = torch.gather(scores, 1, input_ids)
        score = torch.where(score < 0, score * p, score / p)
        scores = scores.scatter(1, input_ids, score)
    if not o["do_sample"]:
        return scores, margin
    t = o.get("temperature", 1.0)
    if t != 1.0:
        scores = scores / t
    k = o.get("top_k", 50)
    if k:
        k = min(max(k, 1), scores.shape[-1])
        kth = torch.topk(scores, k)[0][..., -1, None]
        nxt = torch.topk(scores, k + 1)[0][..., -1]
        margin = min(margin, float(kth[0, 0] - nxt[0]))
        scores = scores.masked_fill(scores < kth, -float("inf"))
    top_p = o.get("top_p", 1.0)
    if top_p < 1.0:
        sorted_logits, sorted_indices = torch.sort(scores, descending=False)
        cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        remove = cumulative <= (1 - top_p)
        remove[..., -1:] = 0
        finite = torch.isfinite(sorted_logits)
        margin = min(margin, float((cumulative - (1 - top_p))[finite].abs().min()))
        scores = scores.masked_fill(remove.scatter(1, sorted_indices, remove), -float("inf"))
    min_p = o.get("min_p")
    if min_p is not None:
        probs = torch.softmax(scores, dim=-1)
        bar = min_p * probs.max(dim=-1, keepdim=True)[0]
        remove = probs < bar
        finite = torch.isfinite(scores)
        margin = min(margin, float((probs - bar)[finite].abs().min()) / float(bar[0, 0]))
        sorted_indices = torch.argsort(scores, descending=True, dim=-1)
        sorted_remove = torch.gather(remove, 1, sorted_indices)
        sorted_remove[..., :1] = False
        scores = scores.masked_fill(sorted_remove.scatter(1, sorted_indices, sorted_remove), -float("inf"))
    return scores, margin


def splitmix32_state(seed):
    """Our seeding: the seed's low and high 32 bits folded, then four splitmix32 outputs."""
    lo, hi = seed & U32, seed >> 32
    s = (lo ^ ((hi * 0x85EBCA6B) & U32)) & U32
    out = []
    for _ in range(4):
        s = (s + 0x9E3779B9) & U32
        z = s
        z = ((z ^ (z >> 16)) * 0x21F0AAAD) & U32
        z = ((z ^ (z >> 15)) * 0x735A2D97) & U32
        out.append((z ^ (z >> 15)) & U32)
    return out


class Xoshiro128:
    """xoshiro128** 1.1 (Blackman and Vigna's reference C), in Python integers."""

    def __init__(self, seed):
        self.s = splitmix32_state(seed)

    def next_u32(self):
        s = self.s
        rotl = lambda x, k: ((x << k) | (x >> (32 - k))) & U32  # noqa: E731
        result = (rotl((s[1] * 5) & U32, 7) * 9) & U32
        t = (s[1] << 9) & U32
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 11)
        return result

    def next_float(self):
        """53 random bits in [0, 1): 27 from one output, 26 from the next."""
        a, b = self.next_u32() >> 5, self.next_u32() >> 6
        return (a * 67108864 + b) / 9007199254740992


def draw(probs, rng):
    """Inverse CDF: the first token whose running sum exceeds u · Σp (f64, in token order); the distance of
    u · Σp from the nearest running sum is how far rounding is from another token."""
    total = 0.0
    for q in probs:
        total += q
    target = rng.next_float() * total
    cum, gap = 0.0, float("inf")
    for i, q in enumerate(probs):
        if q <= 0:
            continue
        cum += q
        gap = min(gap, abs(cum - target))
        if target < cum:
            return i, gap
    return max(i for i, q in enumerate(probs) if q > 0), gap


def probs_f64(scores):
    """softmax in f64 of f32 processed scores, as sampling.ts computes it."""
    x = scores.double()
    return torch.softmax(x, dim=-1)[0].tolist()


def sampling_main():
    root = os.path.join(ROOT, "tests", "fixtures", "decoders")
    out = {"steps": SAMPLING_STEPS, "cases": SAMPLING_CASES, "models": {}}
    # The PRNG's first outputs for a few seeds (one above 2^32), and its first floats.
    prng = {}
    for seed in (0, 1, 42, 2**32 + 7, 2**53 - 1):
        r = Xoshiro128(seed)
        prng[str(seed)] = {"u32": [r.next_u32() for _ in range(6)], "float": [Xoshiro128(seed).next_float()]}
    out["prng"] = prng
    for name in ("llama", "gpt2"):
        v = VARIANTS[name]
        d = os.path.join(root, name)
        fixture = json.load(open(os.path.join(d, "fixture.json")))
        w = read_safetensors(os.path.join(d, "model.safetensors"))
        if v["model_type"] == "gpt2":
            forward = lambda ids, w=w, v=v: gpt2_forward(w, v, ids)  # noqa: E731
        else:
            p = "" if v["arch"].endswith("Model") else "model."
            forward = lambda ids, w=w, p=p, v=v: llama_forward(w, p, v, ids)  # noqa: E731
        prompt, forced = fixture["prompt"], fixture["greedy"][:SAMPLING_STEPS - 1]
        stops = set(fixture["eos"])
        steps = []
        with torch.no_grad():
            for t in range(SAMPLING_STEPS):
                seq = prompt + forced[:t]
                logits = forward(torch.tensor([seq]))[0, -1]
                cases = []
                for o in SAMPLING_CASES:
                    scores, margin = hf_processors(torch.tensor([seq]), logits[None].clone(), o)
                    cases.append({"probs": torch.softmax(scores, dim=-1)[0].tolist(), "margin": margin if math.isfinite(margin) else None})
                steps.append({"ids": seq, "logits": logits.tolist(), "cases": cases})
            # Greedy search with repetition_penalty 1.3 (do_sample False): 16 new tokens.
            seq, margins = list(prompt), []
            for _ in range(16):
                scores, _ = hf_processors(torch.tensor([seq]), forward(torch.tensor([seq]))[0, -1][None].clone(),
                                          dict(do_sample=False, repetition_penalty=1.3))
                top2 = scores[0].topk(2).values
                margins.append(float(top2[0] - top2[1]))
                seq.append(int(torch.argmax(scores[0])))
                if seq[-1] in stops:
                    break
            penalised = {"repetition_penalty": 1.3, "ids": seq[len(prompt):], "margin": min(margins)}
            # Seeded sampling (SAMPLING_CASES[2]: every warper) for 16 new tokens: our sampler on torch's distributions.
            seeded = []
            for seed in (7, 2024):
                rng, seq, gaps = Xoshiro128(seed), list(prompt), []
                for _ in range(16):
                    scores, _ = hf_processors(torch.tensor([seq]), forward(torch.tensor([seq]))[0, -1][None].clone(), SAMPLING_CASES[2])
                    token, gap = draw(probs_f64(scores), rng)
                    gaps.append(gap)
                    seq.append(token)
                    if token in stops:
                        break
                seeded.append({"seed": seed, "case": 2, "ids": seq[len(prompt):], "gap": min(gaps)})
        out["models"][name] = {"steps": steps, "penalised": penalised, "seeded": seeded}
        worst = min(c["margin"] for s in steps for c in s["cases"] if c["margin"] is not None)
        print(name, "smallest threshold margin", worst, "penalised", penalised["ids"], "margin", penalised["margin"],
              "seeded", [(s["ids"], s["gap"]) for s in seeded])
        if worst < 1e-5 or penalised["margin"] < 1e-4:
            sys.exit(f"{name}: a reference is within rounding of a tie")
    write_json(os.path.join(root, "sampling.json"), out, compact=True)


if __name__ == "__main__" and "--sampling" in sys.argv:
    sampling_main()
