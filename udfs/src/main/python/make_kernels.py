"""Writes the TorchScript modules through which the engine reaches libtorch operators DJL's API lacks.

Each module is one stateless function (no parameters), so it runs on whatever device its inputs are on:
  to_bf16.pt      x -> x as bfloat16. DJL's JNI has no bfloat16 dtype code (NDArray.toType(BFLOAT16)
                  aborts the JVM); the cast inside libtorch runs fine.
  pack_linear.pt  weight [out, in], rows -> the weight reordered once into oneDNN's blocked layout (CPU).
  linear.pt       x [..., in], weight (packed by pack_linear, or as it is), bias, "none" | "gelu" -> oneDNN
                  GEMM with bias and the activation fused. On the earlier AMD dev machines, packed, it ran fp32
                  ~2.4x and bf16 ~1.3x faster than aten's linear (MKL sgemm / oneDNN matmul); where libtorch
                  2.5.1's packed GEMM is slow (the Zen 5 VM), the engine passes the weight as it is
                  (LibTorchOps.linearWeight).
  pack_linear_int8.pt  weight [out, in] float32 -> the weight quantized to int8 per output channel
                  (symmetric) and packed once for fbgemm: a LinearPackedParamsBase, a TorchScript custom
                  class that the engine holds as a DJL IValue and passes back to linear_int8.
  linear_int8.pt  x [..., in] float32, packed weight, bias, outliers [k] int64, outlier weight [k, out] float32,
                  "none" | "gelu", input scale, input zero point -> fbgemm's int8 GEMM with each token quantized on
                  its own: scaled into [-1, 1] by its largest |value|, quantized with the fixed parameters of that
                  range
                  (quantized::linear_with_input_q_dq_qweight_dq_output_fp32, the static-input form of
                  linear_dynamic: the range is known, so no appended +1/-1 rows need pin it; same speed), the result
                  rescaled per token with the float32 bias added; the k outlier input columns (a fixed set per
                  layer, often none) are left out of the quantized input and added back through a float32 [*, k] x
                  [k, out] GEMM, as LLM.int8() does: one feature of |x| ~ 30 would otherwise leave the others a few
                  of the 127 levels; then exact GELU if asked. A row's result does not depend on the rows batched
                  with it (batched == batch 1 holds). x comes back as it was, but its outlier columns read zero while
                  the call runs: no other thread may read x meanwhile.
                  Why this op: it is libtorch 2.5.1's fastest int8 path on AVX2 (fbgemm; the per-tensor op alone
                  measured 1.4-2.7x oneDNN fp32 at BERT-small GEMM shapes on the 2 loaded dev cores, the per-token
                  scaling gives part of that back), with per-channel weight scales; the legacy tensor-only
                  fbgemm_linear_int8_* ops quantize weights per tensor only, and _weight_int8pack_mm leaves
                  activations in float32. The range's parameters come from the engine, which picks them per CPU
                  (LibTorchOps): 8 bits (1..255 around zero point 128) where fbgemm's u8*s8 kernel sums products
                  exactly (AVX512-VNNI), about 7 bits (0..128 around 64) where it sums pairs of products in int16
                  with saturation (AVX2, AVX512 without VNNI: 255 * 127 * 2 > 32767): at 8 bits there a GEMM of
                  BERT's size was off by 16% of its largest output, at 7 bits by 1.8%, at 8 bits with VNNI by 0.8%. CPU
                  only: libtorch has no CUDA kernel for it. Written with torch 2.13 (TorchScript format loaded by
                  libtorch 2.5.1, checked by Int8AgreementTest).
  attention.pt    q, k, v [B, A, L, D], mask bias [B, 1, 1, L] -> softmax(q k^T + mask) v, all in q's dtype
                  (softmax accumulates in fp32 internally), so bf16 attention needs no casts around it. Not
                  scaled_dot_product_attention: its fused CPU kernel gives a row other bits when the batch pads
                  it wider, so exits on a threshold's edge changed with the batch (BatchedEarlyExitTest), for
                  fp32 1.0-1.07x the speed of the model (bf16 on AVX2 machines, where auto picks fp32: 8-18x
                  this attention alone).
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


class PackLinearInt8(torch.nn.Module):
    def forward(self, weight: torch.Tensor) -> torch.classes.quantized.LinearPackedParamsBase:
        scales = weight.abs().amax(1).clamp_min(1e-12).div(127.0).to(torch.float64)
        zero_points = torch.zeros(scales.shape, dtype=torch.int64)
        q = torch.quantize_per_channel(weight, scales, zero_points, 0, torch.qint8)
        return torch.ops.quantized.linear_prepack(q, None)


class LinearInt8(torch.nn.Module):
    def forward(self, x: torch.Tensor, packed: torch.classes.quantized.LinearPackedParamsBase, bias: torch.Tensor,
                outliers: torch.Tensor, outlier_weight: torch.Tensor, activation: str, input_scale: float,
                input_zero_point: int) -> torch.Tensor:
        shape = x.shape
        rows = x.reshape(-1, shape[-1])
        # the outlier input columns go through the float32 side GEMM, so they leave the int8 input, and the scale, as
        # zeros: zeroed in the caller's tensor (often the residual stream) and put back once the scaled copy is
        # made, where a zeroed copy of the input cost 8% of int8 time
        kept = rows.index_select(1, outliers)
        if outliers.numel() > 0:
            rows.index_fill_(1, outliers, 0.0)
        # each token scaled into [-1, 1] by its own largest |value|, as the larger of its max and -min: two reads,
        # where abs().amax() wrote a copy first (vector_norm's inf path is 6x slower, not vectorized on CPU)
        scale = torch.maximum(rows.amax(-1, True), rows.amin(-1, True).neg_()).clamp_min_(1e-30)
        unit = rows / scale
        if outliers.numel() > 0:
            rows.index_copy_(1, outliers, kept)
        # [-1, 1] onto the levels the engine picked for this CPU (see above)
        y = torch.ops.quantized.linear_with_input_q_dq_qweight_dq_output_fp32(unit, input_scale, input_zero_point,
                                                                              packed)
        y = torch.addcmul(bias, y, scale, out=y)
        if outliers.numel() > 0:
            y.addmm_(kept, outlier_weight)
        if activation == "gelu":
            y = torch._C._nn.gelu_(y)
        return y.reshape(shape[:-1] + [y.size(1)])


class Attention(torch.nn.Module):
    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # in place: a fresh [B, A, L, L] buffer per call costs page faults
        scores = torch.matmul(q, k.transpose(-1, -2)).add_(mask.to(q.dtype))
        return torch.matmul(torch.softmax(scores, -1), v)


out = pathlib.Path(__file__).resolve().parents[1] / "resources/dev/deebert/model"
for name, module in [("to_bf16", ToBFloat16()), ("pack_linear", PackLinear()), ("linear", Linear()),
                     ("pack_linear_int8", PackLinearInt8()), ("linear_int8", LinearInt8()),
                     ("attention", Attention())]:
    path = out / (name + ".pt")
    torch.jit.save(torch.jit.script(module), str(path))
    print(path)
