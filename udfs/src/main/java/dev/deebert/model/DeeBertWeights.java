package dev.deebert.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tensors of a DeeBERT model under their canonical (reference) names, checked against the config.
 *
 * <p>Names are kept without the `bert.`/`roberta.` prefix, except {@code classifier.*} which the reference
 * stores at top level. Linear weights are PyTorch's {@code [out, in]}.
 */
public final class DeeBertWeights {
    public static final String POOLER_WEIGHT = "pooler.dense.weight";
    public static final String POOLER_BIAS = "pooler.dense.bias";
    public static final String CLASSIFIER_WEIGHT = "classifier.weight";
    public static final String CLASSIFIER_BIAS = "classifier.bias";

    private final DeeBertConfig config;
    private final Map<String, NDArray> tensors;

    private DeeBertWeights(DeeBertConfig config, Map<String, NDArray> tensors) {
        this.config = config;
        this.tensors = tensors;
    }

    /** Every tensor a model of this config must have, with its shape, in a stable order. */
    public static Map<String, Shape> expectedShapes(DeeBertConfig c) {
        long h = c.hiddenSize();
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put("embeddings.word_embeddings.weight", new Shape(c.vocabSize(), h));
        shapes.put("embeddings.position_embeddings.weight", new Shape(c.maxPositionEmbeddings(), h));
        shapes.put("embeddings.token_type_embeddings.weight", new Shape(c.typeVocabSize(), h));
        shapes.put("embeddings.LayerNorm.weight", new Shape(h));
        shapes.put("embeddings.LayerNorm.bias", new Shape(h));
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = layerPrefix(i);
            for (String proj : List.of("query", "key", "value")) {
                linear(shapes, p + "attention.self." + proj, h, h);
            }
            linear(shapes, p + "attention.output.dense", h, h);
            layerNorm(shapes, p + "attention.output.LayerNorm", h);
            linear(shapes, p + "intermediate.dense", h, c.intermediateSize());
            linear(shapes, p + "output.dense", c.intermediateSize(), h);
            layerNorm(shapes, p + "output.LayerNorm", h);
        }
        linear(shapes, "pooler.dense", h, h);
        for (int i = 0; i < c.numHiddenLayers() - 1; i++) {
            linear(shapes, rampPrefix(i) + "pooler.dense", h, h);
            linear(shapes, rampPrefix(i) + "classifier", h, c.numLabels());
        }
        linear(shapes, "classifier", h, c.numLabels());
        return shapes;
    }

    /**
     * The canonical names of the encoder of a model with {@code config}: embeddings, every layer and the
     * pooler, without the DeeBERT exit heads (ramps and the final classifier).
     */
    public static Set<String> encoderNames(DeeBertConfig config) {
        Set<String> names = new LinkedHashSet<>();
        for (String name : expectedShapes(config).keySet()) {
            if (!name.startsWith("encoder.highway.") && !name.startsWith("classifier.")) {
                names.add(name);
            }
        }
        return names;
    }

    /** Buffers that checkpoints may hold next to the weights; derived from the input, never loaded. */
    public static boolean isBuffer(String name) {
        return name.endsWith("position_ids") || name.endsWith("token_type_ids");
    }

    public static String layerPrefix(int layer) {
        return "encoder.layer." + layer + ".";
    }

    /** Ramp {@code i} (0-based) sits after encoder layer {@code i + 1}; the reference calls it highway. */
    public static String rampPrefix(int ramp) {
        return "encoder.highway." + ramp + ".";
    }

    private static void linear(Map<String, Shape> shapes, String name, long in, long out) {
        shapes.put(name + ".weight", new Shape(out, in));
        shapes.put(name + ".bias", new Shape(out));
    }

    private static void layerNorm(Map<String, Shape> shapes, String name, long size) {
        shapes.put(name + ".weight", new Shape(size));
        shapes.put(name + ".bias", new Shape(size));
    }

    /** The file's name for a canonical name: the backbone prefix, except the top-level classifier. */
    public static String fileName(DeeBertConfig config, String canonical) {
        return canonical.startsWith("classifier.") ? canonical : config.type().prefix() + "." + canonical;
    }

    /**
     * Checks named tensors (as read from model.safetensors) against the config: every expected tensor
     * present, float32, the right shape and finite. Tensors the reference writes but DeeBERT never uses (the
     * untrained last highway, position_ids buffers) are dropped; anything else unknown is an error.
     */
    public static DeeBertWeights from(DeeBertConfig config, NDList named, Path source) {
        Map<String, Shape> expected = expectedShapes(config);
        Map<String, NDArray> byFileName = new LinkedHashMap<>();
        for (NDArray tensor : named) {
            byFileName.put(tensor.getName(), tensor);
        }
        List<String> problems = new ArrayList<>();
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> e : expected.entrySet()) {
            String name = fileName(config, e.getKey());
            NDArray tensor = byFileName.remove(name);
            if (tensor == null) {
                problems.add("missing tensor " + name + " " + e.getValue());
            } else if (tensor.getDataType() != DataType.FLOAT32) {
                problems.add(name + " has dtype " + tensor.getDataType() + ", expected float32");
            } else if (!tensor.getShape().equals(e.getValue())) {
                problems.add(name + " has shape " + tensor.getShape() + ", expected " + e.getValue());
            } else if (!tensor.isInfinite().logicalOr(tensor.isNaN()).none().getBoolean()) {
                problems.add(name + " holds NaN or infinite values");
            } else {
                tensors.put(e.getKey(), tensor);
            }
        }
        String unusedRamp = config.type().prefix() + "." + rampPrefix(config.numHiddenLayers() - 1);
        for (String name : byFileName.keySet()) {
            if (!name.startsWith(unusedRamp) && !isBuffer(name)) {
                problems.add("unexpected tensor " + name + " (not part of a " + config.numHiddenLayers()
                        + "-layer " + config.modelType() + " DeeBERT)");
            }
        }
        if (!problems.isEmpty()) {
            throw new ModelFormatException(source + ": " + String.join("; ", problems));
        }
        return new DeeBertWeights(config, tensors);
    }

    /** Wraps tensors that were built in memory (import, training); checked like loaded ones. */
    public static DeeBertWeights of(DeeBertConfig config, Map<String, NDArray> canonical) {
        NDList named = new NDList();
        for (Map.Entry<String, NDArray> e : canonical.entrySet()) {
            e.getValue().setName(fileName(config, e.getKey()));
            named.add(e.getValue());
        }
        return from(config, named, Path.of("<memory>"));
    }

    public DeeBertConfig config() {
        return config;
    }

    public NDArray get(String canonicalName) {
        NDArray tensor = tensors.get(canonicalName);
        if (tensor == null) {
            throw new IllegalArgumentException("no tensor " + canonicalName);
        }
        return tensor;
    }

    /** Canonical name to tensor, in the order of {@link #expectedShapes}. */
    public Map<String, NDArray> asMap() {
        return java.util.Collections.unmodifiableMap(tensors);
    }

    /** The tensors under their file names, ready for {@link SafeTensorsFile#write}. */
    public NDList toNamedList() {
        NDList list = new NDList(tensors.size());
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            e.getValue().setName(fileName(config, e.getKey()));
            list.add(e.getValue());
        }
        return list;
    }
}
