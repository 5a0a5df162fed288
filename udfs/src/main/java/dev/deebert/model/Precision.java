package dev.deebert.model;

import java.util.Locale;

/**
 * Numeric format of the encoder's matrix products and attention. LayerNorm, the residual stream and every
 * exit head stay float32 in both (softmax accumulates in float32 too), which keeps the first-token state
 * within cosine 0.9999 of fp32.
 */
public enum Precision {
    FP32,
    /** bfloat16 weights and GEMM inputs: ~1.9x fp32 on CPUs with AVX512-BF16 (both through oneDNN). */
    BF16;

    /**
     * Every command's default, so that calibrate's thresholds hold for the runs that use them: on CPUs with
     * AVX512-BF16, bf16 runs at ~2x fp32 with the same accuracy.
     */
    public static final String DEFAULT = "bf16";

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
