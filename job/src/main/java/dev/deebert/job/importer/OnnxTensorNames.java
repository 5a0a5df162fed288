package dev.deebert.job.importer;

import dev.deebert.model.ModelFormatException;
import dev.deebert.model.ModelType;
import dev.deebert.model.TensorNames;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which initializer of an ONNX export of a BERT/RoBERTa encoder ({@code torch.onnx.export} of a Hugging Face
 * model) holds which of DeeBERT's canonical tensors: the one mapping that both the importer (ONNX to model)
 * and {@link OnnxWeightsWriter} (model to ONNX) follow.
 *
 * <p>Embedding, bias and LayerNorm initializers keep their Hugging Face names (optionally prefixed
 * {@code bert.}/{@code roberta.}). Linear weights are anonymous initializers ({@code onnx::MatMul_123})
 * stored {@code [in, out]}; they are named after the MatMul node that consumes them
 * ({@code /encoder/layer.0/attention/self/query/MatMul} is {@code encoder.layer.0.attention.self.query.weight})
 * and are the transpose of PyTorch's {@code [out, in]}. Integer initializers (position_ids buffers) hold no
 * weights and are not mapped.
 */
final class OnnxTensorNames {
    /** A float initializer holding the canonical tensor {@code canonical}, transposed when a MatMul weight. */
    record Binding(String canonical, boolean transposed) {}

    private OnnxTensorNames() {}

    /**
     * The float initializers of {@code graph} by initializer name, in file order. Fails when an initializer
     * holds neither float32 nor int64 values, or when two initializers map to the same canonical name.
     */
    static Map<String, Binding> of(OnnxGraph graph, String source) {
        Map<String, String> matMulWeights = new HashMap<>();
        for (OnnxGraph.Node node : graph.nodes()) {
            if ("MatMul".equals(node.opType()) && node.inputs().size() == 2 && node.name().endsWith("/MatMul")) {
                String module = node.name().substring(0, node.name().length() - "/MatMul".length());
                matMulWeights.putIfAbsent(node.inputs().get(1), canonical(module.replaceFirst("^/", "")
                        .replace('/', '.') + ".weight"));
            }
        }
        Map<String, Binding> bindings = new LinkedHashMap<>();
        Set<String> canonicalNames = new HashSet<>();
        List<String> problems = new ArrayList<>();
        for (OnnxGraph.Tensor t : graph.initializers().values()) {
            if (t.dataType() == OnnxGraph.INT64) {
                continue;
            }
            String matMul = matMulWeights.get(t.name());
            Binding binding = new Binding(matMul != null ? matMul : canonical(t.name()), matMul != null);
            if (t.dataType() != OnnxGraph.FLOAT) {
                problems.add(t.name() + " has ONNX data type " + t.dataType() + ", only float32 (1) is supported");
            } else if (!canonicalNames.add(binding.canonical())) {
                problems.add("two initializers map to " + binding.canonical());
            } else {
                bindings.put(t.name(), binding);
            }
        }
        if (!problems.isEmpty()) {
            throw new ModelFormatException(source + ": " + String.join("; ", problems));
        }
        return bindings;
    }

    /** How many encoder layers the canonical names span. */
    static int layers(Collection<String> canonicalNames) {
        return (int) canonicalNames.stream().mapToInt(TensorNames::layerIndex).filter(i -> i >= 0).distinct()
                .count();
    }

    /** Drops the backbone prefix, which exports of BertModel lack and of BertFor... models carry. */
    private static String canonical(String name) {
        for (ModelType type : ModelType.values()) {
            if (name.startsWith(type.prefix() + ".")) {
                return name.substring(type.prefix().length() + 1);
            }
        }
        return name;
    }
}
