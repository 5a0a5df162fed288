package dev.deebert.model;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.IValue;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Casts tensors to bfloat16 through a one-line TorchScript module ({@code to_bf16.pt}, made by
 * {@code udfs/src/main/python/make_bf16_cast.py}). DJL's JNI has no bfloat16 dtype code, so
 * {@code NDArray.toType(BFLOAT16)} aborts the JVM; the module does the same cast inside libtorch.
 * Casting back is an ordinary {@code toType(FLOAT32)}.
 */
final class BFloat16Cast implements AutoCloseable {
    private final Model module;
    private final PtSymbolBlock block;

    BFloat16Cast() {
        module = Model.newInstance("to_bf16", "PyTorch");
        try (InputStream in = BFloat16Cast.class.getResourceAsStream("to_bf16.pt")) {
            if (in == null) {
                throw new IllegalStateException("to_bf16.pt is missing from the deebert-udfs jar");
            }
            module.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (MalformedModelException e) {
            throw new IllegalStateException("to_bf16.pt does not load: " + e.getMessage(), e);
        }
        block = (PtSymbolBlock) module.getBlock();
    }

    /** The same values as bfloat16, attached to {@code x}'s manager. */
    NDArray apply(NDArray x) {
        // IValues rather than an NDList: DJL passes named NDArrays (all loaded weights) as a Dict.
        try (IValue in = IValue.from((PtNDArray) x); IValue out = block.forward(in)) {
            return out.toTensor((PtNDManager) x.getManager());
        }
    }

    @Override
    public void close() {
        module.close();
    }
}
