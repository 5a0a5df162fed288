package dev.deebert.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.LoggerFactory;

/**
 * libtorch operators that DJL's NDArray API does not reach, each behind a one-function TorchScript module
 * bundled in the jar (made by {@code udfs/src/main/python/make_kernels.py}, which says why each exists).
 * The modules hold no state, so one instance per JVM serves every engine and thread, on any device.
 */
final class LibTorchOps {
    private static LibTorchOps instance;

    /** Held so that the modules live as long as this instance. */
    private final List<Model> modules = new ArrayList<>();
    private final PtSymbolBlock toBFloat16;
    private final PtSymbolBlock packLinear;
    private final PtSymbolBlock linear;
    private final PtSymbolBlock attention;
    /** Loaded on first use: only int8 engines need them. */
    private volatile PtSymbolBlock packLinearInt8;
    private volatile PtSymbolBlock linearInt8;
    /** Null until first asked. */
    private Boolean packsBFloat16;

    private LibTorchOps() {
        toBFloat16 = load("to_bf16");
        packLinear = load("pack_linear");
        linear = load("linear");
        attention = load("attention");
    }

    static synchronized LibTorchOps get() {
        if (instance == null) {
            instance = new LibTorchOps();
        }
        return instance;
    }

    /** The same values as bfloat16. */
    NDArray toBFloat16(NDArray x) {
        return call(toBFloat16, x, IValue.from((PtNDArray) x));
    }

    /**
     * A Linear weight [out, in] reordered into oneDNN's blocked layout for {@link #linear} (CPU only);
     * {@code rows} is the typical GEMM height, a hint for the layout choice.
     */
    NDArray packLinear(NDArray weight, long rows) {
        return call(packLinear, weight, IValue.from((PtNDArray) weight), IValue.from(rows));
    }

    /**
     * Whether {@link #packLinear} takes bfloat16 weights on this CPU: oneDNN's bf16 path needs AVX512 (BW, VL,
     * DQ) or AVX-NE-CONVERT. Asked of libtorch once per JVM, with a tiny weight.
     */
    synchronized boolean packsBFloat16() {
        if (packsBFloat16 == null) {
            try (NDManager probe = Engines.newManager(Device.cpu())) {
                packLinear(toBFloat16(probe.zeros(new Shape(16, 16))), 1);
                packsBFloat16 = true;
            } catch (EngineException e) {
                LoggerFactory.getLogger(LibTorchOps.class).warn("this CPU has no oneDNN bf16 GEMMs ({}): bf16 weights"
                        + " stay unpacked, on libtorch's generic kernels", e.getMessage().lines()
                        .filter(l -> l.startsWith("RuntimeError")).findFirst().orElse("unsupported"));
                packsBFloat16 = false;
            }
        }
        return packsBFloat16;
    }

    /** x [..., in] -> [..., out] with bias and, if {@code gelu}, exact GELU fused; weight from {@link #packLinear}. */
    NDArray linear(NDArray x, NDArray packedWeight, NDArray bias, boolean gelu) {
        return call(linear, x, IValue.from((PtNDArray) x), IValue.from((PtNDArray) packedWeight),
                IValue.from((PtNDArray) bias), IValue.from(gelu ? "gelu" : "none"));
    }

    /**
     * A Linear's float32 weight [out, in] as fbgemm's packed int8 weight (per-channel symmetric scales), for
     * {@link #linearInt8} (CPU only). The result is a TorchScript object, not a tensor: it lives until
     * {@code owner} closes.
     */
    IValue packLinearInt8(NDArray weight, NDManager owner) {
        PtSymbolBlock module;
        synchronized (this) {
            if (packLinearInt8 == null) {
                packLinearInt8 = load("pack_linear_int8");
                linearInt8 = load("linear_int8");
            }
            module = packLinearInt8;
        }
        IValue w = IValue.from((PtNDArray) weight);
        try {
            IValue packed = module.forward(w);
            owner.attachInternal("int8-" + UUID.randomUUID(), packed);
            return packed;
        } finally {
            w.close();
        }
    }

    /**
     * x [..., in] float32 -> [..., out] float32 through dynamic int8 quantization, each token quantized on its
     * own (so a row's result does not depend on the batch), except the input columns {@code outliers} [k]
     * int64, which go through a float32 GEMM with {@code outlierWeight} [k, out]; with the float32 bias and, if
     * {@code gelu}, exact GELU; packed from {@link #packLinearInt8}, which this leaves open.
     */
    NDArray linearInt8(NDArray x, IValue packed, NDArray bias, NDArray outliers, NDArray outlierWeight,
                       boolean gelu) {
        IValue[] args = {IValue.from((PtNDArray) x), packed, IValue.from((PtNDArray) bias),
                IValue.from((PtNDArray) outliers), IValue.from((PtNDArray) outlierWeight),
                IValue.from(gelu ? "gelu" : "none")};
        try (IValue out = linearInt8.forward(args)) {
            return out.toTensor((PtNDManager) x.getManager());
        } finally {
            for (IValue arg : args) {
                if (arg != packed) {
                    arg.close();
                }
            }
        }
    }

    /** q, k, v [B, A, L, D] (q pre-scaled), mask bias [B, 1, 1, L] -> softmax(q k^T + mask) v [B, A, L, D]. */
    NDArray attention(NDArray q, NDArray k, NDArray v, NDArray maskBias) {
        return call(attention, q, IValue.from((PtNDArray) q), IValue.from((PtNDArray) k),
                IValue.from((PtNDArray) v), IValue.from((PtNDArray) maskBias));
    }

    /** Runs {@code module}; the result is attached to {@code like}'s manager. Takes ownership of {@code args}. */
    private static NDArray call(PtSymbolBlock module, NDArray like, IValue... args) {
        // IValues rather than an NDList: DJL passes named NDArrays (all loaded weights) as a Dict.
        try (IValue out = module.forward(args)) {
            return out.toTensor((PtNDManager) like.getManager());
        } finally {
            for (IValue arg : args) {
                arg.close();
            }
        }
    }

    private PtSymbolBlock load(String name) {
        Model module = Model.newInstance(name, "PyTorch");
        modules.add(module);
        try (InputStream in = LibTorchOps.class.getResourceAsStream(name + ".pt")) {
            if (in == null) {
                throw new IllegalStateException(name + ".pt is missing from the deebert-udfs jar");
            }
            module.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (MalformedModelException e) {
            throw new IllegalStateException(name + ".pt does not load: " + e.getMessage(), e);
        }
        return (PtSymbolBlock) module.getBlock();
    }
}
