"""Writes the TorchScript modules through which the engine reaches libtorch operators DJL's API lacks.

Each module is one stateless function (no parameters), so it runs on whatever device its inputs are on:
  to_bf16.pt      x -> x as bfloat16. DJL's JNI has no bfloat16 dtype code (NDArray.toType(BFLOAT16)
                  aborts the JVM); the cast inside libtorch runs fine.
  pack_linear.pt  weight [out, in], rows -> the weight reordered once into oneDNN's blocked layout (CPU).
  linear.pt       x [..., in], packed weight, bias, "none" | "gelu" -> oneDNN GEMM with bias and the
                  activation fused. On AMD CPUs this runs fp32 ~2.4x and bf16 ~1.3x faster than aten's
                  linear (MKL sgemm / unpacked oneDNN), measured on the 2-core dev machines.
  attention.pt    q, k, v [B, A, L, D], mask bias [B, 1, 1, L] -> softmax(q k^T + mask) v, all in q's dtype
                  (softmax accumulates in fp32 internally), so bf16 attention needs no casts around it.
The operator schemas used here exist unchanged from libtorch 2.5.1 (DJL 0.33) on. Regenerate with:
    python3 udfs/src/main/python/make_kernels.py
"""
import pathlib

import torch


class ToBFloat16(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(torch.bfloat16)


class PackLinear(torch.nn.Module):
    def forward(self, weight: torch.Tensor, rows: int) -> torch.Tensor:
        return torch.ops.mkldnn._reorder_linear_weight(weight, rows)


class Linear(torch.nn.Module):
    def forward(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, activation: str) -> torch.Tensor:
        # algorithm "none": exact (erf) GELU, as BERT's "gelu"
        return torch.ops.mkldnn._linear_pointwise(x, weight, bias, activation, [], "none")


class Attention(torch.nn.Module):
    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # in place: a fresh [B, A, L, L] buffer per call costs page faults
        scores = torch.matmul(q, k.transpose(-1, -2)).add_(mask.to(q.dtype))
        return torch.matmul(torch.softmax(scores, -1), v)


out = pathlib.Path(__file__).resolve().parents[1] / "resources/dev/deebert/model"
for name, module in [("to_bf16", ToBFloat16()), ("pack_linear", PackLinear()), ("linear", Linear()),
                     ("attention", Attention())]:
    path = out / (name + ".pt")
    torch.jit.save(torch.jit.script(module), str(path))
    print(path)
