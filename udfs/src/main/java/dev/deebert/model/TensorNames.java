package dev.deebert.model;

import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every tensor name of a DeeBERT model, spelled once: each name is a module path plus a parameter name, as
 * Hugging Face's module tree names its parameters. The tree is the reference's (castorini/DeeBERT):
 *
 * <pre>
 * embeddings.{word_embeddings, position_embeddings, token_type_embeddings, LayerNorm}
 * encoder.layer.{i}.attention.self.{query, key, value}     i = 0 .. N-1
 * encoder.layer.{i}.attention.output.{dense, LayerNorm}
 * encoder.layer.{i}.intermediate.dense
 * encoder.layer.{i}.output.{dense, LayerNorm}
 * encoder.highway.{i}.{pooler.dense, classifier}           ramp i, after layer i + 1; i = 0 .. N-2
 * pooler.dense, classifier                                 the final head, after layer N
 * </pre>
 *
 * <p>"Canonical" names are these paths. Files store them under the backbone prefix ({@code bert.} or
 * {@code roberta.}), except the top-level {@code classifier.*}: {@link #fileName}. The ramps keep the
 * reference's module name "highway" so that its model files load unchanged.
 */
public final class TensorNames {
    /** A module with a weight and a bias (Linear: [out, in] and [out]; LayerNorm: [H] and [H]). */
    public record Params(String path) {
        public String weight() {
            return path + ".weight";
        }

        public String bias() {
            return path + ".bias";
        }

        /** Whether {@code name} is a parameter of this module. */
        public boolean owns(String name) {
            return name.startsWith(prefix());
        }

        /** The module path with the trailing dot, to map whole modules from one tree to another. */
        public String prefix() {
            return path + ".";
        }
    }

    public record Embeddings(String word, String position, String tokenType, Params norm) {}

    public record Layer(Params query, Params key, Params value, Params attentionOutput, Params attentionNorm,
                        Params intermediate, Params output, Params outputNorm) {}

    /** Where a row may leave: pooler (dense + tanh on the first token), then classifier. */
    public record Exit(Params pooler, Params classifier) {}

    public static final Embeddings EMBEDDINGS = new Embeddings("embeddings.word_embeddings.weight",
            "embeddings.position_embeddings.weight", "embeddings.token_type_embeddings.weight",
            new Params("embeddings.LayerNorm"));

    /** The module of one layer's query, key and value; ONNX exports name its nodes after it. */
    public static final String SELF_ATTENTION = "attention.self";

    /** The pooler and classifier after the last layer; the pooler is part of the backbone. */
    public static final Exit FINAL_HEAD = new Exit(new Params("pooler.dense"), new Params("classifier"));

    private static final String LAYERS = "encoder.layer.";
    private static final String RAMPS = "encoder.highway.";

    private TensorNames() {}

    /** Encoder layer {@code i}, 0-based as in the names. */
    public static Layer layer(int i) {
        String p = LAYERS + i + ".";
        return new Layer(new Params(p + SELF_ATTENTION + ".query"), new Params(p + SELF_ATTENTION + ".key"),
                new Params(p + SELF_ATTENTION + ".value"), new Params(p + "attention.output.dense"),
                new Params(p + "attention.output.LayerNorm"), new Params(p + "intermediate.dense"),
                new Params(p + "output.dense"), new Params(p + "output.LayerNorm"));
    }

    /** Ramp {@code i}, 0-based as in the names: it reads the output of encoder layer {@code i + 1}. */
    public static Exit ramp(int i) {
        String p = rampModule(i) + ".";
        return new Exit(new Params(p + "pooler.dense"), new Params(p + "classifier"));
    }

    /** The exit after encoder layer {@code layer} (1..N) of an N-layer model: a ramp, or the final head. */
    public static Exit exitAfter(int layer, int numLayers) {
        return layer < numLayers ? ramp(layer - 1) : FINAL_HEAD;
    }

    /** Ramp {@code i}'s module path, under which the reference may store more than DeeBERT reads. */
    public static String rampModule(int i) {
        return RAMPS + i;
    }

    public static boolean isRamp(String canonical) {
        return canonical.startsWith(RAMPS);
    }

    /** The 0-based encoder layer a canonical name belongs to, or -1 when it belongs to none. */
    public static int layerIndex(String canonical) {
        if (!canonical.startsWith(LAYERS)) {
            return -1;
        }
        int end = canonical.indexOf('.', LAYERS.length());
        try {
            return Integer.parseInt(canonical.substring(LAYERS.length(), end < 0 ? canonical.length() : end));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Buffers that checkpoints may hold next to the weights; derived from the input, never loaded. */
    public static boolean isBuffer(String name) {
        return name.endsWith("position_ids") || name.endsWith("token_type_ids");
    }

    /** Every tensor a model of this config must have, with its shape, in a stable order. */
    public static Map<String, Shape> shapes(DeeBertConfig c) {
        long h = c.hiddenSize();
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put(EMBEDDINGS.word(), new Shape(c.vocabSize(), h));
        shapes.put(EMBEDDINGS.position(), new Shape(c.maxPositionEmbeddings(), h));
        shapes.put(EMBEDDINGS.tokenType(), new Shape(c.typeVocabSize(), h));
        norm(shapes, EMBEDDINGS.norm(), h);
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            Layer layer = layer(i);
            for (Params projection : List.of(layer.query(), layer.key(), layer.value(), layer.attentionOutput())) {
                linear(shapes, projection, h, h);
            }
            norm(shapes, layer.attentionNorm(), h);
            linear(shapes, layer.intermediate(), h, c.intermediateSize());
            linear(shapes, layer.output(), c.intermediateSize(), h);
            norm(shapes, layer.outputNorm(), h);
        }
        linear(shapes, FINAL_HEAD.pooler(), h, h);
        for (int i = 0; i < c.numHiddenLayers() - 1; i++) {
            linear(shapes, ramp(i).pooler(), h, h);
            linear(shapes, ramp(i).classifier(), h, c.numLabels());
        }
        linear(shapes, FINAL_HEAD.classifier(), h, c.numLabels());
        return shapes;
    }

    /**
     * The backbone of a model with {@code config}, what a pretrained encoder brings: embeddings, every layer
     * and the pooler, without the ramps and the final classifier.
     */
    public static Set<String> backbone(DeeBertConfig config) {
        Set<String> names = new LinkedHashSet<>();
        for (String name : shapes(config).keySet()) {
            if (!isRamp(name) && !FINAL_HEAD.classifier().owns(name)) {
                names.add(name);
            }
        }
        return names;
    }

    /** The file's name for a canonical name: the backbone prefix, except the top-level classifier. */
    public static String fileName(DeeBertConfig config, String canonical) {
        return FINAL_HEAD.classifier().owns(canonical) ? canonical : config.type().prefix() + "." + canonical;
    }

    /**
     * Where the modules of transformers' {@code ...ForSequenceClassification} head go in DeeBERT's tree:
     * checkpoint prefix to canonical prefix. BERT's classifier reads the pooler; RoBERTa's head is itself
     * dense + tanh on the first token, then out_proj: a pooler and a classifier.
     */
    public static Map<String, String> sequenceClassificationHead(ModelType type) {
        String classifier = FINAL_HEAD.classifier().prefix();
        return switch (type) {
            case BERT -> Map.of(classifier, classifier);
            case ROBERTA -> Map.of(classifier + "dense.", FINAL_HEAD.pooler().prefix(),
                    classifier + "out_proj.", classifier);
        };
    }

    private static void linear(Map<String, Shape> shapes, Params module, long in, long out) {
        shapes.put(module.weight(), new Shape(out, in));
        shapes.put(module.bias(), new Shape(out));
    }

    private static void norm(Map<String, Shape> shapes, Params module, long size) {
        shapes.put(module.weight(), new Shape(size));
        shapes.put(module.bias(), new Shape(size));
    }
}
