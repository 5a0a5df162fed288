#!/usr/bin/env python3
"""The encoder's float GEMMs alone, at BGE-small's FFN shapes: oneDNN's packed GEMM (what the engine runs where
packing pays, `mkldnn::_linear_pointwise` on a weight from `_reorder_linear_weight`, packed for several heights)
against PyTorch's plain `linear`, fp32 and bf16, in GFLOP/s. Tells whether a CPU's oneDNN runs near its peak: run it
under the PyTorch whose oneDNN you ask about (pip's torch here, not the engine's libtorch).

  python3 tests/perf/linear_gemm.py [--threads 2]
"""
import argparse

import torch

from timing import median_us


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    torch.set_num_threads(parser.parse_args().threads)
    for dtype in (torch.float32, torch.bfloat16):
        # (in, out): the intermediate and output Linears
        for features_in, features_out in [(384, 1536), (1536, 384)]:
            weight = torch.randn(features_out, features_in).to(dtype)
            bias = torch.randn(features_out).to(dtype)
            for rows in (2048, 600, 64):
                x = torch.randn(rows, features_in).to(dtype)
                flops = 2 * rows * features_in * features_out
                figures = []
                for hint in (2048, 512, rows):
                    packed = torch.ops.mkldnn._reorder_linear_weight(weight, hint)
                    us = median_us(lambda: torch.ops.mkldnn._linear_pointwise(x, packed, bias, "none", [], "none"),
                                   runs=15)
                    figures.append(f"packed for {hint} rows {flops / us / 1e3:.0f}")
                us = median_us(lambda: torch.nn.functional.linear(x, weight, bias), runs=15)
                figures.append(f"plain {flops / us / 1e3:.0f}")
                shape = f"[{rows}, {features_in}] x [{features_in}, {features_out}]"
                print(f"{dtype} {shape} GFLOP/s: {', '.join(figures)}")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")


if __name__ == "__main__":
    main()
