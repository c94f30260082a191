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


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "bench", ".models"))
    print(f"torch {torch.__version__}, out {outdir}")
    for name, c in ENCODERS.items():
        make_encoder(outdir, name, c)
    make_marian(outdir)
    make_q8(outdir)


if __name__ == "__main__":
    main()
