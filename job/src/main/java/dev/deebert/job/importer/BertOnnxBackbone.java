package dev.deebert.job.importer;

import dev.deebert.model.DeeBertConfig;
import dev.deebert.model.ModelFormatException;
import dev.deebert.model.ModelType;
import dev.deebert.model.TensorNames;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A pretrained BERT/RoBERTa encoder read from an ONNX export (as {@code torch.onnx.export} of a Hugging Face
 * model writes it), under DeeBERT's canonical tensor names as {@link OnnxTensorNames} maps them; Linear
 * weights transposed to PyTorch's {@code [out, in]}.
 */
public final class BertOnnxBackbone {
    private final Map<String, HostTensor> tensors;
    private final int vocabSize;
    private final int hiddenSize;
    private final int numLayers;
    private final int numHeads;
    private final int intermediateSize;
    private final int maxPositions;
    private final int typeVocabSize;

    private BertOnnxBackbone(Map<String, HostTensor> tensors, int numHeads, String source) {
        this.tensors = tensors;
        long[] words = require(tensors, TensorNames.EMBEDDINGS.word(), source).shape();
        this.vocabSize = Math.toIntExact(words[0]);
        this.hiddenSize = Math.toIntExact(words[1]);
        this.maxPositions = dim0(tensors, TensorNames.EMBEDDINGS.position(), source);
        this.typeVocabSize = dim0(tensors, TensorNames.EMBEDDINGS.tokenType(), source);
        this.intermediateSize = dim0(tensors, TensorNames.layer(0).intermediate().bias(), source);
        this.numLayers = OnnxTensorNames.layers(tensors.keySet());
        this.numHeads = numHeads;
    }

    /**
     * Maps the initializers of {@code graph} to canonical names. {@code numHeads} (null: infer it from the
     * attention Reshape constants) must agree with the graph when both are known.
     */
    public static BertOnnxBackbone from(OnnxGraph graph, Integer numHeads, String source) {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        OnnxTensorNames.of(graph, source).forEach((initializer, binding) -> {
            OnnxGraph.Tensor t = graph.initializers().get(initializer);
            tensors.put(binding.canonical(), binding.transposed() ? HostTensor.transposed(t.dims(), t.floats())
                    : new HostTensor(t.dims(), t.floats()));
        });
        int hidden = Math.toIntExact(require(tensors, TensorNames.EMBEDDINGS.word(), source).shape()[1]);
        int heads = resolveHeads(numHeads, inferHeads(graph, hidden), source);
        BertOnnxBackbone backbone = new BertOnnxBackbone(tensors, heads, source);
        backbone.checkNames(source);
        return backbone;
    }

    private static int resolveHeads(Integer given, Integer inferred, String source) {
        if (given != null && inferred != null && !given.equals(inferred)) {
            throw new IllegalArgumentException("--num-heads " + given + " contradicts " + source
                    + ", whose attention reshapes use " + inferred + " heads");
        }
        if (given != null) {
            return given;
        }
        if (inferred == null) {
            throw new IllegalArgumentException(source + ": cannot infer the number of attention heads from the "
                    + "graph; give --num-heads");
        }
        return inferred;
    }

    /**
     * The head count A from the attention Reshape nodes, whose target shape is [B, L, A, D] with A * D = H
     * (B and L computed at run time, A and D constants). Null when no reshape says so unambiguously.
     */
    static Integer inferHeads(OnnxGraph graph, int hiddenSize) {
        Map<String, long[]> constants = new HashMap<>();
        for (OnnxGraph.Tensor t : graph.initializers().values()) {
            if (t.longs() != null) {
                constants.put(t.name(), t.longs());
            }
        }
        Map<String, OnnxGraph.Node> producers = new HashMap<>();
        for (OnnxGraph.Node node : graph.nodes()) {
            for (String output : node.outputs()) {
                producers.put(output, node);
            }
            if (node.value() != null && node.value().longs() != null) {
                constants.put(node.outputs().get(0), node.value().longs());
            }
        }
        Set<Long> seen = new TreeSet<>();
        for (OnnxGraph.Node node : graph.nodes()) {
            if ("Reshape".equals(node.opType()) && node.name().contains(TensorNames.SELF_ATTENTION.replace('.', '/'))
                    && node.inputs().size() == 2) {
                long[] shape = constantShape(node.inputs().get(1), constants, producers);
                if (shape != null && shape.length == 4 && shape[2] > 0 && shape[2] * shape[3] == hiddenSize) {
                    seen.add(shape[2]);
                }
            }
        }
        return seen.size() == 1 ? Math.toIntExact(seen.iterator().next()) : null;
    }

    /** The value of an int64 shape tensor: a constant, or a Concat of constants and run-time scalars (-1). */
    private static long[] constantShape(String name, Map<String, long[]> constants,
                                        Map<String, OnnxGraph.Node> producers) {
        long[] constant = constants.get(name);
        if (constant != null) {
            return constant;
        }
        OnnxGraph.Node producer = producers.get(name);
        if (producer == null || !"Concat".equals(producer.opType())) {
            return null;
        }
        List<Long> parts = new ArrayList<>();
        for (String input : producer.inputs()) {
            long[] part = constants.get(input);
            if (part == null) {
                parts.add(-1L);
            } else {
                Arrays.stream(part).forEach(parts::add);
            }
        }
        return parts.stream().mapToLong(Long::longValue).toArray();
    }

    private static HostTensor require(Map<String, HostTensor> tensors, String name, String source) {
        HostTensor t = tensors.get(name);
        if (t == null) {
            throw new ModelFormatException(source + ": not a BERT encoder: it has no initializer " + name);
        }
        return t;
    }

    private static int dim0(Map<String, HostTensor> tensors, String name, String source) {
        return Math.toIntExact(require(tensors, name, source).shape()[0]);
    }

    /** Every encoder tensor present, nothing else but the (optional) pooler. */
    private void checkNames(String source) {
        // Only the names matter here, and they do not depend on the labels or the model type.
        Set<String> expected = TensorNames.backbone(config(ModelType.BERT, List.of("a", "b"), 1e-12));
        List<String> problems = new ArrayList<>();
        for (String name : expected) {
            if (!tensors.containsKey(name) && !TensorNames.FINAL_HEAD.pooler().owns(name)) {
                problems.add("missing " + name);
            }
        }
        for (String name : tensors.keySet()) {
            if (!expected.contains(name)) {
                problems.add("unexpected tensor " + name + " (not part of a BERT encoder)");
            }
        }
        TensorNames.Params pooler = TensorNames.FINAL_HEAD.pooler();
        if (tensors.containsKey(pooler.weight()) != tensors.containsKey(pooler.bias())) {
            problems.add("pooler has only one of its weight and bias");
        }
        if (!problems.isEmpty()) {
            throw new ModelFormatException(source + ": " + String.join("; ", problems));
        }
    }

    /** The Hugging Face config of this encoder with a classifier over {@code labels}. */
    public DeeBertConfig config(ModelType type, List<String> labels, double layerNormEps) {
        return DeeBertConfig.builder().modelType(type.prefix()).vocabSize(vocabSize).hiddenSize(hiddenSize)
                .numHiddenLayers(numLayers).numAttentionHeads(numHeads).intermediateSize(intermediateSize)
                .maxPositionEmbeddings(maxPositions).typeVocabSize(typeVocabSize).layerNormEps(layerNormEps)
                .padTokenId(type == ModelType.ROBERTA ? 1 : 0).labels(labels).build();
    }

    /** Encoder tensors (and the pooler when the export has one) under canonical names; Linear as [out, in]. */
    public Map<String, HostTensor> tensors() {
        return java.util.Collections.unmodifiableMap(tensors);
    }
}
