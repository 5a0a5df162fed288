#!/usr/bin/env python3
"""The int8 GEMM alone, at BGE-small's four Linear shapes: fbgemm as the int8 engine calls it vs ONNX Runtime's
dynamically quantized MatMul (the peer of `bench --precision int8`) and oneDNN's int8 GEMM, with the fp32
GEMMs for scale.

Tells whether the full int8 model's gap to ONNX Runtime int8 lies in the GEMM or around it. Prints each
shape's median microseconds per call, then the sum over one layer per row. Then both libtorch int8 GEMMs
over heights not seen before, as compaction and refill make them (every row count and width): oneDNN builds
a primitive for each new height, fbgemm does not. Needs torch, onnx, onnxruntime.

  python3 tests/perf/int8_gemm.py [--rows 32] [--max-seq-len 64] [--threads 2]
"""
import argparse
import os
import tempfile
import time

import onnx
import onnxruntime as ort
import torch
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

from timing import median_us

# (in, out) features of the query/key/value, attention output, intermediate and output Linears
SHAPES = {"qkv": (384, 1152), "attention out": (384, 384), "intermediate": (384, 1536), "output": (1536, 384)}


def ort_session(path, threads):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=32, help="rows of one batch")
    parser.add_argument("--max-seq-len", type=int, default=64, help="tokens of each row")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    tokens = args.rows * args.max_seq_len
    totals = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (k, n) in SHAPES.items():
            g = torch.Generator().manual_seed(0)
            x = torch.randn(tokens, k, generator=g)
            w = torch.randn(n, k, generator=g) / k ** 0.5
            packed, onednn_weight = int8_weights(w)
            unit = x / x.abs().amax(-1, True)
            graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], name,
                                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, k])],
                                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, n])],
                                      [numpy_helper.from_array(w.T.contiguous().numpy(), "w")])
            fp32_path, int8_path = os.path.join(tmp, "fp32.onnx"), os.path.join(tmp, "int8.onnx")
            onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9), fp32_path)
            quantize_dynamic(fp32_path, int8_path, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"])
            feed = {"x": x.numpy()}
            fp32_session, int8_session = ort_session(fp32_path, args.threads), ort_session(int8_path, args.threads)
            result = {
                "torch fp32": median_us(lambda: torch.nn.functional.linear(x, w)),
                # the engine's call: input already scaled per token into [-1, 1], fixed parameters 2/127 and 64
                "fbgemm int8": median_us(lambda: torch.ops.quantized.linear_with_input_q_dq_qweight_dq_output_fp32(
                    unit, 2.0 / 127, 64, packed)),
                # the same work: quantize (oneDNN takes uint8, not a quantized tensor), GEMM, float32 out
                "onednn int8": median_us(lambda: onednn_int8(unit, onednn_weight)),
                "onnxruntime fp32": median_us(lambda: fp32_session.run(None, feed)),
                "onnxruntime int8": median_us(lambda: int8_session.run(None, feed)),
            }
            print(f"{name} [{tokens}, {k}] x [{k}, {n}]: "
                  + ", ".join(f"{kernel} {us:.0f} us" for kernel, us in result.items()))
            for kernel, us in result.items():
                totals[kernel] = totals.get(kernel, 0.0) + us
    print(f"one layer's four GEMMs, us per row ({args.rows} rows of {args.max_seq_len} tokens): "
          + ", ".join(f"{kernel} {us / args.rows:.0f}" for kernel, us in totals.items()))
    print(new_heights(args.rows, args.max_seq_len))
    print(f"torch {torch.__version__}, onnxruntime {ort.__version__}, {args.threads} threads")


def int8_weights(w):
    """w [out, in] -> (fbgemm's packed weight, oneDNN's (packed weight, scales, zero points)), quantized per
    output channel, symmetric: as PackLinearInt8 (udfs/src/main/python/make_kernels.py) packs it."""
    scales = w.abs().amax(1).div(127.0)
    zero_points = torch.zeros(w.shape[0], dtype=torch.long)
    q = torch.quantize_per_channel(w, scales.double(), zero_points, 0, torch.qint8)
    return (torch.ops.quantized.linear_prepack(q, None),
            (torch.ops.onednn.qlinear_prepack(q.int_repr(), None), scales, zero_points))


def onednn_int8(unit, weight):
    packed, scales, zero_points = weight
    q = torch.quantize_per_tensor(unit, 2.0 / 127, 64, torch.quint8).view(torch.uint8)
    return torch.ops.onednn.qlinear_pointwise(q, 2.0 / 127, 64, packed, scales, zero_points, None, 1.0, 0,
                                              torch.float32, "none", [], "")


def new_heights(rows, max_seq_len):
    """The intermediate Linear over every height compaction can make (1..rows rows x 3 widths), each once."""
    k, n = SHAPES["intermediate"]
    g = torch.Generator().manual_seed(1)
    fbgemm_weight, onednn_weight = int8_weights(torch.randn(n, k, generator=g) / k ** 0.5)
    heights = [r * width for width in (max_seq_len // 2 + 1, max_seq_len // 2 + 3, max_seq_len - 1)
               for r in range(1, rows + 1)]
    units = [(lambda x: x / x.abs().amax(-1, True))(torch.randn(h, k, generator=g)) for h in heights]
    seconds = {}
    for kernel, call in [
            ("fbgemm", lambda u: torch.ops.quantized.linear_with_input_q_dq_qweight_dq_output_fp32(
                u, 2.0 / 127, 64, fbgemm_weight)),
            ("onednn", lambda u: onednn_int8(u, onednn_weight))]:
        for label in ("first time", "seen"):
            start = time.perf_counter()
            for u in units:
                call(u)
            seconds[f"{kernel} {label}"] = time.perf_counter() - start
    return (f"intermediate Linear at {len(heights)} heights, each once, ms in all: "
            + ", ".join(f"{key} {s * 1e3:.0f}" for key, s in seconds.items()))


if __name__ == "__main__":
    main()
