#!/usr/bin/python3
"""Rewrites an f32 ONNX graph into the form onnxruntime's quantize_dynamic gives it ("q8", what
transformers.js runs on wasm by default), with the onnx package only (onnxruntime's Python
quantizer cannot be installed here).

    /usr/bin/python3 tools/make_q8_onnx.py [--per-channel] [--reduce-range] [--no-gather] [--suffix S]
        [--no-check] FILE.onnx ...
    /usr/bin/python3 tools/make_q8_onnx.py --models bench/.models      # the benchmark's three graphs

Each FILE.onnx gets FILE-q8.onnx (FILE-S.onnx with --suffix S) beside it. Then, unless --no-check,
node runs tools/check_q8_onnx.mjs: both graphs on onnxruntime-web with the inputs of the folder's
reference.json, printing the worst token cosine of q8 against f32 (and against torch's output).
On the random benchmark models the worst token cosine of q8 against f32 came out 0.99858 for
BERT-base (0.99947 with --per-channel) and 0.99945 for MiniLM-L6; the Marian step's logits 0.99980.

What the rewrite does, as onnxruntime/python/tools/quantization does in IntegerOps (dynamic) mode
with its defaults (weight_type QInt8, per_channel False, reduce_range False, activation QUInt8,
extra option MatMulConstBOnly True):

- MatMul whose second input is a 2-D float initializer [K, N] (a Linear weight, torch's Wᵀ):
      x ─ DynamicQuantizeLinear ─ x_q, x_scale, x_zp       (uint8, per tensor, computed per call)
      MatMulInteger(x_q, W_q, x_zp, W_zp) ─ Cast(float) ─ Mul(· , x_scale·W_scale) ─ (the bias Add stays)
  W_q int8 symmetric: scale = max|W| / 127 (quant_utils' symmetric int8 range is [-127, 127]),
  zero point 0, W_q = round_half_even(W / scale). --per-channel: one scale (and zero point 0) per
  column n of W (axis -1, quantize_weight_per_channel), the layout transformers.js's per-channel
  exports use; --reduce-range: 7-bit weights in [-64, 64], as quantize_dynamic(reduce_range=True).
  One DynamicQuantizeLinear per activation tensor (Q, K and V share theirs), as the quantizer
  reuses a quantized value. The names follow the quantizer's (<x>_quantized,
  <node>_quant, ..._output_quantized_cast_output, ...).
- Gemm (none in our exports): quantize_dynamic leaves Gemm alone (Gemm is not in
  IntegerOpsRegistry); here a Gemm with a constant 2-D B, alpha = beta = 1 and no transA is
  rewritten like a MatMul (B transposed first when transB), its C added after the Mul.
- Gather whose data is a float initializer (the word embeddings, Marian's sinusoidal table):
  quantize_dynamic DOES quantize it by default (Gather is in CommonOpsRegistry, merged into
  IntegerOpsRegistry): GatherQuant quantizes the table as an activation, uint8 asymmetric per
  tensor (scale = (max(0, max W) − min(0, min W)) / 255, zero point round(−min/scale)), gathers
  the uint8 rows and adds a DequantizeLinear after. Done here too; --no-gather keeps them f32.

torch.onnx.export writes our weights as Constant nodes, not initializers: float Constants of rank
≥ 2 are first moved to initializers (what optimum's exports have, and what onnxruntime does at
session load anyway).
"""

import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def lift_constants(graph):
    """Float Constant nodes of rank >= 2 (the weights, as torch.onnx.export writes them) become initializers."""
    keep = []
    lifted = 0
    for n in graph.node:
        if n.op_type == "Constant" and len(n.attribute) == 1 and n.attribute[0].name == "value":
            t = n.attribute[0].t
            if t.data_type == TensorProto.FLOAT and len(t.dims) >= 2:
                arr = numpy_helper.to_array(t)
                graph.initializer.append(numpy_helper.from_array(arr, n.output[0]))
                lifted += 1
                continue
        keep.append(n)
    del graph.node[:]
    graph.node.extend(keep)
    return lifted


def quantize_int8_symmetric(w, per_channel, reduce_range=False):
    """onnxruntime's weight quantization for QInt8: symmetric, range [-127, 127] (reduce_range:
    [-64, 64], quant_utils' ONNX_INT_TYPE_REDUCED_RANGE), zero point 0. Per tensor (scale scalar)
    or, with per_channel, per column of the [K, N] matrix (scale [N])."""
    qmax = 64 if reduce_range else 127
    w = w.astype(np.float32)
    axis = 0 if per_channel else None
    rmin = np.minimum(w.min(axis=axis), 0).astype(np.float32)
    rmax = np.maximum(w.max(axis=axis), 0).astype(np.float32)
    absmax = np.maximum(np.abs(rmin), np.abs(rmax)).astype(np.float32)
    # quant_utils.compute_scale_zp: (rmax − rmin) / (qmax − qmin) in float64, then float32.
    scale = (absmax.astype(np.float64) * 2 / (2 * qmax)).astype(np.float32)
    scale = np.where(absmax > 0, scale, np.float32(1)).astype(np.float32)
    q = np.clip(np.rint(w / scale), -qmax, qmax).astype(np.int8)
    zp = np.zeros(scale.shape, dtype=np.int8)
    return q, np.asarray(scale, dtype=np.float32), zp


def quantize_uint8_asymmetric(w):
    """onnxruntime's activation-type (QUInt8) quantization of an initializer: the range widened
    to include 0, scale = (rmax − rmin) / 255, zero point round(−rmin / scale), per tensor."""
    w = w.astype(np.float32)
    rmin = min(float(w.min()), 0.0)
    rmax = max(float(w.max()), 0.0)
    scale64 = (rmax - rmin) / 255 if rmax > rmin else 1.0  # float64, as compute_scale_zp
    zp = np.uint8(np.clip(np.round(-rmin / scale64), 0, 255))
    scale = np.float32(scale64)
    q = np.clip(np.rint(w / scale) + np.float32(zp), 0, 255).astype(np.uint8)
    return q, np.array(scale, dtype=np.float32), np.array(zp, dtype=np.uint8)


class Rewriter:
    def __init__(self, model, per_channel, gather, reduce_range=False):
        self.model = model
        self.reduce_range = reduce_range
        self.graph = model.graph
        self.per_channel = per_channel
        self.gather = gather
        self.inits = {t.name: t for t in self.graph.initializer}
        self.new_inits = []
        self.weights = {}  # float initializer name -> (q name, scale name, zp name)
        self.activations = {}  # activation tensor name -> (q, scale, zp) outputs of its DynamicQuantizeLinear
        self.quantized_from = set()  # float initializers that were quantized (removed if unused after)
        self.counts = {"MatMul": 0, "Gemm": 0, "Gather": 0, "DynamicQuantizeLinear": 0}

    def float_2d(self, name):
        t = self.inits.get(name)
        return t is not None and t.data_type == TensorProto.FLOAT and len(t.dims) == 2

    def weight_int8(self, name, transpose=False):
        key = (name, transpose)
        if key not in self.weights:
            w = numpy_helper.to_array(self.inits[name])
            if transpose:
                w = w.T
            q, scale, zp = quantize_int8_symmetric(w, self.per_channel, self.reduce_range)
            base = name + ("_transposed" if transpose else "")
            names = (base + "_quantized", base + "_scale", base + "_zero_point")
            self.new_inits += [numpy_helper.from_array(q, names[0]), numpy_helper.from_array(scale, names[1]),
                               numpy_helper.from_array(zp, names[2])]
            self.weights[key] = names
            self.quantized_from.add(name)
        return self.weights[key]

    def activation(self, x, out):
        if x not in self.activations:
            names = (x + "_quantized", x + "_scale", x + "_zero_point")
            out.append(helper.make_node("DynamicQuantizeLinear", [x], list(names), x + "_QuantizeLinear"))
            self.activations[x] = names
            self.counts["DynamicQuantizeLinear"] += 1
        return self.activations[x]

    def integer_matmul(self, node_name, x, w_names, y, out):
        """x (float) · W (quantized) → y (float): MatMulInteger, Cast, Mul by the two scales."""
        xq, xs, xz = self.activation(x, out)
        wq, ws, wz = w_names
        name = node_name + "_quant"
        mi = y + "_output_quantized"
        out.append(helper.make_node("MatMulInteger", [xq, wq, xz, wz], [mi], name))
        cast = mi + "_cast_output"
        out.append(helper.make_node("Cast", [mi], [cast], mi + "_cast", to=TensorProto.FLOAT))
        scales = name + "_scales_mul"
        out.append(helper.make_node("Mul", [xs, ws], [scales + ":0"], scales))
        out.append(helper.make_node("Mul", [cast, scales + ":0"], [y], name + "_output_scale_mul"))

    def rewrite(self):
        out = []
        for n in self.graph.node:
            if n.op_type == "MatMul" and self.float_2d(n.input[1]):
                self.integer_matmul(n.name or n.output[0], n.input[0], self.weight_int8(n.input[1]), n.output[0], out)
                self.counts["MatMul"] += 1
            elif n.op_type == "Gemm" and self.gemm_ok(n):
                attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
                has_c = len(n.input) > 2 and n.input[2]
                y = n.output[0] + "_matmul" if has_c else n.output[0]
                self.integer_matmul(n.name or n.output[0], n.input[0], self.weight_int8(n.input[1], bool(attrs.get("transB", 0))), y, out)
                if has_c:
                    out.append(helper.make_node("Add", [y, n.input[2]], [n.output[0]], (n.name or n.output[0]) + "_bias_add"))
                self.counts["Gemm"] += 1
            elif n.op_type == "Gather" and self.gather and self.inits.get(n.input[0]) is not None \
                    and self.inits[n.input[0]].data_type == TensorProto.FLOAT:
                name = n.input[0]
                if (name, "u8") not in self.weights:
                    q, scale, zp = quantize_uint8_asymmetric(numpy_helper.to_array(self.inits[name]))
                    names = (name + "_quantized", name + "_scale", name + "_zero_point")
                    self.new_inits += [numpy_helper.from_array(q, names[0]), numpy_helper.from_array(scale, names[1]),
                                       numpy_helper.from_array(zp, names[2])]
                    self.weights[(name, "u8")] = names
                    self.quantized_from.add(name)
                q, s, z = self.weights[(name, "u8")]
                gathered = n.output[0] + "_quantized"
                attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
                out.append(helper.make_node("Gather", [q, n.input[1]], [gathered], (n.name or n.output[0]) + "_quant", **attrs))
                out.append(helper.make_node("DequantizeLinear", [gathered, s, z], [n.output[0]], n.output[0] + "_DequantizeLinear"))
                self.counts["Gather"] += 1
            else:
                out.append(n)
        del self.graph.node[:]
        self.graph.node.extend(out)
        # The float initializers no node reads any more go; those still read (by an op left in f32) stay.
        used = {i for n in self.graph.node for i in n.input}
        keep = [t for t in self.graph.initializer if not (t.name in self.quantized_from and t.name not in used)]
        del self.graph.initializer[:]
        self.graph.initializer.extend(keep + self.new_inits)
        return self.counts

    def gemm_ok(self, n):
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        return self.float_2d(n.input[1]) and attrs.get("alpha", 1.0) == 1.0 and attrs.get("beta", 1.0) == 1.0 \
            and not attrs.get("transA", 0)


def q8_path(path, suffix="q8"):
    root, ext = os.path.splitext(path)
    return f"{root}-{suffix}{ext}"


def quantize_file(path, per_channel, gather, reduce_range=False, suffix="q8"):
    model = onnx.load(path)
    lifted = lift_constants(model.graph)
    counts = Rewriter(model, per_channel, gather, reduce_range).rewrite()
    # MatMulInteger is opset 10, DynamicQuantizeLinear 11: every export here is opset 17.
    opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    if opset < 11:
        raise SystemExit(f"{path}: opset {opset} < 11 has no DynamicQuantizeLinear")
    model.producer_name = "wasm-nlp tools/make_q8_onnx.py"
    onnx.checker.check_model(model)
    out = q8_path(path, suffix)
    onnx.save(model, out)
    before, after = os.path.getsize(path), os.path.getsize(out)
    print(f"{out}: {after / 1e6:.1f} MB ({after / before:.3f} of {before / 1e6:.1f} MB); {lifted} constants made initializers; "
          f"quantized {counts['MatMul']} MatMul, {counts['Gemm']} Gemm, {counts['Gather']} Gather "
          f"({'per-channel' if per_channel else 'per-tensor'} int8 weights{', reduced range' if reduce_range else ''}), {counts['DynamicQuantizeLinear']} DynamicQuantizeLinear")
    return out


def check(pairs):
    """tools/check_q8_onnx.mjs on each (f32, q8) pair: onnxruntime-web in Node."""
    here = os.path.dirname(os.path.abspath(__file__))
    args = ["node", os.path.join(here, "check_q8_onnx.mjs")]
    for f32, q8 in pairs:
        args += [f32, q8]
    return subprocess.call(args)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="*", help="f32 .onnx files (each gets <name>-q8.onnx beside it)")
    p.add_argument("--models", help="a bench models folder: quantize its encoder.onnx / decoder_with_past.onnx files")
    p.add_argument("--per-channel", action="store_true", help="one weight scale per output column (default: per tensor)")
    p.add_argument("--reduce-range", action="store_true", help="7-bit weights, [-64, 64] (quantize_dynamic's reduce_range)")
    p.add_argument("--suffix", default="q8", help="output name: <input name>-<suffix>.onnx (default q8)")
    p.add_argument("--no-gather", dest="gather", action="store_false", help="leave Gathers of float tables in f32")
    p.add_argument("--no-check", dest="check", action="store_false", help="skip the onnxruntime-web comparison")
    a = p.parse_args()
    files = list(a.files)
    if a.models:
        for name in sorted(os.listdir(a.models)):
            for f in ("encoder.onnx", "decoder_with_past.onnx"):
                path = os.path.join(a.models, name, f)
                if os.path.exists(path):
                    files.append(path)
    if not files:
        p.error("no .onnx files (give files or --models DIR)")
    pairs = [(f, quantize_file(f, a.per_channel, a.gather, a.reduce_range, a.suffix)) for f in files]
    if a.check:
        sys.exit(check(pairs))


if __name__ == "__main__":
    main()
