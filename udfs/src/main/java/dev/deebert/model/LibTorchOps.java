package dev.deebert.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/**
 * libtorch operators that DJL's NDArray API does not reach, each behind a one-function TorchScript module
 * bundled in the jar (made by {@code udfs/src/main/python/make_kernels.py}, which says why each exists).
 * The modules hold no state, so one instance per JVM serves every engine and thread, on any device.
 */
final class LibTorchOps {
    /**
     * JVM property that pins the form of the weights oneDNN's GEMM runs on: {@code packed}, {@code plain} or
     * {@code auto} (the default: timed once per JVM, {@link #packingPays}). Pinning makes machines whose
     * timings differ round alike; a form that computes a shape wrong is still never used for it.
     */
    static final String WEIGHTS_PROPERTY = "deebert.onednn.weights";
    /** GEMM height on which {@link #linearWeight} checks a form: whole row blocks and a tail. */
    private static final int CHECKED_ROWS = 513;
    /** How much faster oneDNN's GEMM must run on the weight as it is than packed, for the weight to stay as it is. */
    private static final double PLAIN_MARGIN = 1.5;
    private static final int TIMED_ROUNDS = 5;
    private static LibTorchOps instance;

    /** Held so that the modules live as long as this instance. */
    private final List<Model> modules = new ArrayList<>();
    private final PtSymbolBlock toBFloat16;
    private final PtSymbolBlock packLinear;
    private final PtSymbolBlock linear;
    private final PtSymbolBlock attention;
    /** Loaded on first use: only int8 engines need it. */
    private volatile Int8Kernels int8;
    /** Null until first asked. */
    private Boolean packsBFloat16;
    /** Per form, dtype and weight shape: whether {@link #linear} computes a weight of that form right on this CPU. */
    private final Map<String, Boolean> formRight = new ConcurrentHashMap<>();
    /** Null until first asked. */
    private Boolean packingPays;

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
     * The weight [out, in] in the form {@link #linear} runs best on this CPU: packed by {@link #packLinear}, or
     * as it is (oneDNN then runs its GEMM on the plain layout), or null where {@link #linear} computes neither
     * form right and the caller keeps DJL's plain GEMM ({@code x w^T + b}, then GELU). Each form is checked once
     * per dtype and shape against that plain GEMM, on {@link #CHECKED_ROWS} rows. Why: libtorch 2.5.1's and
     * 2.7.1's oneDNN on an AVX512 EPYC (Zen 5, AVX512-BF16 and VNNI) compute packed float32 weights of some
     * shapes wrong in their padded 64-wide layout: [96, 32] (the 3-layer test models' fused QKV), [936, 312]
     * and [1200, 312] (TinyBERT's QKV and FFN), off by up to the whole output scale; the plain layout is right.
     */
    NDArray linearWeight(NDArray weight, long rows) {
        NDArray packed = packs() ? formedIfRight("packed", weight, () -> packLinear(weight, rows)) : null;
        return packed != null ? packed : formedIfRight("plain", weight, () -> weight);
    }

    /**
     * The weight in {@code form}, made by {@code make}, where {@link #linear} computes that form of its dtype and
     * shape right, else null; once a form is known wrong for a shape, nothing is made for it again.
     */
    private NDArray formedIfRight(String form, NDArray weight, Supplier<NDArray> make) {
        String key = form + " " + weight.getDataType() + " " + weight.getShape();
        if (Boolean.FALSE.equals(formRight.get(key))) {
            return null;
        }
        NDArray formed = make.get();
        if (formRight.computeIfAbsent(key, k -> matchesPlainGemm(form, weight, formed))) {
            return formed;
        }
        if (formed != weight) {
            formed.close();
        }
        return null;
    }

    private boolean matchesPlainGemm(String form, NDArray weight, NDArray formed) {
        try (NDManager check = Engines.newManager(Device.cpu())) {
            long in = weight.getShape().get(1);
            // fixed values in [-1, 1]
            NDArray x = check.arange(CHECKED_ROWS * in).toType(DataType.FLOAT32, false).mul(0.7f).sin()
                    .reshape(CHECKED_ROWS, in);
            NDArray bias = check.zeros(new Shape(weight.getShape().get(0)));
            if (weight.getDataType() != DataType.FLOAT32) {
                x = toBFloat16(x);
                bias = toBFloat16(bias);
            }
            // [rows, out]
            NDArray expected = Activation.gelu(Linear.linear(x, weight, bias).singletonOrThrow())
                    .toType(DataType.FLOAT32, false);
            NDArray actual = linear(x, formed, bias, true).toType(DataType.FLOAT32, false);
            // bf16 rounds each output to 2^-8 of itself; the wrong layouts were off by 30-100% of the scale
            float error = actual.sub(expected).abs().max().getFloat() / expected.abs().max().getFloat();
            if (error > 0.02f) {
                // DJL names no bfloat16 dtype (UNKNOWN)
                LoggerFactory.getLogger(LibTorchOps.class).warn("libtorch's oneDNN GEMM computes {} {} {} weights"
                        + " wrong on this CPU (off by {}% of the output scale): Linears of that shape use another"
                        + " form", form, weight.getDataType() == DataType.FLOAT32 ? "float32" : "bfloat16",
                        weight.getShape(), Math.round(error * 100));
                return false;
            }
            return true;
        }
    }

    private boolean packs() {
        String form = System.getProperty(WEIGHTS_PROPERTY, "auto");
        return switch (form) {
            case "packed" -> true;
            case "plain" -> false;
            case "auto" -> packingPays();
            default -> throw new IllegalArgumentException("-D" + WEIGHTS_PROPERTY + "=" + form
                    + ": expected packed, plain or auto");
        };
    }

    /**
     * Whether oneDNN's GEMM runs faster on packed weights than on weights as they are, on this CPU. Timed once
     * per JVM, in float32, on the four Linears of a BGE-small layer (1024 rows: QKV, attention output, FFN with
     * GELU, FFN output), the fastest of {@link #TIMED_ROUNDS} alternating rounds of each form after two to warm
     * up (oneDNN reached full speed only after a few calls); the weights stay as they are only where that runs
     * at least {@link #PLAIN_MARGIN} times as fast. Why timed: no CPU flag tells where packing pays. libtorch
     * 2.5.1's oneDNN (3.5.3) on the Zen 5 EPYC VM ran its packed GEMM (brgemm) at a third to a half the speed of
     * its GEMM on plain weights (gemm:jit), fp32 and bf16, 1 and 2 threads, at BGE-small's shapes; libtorch
     * 2.7.1's packed GEMM on the same VM ran as fast as the plain one or faster (other CPUs: not measured).
     * Why once, in float32, and with a margin: the two forms round differently, so a rerun that chose the
     * other form could give a row whose entropy sits on S another exit. The float32 timing there came out
     * 2.3-3.7x in every process, far from the margin; the bfloat16 one, 1.3-1.55x, flipped between two
     * processes, though the bf16 model ran 1.9x as fast unpacked. bf16 follows float32: one oneDNN build.
     */
    private synchronized boolean packingPays() {
        if (packingPays == null) {
            packingPays = timePacking();
        }
        return packingPays;
    }

    private boolean timePacking() {
        try (NDManager probe = Engines.newManager(Device.cpu())) {
            // [out, in] of QKV, attention output, FFN (GELU fused) and FFN output
            List<Gemm> layer = new ArrayList<>();
            for (long[] shape : new long[][] {{1152, 384}, {384, 384}, {1536, 384}, {384, 1536}}) {
                NDArray weight = probe.randomUniform(-1, 1, new Shape(shape));
                layer.add(new Gemm(probe.randomUniform(-1, 1, new Shape(1024, shape[1])), weight,
                        packLinear(weight, 1024), probe.zeros(new Shape(shape[0])), shape[0] == 1536));
            }
            long fastestPacked = Long.MAX_VALUE;
            long fastestPlain = Long.MAX_VALUE;
            for (int round = 0; round < TIMED_ROUNDS + 2; round++) {
                long packedNanos = nanos(layer, true);
                long plainNanos = nanos(layer, false);
                if (round >= 2) {
                    fastestPacked = Math.min(fastestPacked, packedNanos);
                    fastestPlain = Math.min(fastestPlain, plainNanos);
                }
            }
            boolean pays = fastestPacked < PLAIN_MARGIN * fastestPlain;
            LoggerFactory.getLogger(LibTorchOps.class).info("oneDNN GEMMs of a BGE-small layer, float32: {} ms on"
                    + " packed weights, {} ms on plain ones: {}", fastestPacked / 1e6, fastestPlain / 1e6,
                    pays ? "weights packed" : "weights stay as they are");
            return pays;
        }
    }

    /** One GEMM that {@link #timePacking} runs: input [rows, in], the weight as it is and packed, bias [out]. */
    private record Gemm(NDArray x, NDArray weight, NDArray packed, NDArray bias, boolean gelu) {}

    /** Nanoseconds of one pass of {@link #linear} over {@code layer}, on packed weights or on them as they are. */
    private long nanos(List<Gemm> layer, boolean packed) {
        long start = System.nanoTime();
        for (Gemm gemm : layer) {
            linear(gemm.x, packed ? gemm.packed : gemm.weight, gemm.bias, gemm.gelu).close();
        }
        return System.nanoTime() - start;
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

    /**
     * x [..., in] -> [..., out] with bias and, if {@code gelu}, exact GELU fused; weight from {@link #linearWeight}.
     */
    NDArray linear(NDArray x, NDArray weight, NDArray bias, boolean gelu) {
        return call(linear, x, IValue.from((PtNDArray) x), IValue.from((PtNDArray) weight),
                IValue.from((PtNDArray) bias), IValue.from(gelu ? "gelu" : "none"));
    }

    /**
     * A Linear's float32 weight [out, in] as fbgemm's packed int8 weight (per-channel symmetric scales), for
     * {@link #linearInt8} (CPU only). The result is a TorchScript object, not a tensor: it lives until
     * {@code owner} closes.
     */
    IValue packLinearInt8(NDArray weight, NDManager owner) {
        return int8().pack(weight, owner);
    }

    /**
     * x [..., in] float32 -> [..., out] float32 through dynamic int8 quantization, each token quantized on its
     * own (so a row's result does not depend on the batch), except the input columns {@code outliers} [k]
     * int64, which go through a float32 GEMM with {@code outlierWeight} [k, out]; with the float32 bias and, if
     * {@code gelu}, exact GELU; packed from {@link #packLinearInt8}, which this leaves open. {@code x} comes back
     * as it was, but its outlier columns read zero while this runs.
     */
    NDArray linearInt8(NDArray x, IValue packed, NDArray bias, NDArray outliers, NDArray outlierWeight,
                       boolean gelu) {
        return int8().linear(x, packed, bias, outliers, outlierWeight, gelu);
    }

    private Int8Kernels int8() {
        Int8Kernels kernels = int8;
        if (kernels == null) {
            synchronized (this) {
                if (int8 == null) {
                    int8 = Int8Kernels.probe(load("pack_linear_int8"), load("linear_int8"));
                }
                kernels = int8;
            }
        }
        return kernels;
    }

    /**
     * The int8 modules and the uint8 levels a token's [-1, 1] maps onto for fbgemm's u8*s8 GEMM on this CPU:
     * all 8 bits (scale 1/127, zero point 128) where the kernel sums products exactly (AVX512-VNNI), about 7
     * (scale 2/127, zero point 64) where it sums pairs of products in int16 with saturation (AVX2, AVX512 without
     * VNNI), which 8-bit inputs overflow (make_kernels.py has the errors measured). Asked of the kernel itself,
     * as fbgemm picks its instructions at run time.
     */
    private record Int8Kernels(PtSymbolBlock packModule, PtSymbolBlock linearModule, double inputScale,
                               long inputZeroPoint) {
        /** 8 bits where a GEMM whose 8-bit products saturate any int16 pair sum comes out exact, else 7. */
        static Int8Kernels probe(PtSymbolBlock packModule, PtSymbolBlock linearModule) {
            Int8Kernels eightBits = new Int8Kernels(packModule, linearModule, 1.0 / 127, 128);
            boolean exact;
            try (NDManager probe = Engines.newManager(Device.cpu())) {
                // every input at level 255 and every weight at 127: each output is exactly `in`; saturated pairs
                // give ~0.5
                int in = 64;
                NDArray ones = probe.ones(new Shape(2, in));
                NDArray y = eightBits.linear(ones, eightBits.pack(probe.ones(new Shape(8, in)), probe),
                        probe.zeros(new Shape(8)), probe.zeros(new Shape(0), DataType.INT64),
                        probe.zeros(new Shape(0, 8)), false);
                exact = y.sub(in).abs().max().getFloat() < 1e-3f;
            }
            LoggerFactory.getLogger(LibTorchOps.class).info("int8 GEMM inputs: {} bits (fbgemm's kernel on this CPU"
                    + " {})", exact ? 8 : 7, exact ? "sums products exactly" : "saturates 8-bit pair sums");
            return exact ? eightBits : new Int8Kernels(packModule, linearModule, 2.0 / 127, 64);
        }

        IValue pack(NDArray weight, NDManager owner) {
            IValue w = IValue.from((PtNDArray) weight);
            try {
                IValue packed = packModule.forward(w);
                owner.attachInternal("int8-" + UUID.randomUUID(), packed);
                return packed;
            } finally {
                w.close();
            }
        }

        NDArray linear(NDArray x, IValue packed, NDArray bias, NDArray outliers, NDArray outlierWeight,
                       boolean gelu) {
            IValue[] args = {IValue.from((PtNDArray) x), packed, IValue.from((PtNDArray) bias),
                    IValue.from((PtNDArray) outliers), IValue.from((PtNDArray) outlierWeight),
                    IValue.from(gelu ? "gelu" : "none"), IValue.from(inputScale), IValue.from(inputZeroPoint)};
            try (IValue out = linearModule.forward(args)) {
                return out.toTensor((PtNDManager) x.getManager());
            } finally {
                for (IValue arg : args) {
                    if (arg != packed) {
                        arg.close();
                    }
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
