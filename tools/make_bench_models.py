#!/usr/bin/python3
"""Random-weight models for the transformer benchmark (bench/transformer.mjs), written to bench/.models/.

Run with Debian's torch (not the pyenv python first on PATH):

    /usr/bin/python3 tools/make_bench_models.py [outdir]      # default: bench/.models (gitignored)

Three models, each a Hugging Face checkpoint folder (config.json, model.safetensors, tokenizer.json with a
small vocabulary; the embedding has the real vocabulary size) plus ONNX exports of the same weights made by
torch.onnx.export at opset 17, and reference outputs from the torch forward pass:

- bert-base:   BERT-base shape, 12 layers, D 768, 12 heads, F 3072, vocabulary 30522.
- minilm-l6:   all-MiniLM-L6-v2 shape, 6 layers, D 384, 12 heads, F 1536, vocabulary 30522.
  encoder.onnx: (input_ids, attention_mask) -> last_hidden_state, as optimum exports BertModel.
- marian-base: opus-mt shape, 6+6 layers, D 512, 8 heads, F 2048, vocabulary 58101.
  decoder_with_past.onnx: one greedy step with a KV cache, as optimum's decoder_with_past_model:
  (input_ids [B,1], encoder_attention_mask [B,S], past_key_values.{i}.decoder.key/value [B,H,P,Dh],
  past_key_values.{i}.encoder.key/value [B,H,S,Dh]) -> (logits [B,1,V], present.{i}.decoder.key/value).

encoder-q8.onnx / decoder_with_past-q8.onnx: the same graphs in onnxruntime quantize_dynamic's int8 form
(tools/make_q8_onnx.py, per-tensor int8 weights; the worst token cosine against f32 is printed).

reference.json / reference.bin: the inputs the benchmark checks with and torch's outputs for them (raw
little-endian float32, offsets in the JSON), so ort-web and wasm-nlp are compared to torch before timing.

The math is Hugging Face's (modeling_bert.py, modeling_marian.py), as in make_transformer_fixtures.py, whose
safetensors writer and tokenizer builders are reused here. Dimension letters: B batch, T sequence (S source,
P past), D model width, H heads, Dh = D / H, F feed-forward width, V vocabulary, L layers.
"""

import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_transformer_fixtures as fx  # noqa: E402  (safetensors writer, tokenizer.json builders)

torch.set_num_threads(2)
NEG = torch.finfo(torch.float32).min
T_BENCH = 128              # encoder sequence length the benchmark runs
MARIAN_SOURCE = 20         # source tokens of the decode-step benchmark
MARIAN_PAST = 10           # decoder positions already in the cache at the timed step

ENCODERS = {
    "bert-base": dict(SEED=100, V=30522, D=768, H=12, F=3072, L=12, P=512, TYPES=2, EPS=1e-12),
    "minilm-l6": dict(SEED=101, V=30522, D=384, H=12, F=1536, L=6, P=512, TYPES=2, EPS=1e-12),
}
MARIAN = dict(SEED=102, V=58101, D=512, H=8, F=2048, LE=6, LD=6, P=512, EPS=1e-5, EOS=0, UNK=1, PAD=58100,
              EMB_STD=0.05)


# ----------------------------------------------------------------------------------------------
# Weights (HF names; scales keep activations O(1), as in make_transformer_fixtures.py)
# ----------------------------------------------------------------------------------------------


def bert_weights(c):
    w = {}
    torch.manual_seed(c["SEED"])
    fx.embedding(w, "embeddings.word_embeddings", c["V"], c["D"], pad=0)
    fx.embedding(w, "embeddings.position_embeddings", c["P"], c["D"], std=0.5)
    fx.embedding(w, "embeddings.token_type_embeddings", c["TYPES"], c["D"], std=0.5)
    fx.layer_norm_w(w, "embeddings.LayerNorm", c["D"])
    for i in range(c["L"]):
        p = f"encoder.layer.{i}."
        for n in ("query", "key", "value"):
            fx.linear(w, p + "attention.self." + n, c["D"], c["D"])
        fx.linear(w, p + "attention.output.dense", c["D"], c["D"])
        fx.layer_norm_w(w, p + "attention.output.LayerNorm", c["D"])
        fx.linear(w, p + "intermediate.dense", c["F"], c["D"])
        fx.linear(w, p + "output.dense", c["D"], c["F"])
        fx.layer_norm_w(w, p + "output.LayerNorm", c["D"])
    return w


def marian_weights(c):
    w = {}
    torch.manual_seed(c["SEED"])
    fx.embedding(w, "model.shared", c["V"], c["D"], pad=c["PAD"], std=c["EMB_STD"])
    for i in range(c["LE"]):
        p = f"model.encoder.layers.{i}."
        fx.marian_attention_w(w, p + "self_attn.", c["D"])
        fx.layer_norm_w(w, p + "self_attn_layer_norm", c["D"])
        fx.linear(w, p + "fc1", c["F"], c["D"])
        fx.linear(w, p + "fc2", c["D"], c["F"])
        fx.layer_norm_w(w, p + "final_layer_norm", c["D"])
    for i in range(c["LD"]):
        p = f"model.decoder.layers.{i}."
        fx.marian_attention_w(w, p + "self_attn.", c["D"])
        fx.layer_norm_w(w, p + "self_attn_layer_norm", c["D"])
        fx.marian_attention_w(w, p + "encoder_attn.", c["D"])
        fx.layer_norm_w(w, p + "encoder_attn_layer_norm", c["D"])
        fx.linear(w, p + "fc1", c["F"], c["D"])
        fx.linear(w, p + "fc2", c["D"], c["F"])
        fx.layer_norm_w(w, p + "final_layer_norm", c["D"])
    w["final_logits_bias"] = fx.rnd(1, c["V"], std=0.5)
    return w


# ----------------------------------------------------------------------------------------------
# Forward passes as modules, so torch.onnx.export traces them (the weights become initializers)
# ----------------------------------------------------------------------------------------------


def ln(x, w, name, eps, D):
    """LayerNorm over the last axis; D given, not read from x.shape, so the ONNX export keeps it constant."""
    return F.layer_norm(x, (D,), w[name + ".weight"], w[name + ".bias"], eps)


def attend(q, k, v, add_mask):
    """softmax(q kᵀ / √Dh + mask) v, q [B,H,Tq,Dh], k and v [B,H,Tk,Dh] (eager_attention_forward)."""
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    if add_mask is not None:
        scores = scores + add_mask
    return torch.matmul(torch.softmax(scores, dim=-1), v)


class BertEncoder(torch.nn.Module):
    """BertModel's last_hidden_state (modeling_bert.py), segment ids all 0, as optimum's export with
    token_type_ids left out."""

    def __init__(self, w, c):
        super().__init__()
        self.w, self.c = w, c

    def forward(self, input_ids, attention_mask):
        w, c = self.w, self.c
        T = input_ids.shape[1]
        e = F.embedding(input_ids, w["embeddings.word_embeddings.weight"]) + w["embeddings.token_type_embeddings.weight"][0]
        x = ln(e + w["embeddings.position_embeddings.weight"][:T], w, "embeddings.LayerNorm", c["EPS"], c["D"])
        ext = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * NEG
        for i in range(c["L"]):
            p = f"encoder.layer.{i}."
            a = p + "attention.self."
            q, k, v = (fx.split_heads(fx.lin(x, w, a + n), c["H"]) for n in ("query", "key", "value"))
            ctx = fx.merge_heads(attend(q, k, v, ext))
            x = ln(fx.lin(ctx, w, p + "attention.output.dense") + x, w, p + "attention.output.LayerNorm", c["EPS"], c["D"])
            h = F.gelu(fx.lin(x, w, p + "intermediate.dense"))
            x = ln(fx.lin(h, w, p + "output.dense") + x, w, p + "output.LayerNorm", c["EPS"], c["D"])
        return x


def marian_positions(c):
    return fx.marian_sinusoidal_table(c["P"], c["D"])


def marian_encode(w, c, input_ids, attention_mask):
    x = F.embedding(input_ids, w["model.shared.weight"]) * math.sqrt(c["D"]) + marian_positions(c)[: input_ids.shape[1]]
    m = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * NEG
    for i in range(c["LE"]):
        p = f"model.encoder.layers.{i}."
        x = ln(x + fx.marian_attention(x, x, w, p + "self_attn.", m, c["H"]), w, p + "self_attn_layer_norm", c["EPS"], c["D"])
        x = ln(x + fx.marian_ffn(x, w, p), w, p + "final_layer_norm", c["EPS"], c["D"])
    return x


class MarianDecoderWithPast(torch.nn.Module):
    """One MarianMTModel decoder step with a cache (modeling_marian.py, use_cache): the newest token at
    position P = past length; self-attention over the P cached keys/values plus its own; cross-attention
    over the encoder's keys/values, computed once per source and passed in; logits of the tied LM head
    plus final_logits_bias. Returns the logits and the self-attention cache grown by one position."""

    def __init__(self, w, c):
        super().__init__()
        self.w, self.c = w, c
        self.positions = marian_positions(c)

    def forward(self, input_ids, encoder_attention_mask, *past):
        w, c, H = self.w, self.c, self.c["H"]
        P = past[0].shape[2]
        pos = torch.arange(P, P + input_ids.shape[1])
        y = F.embedding(input_ids, w["model.shared.weight"]) * math.sqrt(c["D"]) + F.embedding(pos, self.positions)[None]
        cross_mask = (1.0 - encoder_attention_mask[:, None, None, :].to(torch.float32)) * NEG
        present = []
        for i in range(c["LD"]):
            p = f"model.decoder.layers.{i}."
            past_k, past_v, enc_k, enc_v = past[4 * i: 4 * i + 4]
            a = p + "self_attn."
            q = fx.split_heads(fx.lin(y, w, a + "q_proj"), H)
            k = torch.cat([past_k, fx.split_heads(fx.lin(y, w, a + "k_proj"), H)], dim=2)
            v = torch.cat([past_v, fx.split_heads(fx.lin(y, w, a + "v_proj"), H)], dim=2)
            present += [k, v]
            y = ln(y + fx.lin(fx.merge_heads(attend(q, k, v, None)), w, a + "out_proj"), w, p + "self_attn_layer_norm", c["EPS"], c["D"])
            a = p + "encoder_attn."
            q = fx.split_heads(fx.lin(y, w, a + "q_proj"), H)
            y = ln(y + fx.lin(fx.merge_heads(attend(q, enc_k, enc_v, cross_mask)), w, a + "out_proj"), w, p + "encoder_attn_layer_norm", c["EPS"], c["D"])
            y = ln(y + fx.marian_ffn(y, w, p), w, p + "final_layer_norm", c["EPS"], c["D"])
        logits = F.linear(y, w["model.shared.weight"]) + w["final_logits_bias"]
        return (logits, *present)


def marian_cross_kv(w, c, enc):
    """Each decoder layer's cross-attention keys and values of the encoder output, [B,H,S,Dh]."""
    out = []
    for i in range(c["LD"]):
        a = f"model.decoder.layers.{i}.encoder_attn."
        out.append((fx.split_heads(fx.lin(enc, w, a + "k_proj"), c["H"]), fx.split_heads(fx.lin(enc, w, a + "v_proj"), c["H"])))
    return out


def marian_past_names(c):
    names = []
    for i in range(c["LD"]):
        names += [f"past_key_values.{i}.decoder.key", f"past_key_values.{i}.decoder.value",
                  f"past_key_values.{i}.encoder.key", f"past_key_values.{i}.encoder.value"]
    return names


# ----------------------------------------------------------------------------------------------
# Configs, tokenizers, references
# ----------------------------------------------------------------------------------------------


def bert_config(c):
    return {
        "architectures": ["BertModel"], "model_type": "bert", "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": c["D"], "initializer_range": 0.02,
        "intermediate_size": c["F"], "layer_norm_eps": c["EPS"], "max_position_embeddings": c["P"],
        "num_attention_heads": c["H"], "num_hidden_layers": c["L"], "pad_token_id": 0,
        "position_embedding_type": "absolute", "type_vocab_size": c["TYPES"], "vocab_size": c["V"],
        "torch_dtype": "float32",
    }


def marian_config(c):
    cfg = fx.marian_config()  # the fixture's opus-mt fields, with this model's sizes
    cfg.update({
        "bad_words_ids": [[c["PAD"]]], "d_model": c["D"], "decoder_attention_heads": c["H"], "decoder_ffn_dim": c["F"],
        "decoder_layers": c["LD"], "decoder_start_token_id": c["PAD"], "decoder_vocab_size": c["V"],
        "encoder_attention_heads": c["H"], "encoder_ffn_dim": c["F"], "encoder_layers": c["LE"],
        "eos_token_id": c["EOS"], "forced_eos_token_id": c["EOS"], "max_position_embeddings": c["P"],
        "num_hidden_layers": c["LE"], "pad_token_id": c["PAD"], "vocab_size": c["V"],
    })
    return cfg


def bert_small_vocab():
    """A WordPiece vocabulary of ~150 pieces ([PAD] = 0); the embedding keeps all V rows."""
    vocab = list(fx.BERT_SPECIAL) + fx.BERT_WORDS + fx.BERT_PIECES
    vocab += [ch for ch in fx.BERT_CHARS if ch not in vocab] + ["##" + ch for ch in fx.BERT_CHARS]
    return vocab


def marian_tokenizer(c):
    """The fixture's Unigram tokenizer.json over V pieces: </s> 0, <unk> 1, a few words and letters,
    fillers, and <pad> = V − 1 as in opus-mt."""
    vocab = [("</s>", 0.0), ("<unk>", 0.0), ("▁", -4.0)] + [("▁" + wd, -3.0 - 0.01 * i) for i, wd in enumerate(fx.MARIAN_WORDS)]
    seen = {p for p, _ in vocab}
    vocab += [(p, -8.0 - 0.01 * i) for i, p in enumerate(fx.MARIAN_PIECES) if p not in seen]
    vocab += [(f"<extra_{i}>", -20.0) for i in range(len(vocab), c["V"] - 1)] + [("<pad>", 0.0)]
    tok = fx.marian_tokenizer_json(vocab)
    tok["added_tokens"] = [fx.added_token(i, t) for i, t in ((c["EOS"], "</s>"), (c["UNK"], "<unk>"), (c["PAD"], "<pad>"))]
    return tok


class Reference:
    """reference.json + reference.bin: named int lists and float32 tensors."""

    def __init__(self):
        self.meta, self.blobs, self.offset = {}, [], 0

    def ints(self, name, t):
        self.meta[name] = t.tolist()

    def floats(self, name, t):
        b = fx.tensor_bytes(t.to(torch.float32))
        self.meta[name] = {"shape": list(t.shape), "offset": self.offset, "bytes": len(b)}
        self.blobs.append(b)
        self.offset += len(b)

    def write(self, d):
        with open(os.path.join(d, "reference.bin"), "wb") as f:
            for b in self.blobs:
                f.write(b)
        fx.write_json(os.path.join(d, "reference.json"), self.meta)


def export(module, args, path, input_names, output_names, dynamic_axes):
    with torch.no_grad():
        torch.onnx.export(module, args, path, opset_version=17, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, do_constant_folding=True)
    print(f"  {os.path.basename(path)}: {os.path.getsize(path) / 1e6:.1f} MB")


def make_encoder(outdir, name, c):
    d = os.path.join(outdir, name)
    os.makedirs(d, exist_ok=True)
    w = bert_weights(c)
    print(f"{name}: {sum(t.numel() for t in w.values()) / 1e6:.1f}M parameters")
    fx.write_safetensors(os.path.join(d, "model.safetensors"), w)
    fx.write_json(os.path.join(d, "config.json"), bert_config(c))
    fx.write_json(os.path.join(d, "tokenizer.json"), fx.bert_tokenizer_json(bert_small_vocab()))
    fx.write_json(os.path.join(d, "tokenizer_config.json"), fx.bert_tokenizer_config(c["P"]))
    model = BertEncoder(w, c)
    g = torch.Generator().manual_seed(c["SEED"])
    ids = torch.randint(5, c["V"], (1, T_BENCH), generator=g)
    ids[0, 0], ids[0, -1] = 2, 3  # [CLS] … [SEP]
    mask = torch.ones(1, T_BENCH, dtype=torch.long)
    with torch.no_grad():
        out = model(ids, mask)
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
            "last_hidden_state": {0: "batch", 1: "sequence"}}
    export(model, (ids, mask), os.path.join(d, "encoder.onnx"), ["input_ids", "attention_mask"], ["last_hidden_state"], axes)
    ref = Reference()
    ref.ints("input_ids", ids)
    ref.floats("last_hidden_state", out)
    ref.write(d)


def make_marian(outdir):
    c = MARIAN
    d = os.path.join(outdir, "marian-base")
    os.makedirs(d, exist_ok=True)
    w = marian_weights(c)
    print(f"marian-base: {sum(t.numel() for t in w.values()) / 1e6:.1f}M parameters")
    fx.write_safetensors(os.path.join(d, "model.safetensors"), w)
    fx.write_json(os.path.join(d, "config.json"), marian_config(c))
    fx.write_json(os.path.join(d, "tokenizer.json"), marian_tokenizer(c))
    fx.write_json(os.path.join(d, "tokenizer_config.json"), fx.marian_tokenizer_config())
    g = torch.Generator().manual_seed(c["SEED"])
    src = torch.randint(2, c["PAD"], (1, MARIAN_SOURCE), generator=g)
    src[0, -1] = c["EOS"]
    src_mask = torch.ones_like(src)
    # Decoder tokens: the start token (pad), then MARIAN_PAST random ones; the step runs the last one.
    dec = torch.cat([torch.tensor([[c["PAD"]]]), torch.randint(2, c["PAD"], (1, MARIAN_PAST), generator=g)], dim=1)
    step = MarianDecoderWithPast(w, c)
    with torch.no_grad():
        enc = marian_encode(w, c, src, src_mask)
        cross = marian_cross_kv(w, c, enc)
        # The cache of positions 0..P-1, built step by step from an empty one, as generation does.
        H, Dh = c["H"], c["D"] // c["H"]
        selfkv = [(torch.zeros(1, H, 0, Dh), torch.zeros(1, H, 0, Dh)) for _ in range(c["LD"])]
        for t in range(MARIAN_PAST):
            outs = step(dec[:, t: t + 1], src_mask, *[x for i in range(c["LD"]) for x in (*selfkv[i], *cross[i])])
            selfkv = [(outs[1 + 2 * i], outs[2 + 2 * i]) for i in range(c["LD"])]
        past = [x for i in range(c["LD"]) for x in (*selfkv[i], *cross[i])]
        outs = step(dec[:, MARIAN_PAST:], src_mask, *past)
    names = marian_past_names(c)
    axes = {"input_ids": {0: "batch"}, "encoder_attention_mask": {0: "batch", 1: "source"}, "logits": {0: "batch"}}
    for n in names:
        axes[n] = {0: "batch", 2: "past" if ".decoder." in n else "source"}
    present = [f"present.{i}.decoder.{kv}" for i in range(c["LD"]) for kv in ("key", "value")]
    for n in present:
        axes[n] = {0: "batch", 2: "past_plus_one"}
    export(step, (dec[:, MARIAN_PAST:], src_mask, *past), os.path.join(d, "decoder_with_past.onnx"),
           ["input_ids", "encoder_attention_mask", *names], ["logits", *present], axes)
    ref = Reference()
    ref.ints("input_ids", src)
    ref.ints("decoder_input_ids", dec)
    for n, t in zip(names, past):
        ref.floats(n, t)
    ref.floats("logits", outs[0])
    ref.write(d)


def make_q8(outdir):
    """The q8 twins of the ONNX exports (encoder-q8.onnx, decoder_with_past-q8.onnx), as onnxruntime's
    quantize_dynamic would write them (tools/make_q8_onnx.py), checked against the f32 graphs on
    onnxruntime-web (needs node and the npm devDependencies)."""
    import make_q8_onnx as q8
    pairs = []
    for name in [*ENCODERS, "marian-base"]:
        f = os.path.join(outdir, name, "decoder_with_past.onnx" if name == "marian-base" else "encoder.onnx")
        pairs.append((f, q8.quantize_file(f, per_channel=False, gather=True)))
    if q8.check(pairs) != 0:
        sys.exit("tools/check_q8_onnx.mjs: a q8 graph failed its comparison with the f32 one")


# ----------------------------------------------------------------------------------------------
# Decoders (issue 15): SmolLM2-135M (llama), GPT-2-small, flan-t5-small, random weights in the real
# shapes. Each folder: config.json, model.safetensors, tokenizer.json + tokenizer_config.json (the test
# fixtures' small tokenizers; the embedding keeps all V rows), decoder_with_past.onnx (f32; -q8 beside it)
# and reference.json/.bin. The llama and GPT-2 graphs are optimum's decoder_with_past form, one graph for
# the prefill (T prompt tokens, an empty past) and for each step (T = 1, P past positions):
#   (input_ids [B,T], position_ids [B,T], past_key_values.{i}.key/value [B,KVH,P,Dh])
#     -> (logits [B,1,V], present.{i}.key/value [B,KVH,P+T,Dh])
# logits of the LAST position only (optimum's export gives all T rows; one row is what generation reads,
# and what wasm-nlp's prefill computes, so ort-web is not charged for T−1 LM-head rows it need not do).
# No attention_mask input: batch 1, nothing padded. T5: encoder.onnx (input_ids, attention_mask) ->
# last_hidden_state, and decoder_with_past.onnx as optimum's (past self- and cross-attention K/V in).
# ----------------------------------------------------------------------------------------------

PROMPT = 128   # prefill length; the timed decode step runs at position PROMPT
FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
DECODERS = {
    # SmolLM2-135M: config.json of HuggingFaceTB/SmolLM2-135M (rope_theta 100000, rms_norm_eps 1e-5, tied).
    "smollm2-135m": dict(kind="llama", SEED=103, V=49152, D=576, H=9, KVH=3, F=1536, L=30, P=8192, THETA=100000.0, EPS=1e-5),
    # The browser run only (bench/decoder-browser.mjs, wasm-nlp q8): no ONNX export.
    "smollm2-360m": dict(kind="llama", SEED=106, V=49152, D=960, H=15, KVH=5, F=2560, L=32, P=8192, THETA=100000.0, EPS=1e-5,
                         ONNX=False),
    "gpt2-small": dict(kind="gpt2", SEED=104, V=50257, D=768, H=12, F=3072, L=12, P=1024, EPS=1e-5),
    "flan-t5-small": dict(kind="t5", SEED=105, V=32128, D=512, H=6, Dh=64, F=1024, L=8, LD=8, BUCKETS=32, MAXD=128, EPS=1e-6),
}
DEFAULT_DECODERS = ["smollm2-135m", "gpt2-small", "flan-t5-small"]


def rnd(*shape, std):
    return torch.randn(*shape, dtype=torch.float32) * std


def rms(x, weight, eps):
    return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def causal_mask(T, P):
    """[T, P+T] additive: query t (position P+t) sees keys 0..P+t. From shapes, so the export keeps it dynamic."""
    j = torch.arange(P + T)[None, :]
    i = torch.arange(T)[:, None] + P
    return torch.where(j > i, torch.tensor(NEG), torch.tensor(0.0))


def llama_weights(c):
    """SmolLM2 names (LlamaForCausalLM, tied). HF's init (normal, std initializer_range 0.02), norms 1."""
    torch.manual_seed(c["SEED"])
    D, Dh, F_ = c["D"], c["D"] // c["H"], c["F"]
    w = {"model.embed_tokens.weight": rnd(c["V"], D, std=0.02)}
    for i in range(c["L"]):
        p = f"model.layers.{i}."
        w[p + "self_attn.q_proj.weight"] = rnd(c["H"] * Dh, D, std=0.02)
        w[p + "self_attn.k_proj.weight"] = rnd(c["KVH"] * Dh, D, std=0.02)
        w[p + "self_attn.v_proj.weight"] = rnd(c["KVH"] * Dh, D, std=0.02)
        w[p + "self_attn.o_proj.weight"] = rnd(D, c["H"] * Dh, std=0.02)
        w[p + "mlp.gate_proj.weight"] = rnd(F_, D, std=0.02)
        w[p + "mlp.up_proj.weight"] = rnd(F_, D, std=0.02)
        w[p + "mlp.down_proj.weight"] = rnd(D, F_, std=0.02)
        w[p + "input_layernorm.weight"] = 1 + rnd(D, std=0.1)
        w[p + "post_attention_layernorm.weight"] = 1 + rnd(D, std=0.1)
    w["model.norm.weight"] = 1 + rnd(D, std=0.1)
    return w


class LlamaDecoderWithPast(torch.nn.Module):
    """LlamaForCausalLM.forward with a cache (modeling_llama.py): RMSNorm, RoPE (default, rope_theta) at
    position_ids, grouped-query attention (repeat_kv), SwiGLU, tied head; the last position's logits."""

    def __init__(self, w, c):
        super().__init__()
        self.w, self.c = w, c
        Dh = c["D"] // c["H"]
        self.inv = 1.0 / (c["THETA"] ** (torch.arange(0, Dh, 2, dtype=torch.int64).float() / Dh))

    def forward(self, input_ids, position_ids, *past):
        w, c = self.w, self.c
        H, KVH, D = c["H"], c["KVH"], c["D"]
        Dh = D // H
        B, T = input_ids.shape
        P = past[0].shape[2]
        freqs = position_ids[:, :, None].float() * self.inv[None, None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[:, None], emb.sin()[:, None]
        rot = lambda t: torch.cat((-t[..., Dh // 2:], t[..., : Dh // 2]), dim=-1)  # noqa: E731  rotate_half
        mask = causal_mask(T, P)
        x = F.embedding(input_ids, w["model.embed_tokens.weight"])
        present = []
        for i in range(c["L"]):
            p = f"model.layers.{i}."
            h = rms(x, w[p + "input_layernorm.weight"], c["EPS"])
            q = F.linear(h, w[p + "self_attn.q_proj.weight"]).view(B, T, H, Dh).transpose(1, 2)
            k = F.linear(h, w[p + "self_attn.k_proj.weight"]).view(B, T, KVH, Dh).transpose(1, 2)
            v = F.linear(h, w[p + "self_attn.v_proj.weight"]).view(B, T, KVH, Dh).transpose(1, 2)
            q = q * cos + rot(q) * sin
            k = k * cos + rot(k) * sin
            k = torch.cat([past[2 * i], k], dim=2)
            v = torch.cat([past[2 * i + 1], v], dim=2)
            present += [k, v]
            g = H // KVH
            kr = k[:, :, None].expand(B, KVH, g, P + T, Dh).reshape(B, H, P + T, Dh)
            vr = v[:, :, None].expand(B, KVH, g, P + T, Dh).reshape(B, H, P + T, Dh)
            a = torch.softmax(q @ kr.transpose(2, 3) / math.sqrt(Dh) + mask, dim=-1) @ vr
            x = x + F.linear(a.transpose(1, 2).reshape(B, T, H * Dh), w[p + "self_attn.o_proj.weight"])
            h = rms(x, w[p + "post_attention_layernorm.weight"], c["EPS"])
            x = x + F.linear(F.silu(F.linear(h, w[p + "mlp.gate_proj.weight"])) * F.linear(h, w[p + "mlp.up_proj.weight"]),
                             w[p + "mlp.down_proj.weight"])
        x = rms(x[:, -1:], w["model.norm.weight"], c["EPS"])
        return (F.linear(x, w["model.embed_tokens.weight"]), *present)


def gpt2_weights(c):
    """GPT2LMHeadModel names; Conv1D weights in × out. HF's init (std 0.02; c_proj 0.02/√(2L)), LN 1 and 0."""
    torch.manual_seed(c["SEED"])
    D, F_ = c["D"], c["F"]
    w = {"transformer.wte.weight": rnd(c["V"], D, std=0.02), "transformer.wpe.weight": rnd(c["P"], D, std=0.01)}
    for i in range(c["L"]):
        p = f"transformer.h.{i}."
        w[p + "ln_1.weight"], w[p + "ln_1.bias"] = 1 + rnd(D, std=0.1), rnd(D, std=0.02)
        w[p + "attn.c_attn.weight"], w[p + "attn.c_attn.bias"] = rnd(D, 3 * D, std=0.02), rnd(3 * D, std=0.02)
        w[p + "attn.c_proj.weight"], w[p + "attn.c_proj.bias"] = rnd(D, D, std=0.02 / math.sqrt(2 * c["L"])), rnd(D, std=0.02)
        w[p + "ln_2.weight"], w[p + "ln_2.bias"] = 1 + rnd(D, std=0.1), rnd(D, std=0.02)
        w[p + "mlp.c_fc.weight"], w[p + "mlp.c_fc.bias"] = rnd(D, F_, std=0.02), rnd(F_, std=0.02)
        w[p + "mlp.c_proj.weight"], w[p + "mlp.c_proj.bias"] = rnd(F_, D, std=0.02 / math.sqrt(2 * c["L"])), rnd(D, std=0.02)
    w["transformer.ln_f.weight"], w["transformer.ln_f.bias"] = 1 + rnd(D, std=0.1), rnd(D, std=0.02)
    return w


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Gpt2DecoderWithPast(torch.nn.Module):
    """GPT2LMHeadModel.forward with a cache (modeling_gpt2.py): learned positions, pre-LN blocks, Conv1D
    (x·W + b), gelu_new, tied head; the last position's logits."""

    def __init__(self, w, c):
        super().__init__()
        self.w, self.c = w, c

    def forward(self, input_ids, position_ids, *past):
        w, c = self.w, self.c
        H, D = c["H"], c["D"]
        Dh = D // H
        B, T = input_ids.shape
        P = past[0].shape[2]
        conv = lambda h, n: h @ w[n + ".weight"] + w[n + ".bias"]  # noqa: E731
        lnorm = lambda h, n: F.layer_norm(h, (D,), w[n + ".weight"], w[n + ".bias"], c["EPS"])  # noqa: E731
        heads = lambda t: t.view(B, T, H, Dh).transpose(1, 2)  # noqa: E731
        x = F.embedding(input_ids, w["transformer.wte.weight"]) + F.embedding(position_ids, w["transformer.wpe.weight"])
        mask = causal_mask(T, P)
        present = []
        for i in range(c["L"]):
            p = f"transformer.h.{i}."
            q, k, v = conv(lnorm(x, p + "ln_1"), p + "attn.c_attn").split(D, dim=2)
            k = torch.cat([past[2 * i], heads(k)], dim=2)
            v = torch.cat([past[2 * i + 1], heads(v)], dim=2)
            present += [k, v]
            a = torch.softmax(heads(q) @ k.transpose(-1, -2) / math.sqrt(Dh) + mask, dim=-1) @ v
            x = x + conv(a.transpose(1, 2).reshape(B, T, D), p + "attn.c_proj")
            x = x + conv(gelu_new(conv(lnorm(x, p + "ln_2"), p + "mlp.c_fc")), p + "mlp.c_proj")
        x = lnorm(x[:, -1:], "transformer.ln_f")
        return (F.linear(x, w["transformer.wte.weight"]), *present)


def t5_weights(c):
    """flan-t5 (T5 v1.1) names: gated-gelu FFN, untied lm_head. HF's T5 init (factor 1.0)."""
    torch.manual_seed(c["SEED"])
    D, H, Dh, F_ = c["D"], c["H"], c["Dh"], c["F"]
    w = {"shared.weight": rnd(c["V"], D, std=1.0)}

    def attention(p):
        w[p + "q.weight"] = rnd(H * Dh, D, std=(D * Dh) ** -0.5)
        w[p + "k.weight"] = rnd(H * Dh, D, std=D ** -0.5)
        w[p + "v.weight"] = rnd(H * Dh, D, std=D ** -0.5)
        w[p + "o.weight"] = rnd(D, H * Dh, std=(H * Dh) ** -0.5)

    for stack, layers in (("encoder", c["L"]), ("decoder", c["LD"])):
        for i in range(layers):
            p = f"{stack}.block.{i}.layer."
            attention(p + "0.SelfAttention.")
            if i == 0:
                w[p + "0.SelfAttention.relative_attention_bias.weight"] = rnd(c["BUCKETS"], H, std=D ** -0.5)
            w[p + "0.layer_norm.weight"] = 1 + rnd(D, std=0.1)
            if stack == "decoder":
                attention(p + "1.EncDecAttention.")
                w[p + "1.layer_norm.weight"] = 1 + rnd(D, std=0.1)
            f = p + ("2." if stack == "decoder" else "1.")
            w[f + "DenseReluDense.wi_0.weight"] = rnd(F_, D, std=D ** -0.5)
            w[f + "DenseReluDense.wi_1.weight"] = rnd(F_, D, std=D ** -0.5)
            w[f + "DenseReluDense.wo.weight"] = rnd(D, F_, std=F_ ** -0.5)
            w[f + "layer_norm.weight"] = 1 + rnd(D, std=0.1)
        w[f"{stack}.final_layer_norm.weight"] = 1 + rnd(D, std=0.1)
    w["lm_head.weight"] = rnd(c["V"], D, std=1.0)
    return w


def t5_bucket(rel, bidirectional, num_buckets, max_distance):
    """T5Attention._relative_position_bucket (modeling_t5.py)."""
    buckets = 0
    if bidirectional:
        num_buckets //= 2
        buckets = buckets + (rel > 0).to(torch.long) * num_buckets
        rel = torch.abs(rel)
    else:
        rel = -torch.min(rel, torch.zeros_like(rel))
    max_exact = num_buckets // 2
    is_small = rel < max_exact
    large = max_exact + (torch.log(rel.float() / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact)).to(torch.long)
    large = torch.min(large, torch.full_like(large, num_buckets - 1))
    return buckets + torch.where(is_small, rel, large)


def t5_bias(w, c, stack, queries, keys, offset, bidirectional):
    """T5Attention.compute_bias [1, H, Tq, Tk], query i at position offset + i."""
    rel = torch.arange(keys)[None, :] - (torch.arange(queries)[:, None] + offset)
    table = w[f"{stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight"]
    return F.embedding(t5_bucket(rel, bidirectional, c["BUCKETS"], c["MAXD"]), table).permute(2, 0, 1)[None]


def t5_attend(w, c, p, x, k, v, bias):
    """No score scaling (T5); k and v [B,H,Tk,Dh] already projected."""
    B, T = x.shape[0], x.shape[1]
    q = F.linear(x, w[p + "q.weight"]).view(B, T, c["H"], c["Dh"]).transpose(1, 2)
    a = torch.softmax(q @ k.transpose(-1, -2) + bias, dim=-1) @ v
    return F.linear(a.transpose(1, 2).reshape(B, T, c["H"] * c["Dh"]), w[p + "o.weight"])


def t5_kv(w, c, p, x):
    B, T = x.shape[0], x.shape[1]
    split = lambda t: t.view(B, T, c["H"], c["Dh"]).transpose(1, 2)  # noqa: E731
    return split(F.linear(x, w[p + "k.weight"])), split(F.linear(x, w[p + "v.weight"]))


def t5_ffn(w, c, p, x):
    h = rms(x, w[p + "layer_norm.weight"], c["EPS"])
    h = gelu_new(F.linear(h, w[p + "DenseReluDense.wi_0.weight"])) * F.linear(h, w[p + "DenseReluDense.wi_1.weight"])
    return x + F.linear(h, w[p + "DenseReluDense.wo.weight"])


class T5Encoder(torch.nn.Module):
    """T5Stack (encoder) of flan-t5: the final-normed last hidden state."""

    def __init__(self, w, c):
        super().__init__()
        self.w, self.c = w, c

    def forward(self, input_ids, attention_mask):
        w, c = self.w, self.c
        S = input_ids.shape[1]
        x = F.embedding(input_ids, w["shared.weight"])
        bias = t5_bias(w, c, "encoder", S, S, 0, True) + (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * NEG
        for i in range(c["L"]):
            p = f"encoder.block.{i}.layer."
            h = rms(x, w[p + "0.layer_norm.weight"], c["EPS"])
            x = x + t5_attend(w, c, p + "0.SelfAttention.", h, *t5_kv(w, c, p + "0.SelfAttention.", h), bias)
            x = t5_ffn(w, c, p + "1.", x)
        return rms(x, w["encoder.final_layer_norm.weight"], c["EPS"])


class T5DecoderWithPast(torch.nn.Module):
    """T5ForConditionalGeneration's decoder with a cache (optimum's decoder_with_past_model): T new tokens at
    positions P..P+T−1; causal relative bias; cross-attention on the encoder K/V passed in; untied head (no
    D^-0.5 scaling); the last position's logits and the self-attention cache grown by T."""

    def __init__(self, w, c):
        super().__init__()
        self.w, self.c = w, c

    def forward(self, input_ids, encoder_attention_mask, *past):
        w, c = self.w, self.c
        T = input_ids.shape[1]
        P = past[0].shape[2]
        x = F.embedding(input_ids, w["shared.weight"])
        bias = t5_bias(w, c, "decoder", T, P + T, P, False) + causal_mask(T, P)
        cross = (1.0 - encoder_attention_mask[:, None, None, :].to(torch.float32)) * NEG
        present = []
        for i in range(c["LD"]):
            p = f"decoder.block.{i}.layer."
            past_k, past_v, enc_k, enc_v = past[4 * i: 4 * i + 4]
            h = rms(x, w[p + "0.layer_norm.weight"], c["EPS"])
            k, v = t5_kv(w, c, p + "0.SelfAttention.", h)
            k, v = torch.cat([past_k, k], dim=2), torch.cat([past_v, v], dim=2)
            present += [k, v]
            x = x + t5_attend(w, c, p + "0.SelfAttention.", h, k, v, bias)
            x = x + t5_attend(w, c, p + "1.EncDecAttention.", rms(x, w[p + "1.layer_norm.weight"], c["EPS"]), enc_k, enc_v, cross)
            x = t5_ffn(w, c, p + "2.", x)
        x = rms(x[:, -1:], w["decoder.final_layer_norm.weight"], c["EPS"])
        return (F.linear(x, w["lm_head.weight"]), *present)


def fixture_files(d, src, config_update, max_length):
    """config.json from the test fixture's, with this model's sizes; its tokenizer files as they are (ids
    past the tokenizer's vocabulary have no token: allowed, never generated)."""
    cfg = json.load(open(os.path.join(src, "config.json")))
    cfg.update(config_update)
    fx.write_json(os.path.join(d, "config.json"), cfg)
    with open(os.path.join(src, "tokenizer.json")) as f:
        tok = f.read()
    with open(os.path.join(d, "tokenizer.json"), "w") as f:
        f.write(tok)
    tc = json.load(open(os.path.join(src, "tokenizer_config.json")))
    tc["model_max_length"] = max_length
    fx.write_json(os.path.join(d, "tokenizer_config.json"), tc)
    return len(json.loads(tok)["model"]["vocab"])


def decoder_export(step, args, path, names, kv_names, T_axis=True):
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch"}}
    for n in names[1:]:
        if n == "position_ids":
            axes[n] = {0: "batch", 1: "sequence"}
        elif n == "encoder_attention_mask":
            axes[n] = {0: "batch", 1: "source"}
        else:
            axes[n] = {0: "batch", 2: "source" if ".encoder." in n else "past"}
    for n in kv_names:
        axes[n] = {0: "batch", 2: "past_plus_sequence"}
    export(step, args, path, names, ["logits", *kv_names], axes)


def make_causal(outdir, name, c):
    """SmolLM2 or GPT-2: folder, decoder_with_past.onnx, reference (prompt, its last logits, the cache after
    it, the next token and the logits of the step at position PROMPT)."""
    d = os.path.join(outdir, name)
    os.makedirs(d, exist_ok=True)
    llama = c["kind"] == "llama"
    w = llama_weights(c) if llama else gpt2_weights(c)
    print(f"{name}: {sum(t.numel() for t in w.values()) / 1e6:.1f}M parameters")
    fx.write_safetensors(os.path.join(d, "model.safetensors"), w)
    if llama:
        vocab = fixture_files(d, os.path.join(FIX, "decoders", "llama"), {
            "hidden_size": c["D"], "intermediate_size": c["F"], "num_hidden_layers": c["L"], "num_attention_heads": c["H"],
            "num_key_value_heads": c["KVH"], "max_position_embeddings": c["P"], "rms_norm_eps": c["EPS"],
            "rope_theta": c["THETA"], "tie_word_embeddings": True, "vocab_size": c["V"]}, c["P"])
        step, KVH, Dh = LlamaDecoderWithPast(w, c), c["KVH"], c["D"] // c["H"]
    else:
        vocab = fixture_files(d, os.path.join(FIX, "decoders", "gpt2"), {
            "vocab_size": c["V"], "n_positions": c["P"], "n_embd": c["D"], "n_layer": c["L"], "n_head": c["H"],
            "n_inner": None, "layer_norm_epsilon": c["EPS"]}, c["P"])
        step, KVH, Dh = Gpt2DecoderWithPast(w, c), c["H"], c["D"] // c["H"]
    g = torch.Generator().manual_seed(c["SEED"])
    # Prompt and next token from the tokenizer's ids, so that it can decode what it is given.
    ids = torch.randint(4, vocab, (1, PROMPT + 1), generator=g)
    empty = [torch.zeros(1, KVH, 0, Dh) for _ in range(2 * c["L"])]
    with torch.no_grad():
        pre = step(ids[:, :PROMPT], torch.arange(PROMPT)[None], *empty)
        out = step(ids[:, PROMPT:], torch.tensor([[PROMPT]]), *pre[1:])
    names = ["input_ids", "position_ids"] + [f"past_key_values.{i}.{kv}" for i in range(c["L"]) for kv in ("key", "value")]
    present = [f"present.{i}.{kv}" for i in range(c["L"]) for kv in ("key", "value")]
    if c.get("ONNX", True):
        decoder_export(step, (ids[:, PROMPT:], torch.tensor([[PROMPT]]), *pre[1:]), os.path.join(d, "decoder_with_past.onnx"), names, present)
    ref = Reference()
    ref.ints("input_ids", ids[:, :PROMPT])
    ref.ints("next_id", ids[:, PROMPT:])
    ref.floats("prefill_logits", pre[0])
    for n, t in zip(names[2:], pre[1:]):
        ref.floats(n, t)
    ref.floats("logits", out[0])
    ref.meta["kind"] = c["kind"]
    ref.write(d)
    return d


def make_t5(outdir, name, c):
    """flan-t5-small: folder, encoder.onnx, decoder_with_past.onnx, reference (source of PROMPT tokens, the
    encoder output, decoder tokens 0..PROMPT (start token first), the self cache of the first PROMPT, the
    cross K/V, and the logits of the step at position PROMPT)."""
    d = os.path.join(outdir, name)
    os.makedirs(d, exist_ok=True)
    w = t5_weights(c)
    print(f"{name}: {sum(t.numel() for t in w.values()) / 1e6:.1f}M parameters")
    fx.write_safetensors(os.path.join(d, "model.safetensors"), w)
    vocab = fixture_files(d, os.path.join(FIX, "flan-t5"), {
        "d_model": c["D"], "d_kv": c["Dh"], "d_ff": c["F"], "num_heads": c["H"], "num_layers": c["L"],
        "num_decoder_layers": c["LD"], "relative_attention_num_buckets": c["BUCKETS"],
        "relative_attention_max_distance": c["MAXD"], "layer_norm_epsilon": c["EPS"], "vocab_size": c["V"]}, 512)
    g = torch.Generator().manual_seed(c["SEED"])
    src = torch.randint(3, vocab, (1, PROMPT), generator=g)
    src[0, -1] = 1  # </s>
    mask = torch.ones_like(src)
    dec = torch.cat([torch.zeros(1, 1, dtype=torch.long), torch.randint(3, vocab, (1, PROMPT), generator=g)], dim=1)
    encoder, step = T5Encoder(w, c), T5DecoderWithPast(w, c)
    with torch.no_grad():
        enc = encoder(src, mask)
        cross = [t5_kv(w, c, f"decoder.block.{i}.layer.1.EncDecAttention.", enc) for i in range(c["LD"])]
        empty = torch.zeros(1, c["H"], 0, c["Dh"])
        past = [x for i in range(c["LD"]) for x in (empty, empty, *cross[i])]
        pre = step(dec[:, :PROMPT], mask, *past)
        past = [x for i in range(c["LD"]) for x in (pre[1 + 2 * i], pre[2 + 2 * i], *cross[i])]
        out = step(dec[:, PROMPT:], mask, *past)
    export(encoder, (src, mask), os.path.join(d, "encoder.onnx"), ["input_ids", "attention_mask"], ["last_hidden_state"],
           {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
            "last_hidden_state": {0: "batch", 1: "sequence"}})
    names = ["input_ids", "encoder_attention_mask"]
    for i in range(c["LD"]):
        names += [f"past_key_values.{i}.decoder.key", f"past_key_values.{i}.decoder.value",
                  f"past_key_values.{i}.encoder.key", f"past_key_values.{i}.encoder.value"]
    present = [f"present.{i}.decoder.{kv}" for i in range(c["LD"]) for kv in ("key", "value")]
    decoder_export(step, (dec[:, PROMPT:], mask, *past), os.path.join(d, "decoder_with_past.onnx"), names, present)
    ref = Reference()
    ref.ints("input_ids", src)
    ref.ints("decoder_input_ids", dec)
    ref.floats("last_hidden_state", enc)
    for n, t in zip(names[2:], past):
        ref.floats(n, t)
    ref.floats("logits", out[0])
    ref.meta["kind"] = "t5"
    ref.write(d)
    return d


def make_decoder_q8(dirs):
    """The q8 twins of the decoder graphs, as make_q8() does for the others, checked on onnxruntime-web."""
    import make_q8_onnx as q8
    pairs = []
    for d in dirs:
        for f in ("encoder.onnx", "decoder_with_past.onnx"):
            if os.path.exists(os.path.join(d, f)):
                pairs.append((os.path.join(d, f), q8.quantize_file(os.path.join(d, f), per_channel=False, gather=True)))
    return pairs


def main():
    """make_bench_models.py [outdir] [--only NAME,...]: every model by default (the encoders, Marian and the
    decoders but SmolLM2-360M); --only makes the ones named (smollm2-360m among them), q8 twins included."""
    here = os.path.dirname(os.path.abspath(__file__))
    args = sys.argv[1:]
    only = None
    if "--only" in args:
        i = args.index("--only")
        if i + 1 >= len(args):
            sys.exit("--only needs a list of model names")
        only = args[i + 1].split(",")
        del args[i: i + 2]
        known = [*ENCODERS, "marian-base", *DECODERS]
        bad = [n for n in only if n not in known]
        if bad:
            sys.exit(f"--only: unknown model(s) {bad} (known: {', '.join(known)})")
    outdir = os.path.abspath(args[0] if args else os.path.join(here, "..", "bench", ".models"))
    print(f"torch {torch.__version__}, out {outdir}")
    if only is None:
        for name, c in ENCODERS.items():
            make_encoder(outdir, name, c)
        make_marian(outdir)
        make_q8(outdir)
    else:
        for name in only:
            if name in ENCODERS:
                make_encoder(outdir, name, ENCODERS[name])
            elif name == "marian-base":
                make_marian(outdir)
    dirs = []
    for name in (only if only is not None else DEFAULT_DECODERS):
        if name in DECODERS:
            c = DECODERS[name]
            dirs.append(make_t5(outdir, name, c) if c["kind"] == "t5" else make_causal(outdir, name, c))
    pairs = make_decoder_q8(dirs)
    # tools/check_q8_onnx.mjs feeds encoders and encoder-decoder steps; the llama and GPT-2 graphs (position_ids,
    # no decoder_input_ids) are checked against torch by bench/decoder.mjs before it times them.
    pairs = [(a, b) for a, b in pairs if "flan-t5" in a]
    if pairs:
        import make_q8_onnx as q8
        if q8.check(pairs) != 0:
            sys.exit("tools/check_q8_onnx.mjs: a q8 graph failed its comparison with the f32 one")


if __name__ == "__main__":
    main()
