#!/usr/bin/python3
"""The pytorch_model.bin fixtures (issue 14, part 3), written by Debian's torch (1.13):

tests/fixtures/pytorch/
  state-dict.bin      torch.save of a small state dict: F32, F16, BF16, F64, I64, I32 tensors,
                      two names for one tensor, a tied embedding (two tensors, one storage), a
                      transposed view, a slice (offset and strides), an expanded position_ids
                      buffer, a 0-d and an empty tensor, and nn.Linear's _metadata (BUILD);
  expected.json       every tensor of it: dtype, shape, stride, storage offset, the byte offset
                      of its first element in the .bin (from the zip's own local headers), and
                      its values (floats as float64, exact);
  legacy.bin          the same state dict in the legacy format (_use_new_zipfile_serialization=False);
  legacy.json         the byte offset of each tensor's first element in legacy.bin, found by walking
                      the file with Python's pickle (storage keys, 8-byte counts) — legacy.bin and
                      legacy.json change together on a rerun (storage keys are addresses);
  os-system.bin       torch.save of an object whose pickle calls os.system (GLOBAL posix.system);
  eval.bin            ... builtins.eval;
  module.bin          torch.save(model): a whole nn.Module, not a state dict;
  reduce-storage.bin  a REDUCE of torch.FloatStorage (a global wasm-nlp names but never calls);
  the first three are checked to be refused by torch.load(weights_only=True) (which the script
  never calls without it), and state-dict.bin to be accepted by it.
tests/fixtures/bert-pytorch/          tests/fixtures/bert's F32 weights as pytorch_model.bin, some
                                      stored as transposed views and a slice of a larger storage;
tests/fixtures/bert-pytorch-sharded/  bert's F16 weights (model-f16.safetensors) in two .bin
                                      shards with pytorch_model.bin.index.json;
tests/fixtures/bert-pytorch-legacy/   bert-pytorch's state dict in the legacy format.

Run: /usr/bin/python3 tools/make_pytorch_fixtures.py   (about 1 s; byte-identical on a rerun but
for legacy.bin, legacy.json and bert-pytorch-legacy/pytorch_model.bin)
"""
import collections
import json
import os
import pickle
import shutil
import struct
import sys
import zipfile

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures')
OUT = os.path.join(ROOT, 'pytorch')
BERT = os.path.join(ROOT, 'bert')


def state_dict():
    g = torch.Generator().manual_seed(14)
    linear = torch.nn.Linear(3, 2)
    with torch.no_grad():
        linear.weight.copy_(torch.randn(2, 3, generator=g))
        linear.bias.copy_(torch.randn(2, generator=g))
    sd = linear.state_dict()  # an OrderedDict with _metadata, pickled with BUILD
    sd['f16'] = torch.tensor([1.0, -0.0, 65504.0, 2.0 ** -24, -3.140625, 0.5], dtype=torch.float16)
    sd['bf16'] = torch.randn(2, 3, generator=g).to(torch.bfloat16)
    sd['f64'] = torch.tensor([1.0 / 3.0, -2.5], dtype=torch.float64)
    embedding = torch.randn(5, 4, generator=g)
    sd['embeddings.word_embeddings.weight'] = embedding
    sd['lm_head.weight'] = embedding  # the same tensor under two names
    sd['tied.first_rows'] = embedding[:2]  # a view of the same storage, offset 0
    sd['tied.last_rows'] = embedding[3:]  # offset 12
    base = torch.randn(3, 4, generator=g)
    sd['transposed'] = base.t()  # [4, 3], stride (1, 4)
    sd['slice'] = torch.randn(4, 5, generator=g)[1:3, 2:5]  # offset 7, stride (5, 1)
    sd['column'] = torch.randn(3, 4, generator=g)[:, 1]  # offset 1, stride (4,)
    sd['f16.transposed'] = torch.randn(2, 3, generator=g).to(torch.float16).t()
    sd['bf16.slice'] = torch.randn(3, 3, generator=g).to(torch.bfloat16)[1:, ::2]  # stride (3, 2)
    sd['position_ids'] = torch.arange(8).expand((1, -1))  # as BERT's buffer: [1, 8] (torch gives it stride (8, 1))
    sd['int32'] = torch.tensor([-2 ** 31, 0, 2 ** 31 - 1], dtype=torch.int32)
    sd['scalar'] = torch.tensor(2.75)
    sd['empty'] = torch.zeros(0, 3)
    return sd


def data_offsets(path):
    """Where each entry's bytes start in the file: after its local header, name and extra fields."""
    offsets = {}
    with open(path, 'rb') as f, zipfile.ZipFile(path) as z:
        for info in z.infolist():
            f.seek(info.header_offset)
            header = f.read(30)
            assert header[:4] == b'PK\x03\x04'
            name_length, extra_length = struct.unpack('<HH', header[26:30])
            offsets[info.filename] = info.header_offset + 30 + name_length + extra_length
            assert info.compress_type == zipfile.ZIP_STORED
    return offsets


def expected(sd, path):
    offsets = data_offsets(path)
    archive = os.path.splitext(os.path.basename(path))[0]
    # The storage keys torch gave, by storage: the order persistent ids appear in the pickle.
    keys = {}
    for t in sd.values():
        ptr = t.storage().data_ptr()
        keys.setdefault(ptr, str(len(keys)))
    out = {}
    for name, t in sd.items():
        dtype = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.float64: 'F64',
                 torch.int64: 'I64', torch.int32: 'I32'}[t.dtype]
        values = t.to(torch.float64).flatten().tolist() if t.is_floating_point() else t.flatten().tolist()
        entry = f'{archive}/data/{keys[t.storage().data_ptr()]}'
        out[name] = {
            'dtype': dtype, 'shape': list(t.shape), 'stride': list(t.stride()), 'storage_offset': t.storage_offset(),
            'contiguous': t.is_contiguous(), 'storage': keys[t.storage().data_ptr()],
            'byteOffset': offsets[entry] + t.storage_offset() * t.element_size(),
            'values': values,
        }
    return out


def legacy_offsets(path):
    """Each tensor's first element in a legacy-format file: the pickles read in turn (nothing
    rebuilt: the rebuild calls are recorded), then the storages walked by their 8-byte counts."""
    class Recorder(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) == ('torch._utils', '_rebuild_tensor_v2'):
                return lambda storage, offset, *rest: (storage, offset)
            if (module, name) == ('collections', 'OrderedDict'):
                return collections.OrderedDict
            if module == 'torch' and name.endswith('Storage'):
                return name
            raise pickle.UnpicklingError(f'{module}.{name}')

        def persistent_load(self, pid):
            return pid

    width = {'FloatStorage': 4, 'HalfStorage': 2, 'BFloat16Storage': 2, 'DoubleStorage': 8, 'LongStorage': 8, 'IntStorage': 4}
    with open(path, 'rb') as f:
        assert pickle.load(f) == torch.serialization.MAGIC_NUMBER and pickle.load(f) == 1001
        assert pickle.load(f)['little_endian']
        sd = Recorder(f).load()
        starts = {}
        for key in pickle.load(f):
            (numel,) = struct.unpack('<q', f.read(8))
            starts[key] = f.tell()
            f.seek(numel * width[next(s for s, _ in sd.values() if s[2] == key)[1]], 1)
        assert f.read() == b''
    return {name: starts[pid[2]] + offset * width[pid[1]] for name, (pid, offset) in sd.items()}


class Call:
    """An object whose pickle is a call of `fn(*args)`: what a malicious checkpoint does."""

    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


def must_refuse(path):
    try:
        torch.load(path, weights_only=True)
    except Exception as e:  # torch's UnpicklingError, as it words it
        return str(e).splitlines()[0]
    sys.exit(f'{path}: torch.load(weights_only=True) accepted it')


def read_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = collections.OrderedDict()
    for name, e in header.items():
        if name == '__metadata__':
            continue
        begin, end = e['data_offsets']
        array = np.frombuffer(data[8 + n + begin:8 + n + end], dtype={'F32': np.float32, 'F16': np.float16}[e['dtype']])
        out[name] = torch.from_numpy(array.copy()).reshape(e['shape'])
    return out


def copy_folder_files(dst):
    os.makedirs(dst, exist_ok=True)
    for name in ('config.json', 'tokenizer.json', 'tokenizer_config.json'):
        shutil.copyfile(os.path.join(BERT, name), os.path.join(dst, name))


def bert_pytorch(legacy=False):
    """bert's F32 weights, the matrices of layer 0 stored transposed (non-contiguous views), the classifier bias a slice
    (with legacy: in the legacy format, bert-pytorch-legacy)."""
    weights = read_safetensors(os.path.join(BERT, 'model.safetensors'))
    sd = collections.OrderedDict()
    for name, t in weights.items():
        if name.startswith('bert.encoder.layer.0.') and t.dim() == 2:
            t = t.t().contiguous().t()  # the same values, stride (1, rows)
        elif name == 'classifier.bias':
            t = torch.cat([torch.tensor([7.0, 7.0]), t, torch.tensor([7.0])])[2:5]  # offset 2 in a storage of 6
        sd[name] = t
    dst = os.path.join(ROOT, 'bert-pytorch-legacy' if legacy else 'bert-pytorch')
    copy_folder_files(dst)
    torch.save(sd, os.path.join(dst, 'pytorch_model.bin'), _use_new_zipfile_serialization=not legacy)
    loaded = torch.load(os.path.join(dst, 'pytorch_model.bin'), weights_only=True)
    assert all(torch.equal(loaded[n], weights[n]) for n in weights)
    return len(sd)


def bert_pytorch_sharded():
    """bert's F16 weights in two shards, split as Hugging Face's shard_checkpoint does (in order, by size)."""
    weights = read_safetensors(os.path.join(BERT, 'model-f16.safetensors'))
    names = list(weights)
    half = len(names) // 2
    dst = os.path.join(ROOT, 'bert-pytorch-sharded')
    copy_folder_files(dst)
    weight_map = {}
    for i, part in enumerate((names[:half], names[half:])):
        shard = f'pytorch_model-0000{i + 1}-of-00002.bin'
        torch.save(collections.OrderedDict((n, weights[n]) for n in part), os.path.join(dst, shard))
        weight_map.update({n: shard for n in part})
    total = sum(t.numel() * t.element_size() for t in weights.values())
    with open(os.path.join(dst, 'pytorch_model.bin.index.json'), 'w') as f:
        json.dump({'metadata': {'total_size': total}, 'weight_map': weight_map}, f, indent=2)
        f.write('\n')
    return len(names)


def main():
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    sd = state_dict()
    path = os.path.join(OUT, 'state-dict.bin')
    torch.save(sd, path)
    loaded = torch.load(path, weights_only=True)
    assert list(loaded) == list(sd) and all(torch.equal(loaded[n], sd[n]) for n in sd)
    assert loaded['lm_head.weight'].storage().data_ptr() == loaded['embeddings.word_embeddings.weight'].storage().data_ptr()
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump({'torch': torch.__version__, 'tensors': expected(sd, path)}, f, indent=1)
        f.write('\n')
    legacy = os.path.join(OUT, 'legacy.bin')
    torch.save(sd, legacy, _use_new_zipfile_serialization=False)
    loaded = torch.load(legacy, weights_only=True)
    assert list(loaded) == list(sd) and all(torch.equal(loaded[n], sd[n]) for n in sd)
    offsets = legacy_offsets(legacy)
    with open(legacy, 'rb') as f:
        data = f.read()
    for name, t in sd.items():  # each offset holds the tensor's first element
        if t.numel() > 0:
            first = torch.empty(1, dtype=t.dtype).copy_(t.flatten()[:1])
            assert data[offsets[name]:offsets[name] + t.element_size()] == first.view(torch.uint8).numpy().tobytes(), name
    with open(os.path.join(OUT, 'legacy.json'), 'w') as f:
        json.dump({'torch': torch.__version__, 'byteOffsets': offsets}, f, indent=1)
        f.write('\n')

    refusals = {}
    for name, obj in [('os-system.bin', Call(os.system, ('echo wasm-nlp-fixture-ran > /dev/null',))),
                      ('eval.bin', Call(eval, ('1 + 1',))),
                      ('module.bin', torch.nn.Linear(2, 2))]:
        p = os.path.join(OUT, name)
        torch.save(obj, p)
        refusals[name] = must_refuse(p)
    # torch's weights_only unpickler calls storage types (harmless, so it accepts this one); wasm-nlp
    # refuses any REDUCE but OrderedDict's and the tensor rebuilders'.
    torch.save(collections.OrderedDict(x=Call(torch.FloatStorage, (3,))), os.path.join(OUT, 'reduce-storage.bin'))
    for name, why in refusals.items():
        print(f'{name}: torch.load(weights_only=True) refuses it: {why[:100]}')
    print(f'bert-pytorch: {bert_pytorch()} tensors; bert-pytorch-sharded: {bert_pytorch_sharded()} tensors; '
          f'bert-pytorch-legacy: {bert_pytorch(legacy=True)} tensors')


if __name__ == '__main__':
    main()
