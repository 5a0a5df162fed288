package dev.deebert.tests.importer;

import static dev.deebert.tests.importer.OnnxBytes.concat;
import static dev.deebert.tests.importer.OnnxBytes.field;
import static dev.deebert.tests.importer.OnnxBytes.message;
import static dev.deebert.tests.importer.OnnxBytes.model;
import static dev.deebert.tests.importer.OnnxBytes.node;
import static dev.deebert.tests.importer.OnnxBytes.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedOutputStream;
import dev.deebert.job.importer.OnnxGraph;
import dev.deebert.model.ModelFormatException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The ONNX decoder on the encodings real exporters use but BGE-small's file does not: float_data instead of
 * raw_data, unpacked repeated fields, int64 Constant nodes, external data. The bytes are written here with
 * protobuf's own encoder, following onnx.proto's field numbers.
 */
class OnnxGraphTest {
    @Test
    void readsRawAndRepeatedTensorData() throws IOException {
        byte[] rawFloats = littleEndianFloats(1.5f, -2f, 3.25f, 0f, 1e-12f, -7f);
        byte[] graph = concat(
                field(5, tensor("w_raw", new long[] {2, 3}, OnnxGraph.FLOAT, t -> t.writeByteArray(9, rawFloats))),
                field(5, tensor("w_packed", new long[] {3}, OnnxGraph.FLOAT, t -> {
                    ByteArrayOutputStream packed = new ByteArrayOutputStream();
                    CodedOutputStream p = CodedOutputStream.newInstance(packed);
                    for (float v : new float[] {0.5f, 0.25f, -1f}) {
                        p.writeFloatNoTag(v);
                    }
                    p.flush();
                    t.writeByteArray(4, packed.toByteArray());
                })),
                field(5, tensor("w_unpacked", new long[] {2}, OnnxGraph.FLOAT, t -> {
                    t.writeFloat(4, 4f);
                    t.writeFloat(4, 8f);
                })),
                field(5, tensor("position_ids", new long[] {1, 3}, OnnxGraph.INT64, t -> {
                    for (long v : new long[] {0, 1, 2}) {
                        t.writeInt64(7, v);
                    }
                })),
                field(1, node("/encoder/layer.0/attention/self/Constant_2", "Constant", List.of(), List.of("c2"),
                        tensor("", new long[] {1}, OnnxGraph.INT64, t -> t.writeByteArray(9,
                                ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(12).array())))),
                field(1, node("/encoder/layer.0/attention/self/query/MatMul", "MatMul", List.of("x", "w_raw"),
                        List.of("y"), null)));

        OnnxGraph parsed = OnnxGraph.read(new ByteArrayInputStream(model(graph)), "test.onnx");

        OnnxGraph.Tensor raw = parsed.initializers().get("w_raw");
        assertArrayEquals(new long[] {2, 3}, raw.dims());
        assertArrayEquals(new float[] {1.5f, -2f, 3.25f, 0f, 1e-12f, -7f}, raw.floats());
        assertArrayEquals(new float[] {0.5f, 0.25f, -1f}, parsed.initializers().get("w_packed").floats());
        assertArrayEquals(new float[] {4f, 8f}, parsed.initializers().get("w_unpacked").floats());
        assertArrayEquals(new long[] {0, 1, 2}, parsed.initializers().get("position_ids").longs());
        assertEquals(List.of("w_raw", "w_packed", "w_unpacked", "position_ids"),
                List.copyOf(parsed.initializers().keySet()));

        OnnxGraph.Node constant = parsed.nodes().get(0);
        assertEquals("Constant", constant.opType());
        assertArrayEquals(new long[] {12}, constant.value().longs());
        OnnxGraph.Node matMul = parsed.nodes().get(1);
        assertEquals(List.of("x", "w_raw"), matMul.inputs());
        assertEquals(List.of("y"), matMul.outputs());
        assertNull(matMul.value());
    }

    @Test
    void refusesExternalDataAndShapeMismatch() throws IOException {
        byte[] external = field(5, tensor("w", new long[] {2}, OnnxGraph.FLOAT, t -> t.writeEnum(14, 1)));
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> OnnxGraph.read(new ByteArrayInputStream(model(external)), "ext.onnx"));
        assertTrue(e.getMessage().contains("external"), e.getMessage());

        byte[] short_ = field(5, tensor("w", new long[] {2, 2}, OnnxGraph.FLOAT,
                t -> t.writeByteArray(9, littleEndianFloats(1f, 2f, 3f))));
        e = assertThrows(ModelFormatException.class,
                () -> OnnxGraph.read(new ByteArrayInputStream(model(short_)), "short.onnx"));
        assertTrue(e.getMessage().contains("holds 3 values"), e.getMessage());

        e = assertThrows(ModelFormatException.class,
                () -> OnnxGraph.read(new ByteArrayInputStream(new byte[] {8, 7}), "empty.onnx"));
        assertTrue(e.getMessage().contains("no graph"), e.getMessage());
    }

    private static byte[] littleEndianFloats(float... values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            buffer.putFloat(v);
        }
        return buffer.array();
    }
}
