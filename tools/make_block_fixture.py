#!/usr/bin/python3
"""Reference for the shared transformer block (src/transformer/block.ts) in the parameters no model
family exercised yet: pre-norm with RMSNorm, the gated (SiLU) FFN, rotary positions, and rotary over
cached decoding steps. Two stacked Llama decoder layers with random weights, written from Hugging
Face's modeling_llama.py:

  LlamaRMSNorm        x · rsqrt(mean(x²) + eps) · weight, the variance in f32, eps 1e-6
  LlamaRotaryEmbedding inv_freq = 1 / base^(arange(0, Dh, 2) / Dh), base 10000; emb = cat(freqs, freqs);
                      cos = emb.cos(), sin = emb.sin()
  apply_rotary_pos_emb q·cos + rotate_half(q)·sin, rotate_half(x) = cat(−x[..., Dh/2:], x[..., :Dh/2])
  LlamaAttention      q, k, v, o projections without bias; scores q·kᵀ/√Dh + causal mask (finfo.min),
                      softmax in f32, o_proj
  LlamaMLP            down_proj(silu(gate_proj(x)) · up_proj(x)), no biases
  LlamaDecoderLayer   x + attn(input_layernorm(x)), then + mlp(post_attention_layernorm(x))

and a variant with partial rotary (GPT-NeoX, Phi: only the first R = rotaryDim < Dh columns of each head
rotate, inv_freq over R; the rest pass through), on the same weights.

Cross-check, before anything is written: the same layers as Meta's llama reference code (model.py)
formulates them, in float64: the q and k weights permuted back to Meta's interleaved layout (the inverse of
Hugging Face's convert_llama_weights_to_hf.py permute), rotary as complex multiplication
(apply_rotary_emb: view_as_complex of adjacent pairs times polar(1, t·freq)), attention by explicit
matmuls and a hand-written softmax, decoding one position at a time over a KV cache (cache_k[:, pos] = xk,
keys = cache_k[:, :pos + 1]). Its rows must equal Hugging Face's full causal pass to CHECK_TOL, or the
script aborts. Those decoded rows are written too.

    /usr/bin/python3 tools/make_block_fixture.py [outdir]     # default tests/fixtures/block

Writes model.safetensors (Hugging Face's names: model.layers.{i}.self_attn.{q,k,v,o}_proj.weight,
model.layers.{i}.mlp.{gate,up,down}_proj.weight, model.layers.{i}.{input,post_attention}_layernorm.weight)
and fixture.json:
  config          D, H, Dh, F, L, B, T, eps, rope_theta
  x               [B, T, D] the input of layer 0
  variants        {rotate_half: R = Dh, partial: R = Dh / 2}, each:
    rotary_dim    R
    rotary_table  [T, R]: row t is [cos(t·f_0) … cos(t·f_{R/2−1}), sin(t·f_0) … sin(t·f_{R/2−1})] in f32
                  as LlamaRotaryEmbedding computes it (the first halves of its cos and sin: the second
                  halves repeat them), the layout of kernels.rotary's table
    layers        L × [B, T, D]: the output of each layer, full causal pass (Hugging Face, f32)
    decoded       L × [B, T, D]: the same, decoded one position at a time over a KV cache (Meta, f64)

Dimension letters: B batch, T sequence, D model width, H heads, Dh head width, R rotary width,
F feed-forward width, L layers.
"""

import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_transformer_fixtures import read_safetensors, tensor_json, write_json, write_safetensors  # noqa: E402

torch.manual_seed(11)
torch.set_num_threads(1)
CHECK_TOL = 1e-5

D, H, F_, L = 32, 4, 48, 2
Dh = D // H
B, T = 2, 5
EPS, THETA = 1e-6, 10000.0

# ----------------------------------------------------------------------------------------------
# Random weights, Hugging Face's names. Not HF's init (std 0.02, gammas 1): gammas around 1 so that a
# missing or misplaced norm weight shows, and q, k scaled so attention scores are O(1) and not uniform.
# ----------------------------------------------------------------------------------------------


def rnd(*shape, std=1.0):
    return torch.randn(*shape, dtype=torch.float32) * std


w = {}
for i in range(L):
    p = f"model.layers.{i}."
    for n in "qk":
        w[p + f"self_attn.{n}_proj.weight"] = rnd(D, D, std=1.5 / math.sqrt(D))
    for n in "vo":
        w[p + f"self_attn.{n}_proj.weight"] = rnd(D, D, std=1 / math.sqrt(D))
    w[p + "mlp.gate_proj.weight"] = rnd(F_, D, std=1 / math.sqrt(D))
    w[p + "mlp.up_proj.weight"] = rnd(F_, D, std=1 / math.sqrt(D))
    w[p + "mlp.down_proj.weight"] = rnd(D, F_, std=1 / math.sqrt(F_))
    w[p + "input_layernorm.weight"] = 1 + rnd(D, std=0.2)
    w[p + "post_attention_layernorm.weight"] = 1 + rnd(D, std=0.2)
x0 = rnd(B, T, D)

# ----------------------------------------------------------------------------------------------
# Hugging Face's modeling_llama.py, in f32, the full causal pass
# ----------------------------------------------------------------------------------------------


def hf_rms_norm(x, weight):
    """LlamaRMSNorm: the variance in f32 (x is f32 here already)."""
    variance = x.to(torch.float32).pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + EPS))


def hf_rotary(R, positions):
    """LlamaRotaryEmbedding over R columns (GPT-NeoX's rotary_ndims): cos, sin of [T, R]."""
    inv_freq = 1.0 / (THETA ** (torch.arange(0, R, 2, dtype=torch.int64).float() / R))
    freqs = positions.float()[:, None] @ inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


def hf_apply_rotary(q, cos, sin):
    """apply_rotary_pos_emb on q [B, H, T, Dh]; with R < Dh only the first R columns, as GPT-NeoX / Phi."""
    R = cos.shape[-1]
    rot, rest = q[..., :R], q[..., R:]
    return torch.cat((rot * cos + rotate_half(rot) * sin, rest), dim=-1)


def hf_layer(x, i, cos, sin):
    p = f"model.layers.{i}."
    lin = lambda t, n: F.linear(t, w[p + n + ".weight"])  # noqa: E731  (bias=False everywhere)
    heads = lambda t: t.view(B, T, H, Dh).transpose(1, 2)  # noqa: E731
    residual = x
    h = hf_rms_norm(x, w[p + "input_layernorm.weight"])
    q, k, v = heads(lin(h, "self_attn.q_proj")), heads(lin(h, "self_attn.k_proj")), heads(lin(h, "self_attn.v_proj"))
    q, k = hf_apply_rotary(q, cos, sin), hf_apply_rotary(k, cos, sin)
    mask = torch.triu(torch.full((T, T), torch.finfo(torch.float32).min), diagonal=1)
    scores = q @ k.transpose(2, 3) / math.sqrt(Dh) + mask
    probs = F.softmax(scores, dim=-1, dtype=torch.float32)
    ctx = (probs @ v).transpose(1, 2).reshape(B, T, D)
    x = residual + lin(ctx, "self_attn.o_proj")
    residual = x
    h = hf_rms_norm(x, w[p + "post_attention_layernorm.weight"])
    return residual + lin(F.silu(lin(h, "mlp.gate_proj")) * lin(h, "mlp.up_proj"), "mlp.down_proj")


# ----------------------------------------------------------------------------------------------
# Meta's llama reference (model.py), in f64: interleaved pairs as complex numbers, a KV cache
# ----------------------------------------------------------------------------------------------


def to_meta(weight, R):
    """Undoes convert_llama_weights_to_hf.py's permute on the first R rows of each head: Hugging Face
    pairs column j with j + R/2 (rotate_half), Meta pairs 2j with 2j + 1."""
    per_head = weight.view(H, Dh, D)
    rot = per_head[:, :R].reshape(H, 2, R // 2, D).transpose(1, 2).reshape(H, R, D)
    return torch.cat((rot, per_head[:, R:]), dim=1).reshape(D, D)


def meta_freqs_cis(R, end):
    freqs = 1.0 / (THETA ** (torch.arange(0, R, 2, dtype=torch.float64)[: R // 2] / R))
    angles = torch.outer(torch.arange(end, dtype=torch.float64), freqs)
    return torch.polar(torch.ones_like(angles), angles)  # [end, R/2] complex128


def meta_apply_rotary(xq, freqs_cis, R):
    """apply_rotary_emb on xq [B, 1, H, Dh]: its first R columns as R/2 complex numbers (adjacent pairs)."""
    rot = torch.view_as_complex(xq[..., :R].reshape(*xq.shape[:-1], R // 2, 2).contiguous())
    rot = torch.view_as_real(rot * freqs_cis.view(1, 1, 1, R // 2)).flatten(3)
    return torch.cat((rot, xq[..., R:]), dim=-1)


def meta_decode(R, permute=True):
    """Every layer's outputs [B, T, D] from decoding one position at a time, each layer with its cache.
    permute=False keeps Hugging Face's q, k layout: the wrong pairing, for the check's own test."""
    mw = {n: t.to(torch.float64) for n, t in w.items()}
    for i in range(L if permute else 0):
        for n in "qk":
            mw[f"model.layers.{i}.self_attn.{n}_proj.weight"] = to_meta(mw[f"model.layers.{i}.self_attn.{n}_proj.weight"], R)
    freqs_cis = meta_freqs_cis(R, T)
    cache_k = torch.zeros(L, B, T, H, Dh, dtype=torch.float64)
    cache_v = torch.zeros(L, B, T, H, Dh, dtype=torch.float64)
    out = torch.zeros(L, B, T, D, dtype=torch.float64)
    for pos in range(T):
        x = x0[:, pos : pos + 1].to(torch.float64)  # [B, 1, D]
        for i in range(L):
            p = f"model.layers.{i}."
            mm = lambda t, n: t @ mw[p + n + ".weight"].T  # noqa: E731
            norm = lambda t, n: t * torch.rsqrt(t.pow(2).mean(-1, keepdim=True) + EPS) * mw[p + n + ".weight"]  # noqa: E731
            h = norm(x, "input_layernorm")
            xq = meta_apply_rotary(mm(h, "self_attn.q_proj").view(B, 1, H, Dh), freqs_cis[pos], R)
            xk = meta_apply_rotary(mm(h, "self_attn.k_proj").view(B, 1, H, Dh), freqs_cis[pos], R)
            cache_k[i, :, pos] = xk[:, 0]
            cache_v[i, :, pos] = mm(h, "self_attn.v_proj").view(B, H, Dh)
            keys, values = cache_k[i, :, : pos + 1].transpose(1, 2), cache_v[i, :, : pos + 1].transpose(1, 2)
            scores = xq.transpose(1, 2) @ keys.transpose(2, 3) / math.sqrt(Dh)  # [B, H, 1, pos + 1]
            e = torch.exp(scores - scores.max(-1, keepdim=True).values)
            ctx = (e / e.sum(-1, keepdim=True)) @ values
            x = x + mm(ctx.transpose(1, 2).reshape(B, 1, D), "self_attn.o_proj")
            h = norm(x, "post_attention_layernorm")
            gate = mm(h, "mlp.gate_proj")
            x = x + mm(gate * torch.sigmoid(gate) * mm(h, "mlp.up_proj"), "mlp.down_proj")
            out[i, :, pos] = x[:, 0]
    return out


def check(name, a, b):
    err = float((a.to(torch.float64) - b.to(torch.float64)).abs().max())
    print(f"  check {name:<44s} max|diff| = {err:.3e}")
    if not err <= CHECK_TOL:
        sys.exit(f"ABORT: {name} differs by {err} > {CHECK_TOL}")


def variant(R):
    cos, sin = hf_rotary(R, torch.arange(T))
    assert torch.equal(cos[:, : R // 2], cos[:, R // 2 :]) and torch.equal(sin[:, : R // 2], sin[:, R // 2 :])
    layers, x = [], x0
    with torch.no_grad():
        for i in range(L):
            x = hf_layer(x, i, cos, sin)
            layers.append(x)
        decoded = meta_decode(R)
    for i in range(L):
        check(f"R={R} layer {i}: HF full pass vs Meta decoding", layers[i], decoded[i])
    # The check must be able to fail: without rotary, or with the other pairing, the rows are far off.
    # (Positions all shifted by one would not be: rotary attention sees only relative positions.)
    with torch.no_grad():
        unrotated = hf_layer(x0, 0, torch.ones_like(cos), torch.zeros_like(sin))
        mispaired = meta_decode(R, permute=False)[0]
    for name, t in [("no rotary", unrotated), ("adjacent pairs on HF's layout", mispaired)]:
        err = float((t - decoded[0]).abs().max())
        print(f"  R={R} layer 0 with {name} is off by {err:.3f}, as it should be")
        assert err > 0.1, f"{name} changes nothing: the check could not fail"
    table = torch.cat((cos[:, : R // 2], sin[:, : R // 2]), dim=-1)
    return {
        "rotary_dim": R,
        "rotary_table": tensor_json(table),
        "layers": [tensor_json(t) for t in layers],
        "decoded": [tensor_json(t) for t in decoded],
    }


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "block")
    os.makedirs(out, exist_ok=True)
    variants = {"rotate_half": variant(Dh), "partial": variant(Dh // 2)}
    path = os.path.join(out, "model.safetensors")
    write_safetensors(path, w)
    back = read_safetensors(path)
    assert back.keys() == w.keys() and all(torch.equal(back[n], w[n]) for n in w), "safetensors round trip"
    config = {"D": D, "H": H, "Dh": Dh, "F": F_, "L": L, "B": B, "T": T, "eps": EPS, "rope_theta": THETA}
    write_json(os.path.join(out, "fixture.json"), {"config": config, "x": tensor_json(x0), "variants": variants}, compact=True)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
