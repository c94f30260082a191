#!/usr/bin/python3
"""Model folders as users have them, without tokenizer.json (issue 14, part 5).

Run with Debian's python (torch 1.13, python3-sentencepiece, python3-regex), from the repository root,
after tools/make_sentencepiece_fixtures.py (its Marian and BERT tokenizer files are copied from there):

    /usr/bin/python3 tools/make_folder_fixtures.py [outdir]      # default: tests/fixtures

It writes two folders, each with fixture.json (inputs and PyTorch's outputs):

- marian-spm/: an opus-mt folder. config.json (vocab_size = len(vocab.json), pad = decoder start = the last
  id, eos 0, as opus-mt has them), generation_config.json (opus-mt's keys, renormalize_logits included),
  model.safetensors (random MarianMTModel weights, saved as save_pretrained saves them), source.spm,
  target.spm and vocab.json copied from tests/fixtures/sentencepiece/marian/, tokenizer_config.json.
  No tokenizer.json. References: the input ids of make_sentencepiece_fixtures' MarianTokenizer
  transcription; greedy and beam-search ids from make_transformer_fixtures' Marian in plain torch;
  the texts those ids decode to (MarianTokenizer.decode transcribed, with clean_up_tokenization).
- bert-vocab-txt/: a BertModel folder with only vocab.txt and tokenizer_config.json (do_lower_case) for
  its tokenizer, copied from tests/fixtures/sentencepiece/bert/. References: the ids of
  make_sentencepiece_fixtures' BertTokenizer transcription; every hidden state, the pooler output and
  the mean-pooled, L2-normalised embeddings from make_family_fixtures' BERT in plain torch.

The models reuse the other scripts' forward passes (Hugging Face's math, checked there and again here
against torch.nn's own layers: the script aborts on a difference above 1e-5). Output is deterministic: two
runs give byte-identical files. Nothing outside the two folders is written.

Dimension letters: B batch, S source length, T sequence length, U decoder length, D model width, H heads,
F feed-forward width, V vocabulary, L layers.
"""

import contextlib
import json
import os
import shutil
import sys

import sentencepiece as spm
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_family_fixtures as fam  # noqa: E402
import make_sentencepiece_fixtures as sp_fx  # noqa: E402
import make_transformer_fixtures as base  # noqa: E402
from make_transformer_fixtures import (  # noqa: E402
    mean_pool_normalize, pad_batch, read_safetensors, tensor_json, write_json, write_safetensors,
)

torch.set_num_threads(1)
ROOT = os.path.dirname(HERE)
SPM_DIR = os.path.join(ROOT, "tests", "fixtures", "sentencepiece")

# ----------------------------------------------------------------------------------------------
# Marian: an opus-mt folder
# ----------------------------------------------------------------------------------------------

MARIAN_DIR = os.path.join(SPM_DIR, "marian")
MARIAN_TEXTS = [
    "Emma was very happy.",                     # "▁emma" is left out of vocab.json: cut into smaller pieces
    "The whale saw the sea, and the sea was great!",
    "Harriet thinks of her father's house.",   # "'" is a piece vocab.json lacks: <unk>
    ">>fr<< I know nothing of it.",             # a language code, a token of its own
    "Café au lait, naïve résumé?",
]
# decode-only cases (ids of the target model's pieces): the clean-up of spaces before punctuation
# (tokenizer_config.json's clean_up_tokenization_spaces), a language code, <unk>, pad and </s> skipped
DECODE_TEXTS = ["Emma , she said . Is it so ?", "I 'm sure it 's great !", "the sea"]
MAX_LENGTH = 16  # generation's max_length, the start token included
NUM_BEAMS = 4    # generation_config.json's num_beams, as opus-mt's


@contextlib.contextmanager
def marian_sizes(c):
    """make_transformer_fixtures' Marian functions read their sizes (V, D, pad, ...) from its module-level
    MARIAN dict: run them with this folder's."""
    saved = base.MARIAN
    base.MARIAN = c
    try:
        yield
    finally:
        base.MARIAN = saved


def marian_config(c):
    """config.json as opus-mt's (Helsinki-NLP/opus-mt-en-de's keys), sizes shrunk."""
    return {
        "_name_or_path": "Helsinki-NLP/opus-mt-tiny", "architectures": ["MarianMTModel"], "model_type": "marian",
        "activation_dropout": 0.0, "activation_function": "swish", "add_bias_logits": False,
        "add_final_layer_norm": False, "attention_dropout": 0.0, "bad_words_ids": [[c["PAD"]]], "bos_token_id": 0,
        "classif_dropout": 0.0, "classifier_dropout": 0.0, "d_model": c["D"], "decoder_attention_heads": c["H"],
        "decoder_ffn_dim": c["F"], "decoder_layerdrop": 0.0, "decoder_layers": c["LD"],
        "decoder_start_token_id": c["PAD"], "decoder_vocab_size": c["V"], "dropout": 0.1,
        "encoder_attention_heads": c["H"], "encoder_ffn_dim": c["F"], "encoder_layerdrop": 0.0,
        "encoder_layers": c["LE"], "eos_token_id": c["EOS"], "forced_eos_token_id": c["EOS"], "init_std": 0.02,
        "is_encoder_decoder": True, "max_length": 512, "max_position_embeddings": c["P"], "normalize_before": False,
        "normalize_embedding": False, "num_beams": NUM_BEAMS, "num_hidden_layers": c["LE"], "pad_token_id": c["PAD"],
        "scale_embedding": True, "share_encoder_decoder_embeddings": True, "static_position_embeddings": True,
        "torch_dtype": "float32", "transformers_version": "4.34.0.dev0", "use_cache": True, "vocab_size": c["V"],
    }


def marian_generation_config(c):
    """generation_config.json as the Helsinki-NLP folders have it: renormalize_logits true (LogitNormalization,
    the last processor: the log-probs renormalised after pad is suppressed)."""
    return {"bad_words_ids": [[c["PAD"]]], "bos_token_id": 0, "decoder_start_token_id": c["PAD"], "eos_token_id": c["EOS"],
            "forced_eos_token_id": c["EOS"], "max_length": 512, "num_beams": NUM_BEAMS, "pad_token_id": c["PAD"],
            "renormalize_logits": True, "transformers_version": "4.34.0.dev0"}


def marian_tokenizer_config():
    """tokenizer_config.json as opus-mt's (clean_up_tokenization_spaces true: decode cleans up spaces)."""
    return {"source_lang": "en", "target_lang": "en", "model_max_length": 512, "separate_vocabs": False,
            "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>", "clean_up_tokenization_spaces": True,
            "tokenizer_class": "MarianTokenizer"}


def clean_up_tokenization(s):
    """PreTrainedTokenizerBase.clean_up_tokenization: what decode applies when clean_up_tokenization_spaces."""
    return (s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",").replace(" ' ", "'")
            .replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s").replace(" 've", "'ve").replace(" 're", "'re"))


def marian_text(tgt, vocab, ids):
    """MarianTokenizer.decode(ids, skip_special_tokens=True) with clean_up_tokenization_spaces true."""
    return clean_up_tokenization(sp_fx.marian_decode(tgt, vocab, ids))


def renormalized_beam(w, c, ids, mask, **options):
    """marian_beam with renormalize_logits: HF applies LogitNormalization (log_softmax) after the processors.
    The processors before it suppress pad (every step) and force one token (BOS at step 1, EOS at the last),
    so renormalising equals taking log_softmax of the logits with pad already at -inf: that is what the
    decoder step given to beam_search returns here."""
    N = options["num_beams"]
    enc = base.marian_encode(w, ids, mask)[-1].repeat_interleave(N, dim=0)
    m = mask.repeat_interleave(N, dim=0)

    def step(seq):
        logits = base.marian_decode(w, seq, enc, m)[1][:, -1, :].clone()
        logits[:, c["PAD"]] = -float("inf")
        return logits

    start = torch.full((ids.shape[0], 1), c["PAD"], dtype=torch.long)
    return base.beam_search(step, start, options.pop("max_length"), options.pop("num_beams"), c["V"], c["EOS"], c["PAD"],
                            suppressed=[c["PAD"]], forced_eos=c["EOS"], **options)


def make_marian(outdir):
    with open(os.path.join(MARIAN_DIR, "vocab.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    V = max(vocab.values()) + 1
    assert V == len(vocab) and vocab["<pad>"] == V - 1 and vocab["</s>"] == 0, "vocab.json as opus-mt's: </s> 0, <pad> last"
    # EMB_STD and EOS_BIAS (added to final_logits_bias[eos]) chosen, with the seed, so that greedy rows end
    # at different steps (some at max_length) with no choice near a tie: random weights mostly repeat one token
    c = dict(base.MARIAN, SEED=1514, V=V, PAD=vocab["<pad>"], EMB_STD=0.2, EOS_BIAS=1.0)
    d = os.path.join(outdir, "marian-spm")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(MARIAN_DIR, "source.spm"), "rb") as f:
        src = spm.SentencePieceProcessor(model_proto=f.read())
    with open(os.path.join(MARIAN_DIR, "target.spm"), "rb") as f:
        tgt = spm.SentencePieceProcessor(model_proto=f.read())

    encodings = [sp_fx.transcribe_marian(src, vocab, t) for t in MARIAN_TEXTS]
    seqs = [ids for ids, _ in encodings]
    assert any(vocab["<unk>"] in s for s in seqs) and any(vocab[">>fr<<"] in s for s in seqs)
    ids, mask, _ = pad_batch(seqs, c["PAD"])
    print("marian-spm:")
    with marian_sizes(c), torch.no_grad():
        w = base.marian_weights()
        enc_hidden = base.marian_encode(w, ids, mask)
        dec_ids = torch.full((ids.shape[0], 1), c["PAD"], dtype=torch.long)
        dec_hidden, _ = base.marian_decode(w, torch.cat([dec_ids, ids[:, :3]], dim=1), enc_hidden[-1], mask)
        base.check_marian(w, enc_hidden, mask, dec_hidden)
        base.check_batch_vs_single("marian-spm encoder output", lambda i, m, _: base.marian_encode(w, i, m)[-1], ids, mask)

        greedy, margins = base.marian_greedy(w, ids, mask, MAX_LENGTH)
        min_margin = min(min(m) for m in margins)
        print(f"  greedy: smallest top-1 minus top-2 score of a chosen token = {min_margin:.4f}")
        assert min_margin > 1e-3, "greedy choice too close to a tie to be a stable reference"
        one, _, _ = base.marian_beam(w, ids, mask, MAX_LENGTH, 1, early_stopping=True)
        assert one == greedy.tolist(), "beam search with one beam vs greedy"

        beam, beam_scores, gap = renormalized_beam(w, c, ids, mask, max_length=MAX_LENGTH, num_beams=NUM_BEAMS)
        plain, plain_scores, plain_gap = base.marian_beam(w, ids, mask, MAX_LENGTH, NUM_BEAMS)
    print(f"  beam (renormalize_logits): {beam}, smallest gap {gap:.2e}")
    assert min(gap, plain_gap) > 1e-4, "beam candidates too close to a tie to be a stable reference"
    # renormalising moves every hypothesis' score; how much says whether a test can tell the two apart
    score_shift = max(abs(a - b) for a, b in zip(beam_scores, plain_scores))
    print(f"  beam without renormalize_logits: same sequences {beam == plain}, scores differ by up to {score_shift:.2e}")

    greedy_rows = greedy.tolist()
    # every row, trimmed after its EOS (the rest is pad): what decode sees
    trimmed = [r[: r.index(c["EOS"]) + 1] if c["EOS"] in r else r for r in greedy_rows]
    assert any(len(r) < MAX_LENGTH for r in trimmed) and any(len(r) == MAX_LENGTH for r in trimmed), trimmed

    # the folder: save_pretrained's weights (model.shared.weight, final_logits_bias and the layers; positions,
    # lm_head and embed_tokens not saved), the tokenizer files as opus-mt ships them, no tokenizer.json
    write_safetensors(os.path.join(d, "model.safetensors"), w)
    back = read_safetensors(os.path.join(d, "model.safetensors"))
    assert all(torch.equal(back[k], w[k]) for k in w), "safetensors round trip"
    write_json(os.path.join(d, "config.json"), marian_config(c))
    write_json(os.path.join(d, "generation_config.json"), marian_generation_config(c))
    write_json(os.path.join(d, "tokenizer_config.json"), marian_tokenizer_config())
    for name in ("source.spm", "target.spm", "vocab.json"):
        shutil.copyfile(os.path.join(MARIAN_DIR, name), os.path.join(d, name))
    assert not os.path.exists(os.path.join(d, "tokenizer.json"))

    decode_cases = []
    for t in DECODE_TEXTS:
        ids_t = [vocab.get(p, vocab["<unk>"]) for p in tgt.encode(t, out_type=str)] + [vocab["</s>"]]
        decode_cases.append({"ids": ids_t, "text": marian_text(tgt, vocab, ids_t)})
    extra = [vocab[">>de<<"], vocab["▁the"], vocab["<unk>"], vocab["▁sea"], vocab["</s>"], vocab["<pad>"]]
    decode_cases.append({"ids": extra, "text": marian_text(tgt, vocab, extra)})
    assert any(case["text"] != sp_fx.marian_decode(tgt, vocab, case["ids"]) for case in decode_cases), "no clean-up exercised"

    fx = {
        "model": "marian-spm", "architecture": "MarianMTModel",
        "inputs": {"texts": MARIAN_TEXTS,
                   "encodings": [{"text": t, "input_ids": i, "pieces": p} for t, (i, p) in zip(MARIAN_TEXTS, encodings)],
                   "input_ids": ids.tolist(), "attention_mask": mask.tolist()},
        "outputs": {"encoder_last_hidden_state": tensor_json(enc_hidden[-1])},
        "greedy": {"params": {"max_length": MAX_LENGTH, "num_beams": 1}, "sequences": greedy_rows,
                   "min_top2_margin": min_margin, "texts": [marian_text(tgt, vocab, r) for r in greedy_rows]},
        "beam": {"params": {"max_length": MAX_LENGTH, "num_beams": NUM_BEAMS, "renormalize_logits": True},
                 "sequences": beam, "sequence_scores": beam_scores, "min_gap": gap,
                 "texts": [marian_text(tgt, vocab, r) for r in beam]},
        "decode_cases": decode_cases,
        "beam_without_renormalize": {"sequences": plain, "sequence_scores": plain_scores, "max_score_shift": score_shift},
    }
    print("  greedy texts:", fx["greedy"]["texts"])
    print("  beam texts:", fx["beam"]["texts"])
    print("  decode cases:", decode_cases)
    write_json(os.path.join(d, "fixture.json"), fx, compact=True)


# ----------------------------------------------------------------------------------------------
# BERT: a BertModel folder with only vocab.txt
# ----------------------------------------------------------------------------------------------

BERT_DIR = os.path.join(SPM_DIR, "bert")
BERT_TEXTS = [
    ("Hello World!", None),
    ("Who lived at Hartfield?", "Emma lived there with her father."),  # a pair: token types 1 on the second
    ("Café, naïve ÜBER señor", None),                                 # lower-cased, accents stripped
    ("The dogs were sleeping in the garden", None),
    ("東京 and Ωμέγα 😀", None),                                       # CJK characters split, unknown words [UNK]
]
# BertModel.save_pretrained: the base model's names with no prefix, the pooler included
BERT_FAMILY = dict(fam.FAMILIES["bert"], prefix="")
BERT_SEED = 1406


def make_bert(outdir):
    with open(os.path.join(BERT_DIR, "vocab.txt"), encoding="utf-8") as f:
        tokens = f.read().split("\n")[:-1]
    index = {t: i for i, t in enumerate(tokens)}
    with open(os.path.join(BERT_DIR, "tokenizer_config.json")) as f:
        tok_config = json.load(f)
    lower = tok_config["do_lower_case"]
    V = len(tokens)
    d = os.path.join(outdir, "bert-vocab-txt")
    os.makedirs(d, exist_ok=True)

    enc = [sp_fx.bert_encode(a, index, lower, None, b) for a, b in BERT_TEXTS]
    assert all(len(e["ids"]) <= fam.P for e in enc)
    assert any(index["[UNK]"] in e["ids"] for e in enc) and any(t.startswith("##") for e in enc for t in e["tokens"])
    ids, mask, tt = pad_batch([e["ids"] for e in enc], index["[PAD]"], [e["type_ids"] for e in enc])
    torch.manual_seed(BERT_SEED)
    w = {}
    fam.bert_like_weights(w, BERT_FAMILY, V, pooler=True)
    with torch.no_grad():
        out = fam.bert_like_forward(BERT_FAMILY, w, ids, mask, tt)
    print("bert-vocab-txt:")
    fam.check_embeddings("bert-vocab-txt", BERT_FAMILY, w, out, ids, mask, tt)
    fam.check_layers("bert-vocab-txt", BERT_FAMILY, w, out, mask)
    base.check_batch_vs_single("bert-vocab-txt last_hidden_state",
                               lambda i, m, t: fam.bert_like_forward(BERT_FAMILY, w, i, m, t)["last_hidden_state"], ids, mask, tt)
    # embed() takes single texts: the mean-pooled, normalised embedding of each text alone
    singles = [(k, a) for k, (a, b) in enumerate(BERT_TEXTS) if b is None]
    with torch.no_grad():
        embeddings = [mean_pool_normalize(out["last_hidden_state"][k : k + 1], mask[k : k + 1])[0] for k, _ in singles]

    write_safetensors(os.path.join(d, "model.safetensors"), w)
    back = read_safetensors(os.path.join(d, "model.safetensors"))
    assert all(torch.equal(back[k], w[k]) for k in w), "safetensors round trip"
    cfg = fam.model_config(BERT_FAMILY, "BertModel", V, None)
    write_json(os.path.join(d, "config.json"), cfg)
    for name in ("vocab.txt", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(BERT_DIR, name), os.path.join(d, name))
    assert not os.path.exists(os.path.join(d, "tokenizer.json"))

    fx = {
        "model": "bert-vocab-txt", "architecture": "BertModel",
        "inputs": {"texts": [{"text": a, "text_pair": b} for a, b in BERT_TEXTS],
                   "encodings": [{"text": a, "text_pair": b, "tokens": e["tokens"], "input_ids": e["ids"], "token_type_ids": e["type_ids"]}
                                 for (a, b), e in zip(BERT_TEXTS, enc)],
                   "input_ids": ids.tolist(), "attention_mask": mask.tolist(), "token_type_ids": tt.tolist()},
        "outputs": {
            # the embeddings' output, then each layer's: the last is last_hidden_state
            "hidden_states": [tensor_json(h) for h in out["hidden_states"]],
            "pooler_output": tensor_json(out["pooler_output"]),
            "embed": {"texts": [a for _, a in singles], "mean_pooled_normalized": [tensor_json(e) for e in embeddings]},
        },
    }
    write_json(os.path.join(d, "fixture.json"), fx, compact=True)


def main():
    outdir = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "fixtures"))
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, out {outdir}")
    make_marian(outdir)
    make_bert(outdir)
    print(f"{len(base.CHECKS)} checks, worst {max(e for _, e in base.CHECKS):.3e} (tolerance {base.CHECK_TOL})")


if __name__ == "__main__":
    main()
