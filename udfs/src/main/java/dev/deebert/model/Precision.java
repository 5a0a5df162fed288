package dev.deebert.model;

import ai.djl.Device;
import java.util.Locale;

/**
 * Numeric format of the encoder's matrix products and attention. LayerNorm, the residual stream and every
 * exit (ramps and final head) stay float32 in all (softmax accumulates in float32 too), which keeps the
 * first-token state within cosine 0.9999 of fp32.
 */
public enum Precision {
    FP32,
    /** bfloat16 weights and GEMM inputs: ~1.9x fp32 on CPUs with AVX512-BF16 (both through oneDNN). */
    BF16,
    /**
     * Dynamic int8 quantization of the encoder's Linear layers (weights int8 per output channel, packed once;
     * activations quantized per call) through libtorch's fbgemm kernels; embeddings, attention, LayerNorm and
     * the exits stay float32. CPU only. Never chosen by {@link #fastestOn}: it moves logits more than bf16,
     * so it is asked for by name and calibrated on its own.
     */
    INT8;

    /**
     * bf16 on GPUs and on CPUs whose oneDNN has bf16 GEMMs (~2x fp32 at the same accuracy there); fp32 on
     * other CPUs, where bf16 weights fall back to libtorch's generic kernels and run many times slower.
     */
    public static Precision fastestOn(Device device) {
        return device.isGpu() || LibTorchOps.get().packsBFloat16() ? BF16 : FP32;
    }

    /** What runs on {@code device}: {@code named}, or {@link #fastestOn} when none is named (auto). */
    public static Precision on(Device device, Precision named) {
        if (named == INT8 && device.isGpu()) {
            throw new IllegalArgumentException("precision int8 runs on CPU only (libtorch's dynamic int8 GEMMs have"
                    + " no GPU kernels), and this run's tasks get a GPU (spark.task.resource.gpu.amount > 0): use"
                    + " bf16 or fp32 there");
        }
        return named != null ? named : fastestOn(device);
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
