package dev.deebert.job.importer;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.deebert.model.ModelFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The part of an ONNX model an importer needs: the graph's initializers and its nodes (name, op type,
 * inputs, outputs, and the tensor of {@code Constant} nodes).
 *
 * <p>Decoded by hand with protobuf's {@link CodedInputStream} rather than from classes generated from
 * onnx.proto: we read six fields of four messages, and code generation would need protoc, which Maven can
 * only fetch online. Field numbers are those of onnx.proto (IR version 3 onwards, unchanged since).
 */
public final class OnnxGraph {
    /** onnx.proto TensorProto.DataType values this importer reads. */
    public static final int FLOAT = 1;
    public static final int INT64 = 7;

    /**
     * A tensor (initializer or Constant value). {@code floats} is set for FLOAT, {@code longs} for INT64
     * (both row-major, as stored); other data types keep only their name, dims and type.
     */
    public record Tensor(String name, long[] dims, int dataType, float[] floats, long[] longs) {
        public long elementCount() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }

        @Override
        public String toString() {
            return name + " " + Arrays.toString(dims) + " type " + dataType;
        }
    }

    /** A graph node; {@code value} is the tensor of a Constant node, else null. */
    public record Node(String name, String opType, List<String> inputs, List<String> outputs, Tensor value) {}

    private final Map<String, Tensor> initializers;
    private final List<Node> nodes;

    private OnnxGraph(Map<String, Tensor> initializers, List<Node> nodes) {
        this.initializers = initializers;
        this.nodes = nodes;
    }

    /** Initializers by name, in file order. */
    public Map<String, Tensor> initializers() {
        return initializers;
    }

    public List<Node> nodes() {
        return nodes;
    }

    /**
     * Reads an ONNX ModelProto from {@code in} (streamed; the caller closes it). {@code source} names the
     * input in error messages.
     */
    public static OnnxGraph read(InputStream in, String source) throws IOException {
        CodedInputStream model = CodedInputStream.newInstance(in, 1 << 16);
        // ONNX files are up to 2 GB; protobuf's default guard against huge messages would stop earlier.
        model.setSizeLimit(Integer.MAX_VALUE);
        OnnxGraph graph = null;
        try {
            for (int tag = model.readTag(); tag != 0; tag = model.readTag()) {
                // ModelProto.graph = 7
                if (WireFormat.getTagFieldNumber(tag) == 7 && isLengthDelimited(tag)) {
                    int limit = model.pushLimit(model.readRawVarint32());
                    graph = readGraph(model, source);
                    model.popLimit(limit);
                } else {
                    model.skipField(tag);
                }
            }
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new ModelFormatException(source + ": not an ONNX model (" + e.getMessage() + ")", e);
        }
        if (graph == null) {
            throw new ModelFormatException(source + ": not an ONNX model (no graph)");
        }
        return graph;
    }

    private static OnnxGraph readGraph(CodedInputStream in, String source) throws IOException {
        Map<String, Tensor> initializers = new LinkedHashMap<>();
        List<Node> nodes = new ArrayList<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == 1 && isLengthDelimited(tag)) { // GraphProto.node
                int limit = in.pushLimit(in.readRawVarint32());
                nodes.add(readNode(in, source));
                in.popLimit(limit);
            } else if (field == 5 && isLengthDelimited(tag)) { // GraphProto.initializer
                int limit = in.pushLimit(in.readRawVarint32());
                Tensor tensor = readTensor(in, source);
                in.popLimit(limit);
                initializers.put(tensor.name(), tensor);
            } else {
                in.skipField(tag);
            }
        }
        return new OnnxGraph(initializers, nodes);
    }

    private static Node readNode(CodedInputStream in, String source) throws IOException {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        String name = "";
        String opType = "";
        Tensor value = null;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> inputs.add(in.readStringRequireUtf8());
                case 2 -> outputs.add(in.readStringRequireUtf8());
                case 3 -> name = in.readStringRequireUtf8();
                case 4 -> opType = in.readStringRequireUtf8();
                case 5 -> { // NodeProto.attribute
                    int limit = in.pushLimit(in.readRawVarint32());
                    Tensor t = readTensorAttribute(in, source);
                    in.popLimit(limit);
                    value = t != null ? t : value;
                }
                default -> in.skipField(tag);
            }
        }
        return new Node(name, opType, inputs, outputs, "Constant".equals(opType) ? value : null);
    }

    /** AttributeProto: returns its tensor (field t = 5) when it has one. */
    private static Tensor readTensorAttribute(CodedInputStream in, String source) throws IOException {
        Tensor tensor = null;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == 5 && isLengthDelimited(tag)) {
                int limit = in.pushLimit(in.readRawVarint32());
                tensor = readTensor(in, source);
                in.popLimit(limit);
            } else {
                in.skipField(tag);
            }
        }
        return tensor;
    }

    /** TensorProto: dims 1, data_type 2, float_data 4, int64_data 7, name 8, raw_data 9, data_location 14. */
    private static Tensor readTensor(CodedInputStream in, String source) throws IOException {
        List<Long> dims = new ArrayList<>();
        int dataType = 0;
        String name = "";
        byte[] raw = null;
        FloatList floatData = new FloatList();
        List<Long> int64Data = new ArrayList<>();
        boolean external = false;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> readInt64s(in, tag, dims);
                case 2 -> dataType = in.readInt32();
                case 4 -> readFloats(in, tag, floatData);
                case 7 -> readInt64s(in, tag, int64Data);
                case 8 -> name = in.readStringRequireUtf8();
                case 9 -> raw = in.readByteArray();
                case 14 -> external = in.readEnum() == 1; // DataLocation.EXTERNAL
                default -> in.skipField(tag);
            }
        }
        if (external) {
            throw new ModelFormatException(source + ": tensor '" + name + "' keeps its data in an external file, "
                    + "which the importer does not read; export the model as one .onnx file");
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        float[] floats = null;
        long[] longs = null;
        if (dataType == FLOAT) {
            if (raw != null) {
                floats = new float[raw.length / Float.BYTES];
                littleEndian(raw).asFloatBuffer().get(floats);
            } else {
                floats = floatData.toArray();
            }
        } else if (dataType == INT64) {
            if (raw != null) {
                longs = new long[raw.length / Long.BYTES];
                littleEndian(raw).asLongBuffer().get(longs);
            } else {
                longs = int64Data.stream().mapToLong(Long::longValue).toArray();
            }
        }
        Tensor tensor = new Tensor(name, shape, dataType, floats, longs);
        int stored = floats != null ? floats.length : longs != null ? longs.length : -1;
        if (stored >= 0 && stored != tensor.elementCount()) {
            throw new ModelFormatException(source + ": tensor '" + name + "' has shape " + Arrays.toString(shape)
                    + " but holds " + stored + " values");
        }
        return tensor;
    }

    private static ByteBuffer littleEndian(byte[] raw) {
        return ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A repeated int64 field, packed (wire type 2) or not. */
    private static void readInt64s(CodedInputStream in, int tag, List<Long> into) throws IOException {
        if (isLengthDelimited(tag)) {
            int limit = in.pushLimit(in.readRawVarint32());
            while (in.getBytesUntilLimit() > 0) {
                into.add(in.readInt64());
            }
            in.popLimit(limit);
        } else {
            into.add(in.readInt64());
        }
    }

    /** A repeated float field, packed (wire type 2) or not. */
    private static void readFloats(CodedInputStream in, int tag, FloatList into) throws IOException {
        if (isLengthDelimited(tag)) {
            int limit = in.pushLimit(in.readRawVarint32());
            while (in.getBytesUntilLimit() > 0) {
                into.add(in.readFloat());
            }
            in.popLimit(limit);
        } else {
            into.add(in.readFloat());
        }
    }

    private static boolean isLengthDelimited(int tag) {
        return WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
    }

    /** A growable float array: float_data can hold millions of values, too many to box. */
    private static final class FloatList {
        private float[] values = new float[16];
        private int size;

        void add(float v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        float[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
