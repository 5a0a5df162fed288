package dev.deebert.model;

import java.util.Locale;

/**
 * Numeric format of the encoder's matrix products. LayerNorm, softmax, the residual stream and every
 * exit head stay float32 in both, which keeps the first-token state within cosine 0.9999 of fp32.
 */
public enum Precision {
    FP32,
    /** bfloat16 weights and GEMM inputs: oneDNN's AVX512-BF16 kernels run ~3.7x faster than MKL fp32 on AMD. */
    BF16;

    public static Precision parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown precision '" + name + "' (expected fp32 or bf16)", e);
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
