"""Writes the TorchScript module that casts a tensor to bfloat16.

DJL's JNI has no bfloat16 dtype (NDArray.toType(BFLOAT16) aborts the JVM), but a TorchScript module
doing the cast runs fine, so the engine loads this one. Regenerate with:
    python3 udfs/src/main/python/make_bf16_cast.py
"""
import pathlib

import torch


class ToBFloat16(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(torch.bfloat16)


out = pathlib.Path(__file__).resolve().parents[1] / "resources/dev/deebert/model/to_bf16.pt"
torch.jit.save(torch.jit.script(ToBFloat16()), str(out))
print(out)
