"""Fixtures for loadTokenizer's SentencePiece, Marian and vocab.txt readers (issue 14, part 2).

Run with Debian's python (python3-sentencepiece), from the repository root:

    /usr/bin/python3 tools/make_sentencepiece_fixtures.py

It writes tests/fixtures/sentencepiece/:
- unigram.model (Unigram, nmt_nfkc, a user-defined piece <sep> and a control piece <cls>),
  bpe.model (BPE, nmt_nfkc, byte_fallback), identity.model (Unigram, identity normalizer, no
  dummy prefix, whitespace kept), suffix.model (identity.model with trainer_spec.treat_whitespace_as_suffix,
  which the reader refuses), all trained on the first lines of data/corpus-sample.txt.gz;
- expected.json.gz: held-out lines of the corpus (>= 2000, some with accents, digits, punctuation,
  odd whitespace and characters the models never saw) and synthetic lines, with each model's
  sp.encode ids, its id -> piece table and sp.decode where it is not the line itself;
- marian/: source.spm, target.spm, vocab.json (two pieces of each model left out), config.json,
  tokenizer_config.json, and expected.json.gz from a transcription of transformers' MarianTokenizer;
- bert/: vocab.txt and tokenizer_config.json, and expected.json.gz from a transcription of
  transformers' BertTokenizer (BasicTokenizer + WordpieceTokenizer) for three settings of
  do_lower_case / strip_accents.

The corpus is public domain. The lines are deterministic (seeded), but sentencepiece's training
is not byte for byte from one run to the next: the expected outputs are always computed from
the models written in the same run, so rerun the whole script, never a part.
"""

import gzip
import json
import os
import random
import re
import tempfile
import unicodedata

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as model_pb2

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "sentencepiece")
CORPUS = os.path.join(ROOT, "data", "corpus-sample.txt.gz")
TRAIN_LINES = 300  # corpus lines (each a long passage) used for training; the rest are held out

ACCENTED = ["café", "naïve", "über", "señor", "résumé", "façade", "Ångström", "Zoë", "crème brûlée", "jalapeño", "Dvořák", "Łódź"]
COMBINING = ["cafe\u0301", "nai\u0308ve", "n\u0303", "A\u030a", "e\u0301te\u0301"]
FULLWIDTH = ["ＡＢＣ", "ｆｕｌｌ ｗｉｄｔｈ", "１２３", "ｱｲｳ", "！？"]
UNKNOWN = ["東京", "北京市", "😀", "🎉🎉", "ßtraße", "Ωμέγα", "Привет", "مرحبا", "€", "™", "½", "…", "©", "→", "♥", "〜", "～", "ﬁ", "①", "㎏"]
DIGITS = ["1832", "42", "3.14", "2,000", "0", "1st", "7:30", "100%", "#12", "$5"]
PUNCT = [".", ",", "?", "!", ";", ":", "—", "'", '"', "(", ")", "-"]


def chunks(lines, rng, count, min_words, max_words):
    out = []
    words = [l.split() for l in lines]
    while len(out) < count:
        w = rng.choice(words)
        n = rng.randint(min_words, max_words)
        s = rng.randrange(0, max(1, len(w) - n))
        out.append(w[s:s + n])
    return out


def dress(words, rng, rate):
    """A chunk of the (lower-case, unpunctuated) corpus made to look like text: capitals,
    punctuation, and at `rate` the accents, digits, odd whitespace and unknown characters the
    normalizer and the models must handle."""
    words = list(words)
    if rng.random() < 0.7:
        words[0] = words[0].capitalize()
    for i in range(1, len(words)):
        if rng.random() < 0.05:
            words[i] = words[i].capitalize()
        if rng.random() < 0.06:
            words[i - 1] += rng.choice([",", ";", ":"])
    if rng.random() < rate:
        for _ in range(rng.randint(1, 3)):
            kind = rng.random()
            pool = ACCENTED if kind < 0.3 else COMBINING if kind < 0.4 else FULLWIDTH if kind < 0.5 else UNKNOWN if kind < 0.75 else DIGITS
            words.insert(rng.randrange(len(words) + 1), rng.choice(pool))
    text = " ".join(words)
    if rng.random() < 0.6:
        text += rng.choice([".", ".", "?", "!", "...", "."])
    if rng.random() < rate / 3:
        # whitespace sentencepiece collapses or maps to a space
        spot = rng.randrange(len(text) + 1)
        text = text[:spot] + rng.choice(["  ", "\t", "   ", " \u3000", "\u00a0"]) + text[spot:]
    if rng.random() < rate / 6:
        text = rng.choice([" ", "  ", "\t"]) + text
    if rng.random() < rate / 6:
        text = text + rng.choice([" ", "  ", "\n"])
    return text


SYNTHETIC = [
    "", " ", "  ", "a", "A", "I", ".", "...", "12345", "3.14159", "1,000,000 dollars", "On 4 July 1832, at 7:30.",
    "Café au lait, naïve résumé; über señor.", "cafe\u0301 nai\u0308ve", "ｆｕｌｌ ｗｉｄｔｈ ＴＥＸＴ １２３", "ｶﾀｶﾅ ﾊﾟﾝ",
    "東京 is in Japan", "😀 emoji 🎉", "Ωμέγα and Привет and مرحبا", "€100 ™ © ½ … → ♥", "ﬁne ﬂour", "① ② ③ ㎏ ㍻",
    "tab\tseparated\twords", "new\nline", "  leading and trailing  ", "many     spaces   here", "\u3000ideographic\u3000space",
    "zero\u200bwidth", "soft\u00adhyphen", "control\u0007char", "nbsp\u00a0here", "ＡＢＣ！？", "〜 and ～", "Ǆ ǅ ǆ",
    "She said: \"Emma?\" — 'yes' (maybe).", "x" * 60, "the the the the the", "Mr. Knightley's house, no. 42.",
    "a <sep> b", "<sep>", "x<sep>y", "word<sep> word",
    # where @huggingface/tokenizers' approximation of the character map (NFKC and a few
    # replacements) is wrong: the zero-width joiner of emoji sequences, letters newer than the map
    "👨\u200d👩\u200d👧 family", "zero\u200djoiner", "Latin \ua7f2\ua7f3 and \U00010783 modifiers",
]


def transcribe_marian(src, vocab, text):
    """MarianTokenizer(..)(text).input_ids: the language code (">>xx<<" at the start) as a token,
    then the source model's pieces, each through vocab.json (unk when missing), then </s>."""
    m = re.match(">>.+<<", text)
    code = [m.group(0)] if m else []
    text = re.sub(">>.+<<", "", text, count=1) if m else text
    pieces = code + src.encode(text, out_type=str)
    unk = vocab["<unk>"]
    return [vocab.get(p, unk) for p in pieces] + [vocab["</s>"]], pieces


def marian_decode(tgt, vocab, ids):
    """MarianTokenizer.decode(ids, skip_special_tokens=True): ids -> pieces through vocab.json,
    the special tokens dropped, the rest through the target model's decode_pieces."""
    inverse = {i: p for p, i in vocab.items()}
    special = {"</s>", "<unk>", "<pad>"}
    tokens = [inverse[i] for i in ids if inverse[i] not in special]
    return tgt.decode_pieces(tokens).replace("\u2581", " ").strip()


# --- BertTokenizer, transcribed from transformers' tokenization_bert.py -----------------------

def _is_whitespace(c):
    return c in " \t\n\r" or unicodedata.category(c) == "Zs"


def _is_control(c):
    if c in "\t\n\r":
        return False
    return unicodedata.category(c) in ("Cc", "Cf")


def _is_punctuation(c):
    cp = ord(c)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(c).startswith("P")


def _is_chinese_char(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def bert_basic(text, do_lower_case, strip_accents):
    out = []
    for c in text:
        cp = ord(c)
        if cp == 0 or cp == 0xFFFD or _is_control(c):
            continue
        out.append(" " if _is_whitespace(c) else c)
    text = "".join(out)
    text = "".join(f" {c} " if _is_chinese_char(ord(c)) else c for c in text)
    # No NFC here: the slow BasicTokenizer of recent transformers NFC-normalizes at this point,
    # but the fast tokenizer that AutoTokenizer builds from vocab.txt (BertConverter's
    # BertNormalizer) does not, and that is the tokenizer.json loadTokenizer writes. The two
    # differ only on text with decomposed accents when accents are kept.
    tokens = []
    for token in text.strip().split():
        if do_lower_case:
            token = token.lower()
            if strip_accents is not False:
                token = "".join(c for c in unicodedata.normalize("NFD", token) if unicodedata.category(c) != "Mn")
        elif strip_accents:
            token = "".join(c for c in unicodedata.normalize("NFD", token) if unicodedata.category(c) != "Mn")
        word = []
        for c in token:
            if _is_punctuation(c):
                if word:
                    tokens.append("".join(word))
                    word = []
                tokens.append(c)
            else:
                word.append(c)
        if word:
            tokens.append("".join(word))
    return " ".join(tokens).strip().split()


def bert_wordpiece(token, vocab, unk="[UNK]", max_chars=100):
    chars = list(token)
    if len(chars) > max_chars:
        return [unk]
    out, start = [], 0
    while start < len(chars):
        end, cur = len(chars), None
        while start < end:
            sub = "".join(chars[start:end])
            if start > 0:
                sub = "##" + sub
            if sub in vocab:
                cur = sub
                break
            end -= 1
        if cur is None:
            return [unk]
        out.append(cur)
        start = end
    return out


def bert_encode(text, vocab, do_lower_case, strip_accents, pair=None):
    """BertTokenizer(text, pair): [CLS] A [SEP] (B [SEP]), token type ids 0 then 1."""
    def pieces(t):
        return [p for w in bert_basic(t, do_lower_case, strip_accents) for p in bert_wordpiece(w, vocab)]
    a = pieces(text)
    tokens = ["[CLS]"] + a + ["[SEP]"]
    types = [0] * len(tokens)
    if pair is not None:
        b = pieces(pair)
        tokens += b + ["[SEP]"]
        types += [1] * (len(b) + 1)
    return {"tokens": tokens, "ids": [vocab[t] for t in tokens], "type_ids": types, "plain": [vocab[t] for t in a]}


def write_gzip_json(path, value):
    """The expected outputs, gzipped (mtime 0, so that two runs give the same bytes)."""
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
        f.write(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def train(path, prefix, **kwargs):
    spm.SentencePieceTrainer.train(input=path, model_prefix=prefix, minloglevel=2, num_threads=1,
                                   input_sentence_size=0, shuffle_input_sentence=False, **kwargs)
    with open(prefix + ".model", "rb") as f:
        return f.read()


def main():
    rng = random.Random(14)
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        lines = [l.strip() for l in f if l.strip()]
    train_text = [dress(w, rng, 0.08) for w in chunks(lines[:TRAIN_LINES], rng, 20000, 4, 20)]
    held = [dress(w, rng, 0.35) for w in chunks(lines[TRAIN_LINES:], rng, 2100, 5, 12)]
    test_lines = held + SYNTHETIC
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(os.path.join(OUT, "marian"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "bert"), exist_ok=True)

    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "train.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            f.write("\n".join(train_text) + "\n")
        models = {
            "unigram": train(corpus, os.path.join(tmp, "unigram"), vocab_size=1000, model_type="unigram",
                             user_defined_symbols=["<sep>"], control_symbols=["<cls>"]),
            "bpe": train(corpus, os.path.join(tmp, "bpe"), vocab_size=1200, model_type="bpe", byte_fallback=True),
            "identity": train(corpus, os.path.join(tmp, "identity"), vocab_size=600, model_type="unigram",
                              normalization_rule_name="identity", add_dummy_prefix=False, remove_extra_whitespaces=False),
        }
        # Marian: source and target models of their own, as opus-mt ships them
        source = train(corpus, os.path.join(tmp, "source"), vocab_size=500, model_type="unigram")
        target = train(corpus, os.path.join(tmp, "target"), vocab_size=400, model_type="unigram",
                       normalization_rule_name="identity")

    expected = {"lines": test_lines, "models": {}}
    for name, data in models.items():
        with open(os.path.join(OUT, f"{name}.model"), "wb") as f:
            f.write(data)
        sp = spm.SentencePieceProcessor(model_proto=data)
        ids = [sp.encode(t) for t in test_lines]
        decoded = [sp.decode(i) for i in ids]
        expected["models"][name] = {
            "file": f"{name}.model",
            "pieces": [sp.id_to_piece(i) for i in range(sp.get_piece_size())],
            "ids": ids,
            # only where decoding does not give the line back as it was written
            "decoded": [d if d != t else None for d, t in zip(decoded, test_lines)],
        }
    proto = model_pb2.ModelProto()
    proto.ParseFromString(models["identity"])
    proto.trainer_spec.treat_whitespace_as_suffix = True
    with open(os.path.join(OUT, "suffix.model"), "wb") as f:
        f.write(proto.SerializeToString())
    write_gzip_json(os.path.join(OUT, "expected.json.gz"), expected)

    # --- Marian -------------------------------------------------------------------------------
    src = spm.SentencePieceProcessor(model_proto=source)
    tgt = spm.SentencePieceProcessor(model_proto=target)
    vocab = {"</s>": 0, "<unk>": 1}
    # leave out two frequent pieces of each model: those become <unk> in MarianTokenizer
    missing = ["\u2581emma", "ing", "\u2581harriet", "ed"]
    for sp in (src, tgt):
        for i in range(sp.get_piece_size()):
            p = sp.id_to_piece(i)
            if p not in vocab and p not in missing and not sp.is_control(i) and not sp.is_unknown(i):
                vocab[p] = len(vocab)
    for code in [">>fr<<", ">>de<<"]:
        vocab[code] = len(vocab)
    vocab["<pad>"] = len(vocab)
    mdir = os.path.join(OUT, "marian")
    for name, data in [("source.spm", source), ("target.spm", target)]:
        with open(os.path.join(mdir, name), "wb") as f:
            f.write(data)
    with open(os.path.join(mdir, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False, indent=1)
    with open(os.path.join(mdir, "tokenizer_config.json"), "w") as f:
        json.dump({"source_lang": "en", "target_lang": "en", "model_max_length": 512, "separate_vocabs": False,
                   "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>", "tokenizer_class": "MarianTokenizer"}, f, indent=1)
    with open(os.path.join(mdir, "config.json"), "w") as f:
        json.dump({"model_type": "marian", "architectures": ["MarianMTModel"], "vocab_size": len(vocab),
                   "pad_token_id": vocab["<pad>"], "eos_token_id": 0, "decoder_start_token_id": vocab["<pad>"]}, f, indent=1)
    marian_lines = held[:300] + SYNTHETIC + [">>fr<< Emma was happy.", ">>de<< harriet and emma"]
    marian_expected = {"encode": [], "decode": []}
    for t in marian_lines:
        ids, pieces = transcribe_marian(src, vocab, t)
        marian_expected["encode"].append({"text": t, "ids": ids, "pieces": pieces})
    for t in held[300:500] + SYNTHETIC:
        ids = [vocab.get(p, vocab["<unk>"]) for p in tgt.encode(t, out_type=str)] + [vocab["</s>"]]
        marian_expected["decode"].append({"ids": ids, "text": marian_decode(tgt, vocab, ids)})
    write_gzip_json(os.path.join(mdir, "expected.json.gz"), marian_expected)

    # --- vocab.txt (BERT) ---------------------------------------------------------------------
    counts = {}
    for t in train_text:
        for w in bert_basic(t, False, None):
            counts[w] = counts.get(w, 0) + 1
    words = sorted(counts, key=lambda w: (-counts[w], w))
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = sorted({c for w in words for c in w} | set("abcdefghijklmnopqrstuvwxyz0123456789.,;:!?'\"()-") | set("éèüñçåöøłß"))
    pieces = ["##" + c for c in chars] + ["##ing", "##ed", "##s", "##ly", "##er", "##tion", "##ness"]
    bert_vocab = special + chars + pieces + [w for w in words if w not in chars][:1200] + ["café", "naïve", "über", "Café", "東", "京"]
    bert_vocab = list(dict.fromkeys(bert_vocab))
    bdir = os.path.join(OUT, "bert")
    with open(os.path.join(bdir, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(bert_vocab) + "\n")
    with open(os.path.join(bdir, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True, "tokenizer_class": "BertTokenizer", "model_max_length": 512}, f, indent=1)
    index = {t: i for i, t in enumerate(bert_vocab)}
    settings = {"uncased": (True, None), "cased": (False, None), "lower_keep_accents": (True, False), "cased_strip_accents": (False, True)}
    bert_lines = held[:600] + [s for s in SYNTHETIC if "<sep>" not in s]
    bert_expected = {"lines": bert_lines, "settings": {}}
    for name, (lower, strip) in settings.items():
        enc = [bert_encode(t, index, lower, strip) for t in bert_lines]
        pairs = [bert_encode(bert_lines[i], index, lower, strip, bert_lines[i + 1]) for i in range(0, 40)]
        bert_expected["settings"][name] = {
            "do_lower_case": lower, "strip_accents": strip,
            "ids": [e["plain"] for e in enc],
            "with_special": [e["ids"] for e in enc[:50]],
            "pairs": [{"ids": p["ids"], "type_ids": p["type_ids"]} for p in pairs],
        }
    write_gzip_json(os.path.join(bdir, "expected.json.gz"), bert_expected)


if __name__ == "__main__":
    main()
