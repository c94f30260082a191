"""The post-processing of Hugging Face's task pipelines (transformers/pipelines/*.py: token
classification, question answering, fill-mask, zero-shot and text classification), copied as
closely as numpy allows, run on synthetic but realistic inputs: logits from a seeded RNG (float32,
as a torch model gives them) and encodings made by a small WordPiece / SentencePiece-style
tokenizer below that gives ids, tokens, offsets, word and sequence ids as the `tokenizers` library
would. Writes tests/fixtures/pipelines/*.json for tests/pipeline/*.test.ts.

    /usr/bin/python3 tools/pipeline_reference.py

Needs numpy only. transformers is not installable here, so the pipeline code is transcribed from
its recent sources (those with align_to_words, split("-", 1) and aggregate_overlapping_entities);
the sections below name the functions transcribed.
"""
import json, os, re, sys
from types import SimpleNamespace
import numpy as np

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'pipelines')
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20240611)


def f32(shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def floats(a):
    """float32 values as JSON numbers (exact: a float32 converts to float64 without loss)."""
    return [float(x) for x in np.asarray(a, dtype=np.float32).ravel()]


# ---------------------------------------------------------------------------------------------
# A small tokenizer, for the encodings. WordPiece (BERT): pre-tokenize on whitespace and
# punctuation (each piece is a word), greedy longest match with "##" continuations, a word that
# cannot be matched becomes [UNK] over the whole word. Offsets are str indices (the texts are BMP,
# so they equal UTF-16 units).

SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
WORDS = ('Hu ##gging Face Inc . is based in New York City , and loves Brook ##lyn ! Where does live ? '
         'a company Its head ##quarters are near the Manhattan Bridge The was founded 2016 by French entre ##pre ##neurs '
         'builds tools for machine learning used many research ##ers What year ##s it at when '
         'Paris Berlin London Tokyo Rome city capital of France paris').split()
VOCAB = SPECIALS + WORDS
assert len(set(VOCAB)) == len(VOCAB)
TOKEN_ID = {t: i for i, t in enumerate(VOCAB)}
PAD, UNK, CLS, SEP, MASK = range(5)


def bert_words(text):
    """BertPreTokenizer: whitespace splits, every punctuation character is a word of its own."""
    return [(m.group(), m.start(), m.end()) for m in re.finditer(r'\w+|[^\w\s]', text)]


def wordpiece(text):
    """[(id, token, (start, end), word)] for a text, without special tokens."""
    out = []
    for w, (word, a, b) in enumerate(bert_words(text)):
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                sub = ('##' if start > 0 else '') + word[start:end]
                if sub in TOKEN_ID:
                    break
                end -= 1
            if end == start:
                pieces = None
                break
            pieces.append((TOKEN_ID[sub], sub, (a + start, a + end), w))
            start = end
        out.extend(pieces if pieces is not None else [(UNK, '[UNK]', (a, b), w)])
    return out


def encoding(first, second=None):
    """BERT's template: [CLS] A [SEP] (B [SEP]); as src/tokenizer/encoding.ts's Encoding."""
    e = {k: [] for k in ['ids', 'tokens', 'typeIds', 'offsets', 'sequenceIds', 'wordIds', 'specialTokensMask']}

    def add(i, tok, off, seq, word, type_id, special):
        e['ids'].append(i); e['tokens'].append(tok); e['typeIds'].append(type_id); e['offsets'].append(list(off))
        e['sequenceIds'].append(seq); e['wordIds'].append(word); e['specialTokensMask'].append(special)

    add(CLS, '[CLS]', (0, 0), None, None, 0, 1)
    for i, tok, off, w in first:
        add(i, tok, off, 0, w, 0, 0)
    add(SEP, '[SEP]', (0, 0), None, None, 0, 1)
    if second is not None:
        for i, tok, off, w in second:
            add(i, tok, off, 1, w, 1, 0)
        add(SEP, '[SEP]', (0, 0), None, None, 1, 1)
    return e


def wordpiece_decoder(tokens):
    """tokenizers' WordPiece decoder (prefix "##", cleanup on): convert_tokens_to_string of BERT."""
    out = []
    for i, t in enumerate(tokens):
        if i != 0:
            t = t[2:] if t.startswith('##') else ' ' + t
        out.append(cleanup(t))
    return ''.join(out)


def cleanup(s):
    """clean_up_tokenization (tokenizers' decoders::wordpiece::cleanup and transformers')."""
    for a, b in [(' .', '.'), (' ?', '?'), (' !', '!'), (' ,', ','), (" ' ", "'"), (" n't", "n't"),
                 (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")]:
        s = s.replace(a, b)
    return s


def bert_decode(ids, skip_special_tokens=False):
    """PreTrainedTokenizerFast.decode for BERT: ids → tokens (specials skipped if asked) → decoder → clean-up."""
    tokens = [VOCAB[i] for i in ids if not (skip_special_tokens and VOCAB[i] in SPECIALS)]
    return cleanup(wordpiece_decoder(tokens))


# SentencePiece-style pieces (a Metaspace pre-tokenizer, no continuing_subword_prefix): each
# whitespace-separated word gets "▁" in front, punctuation stays in the word. `space_in_offsets`
# chooses whether a "▁" token's offsets cover the space before it (both occur across tokenizers;
# HF's heuristic looks at both characters for that reason).
SP_PIECES = ['<s>', '<pad>', '</s>', '<unk>', '▁Jean', '-', 'Bapt', 'iste', '▁lives', '▁in', '▁Mont', 'réal', ',', '▁near',
             'Tal', 'on', '▁market', '.', '▁the', '▁old', '▁Port']
SP_ID = {t: i for i, t in enumerate(SP_PIECES)}


def sentencepiece(text, space_in_offsets):
    e = {k: [] for k in ['ids', 'tokens', 'typeIds', 'offsets', 'sequenceIds', 'wordIds', 'specialTokensMask']}

    def add(i, tok, off, word, special):
        e['ids'].append(i); e['tokens'].append(tok); e['typeIds'].append(0); e['offsets'].append(list(off))
        e['sequenceIds'].append(None if special else 0); e['wordIds'].append(word); e['specialTokensMask'].append(special)

    add(SP_ID['<s>'], '<s>', (0, 0), None, 1)
    for w, m in enumerate(re.finditer(r'\S+', text)):
        word, a = '▁' + m.group(), m.start()
        start = 0
        while start < len(word):
            end = len(word)
            while end > start and word[start:end] not in SP_ID:
                end -= 1
            assert end > start, word
            piece = word[start:end]
            # offsets in the text: the "▁" stands for the space before the word (none before the first)
            lo = a + max(start - 1, 0)
            hi = a + end - 1
            if start == 0 and space_in_offsets and a > 0:
                lo = a - 1
            add(SP_ID[piece], piece, (lo, hi), w, 0)
            start = end
    add(SP_ID['</s>'], '</s>', (0, 0), None, 1)
    return e


def metaspace_decoder(tokens):
    """tokenizers' Metaspace decoder (replacement "▁", prepend_scheme "always")."""
    out = []
    for i, t in enumerate(tokens):
        t = t.replace('▁', ' ')
        if i == 0 and t.startswith(' '):
            t = t[1:]
        out.append(t)
    return ''.join(out)


# ---------------------------------------------------------------------------------------------
# token_classification.py (TokenClassificationPipeline): gather_pre_entities,
# aggregate, aggregate_word, aggregate_words, group_sub_entities, get_tag, group_entities and the
# scoring part of postprocess, with self.tokenizer / self.model.config given by the case.

class TokenClassification:
    def __init__(self, id2label, vocab, unk_token_id, decoder, continuing_subword_prefix):
        self.model = SimpleNamespace(config=SimpleNamespace(id2label=dict(enumerate(id2label))))
        self.tokenizer = SimpleNamespace(
            convert_ids_to_tokens=lambda i: vocab[i], unk_token_id=unk_token_id,
            convert_tokens_to_string=decoder,
            _tokenizer=SimpleNamespace(model=SimpleNamespace(continuing_subword_prefix=continuing_subword_prefix)))

    def postprocess(self, logits, sentence, input_ids, offset_mapping, special_tokens_mask, aggregation_strategy, ignore_labels=None):
        if ignore_labels is None:
            ignore_labels = ["O"]
        maxes = np.max(logits, axis=-1, keepdims=True)
        shifted_exp = np.exp(logits - maxes)
        scores = shifted_exp / shifted_exp.sum(axis=-1, keepdims=True)
        pre_entities = self.gather_pre_entities(sentence, input_ids, scores, offset_mapping, special_tokens_mask, aggregation_strategy)
        grouped_entities = self.aggregate(pre_entities, aggregation_strategy)
        return [
            entity for entity in grouped_entities
            if entity.get("entity", None) not in ignore_labels and entity.get("entity_group", None) not in ignore_labels
        ]

    def gather_pre_entities(self, sentence, input_ids, scores, offset_mapping, special_tokens_mask, aggregation_strategy):
        pre_entities = []
        for idx, token_scores in enumerate(scores):
            if special_tokens_mask[idx]:
                continue
            word = self.tokenizer.convert_ids_to_tokens(int(input_ids[idx]))
            if offset_mapping is not None:
                start_ind, end_ind = offset_mapping[idx]
                word_ref = sentence[start_ind:end_ind]
                if getattr(self.tokenizer, "_tokenizer", None) and getattr(self.tokenizer._tokenizer.model, "continuing_subword_prefix", None):
                    is_subword = len(word) != len(word_ref)
                else:
                    is_subword = start_ind > 0 and " " not in sentence[start_ind - 1: start_ind + 1]
                if int(input_ids[idx]) == self.tokenizer.unk_token_id:
                    word = word_ref
                    is_subword = False
            else:
                start_ind = None
                end_ind = None
                is_subword = False
            pre_entities.append({"word": word, "scores": token_scores, "start": start_ind, "end": end_ind, "index": idx, "is_subword": is_subword})
        return pre_entities

    def aggregate(self, pre_entities, aggregation_strategy):
        if aggregation_strategy in {"none", "simple"}:
            entities = []
            for pre_entity in pre_entities:
                entity_idx = pre_entity["scores"].argmax()
                score = pre_entity["scores"][entity_idx]
                entities.append({
                    "entity": self.model.config.id2label[entity_idx], "score": score, "index": pre_entity["index"],
                    "word": pre_entity["word"], "start": pre_entity["start"], "end": pre_entity["end"],
                })
        else:
            entities = self.aggregate_words(pre_entities, aggregation_strategy)
        if aggregation_strategy == "none":
            return entities
        return self.group_entities(entities)

    def aggregate_word(self, entities, aggregation_strategy):
        word = self.tokenizer.convert_tokens_to_string([entity["word"] for entity in entities])
        if aggregation_strategy == "first":
            scores = entities[0]["scores"]
            idx = scores.argmax()
            score = scores[idx]
            entity = self.model.config.id2label[idx]
        elif aggregation_strategy == "max":
            max_entity = max(entities, key=lambda entity: entity["scores"].max())
            scores = max_entity["scores"]
            idx = scores.argmax()
            score = scores[idx]
            entity = self.model.config.id2label[idx]
        elif aggregation_strategy == "average":
            scores = np.stack([entity["scores"] for entity in entities])
            average_scores = np.nanmean(scores, axis=0)
            entity_idx = average_scores.argmax()
            entity = self.model.config.id2label[entity_idx]
            score = average_scores[entity_idx]
        else:
            raise ValueError("Invalid aggregation_strategy")
        return {"entity": entity, "score": score, "word": word, "start": entities[0]["start"], "end": entities[-1]["end"]}

    def aggregate_words(self, entities, aggregation_strategy):
        word_entities = []
        word_group = None
        for entity in entities:
            if word_group is None:
                word_group = [entity]
            elif entity["is_subword"]:
                word_group.append(entity)
            else:
                word_entities.append(self.aggregate_word(word_group, aggregation_strategy))
                word_group = [entity]
        if word_group is not None:
            word_entities.append(self.aggregate_word(word_group, aggregation_strategy))
        return word_entities

    def group_sub_entities(self, entities):
        entity = entities[0]["entity"].split("-", 1)[-1]
        scores = np.nanmean([entity["score"] for entity in entities])
        tokens = [entity["word"] for entity in entities]
        return {"entity_group": entity, "score": np.mean(scores), "word": self.tokenizer.convert_tokens_to_string(tokens),
                "start": entities[0]["start"], "end": entities[-1]["end"]}

    def get_tag(self, entity_name):
        if entity_name.startswith("B-"):
            bi, tag = "B", entity_name[2:]
        elif entity_name.startswith("I-"):
            bi, tag = "I", entity_name[2:]
        else:
            bi, tag = "I", entity_name
        return bi, tag

    def group_entities(self, entities):
        entity_groups = []
        entity_group_disagg = []
        for entity in entities:
            if not entity_group_disagg:
                entity_group_disagg.append(entity)
                continue
            bi, tag = self.get_tag(entity["entity"])
            last_bi, last_tag = self.get_tag(entity_group_disagg[-1]["entity"])
            if tag == last_tag and bi != "B":
                entity_group_disagg.append(entity)
            else:
                entity_groups.append(self.group_sub_entities(entity_group_disagg))
                entity_group_disagg = [entity]
        if entity_group_disagg:
            entity_groups.append(self.group_sub_entities(entity_group_disagg))
        return entity_groups


def plain(entities):
    return [{k: (float(v) if k == 'score' else v) for k, v in e.items()} for e in entities]


CONLL = ['O', 'B-MISC', 'I-MISC', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC']
POS = ['NOUN', 'VERB', 'ADP', 'PROPN', 'PUNCT', 'DET', 'CCONJ', 'AUX']


def ner_logits(enc, id2label, targets, boost=3.0):
    """Noise plus `boost` on each token's intended label (targets: token index → (label, boost))."""
    logits = f32((len(enc['ids']), len(id2label)))
    for i, (label, b) in targets.items():
        logits[i, id2label.index(label)] += np.float32(b)
    return logits


def token_cases():
    cases = []
    # Word-aware WordPiece: "Hugging" and "Brooklyn" split, "Hugging Face" twice, punctuation, an [UNK] (☃).
    text = 'Hugging Face Inc. is based in New York City, and Hugging Face loves Brooklyn ☃!'
    enc = encoding(wordpiece(text))
    toks = enc['tokens']
    assert toks[1:4] == ['Hu', '##gging', 'Face'] and '[UNK]' in toks and '##lyn' in toks, toks
    plan = {'Hu': ('B-ORG', 3), '##gging': ('I-PER', 1.0), 'Face': ('I-ORG', 3), 'Inc': ('I-ORG', 2.5), 'New': ('B-LOC', 3),
            'York': ('I-LOC', 3), 'City': ('I-LOC', 2), 'Brook': ('B-LOC', 2), '##lyn': ('B-PER', 2.5), '[UNK]': ('B-MISC', 3)}
    targets = {i: plan.get(t, ('O', 3)) for i, t in enumerate(toks) if not enc['specialTokensMask'][i]}
    # the second "Hugging Face": a B- inside the name, so 'simple' splits it
    second = [i for i, t in enumerate(toks) if t == 'Hu'][1]
    targets[second] = ('B-ORG', 3); targets[second + 1] = ('I-ORG', 0.5); targets[second + 2] = ('B-ORG', 3)
    cases.append(dict(name='wordpiece', text=text, encoding=enc, id2label=CONLL, logits=ner_logits(enc, CONLL, targets),
                      wordAware=True, unkTokenId=UNK, decoder='wordpiece'))
    # The same tokens tagged with POS labels (no B-/I- prefixes): every run of one tag is a group.
    pos_plan = {'Hu': 'PROPN', '##gging': 'NOUN', 'Face': 'PROPN', 'Inc': 'PROPN', '.': 'PUNCT', 'is': 'AUX', 'based': 'VERB', 'in': 'ADP',
                ',': 'PUNCT', 'and': 'CCONJ', 'loves': 'VERB', '!': 'PUNCT'}
    targets = {i: (pos_plan.get(t, 'PROPN'), 2.5) for i, t in enumerate(toks) if not enc['specialTokensMask'][i]}
    cases.append(dict(name='wordpiece-pos', text=text, encoding=enc, id2label=POS, logits=ner_logits(enc, POS, targets),
                      wordAware=True, unkTokenId=UNK, decoder='wordpiece'))
    # SentencePiece-style pieces, no subword prefix: HF's space heuristic, with offsets that leave
    # out, then include, the space before a "▁" piece.
    sp_text = 'Jean-Baptiste lives in Montréal, near the old Port.'
    for space in (False, True):
        enc = sentencepiece(sp_text, space)
        plan = {'▁Jean': ('B-PER', 3), '-': ('I-PER', 1), 'Bapt': ('I-PER', 2), 'iste': ('B-LOC', 1.5), '▁Mont': ('B-LOC', 3),
                'réal': ('I-LOC', 2), '▁old': ('B-LOC', 1), '▁Port': ('I-LOC', 2.5)}
        targets = {i: plan.get(t, ('O', 3)) for i, t in enumerate(enc['tokens']) if not enc['specialTokensMask'][i]}
        cases.append(dict(name='sentencepiece' + ('-space-in-offsets' if space else ''), text=sp_text, encoding=enc, id2label=CONLL,
                          logits=ner_logits(enc, CONLL, targets), wordAware=False, unkTokenId=SP_ID['<unk>'], decoder='metaspace'))

    out = []
    for c in cases:
        decoder = wordpiece_decoder if c['decoder'] == 'wordpiece' else metaspace_decoder
        vocab = VOCAB if c['decoder'] == 'wordpiece' else SP_PIECES
        pipe = TokenClassification(c['id2label'], vocab, c['unkTokenId'], decoder, '##' if c['wordAware'] else None)
        enc = c['encoding']
        results = []
        for strategy in ['none', 'simple', 'first', 'average', 'max']:
            for ignore in (None, []):
                if ignore == [] and strategy not in ('none', 'simple', 'average'):
                    continue
                got = pipe.postprocess(c['logits'], c['text'], np.array(enc['ids']), [tuple(o) for o in enc['offsets']],
                                       np.array(enc['specialTokensMask']), strategy, ignore)
                results.append({'strategy': strategy, 'ignoreLabels': ignore, 'entities': plain(got)})
        out.append({k: v for k, v in c.items() if k != 'logits'} | {'logits': floats(c['logits']), 'results': results})
    return out


# ---------------------------------------------------------------------------------------------
# question_answering.py: decode_spans, select_starts_ends, and the fast-
# tokenizer branch of QuestionAnsweringPipeline.postprocess with get_indices / get_answer.

def decode_spans(start, end, topk, max_answer_len, undesired_tokens):
    if start.ndim == 1:
        start = start[None]
    if end.ndim == 1:
        end = end[None]
    outer = np.matmul(np.expand_dims(start, -1), np.expand_dims(end, 1))
    candidates = np.tril(np.triu(outer), max_answer_len - 1)
    scores_flat = candidates.flatten()
    if topk == 1:
        idx_sort = [np.argmax(scores_flat)]
    elif len(scores_flat) < topk:
        idx_sort = np.argsort(-scores_flat)
    else:
        idx = np.argpartition(-scores_flat, topk)[0:topk]
        idx_sort = idx[np.argsort(-scores_flat[idx])]
    starts, ends = np.unravel_index(idx_sort, candidates.shape)[1:]
    desired_spans = np.isin(starts, undesired_tokens.nonzero()) & np.isin(ends, undesired_tokens.nonzero())
    starts = starts[desired_spans]
    ends = ends[desired_spans]
    scores = candidates[0, starts, ends]
    return starts, ends, scores


def select_starts_ends(start, end, p_mask, attention_mask, min_null_score=1000000, top_k=1, handle_impossible_answer=False, max_answer_len=15):
    undesired_tokens = np.abs(np.array(p_mask) - 1)
    if attention_mask is not None:
        undesired_tokens = undesired_tokens & attention_mask
    undesired_tokens_mask = undesired_tokens == 0.0
    start = np.where(undesired_tokens_mask, -10000.0, start)
    end = np.where(undesired_tokens_mask, -10000.0, end)
    start = np.exp(start - start.max(axis=-1, keepdims=True))
    start = start / start.sum()
    end = np.exp(end - end.max(axis=-1, keepdims=True))
    end = end / end.sum()
    if handle_impossible_answer:
        min_null_score = min(min_null_score, (start[0, 0] * end[0, 0]).item())
    start[0, 0] = end[0, 0] = 0.0
    starts, ends, scores = decode_spans(start, end, top_k, max_answer_len, undesired_tokens)
    return starts, ends, scores, min_null_score


class FastEncoding:
    """The parts of tokenizers.Encoding that get_indices calls, as tokenizers/src/tokenizer/encoding.rs."""

    def __init__(self, e):
        self.e = e
        self.offsets = [tuple(o) for o in e['offsets']]

    def token_to_word(self, token):
        if self.e['sequenceIds'][token] is None:
            return None
        return self.e['wordIds'][token]

    def word_to_chars(self, word, sequence_index=0):
        if word is None:
            raise TypeError("argument 'word_index': 'NoneType' object cannot be interpreted as an integer")
        seq = [i for i, s in enumerate(self.e['sequenceIds']) if s == sequence_index]
        start = end = None
        for i in range(seq[0], seq[-1] + 1):
            w = self.e['wordIds'][i]
            if w is not None and w > word:  # take_while(w <= Some(word)); None < Some(_)
                break
            if w == word:
                start = i if start is None else start
                end = i + 1
        if start is None:
            return None
        return (self.offsets[start][0], self.offsets[end - 1][1])


def get_indices(enc, s, e, sequence_index, align_to_words):
    if align_to_words:
        try:
            start_word = enc.token_to_word(s)
            end_word = enc.token_to_word(e)
            start_index = enc.word_to_chars(start_word, sequence_index=sequence_index)[0]
            end_index = enc.word_to_chars(end_word, sequence_index=sequence_index)[1]
        except Exception:
            start_index = enc.offsets[s][0]
            end_index = enc.offsets[e][1]
    else:
        start_index = enc.offsets[s][0]
        end_index = enc.offsets[e][1]
    return start_index, end_index


def get_answer(answers, target):
    for answer in answers:
        if answer["answer"].lower() == target.lower():
            return answer
    return None


def qa_postprocess(context_text, model_outputs, top_k=1, handle_impossible_answer=False, max_answer_len=15, align_to_words=True):
    min_null_score = 1000000
    answers = []
    for output in model_outputs:
        start_, end_ = output["start"], output["end"]
        pre_topk = top_k * 2 + 10 if align_to_words else top_k
        starts, ends, scores, min_null_score = select_starts_ends(
            start_, end_, output["p_mask"], output["attention_mask"], min_null_score, pre_topk, handle_impossible_answer, max_answer_len)
        enc = output["encoding"]
        for s, e, score in zip(starts, ends, scores):
            start_index, end_index = get_indices(enc, s, e, 1, align_to_words)
            target_answer = context_text[start_index:end_index]
            answer = get_answer(answers, target_answer)
            if answer:
                answer["score"] += score.item()
            else:
                answers.append({"score": score.item(), "start": start_index, "end": end_index, "answer": context_text[start_index:end_index]})
    if handle_impossible_answer:
        answers.append({"score": min_null_score, "start": 0, "end": 0, "answer": ""})
    answers = sorted(answers, key=lambda x: x["score"], reverse=True)[:top_k]
    return answers  # HF unwraps a single answer; the fixtures keep the list


def qa_windows(question, context, max_seq_len, doc_stride):
    """tokenizer(question, context, truncation="only_second", max_length, stride, return_overflowing_tokens):
    the context's tokens cut as tokenizers' Encoding.truncate (windows of max_len, stepping max_len - stride).
    Returns the windows and, for each, the index of its first token among the context's tokens."""
    q, c = wordpiece(question), wordpiece(context)
    max_len = max_seq_len - len(q) - 3
    assert 0 <= doc_stride < max_len
    step = max_len - doc_stride
    windows, firsts, start = [], [], 0
    while True:
        stop = min(start + max_len, len(c))
        windows.append(encoding(q, c[start:stop]))
        firsts.append(start)
        if stop == len(c):
            break
        start += step
    return windows, firsts


def p_mask_of(enc, cls_token_id=CLS):
    """preprocess: 1 for tokens not in the context (sequence id != 1), then 0 again for the CLS token."""
    p = [int(s != 1) for s in enc['sequenceIds']]
    for i, t in enumerate(enc['ids']):
        if t == cls_token_id:
            p[i] = 0
    return p


def qa_case(name, question, context, max_seq_len, doc_stride, boosts, runs, cls_boost=0.0):
    """boosts: [(context token index, 'start' | 'end', amount)], the same in every window holding that token."""
    windows, firsts = qa_windows(question, context, max_seq_len, doc_stride)
    starts, ends = [], []
    for enc, offset in zip(windows, firsts):
        T = len(enc['ids'])
        s, e = f32(T), f32(T)
        first = enc['sequenceIds'].index(1)
        n_ctx = enc['sequenceIds'].count(1)
        for (k, which, amount) in boosts:
            if 0 <= k - offset < n_ctx:
                (s if which == 'start' else e)[first + k - offset] += np.float32(amount)
        s[0] += np.float32(cls_boost); e[0] += np.float32(cls_boost)
        starts.append(s); ends.append(e)
    outputs = [{"start": s[None], "end": e[None], "p_mask": np.array([p_mask_of(enc)]), "attention_mask": np.ones((1, len(enc['ids'])), dtype=np.int64),
                "encoding": FastEncoding(enc)} for enc, s, e in zip(windows, starts, ends)]
    results = []
    for run in runs:
        got = qa_postprocess(context, outputs, **run)
        results.append({'options': run, 'answers': got})
    return {'name': name, 'question': question, 'context': context, 'maxSeqLen': max_seq_len, 'docStride': doc_stride,
            'clsTokenId': CLS, 'windows': windows, 'startLogits': [floats(s) for s in starts], 'endLogits': [floats(e) for e in ends],
            'results': results}



def qa_cases():
    out = []
    question = 'Where does Hugging Face live?'
    context = ('Hugging Face is a company based in New York City. Its headquarters are in Brooklyn, near the Manhattan Bridge. '
               'The company was founded in 2016 by French entrepreneurs. Hugging Face builds tools for machine learning, '
               'and the tools are used by many researchers.')
    c = wordpiece(context)
    toks = [t[1] for t in c]
    assert '[UNK]' not in toks, toks
    at = lambda tok, n=0: [i for i, t in enumerate(toks) if t == tok][n]
    boosts = [(at('Brook'), 'start', 5.0), (at('##lyn'), 'end', 5.0),
              (at('Manhattan'), 'start', 4.0), (at('Bridge'), 'end', 4.0),      # in the overlap of windows 0 and 1
              (at('New'), 'start', 3.5), (at('City'), 'end', 3.5),
              (at('##lyn'), 'start', 2.0),                                       # mid-word start: aligns to "Brooklyn" too
              (at('tools'), 'start', 3.0), (at('tools'), 'end', 3.0),            # "tools" twice: merged by text
              (at('tools', 1), 'start', 3.0), (at('tools', 1), 'end', 3.0),     # in the overlap of windows 1 and 2
              (at('entre'), 'start', 2.5), (at('##pre'), 'end', 2.5)]            # a span inside one word
    long = qa_case('three-windows', question, context, 40, 8, boosts, [
        dict(), dict(top_k=5), dict(top_k=5, align_to_words=False), dict(top_k=3, max_answer_len=3),
        dict(top_k=4, handle_impossible_answer=True), dict(top_k=20),
    ])
    assert len(long['windows']) == 3, len(long['windows'])
    w0, w1, w2 = [w['tokens'] for w in long['windows']]
    assert 'Manhattan' in w0 and 'Manhattan' in w1 and w1.count('tools') == 2 and 'tools' in w2 and 'entre' in w1, long['windows']
    out.append(long)
    # A short context whose CLS logits are high: the model says "no answer".
    short = qa_case('impossible', 'What is the capital of France?', 'Paris is the capital of France, and paris is a city.', 64, 16,
                    [(0, 'start', 3.0), (0, 'end', 3.0), (8, 'start', 3.0), (8, 'end', 3.0)],  # "Paris" and "paris": one answer
                    [dict(), dict(handle_impossible_answer=True), dict(top_k=3, handle_impossible_answer=True), dict(top_k=3, align_to_words=False)],
                    cls_boost=6.0)
    assert len(short['windows']) == 1
    out.append(short)
    return out


# ---------------------------------------------------------------------------------------------
# fill_mask.py (FillMaskPipeline.postprocess, torch branch) with numpy for torch: softmax over the
# vocabulary, topk by a stable descending sort, probabilities gathered at the targets.

def fill_mask_postprocess(input_ids, logits_at_masks, top_k=5, target_ids=None, pad_token_id=PAD, mask_token_id=MASK,
                          decode=None):
    """decode(ids, skip_special_tokens=False) -> str: the tokenizer's (this file's WordPiece by default)."""
    decode = decode or bert_decode
    if target_ids is not None and target_ids.shape[0] < top_k:
        top_k = target_ids.shape[0]
    masked_index = np.nonzero(input_ids == mask_token_id)[0]
    logits = logits_at_masks
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probs = e / e.sum(axis=-1, keepdims=True)
    if target_ids is not None:
        probs = probs[..., target_ids]
    predictions = np.argsort(-probs, axis=-1, kind='stable')[:, :top_k]
    values = np.take_along_axis(probs, predictions, axis=-1)
    result = []
    single_mask = values.shape[0] == 1
    for i, (_values, _predictions) in enumerate(zip(values.tolist(), predictions.tolist())):
        row = []
        for v, p in zip(_values, _predictions):
            tokens = input_ids.copy()
            if target_ids is not None:
                p = target_ids[p].tolist()
            tokens[masked_index[i]] = p
            tokens = tokens[np.where(tokens != pad_token_id)]
            sequence = decode(tokens, skip_special_tokens=single_mask)
            row.append({"score": v, "token": p, "token_str": decode([p]), "sequence": sequence})
        result.append(row)
    if single_mask:
        return result[0]
    return result


def fill_mask_cases():
    V = len(VOCAB)
    out = []
    for name, text, runs, pad in [
        ('one-mask', 'Hugging Face is based in [MASK] York City.', [dict(), dict(top_k=3), dict(top_k=1),
                                                                    dict(top_k=5, targets=[TOKEN_ID['New'], TOKEN_ID['Paris'], TOKEN_ID['New']]),
                                                                    dict(top_k=2, targets=[TOKEN_ID['Paris'], TOKEN_ID['Rome'], TOKEN_ID['Tokyo'], TOKEN_ID['##s']])], 0),
        ('two-masks-padded', 'The [MASK] of France is [MASK].', [dict(), dict(top_k=2), dict(top_k=3, targets=[TOKEN_ID['Paris'], TOKEN_ID['capital'], TOKEN_ID['city']])], 3),
    ]:
        # "[MASK]" is a special token: not split by the pre-tokenizer
        pieces = []
        for part in re.split(r'(\[MASK\])', text):
            pieces += [(MASK, '[MASK]', (0, 0), None)] if part == '[MASK]' else wordpiece(part)
        ids = encoding(pieces)['ids'] + [PAD] * pad
        input_ids = np.array(ids)
        n_masks = int((input_ids == MASK).sum())
        logits = f32((n_masks, V), 2.0)
        results = []
        for run in runs:
            targets = run.get('targets')
            got = fill_mask_postprocess(input_ids, logits, run.get('top_k', 5), None if targets is None else np.array(list(set(targets))))
            results.append({'options': run, 'predictions': got})
        out.append({'name': name, 'vocab': VOCAB, 'specialTokens': SPECIALS, 'inputIds': ids, 'maskTokenId': MASK, 'padTokenId': PAD, 'maskLogits': [floats(r) for r in logits], 'results': results})
    return out


# ---------------------------------------------------------------------------------------------
# zero_shot_classification.py: the argument handler's pairs and postprocess for one sequence.

def zero_shot_pairs(sequences, labels, hypothesis_template):
    if isinstance(labels, str):
        labels = [label.strip() for label in labels.split(",") if label.strip()]
    if len(labels) == 0 or len(sequences) == 0:
        raise ValueError("You must include at least one label and at least one sequence.")
    if hypothesis_template.format(labels[0]) == hypothesis_template:
        raise ValueError("template")
    if isinstance(sequences, str):
        sequences = [sequences]
    sequence_pairs = []
    for sequence in sequences:
        sequence_pairs.extend([[sequence, hypothesis_template.format(label)] for label in labels])
    return sequence_pairs, labels


def entailment_id(label2id):
    for label, ind in label2id.items():
        if label.lower().startswith("entail"):
            return ind
    return -1


def zero_shot_postprocess(sequence, candidate_labels, logits, label2id, multi_label=False):
    N = logits.shape[0]
    n = len(candidate_labels)
    num_sequences = N // n
    reshaped_outputs = logits.reshape((num_sequences, n, -1))
    if multi_label or len(candidate_labels) == 1:
        eid = entailment_id(label2id)
        contradiction_id = -1 if eid == 0 else 0
        entail_contr_logits = reshaped_outputs[..., [contradiction_id, eid]]
        scores = np.exp(entail_contr_logits) / np.exp(entail_contr_logits).sum(-1, keepdims=True)
        scores = scores[..., 1]
    else:
        entail_logits = reshaped_outputs[..., entailment_id(label2id)]
        scores = np.exp(entail_logits) / np.exp(entail_logits).sum(-1, keepdims=True)
    top_inds = list(reversed(scores[0].argsort()))
    return {"sequence": sequence, "labels": [candidate_labels[i] for i in top_inds], "scores": scores[0, top_inds].tolist()}


def zero_shot_cases():
    out = []
    for name, id2label, sequences, labels, template, multi, tie in [
        ('mnli', ['contradiction', 'neutral', 'entailment'], ['I have a problem with my iphone that needs to be resolved asap!!', 'Who are you voting for in 2020?'],
         ['urgent', 'not urgent', 'phone', 'tablet', 'computer'], 'This example is {}.', [False, True], False),
        ('entailment-first', ['ENTAILMENT', 'NEUTRAL', 'CONTRADICTION'], ['The new stadium opens next week.'],
         'sports, politics , , economy', 'The topic of this text is {}.', [False, True], False),
        ('one-label', ['entailment', 'not_entailment'], ['Paris is the capital of France.'], ['geography'], 'This is about {0}.', [False], False),
        ('ties', ['contradiction', 'neutral', 'entailment'], ['A tie.'], ['a', 'b', 'c', 'd'], 'This example is {}.', [False, True], True),
    ]:
        label2id = {l: i for i, l in enumerate(id2label)}
        pairs, parsed = zero_shot_pairs(sequences, labels, template)
        per_sequence = []
        for k, seq in enumerate(sequences):
            logits = f32((len(parsed), len(id2label)), 2.0)
            if tie:
                logits[1] = logits[3]  # labels b and d score the same
            per_sequence.append({'sequence': seq, 'logits': [floats(r) for r in logits],
                                 'results': [{'multiLabel': m, 'result': zero_shot_postprocess(seq, parsed, logits, label2id, m)} for m in multi]})
        out.append({'name': name, 'id2label': id2label, 'sequences': sequences, 'candidateLabels': labels, 'hypothesisTemplate': template,
                    'pairs': pairs, 'parsedLabels': parsed, 'entailmentId': entailment_id(label2id), 'perSequence': per_sequence})
    return out


# ---------------------------------------------------------------------------------------------
# text_classification.py: postprocess with function_to_apply and top_k (non-legacy: sorted, cut).

def text_classification_postprocess(outputs, id2label, problem_type, function_to_apply=None, top_k=1):
    num_labels = len(id2label)
    if function_to_apply is None:
        if problem_type == "regression":
            function_to_apply = "none"
        elif problem_type == "multi_label_classification" or num_labels == 1:
            function_to_apply = "sigmoid"
        elif problem_type == "single_label_classification" or num_labels > 1:
            function_to_apply = "softmax"
        else:
            function_to_apply = "none"
    if function_to_apply == "sigmoid":
        scores = 1.0 / (1.0 + np.exp(-outputs))
    elif function_to_apply == "softmax":
        maxes = np.max(outputs, axis=-1, keepdims=True)
        shifted_exp = np.exp(outputs - maxes)
        scores = shifted_exp / shifted_exp.sum(axis=-1, keepdims=True)
    elif function_to_apply == "none":
        scores = outputs
    else:
        raise ValueError(f"Unrecognized `function_to_apply` argument: {function_to_apply}")
    dict_scores = [{"label": id2label[i], "score": score.item()} for i, score in enumerate(scores)]
    dict_scores.sort(key=lambda x: x["score"], reverse=True)
    if top_k is not None:
        dict_scores = dict_scores[:top_k]
    return dict_scores


def text_classification_cases():
    out = []
    for name, id2label, problem_type, runs in [
        ('sentiment', ['negative', 'neutral', 'positive'], None,
         [dict(), dict(top_k=2), dict(top_k=None), dict(function_to_apply='sigmoid', top_k=None), dict(function_to_apply='none', top_k=None)]),
        ('multi-label', ['toxic', 'obscene', 'threat', 'insult'], 'multi_label_classification', [dict(top_k=None), dict(top_k=2)]),
        ('one-label', ['LABEL_0'], None, [dict(), dict(top_k=None)]),
        ('regression', ['LABEL_0'], 'regression', [dict()]),
        ('single-label-type', ['LABEL_0', 'LABEL_1'], 'single_label_classification', [dict(top_k=None)]),
        ('two-labels', ['NEGATIVE', 'POSITIVE'], None, [dict(), dict(top_k=None)]),
    ]:
        logits = f32((3, len(id2label)), 2.0)
        results = [{'options': run, 'perText': [text_classification_postprocess(row, id2label, problem_type, run.get('function_to_apply'), run.get('top_k', 1))
                                                for row in logits]} for run in runs]
        out.append({'name': name, 'id2label': id2label, 'problemType': problem_type, 'logits': [floats(r) for r in logits], 'results': results})
    return out


def write(name, data):
    with open(os.path.join(OUT, name), 'w', encoding='utf-8') as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write('\n')


write('token-classification.json', token_cases())
write('question-answering.json', qa_cases())
write('fill-mask.json', fill_mask_cases())
write('zero-shot.json', zero_shot_cases())
write('text-classification.json', text_classification_cases())
print('wrote', OUT)
