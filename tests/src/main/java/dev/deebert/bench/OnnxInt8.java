package dev.deebert.bench;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import dev.deebert.job.importer.OnnxGraph;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An fp32 ONNX encoder rewritten as ONNX Runtime's dynamic quantization ({@code quantize_dynamic} with
 * {@code op_types_to_quantize=["MatMul"]}: weights QInt8, symmetric, one scale per tensor, rounded half to even;
 * activations uint8, quantized per call) writes it, to the bit (OnnxInt8Test against
 * tests/fixtures/make_ort_int8.py):
 * every MatMul whose weight is a float initializer [in, out] becomes
 * {@code DynamicQuantizeLinear(x) -> MatMulInteger(xq, Wq, x_zp, W_zp) -> Cast(float) -> Mul(x_scale * W_scale)},
 * which ONNX Runtime's graph optimizer fuses into its MatMulIntegerToFloat kernel (bias Add included).
 * Embeddings (Gather), attention's activation-by-activation MatMuls, LayerNorm and GELU stay float32 - the
 * split DeeBERT's int8 makes too. (quantize_dynamic's defaults also store the embedding tables as int8 behind
 * DequantizeLinear: a smaller file, measured no faster.) Written in Java (protobuf wire format, as {@code OnnxWeightsWriter}) so the
 * bench needs no Python.
 */
final class OnnxInt8 {
    private static final int MODEL_GRAPH = 7;
    private static final int GRAPH_NODE = 1;
    private static final int GRAPH_INITIALIZER = 5;
    private static final int NODE_INPUT = 1;
    private static final int NODE_OUTPUT = 2;
    private static final int NODE_NAME = 3;
    private static final int NODE_OP_TYPE = 4;
    private static final int NODE_ATTRIBUTE = 5;
    private static final int ATTRIBUTE_NAME = 1;
    private static final int ATTRIBUTE_I = 3;
    private static final int ATTRIBUTE_TYPE = 20;
    private static final int ATTRIBUTE_TYPE_INT = 2;
    private static final int TENSOR_DIMS = 1;
    private static final int TENSOR_DATA_TYPE = 2;
    private static final int TENSOR_NAME = 8;
    private static final int TENSOR_RAW_DATA = 9;
    private static final int INT8 = 3;

    private OnnxInt8() {}

    /** A weight quantized: int8 values [in, out] and the scale (zero point 0). */
    private record Quantized(long[] dims, byte[] values, float scale) {}

    /** {@code fp32} (an ONNX model) with its weight MatMuls quantized; fails if there are none. */
    static byte[] quantize(byte[] fp32) throws IOException {
        OnnxGraph graph = OnnxGraph.read(new ByteArrayInputStream(fp32), "peer ONNX");
        Map<String, Quantized> weights = new HashMap<>();
        for (OnnxGraph.Node node : graph.nodes()) {
            OnnxGraph.Tensor w = node.opType().equals("MatMul") && node.inputs().size() == 2
                    ? graph.initializers().get(node.inputs().get(1)) : null;
            if (w != null && w.dataType() == OnnxGraph.FLOAT && w.dims().length == 2 && w.floats() != null) {
                weights.put(w.name(), quantize(w));
            }
        }
        if (weights.isEmpty()) {
            throw new IllegalArgumentException("the peer's ONNX graph has no MatMul with a float weight to quantize");
        }
        CodedInputStream in = CodedInputStream.newInstance(fp32);
        in.setSizeLimit(Integer.MAX_VALUE);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(fp32.length / 3);
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == MODEL_GRAPH
                    && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                out.writeByteArray(MODEL_GRAPH, rewriteGraph(in.readByteArray(), weights));
            } else {
                in.skipField(tag, out);
            }
        }
        out.flush();
        return bytes.toByteArray();
    }

    /** Symmetric, per tensor, [-127, 127]: ONNX Runtime's QInt8 weights. */
    private static Quantized quantize(OnnxGraph.Tensor w) {
        float max = 0;
        for (float v : w.floats()) {
            max = Math.max(max, Math.abs(v));
        }
        float scale = max > 0 ? max / 127f : 1f;
        byte[] q = new byte[w.floats().length];
        for (int i = 0; i < q.length; i++) {
            q[i] = (byte) Math.max(-127, Math.min(127, Math.rint(w.floats()[i] / scale)));  // half to even, as numpy
        }
        return new Quantized(w.dims(), q, scale);
    }

    private static byte[] rewriteGraph(byte[] graph, Map<String, Quantized> weights) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(graph);
        in.setSizeLimit(Integer.MAX_VALUE);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(graph.length / 3);
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == GRAPH_NODE && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                byte[] node = in.readByteArray();
                Node n = Node.parse(node);
                if (n.opType.equals("MatMul") && n.inputs.size() == 2 && weights.containsKey(n.inputs.get(1))) {
                    for (byte[] replacement : quantizedMatMul(n)) {
                        out.writeByteArray(GRAPH_NODE, replacement);
                    }
                } else {
                    out.writeByteArray(GRAPH_NODE, node);
                }
            } else if (field == GRAPH_INITIALIZER
                    && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                byte[] tensor = in.readByteArray();
                String name = tensorName(tensor);
                Quantized q = weights.get(name);
                if (q == null) {
                    out.writeByteArray(GRAPH_INITIALIZER, tensor);
                } else {
                    out.writeByteArray(GRAPH_INITIALIZER, tensor(name + "_quantized", INT8, q.dims, q.values));
                    out.writeByteArray(GRAPH_INITIALIZER, tensor(name + "_scale", OnnxGraph.FLOAT, new long[0],
                            ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(q.scale).array()));
                    out.writeByteArray(GRAPH_INITIALIZER, tensor(name + "_zero_point", INT8, new long[0],
                            new byte[1]));
                }
            } else {
                in.skipField(tag, out);
            }
        }
        out.flush();
        return bytes.toByteArray();
    }

    /** The five nodes quantize_dynamic writes for one MatMul, ending in the MatMul's own output name. */
    private static List<byte[]> quantizedMatMul(Node n) throws IOException {
        String x = n.inputs.get(0);
        String w = n.inputs.get(1);
        String p = (n.name.isEmpty() ? n.outputs.get(0) : n.name) + "_int8";
        return List.of(
                node(p + "_quant", "DynamicQuantizeLinear", List.of(x),
                        List.of(p + "_x_q", p + "_x_scale", p + "_x_zero_point"), null),
                node(p + "_matmul", "MatMulInteger",
                        List.of(p + "_x_q", w + "_quantized", p + "_x_zero_point", w + "_zero_point"),
                        List.of(p + "_i32"), null),
                node(p + "_cast", "Cast", List.of(p + "_i32"), List.of(p + "_f32"), OnnxGraph.FLOAT),
                node(p + "_scale", "Mul", List.of(p + "_x_scale", w + "_scale"), List.of(p + "_scale_product"), null),
                node(p + "_output", "Mul", List.of(p + "_f32", p + "_scale_product"), List.of(n.outputs.get(0)),
                        null));
    }

    /** A NodeProto; {@code castTo}: Cast's "to" attribute, else null. */
    private static byte[] node(String name, String opType, List<String> inputs, List<String> outputs, Integer castTo)
            throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        for (String input : inputs) {
            out.writeString(NODE_INPUT, input);
        }
        for (String output : outputs) {
            out.writeString(NODE_OUTPUT, output);
        }
        out.writeString(NODE_NAME, name);
        out.writeString(NODE_OP_TYPE, opType);
        if (castTo != null) {
            ByteArrayOutputStream attribute = new ByteArrayOutputStream();
            CodedOutputStream a = CodedOutputStream.newInstance(attribute);
            a.writeString(ATTRIBUTE_NAME, "to");
            a.writeInt64(ATTRIBUTE_I, castTo);
            a.writeEnum(ATTRIBUTE_TYPE, ATTRIBUTE_TYPE_INT);
            a.flush();
            out.writeByteArray(NODE_ATTRIBUTE, attribute.toByteArray());
        }
        out.flush();
        return bytes.toByteArray();
    }

    private static byte[] tensor(String name, int dataType, long[] dims, byte[] raw) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length + 64);
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        for (long d : dims) {
            out.writeInt64(TENSOR_DIMS, d);
        }
        out.writeInt32(TENSOR_DATA_TYPE, dataType);
        out.writeString(TENSOR_NAME, name);
        out.writeByteArray(TENSOR_RAW_DATA, raw);
        out.flush();
        return bytes.toByteArray();
    }

    private static String tensorName(byte[] tensor) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(tensor);
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == TENSOR_NAME) {
                return in.readStringRequireUtf8();
            }
            in.skipField(tag);
        }
        return "";
    }

    /** The NodeProto fields the rewrite reads. */
    private record Node(String name, String opType, List<String> inputs, List<String> outputs) {
        static Node parse(byte[] node) throws IOException {
            CodedInputStream in = CodedInputStream.newInstance(node);
            String name = "";
            String opType = "";
            List<String> inputs = new java.util.ArrayList<>();
            List<String> outputs = new java.util.ArrayList<>();
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case NODE_INPUT -> inputs.add(in.readStringRequireUtf8());
                    case NODE_OUTPUT -> outputs.add(in.readStringRequireUtf8());
                    case NODE_NAME -> name = in.readStringRequireUtf8();
                    case NODE_OP_TYPE -> opType = in.readStringRequireUtf8();
                    default -> in.skipField(tag);
                }
            }
            return new Node(name, opType, inputs, outputs);
        }
    }
}
