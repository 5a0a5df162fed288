package dev.deebert.job.importer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/** A float32 tensor in Java memory, row-major: the importer's currency before tensors go to the engine. */
record HostTensor(long[] shape, float[] values) {
    HostTensor {
        if (Arrays.stream(shape).reduce(1, (a, b) -> a * b) != values.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " does not hold "
                    + values.length + " values");
        }
    }

    /** A [rows, cols] matrix stored as [cols, rows]: ONNX MatMul keeps Linear weights as [in, out]. */
    static HostTensor transposed(long[] shape, float[] values) {
        if (shape.length != 2) {
            throw new IllegalArgumentException("cannot transpose a tensor of shape " + Arrays.toString(shape));
        }
        int rows = Math.toIntExact(shape[0]);
        int cols = Math.toIntExact(shape[1]);
        float[] out = new float[values.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = values[r * cols + c];
            }
        }
        return new HostTensor(new long[] {cols, rows}, out);
    }

    NDArray toNDArray(NDManager manager) {
        return manager.create(values, new Shape(shape));
    }
}
