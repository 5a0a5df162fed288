package dev.deebert.job.importer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import dev.deebert.model.DeeBertConfig;
import dev.deebert.model.DeeBertWeights;
import dev.deebert.model.Engines;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.TensorNames;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A DeeBERT model's encoder as ONNX: its weights written into a copy of an ONNX export of the same
 * architecture (the template, e.g. the pretrained file it was imported from), so that ONNX Runtime computes
 * exactly this model's encoder. Every float initializer that {@link OnnxTensorNames} maps to a canonical
 * tensor gets the model's values (as little-endian raw_data, MatMul weights transposed back to
 * {@code [in, out]}); everything else is copied byte for byte.
 *
 * <p>The template is re-encoded by hand with protobuf's {@link CodedInputStream}/{@link CodedOutputStream},
 * for the reason {@link OnnxGraph} gives: only ModelProto.graph (7), GraphProto.initializer (5) and the
 * data fields of TensorProto (float_data 4, raw_data 9) change, and their enclosing lengths are re-measured.
 */
public final class OnnxWeightsWriter {
    private static final int MODEL_GRAPH = 7;
    private static final int GRAPH_INITIALIZER = 5;
    private static final int TENSOR_FLOAT_DATA = 4;
    private static final int TENSOR_NAME = 8;
    private static final int TENSOR_RAW_DATA = 9;

    private OnnxWeightsWriter() {}

    /**
     * The ONNX model {@code template} (named {@code source} in errors) with the encoder weights of
     * {@code model}. Fails when the two disagree: another layer count or hidden size, a tensor of another
     * shape, an encoder tensor the template has no initializer for, or an initializer the model lacks.
     */
    public static byte[] write(byte[] template, String source, ModelDirectory model) throws IOException {
        OnnxGraph graph = OnnxGraph.read(new ByteArrayInputStream(template), source);
        Map<String, OnnxTensorNames.Binding> bindings = OnnxTensorNames.of(graph, source);
        // before the weights load: a template of another architecture is refused from the config alone
        checkArchitecture(graph, bindings, source, model);
        Map<String, float[]> replacements;
        try (NDManager manager = Engines.newManager(Device.cpu())) {
            replacements = replacements(graph, bindings, source, model, model.loadWeights(manager));
        }
        return rewriteModel(template, replacements);
    }

    /**
     * {@link #write} into the ONNX export of the first known backbone that fits {@code model}, read as
     * {@code import --backbone} reads it (classpath, else the local Maven repository): a model imported from
     * BGE-small or all-MiniLM-L6-v2, or trained from such an import, needs no template named. Fails with
     * each backbone's reason when none fits.
     */
    public static byte[] writeIntoKnownBackbone(ModelDirectory model) throws IOException {
        List<String> misfits = new ArrayList<>();
        for (KnownBackbone backbone : KnownBackbone.values()) {
            BackboneSource source;
            try {
                source = BackboneSource.named(backbone);
            } catch (NoSuchFileException e) {
                misfits.add(e.getReason());
                continue;
            }
            byte[] template;
            try (InputStream in = source.openOnnx()) {
                template = in.readAllBytes();
            }
            try {
                return write(template, source.description(), model);
            } catch (IllegalArgumentException e) {
                misfits.add(e.getMessage());
            }
        }
        throw new IllegalArgumentException("no known backbone's ONNX export fits the model: "
                + String.join("; ", misfits));
    }

    /** Initializer name to its new values, laid out as the template stores them. */
    private static Map<String, float[]> replacements(OnnxGraph graph, Map<String, OnnxTensorNames.Binding> bindings,
                                                     String source, ModelDirectory model, DeeBertWeights weights) {
        Set<String> encoder = TensorNames.backbone(model.config());
        Map<String, float[]> replacements = new HashMap<>();
        Set<String> bound = new HashSet<>();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, OnnxTensorNames.Binding> e : bindings.entrySet()) {
            String initializer = e.getKey();
            OnnxTensorNames.Binding binding = e.getValue();
            String canonical = binding.canonical();
            bound.add(canonical);
            if (!encoder.contains(canonical)) {
                problems.add("initializer " + initializer + " holds " + canonical + ", which the model lacks");
                continue;
            }
            NDArray tensor = weights.get(canonical);
            long[] shape = tensor.getShape().getShape();
            HostTensor ours = binding.transposed() ? HostTensor.transposed(shape, tensor.toFloatArray())
                    : new HostTensor(shape, tensor.toFloatArray());
            long[] dims = graph.initializers().get(initializer).dims();
            if (!Arrays.equals(dims, ours.shape())) {
                problems.add(canonical + " is " + Arrays.toString(shape) + " in the model but initializer "
                        + initializer + " is " + Arrays.toString(dims)
                        + (binding.transposed() ? " (a MatMul weight, [in, out])" : ""));
            } else {
                replacements.put(initializer, ours.values());
            }
        }
        for (String canonical : encoder) {
            if (!bound.contains(canonical) && !TensorNames.FINAL_HEAD.pooler().owns(canonical)) {
                problems.add("no initializer holds " + canonical);
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("cannot write " + model.dir() + " into " + source + ": "
                    + String.join("; ", problems));
        }
        return replacements;
    }

    /** Layer count and hidden size first: when they differ, a list of every mismatched tensor says little. */
    private static void checkArchitecture(OnnxGraph graph, Map<String, OnnxTensorNames.Binding> bindings,
                                          String source, ModelDirectory model) {
        DeeBertConfig config = model.config();
        int layers = OnnxTensorNames.layers(bindings.values().stream().map(OnnxTensorNames.Binding::canonical)
                .toList());
        long hidden = bindings.entrySet().stream()
                .filter(e -> e.getValue().canonical().equals(TensorNames.EMBEDDINGS.word()))
                .mapToLong(e -> graph.initializers().get(e.getKey()).dims()[1]).findFirst().orElse(-1);
        if (layers != config.numHiddenLayers() || (hidden >= 0 && hidden != config.hiddenSize())) {
            throw new IllegalArgumentException("the model " + model.dir() + " (" + config.numHiddenLayers()
                    + " layers, hidden size " + config.hiddenSize() + ") does not fit the ONNX template " + source
                    + " (" + layers + " layers, hidden size " + (hidden >= 0 ? hidden : "unknown") + ")");
        }
    }

    /** ModelProto: the graph rewritten, every other field copied. */
    private static byte[] rewriteModel(byte[] template, Map<String, float[]> replacements) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(template);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(template.length);
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == MODEL_GRAPH && isLengthDelimited(tag)) {
                int limit = in.pushLimit(in.readRawVarint32());
                out.writeByteArray(MODEL_GRAPH, rewriteGraph(in, replacements));
                in.popLimit(limit);
            } else {
                in.skipField(tag, out);
            }
        }
        out.flush();
        return bytes.toByteArray();
    }

    /** GraphProto (up to the enclosing limit): replaced initializers re-encoded, every other field copied. */
    private static byte[] rewriteGraph(CodedInputStream in, Map<String, float[]> replacements) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(in.getBytesUntilLimit());
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == GRAPH_INITIALIZER && isLengthDelimited(tag)) {
                byte[] tensor = in.readByteArray();
                float[] values = replacements.get(tensorName(tensor));
                out.writeByteArray(GRAPH_INITIALIZER, values == null ? tensor : withData(tensor, values));
            } else {
                in.skipField(tag, out);
            }
        }
        out.flush();
        return bytes.toByteArray();
    }

    private static String tensorName(byte[] tensor) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(tensor);
        String name = "";
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == TENSOR_NAME) {
                name = in.readStringRequireUtf8();
            } else {
                in.skipField(tag);
            }
        }
        return name;
    }

    /**
     * TensorProto with {@code values} as raw_data where its data was (float_data or raw_data; a tensor without
     * either has no elements), other fields (dims, data_type FLOAT, name, ...) copied: a template that stores
     * raw_data comes back byte-identical when the values are the same.
     */
    private static byte[] withData(byte[] tensor, float[] values) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(tensor);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(tensor.length);
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        boolean written = false;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == TENSOR_FLOAT_DATA || field == TENSOR_RAW_DATA) {
                in.skipField(tag);
                if (!written) {
                    out.writeByteArray(TENSOR_RAW_DATA, littleEndian(values));
                    written = true;
                }
            } else {
                in.skipField(tag, out);
            }
        }
        out.flush();
        return bytes.toByteArray();
    }

    private static byte[] littleEndian(float[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        return buffer.array();
    }

    private static boolean isLengthDelimited(int tag) {
        return WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
    }
}
