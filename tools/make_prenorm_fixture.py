"""A decoder-only, pre-LN transformer built from torch.nn (TransformerEncoderLayer with
norm_first=True and a causal mask), the reference for wasm-nlp's config-driven model and its
generation (greedy and beam search, each step rerunning the whole prefix). Writes
tests/fixtures/custom-prenorm/{model.safetensors, config.json, fixture.json}.

    /usr/bin/python3 tools/make_prenorm_fixture.py
"""
import json, math, os, struct, sys
import torch
from make_transformer_fixtures import beam_search  # Hugging Face's beam search in plain torch

torch.manual_seed(7)
torch.set_num_threads(1)
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'custom-prenorm')
os.makedirs(out, exist_ok=True)

V, D, H, FF, LAYERS, P = 50, 32, 4, 44, 2, 32
EOS = 1  # the config's eosTokenId: ends beam hypotheses of the fixture (greedy's rows never reach it)
emb = torch.nn.Embedding(V, D)
pos = torch.nn.Embedding(P, D)
layers = torch.nn.ModuleList([
    torch.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, activation='gelu', batch_first=True, norm_first=True, layer_norm_eps=1e-5)
    for _ in range(LAYERS)])
final = torch.nn.LayerNorm(D, eps=1e-5)
with torch.no_grad():
    for p in list(layers.parameters()) + list(final.parameters()):
        p.add_(torch.randn_like(p) * 0.1)  # non-trivial gammas, betas and biases
for m in [emb, pos, layers, final]:
    m.eval()


def run(ids):
    """Every layer's hidden states, the final-normed ones and the logits of rows of ids (one length)."""
    T = ids.shape[1]
    causal = torch.triu(torch.full((T, T), float('-inf')), diagonal=1)
    with torch.no_grad():
        x = emb(ids) + pos(torch.arange(T))[None]
        states = [x]
        for layer in layers:
            x = layer(x, src_mask=causal)
            states.append(x)
        last = final(x)
        return states, last, last @ emb.weight.T  # the LM head tied to the token embedding


ids = torch.tensor([[3, 7, 1, 9, 4, 4, 12, 30, 2, 0, 5, 6], [8, 8, 2, 11, 49, 17, 3, 1, 0, 0, 20, 21]])
states, last, logits = run(ids)

# Generation from the first PROMPT tokens of each row, as Hugging Face's generate(): greedy search reruns
# the whole prefix through torch.nn each step and takes the argmax of the last position's logits, a row
# ending on EOS (none does here: it only ends beam hypotheses) or at MAX_LENGTH; beam search is
# make_transformer_fixtures.beam_search over the same forward.
PROMPT, MAX_LENGTH = 4, 14
seq, margins = ids[:, :PROMPT], []
while seq.shape[1] < MAX_LENGTH:
    step = run(seq)[2][:, -1, :]
    top2 = step.topk(2, dim=-1).values
    margins += (top2[:, 0] - top2[:, 1]).tolist()
    seq = torch.cat([seq, step.argmax(-1)[:, None]], dim=1)
    assert EOS not in seq[:, PROMPT:], 'a greedy row reached EOS: the fixture would need padding'
assert min(margins) > 1e-4, 'greedy choice too close to a tie to be a stable reference'
greedy = {'prompt': ids[:, :PROMPT].tolist(), 'max_length': MAX_LENGTH, 'sequences': seq.tolist(), 'min_top2_margin': min(margins)}
print('greedy', greedy['sequences'], f'smallest margin {min(margins):.4f}')
beams = []
for params in [dict(num_beams=3, length_penalty=1.0, early_stopping=False, num_return_sequences=2),
               dict(num_beams=2, length_penalty=0.5, early_stopping='never', num_return_sequences=1)]:
    with torch.no_grad():
        seqs_b, scores, gap = beam_search(lambda s: run(s)[2][:, -1, :], ids[:, :PROMPT], MAX_LENGTH, V=V, eos=EOS, pad=0, **params)
    print('beam', params, seqs_b, [round(x, 4) for x in scores], f'smallest gap {gap:.2e}')
    assert gap > 1e-4, 'beam candidates too close to a tie to be a stable reference'
    beams.append({'params': {**params, 'max_length': MAX_LENGTH}, 'sequences': seqs_b, 'sequence_scores': scores, 'min_gap': gap})

tensors = {'embed_tokens.weight': emb.weight, 'embed_positions.weight': pos.weight, 'final_norm.weight': final.weight, 'final_norm.bias': final.bias}
for i, layer in enumerate(layers):
    for name, t in layer.state_dict().items():
        tensors[f'layers.{i}.{name}'] = t

def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        data = tensors[name].detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(tensors[name].shape), 'data_offsets': [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))

write_safetensors(os.path.join(out, 'model.safetensors'), tensors)
config = {'family': 'custom', 'kind': 'decoder', 'dModel': D, 'heads': H, 'dHead': D // H, 'dFF': FF, 'encoderLayers': 0, 'decoderLayers': LAYERS,
          'vocabSize': V, 'maxPositions': P, 'positions': 'learned', 'typeVocabSize': 0, 'norm': 'pre', 'embeddingNorm': False, 'finalNorm': True,
          'activation': 'gelu', 'layerNormEps': 1e-5, 'bias': True, 'scaleEmbedding': False, 'padTokenId': 0, 'tieWordEmbeddings': True,
          'eosTokenId': EOS}
with open(os.path.join(out, 'config.json'), 'w') as f:
    json.dump(config, f, indent=2)
t = lambda x: {'shape': list(x.shape), 'data': [float(v) for v in x.flatten().tolist()]}
with open(os.path.join(out, 'fixture.json'), 'w') as f:
    json.dump({'torch': torch.__version__, 'input_ids': ids.tolist(), 'hidden_states': [t(s) for s in states], 'last_hidden_state': t(last), 'logits': t(logits),
               'greedy': greedy, 'beam_search': beams}, f)
print('wrote', out)
