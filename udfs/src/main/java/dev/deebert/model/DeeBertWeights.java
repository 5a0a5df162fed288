package dev.deebert.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tensors of a DeeBERT model under their canonical (reference) names, checked against the config.
 *
 * <p>Names are {@link TensorNames}' canonical ones; the files' prefixes are added and removed here. Linear
 * weights are PyTorch's {@code [out, in]}.
 */
public final class DeeBertWeights {
    private final DeeBertConfig config;
    private final Map<String, NDArray> tensors;

    private DeeBertWeights(DeeBertConfig config, Map<String, NDArray> tensors) {
        this.config = config;
        this.tensors = tensors;
    }

    /**
     * Checks named tensors (as read from model.safetensors) against the config: every expected tensor
     * present, float32, the right shape and finite. Tensors the reference writes but DeeBERT never uses (its
     * untrained ramp after the last layer, position_ids buffers) are dropped; anything else unknown is an
     * error.
     */
    public static DeeBertWeights from(DeeBertConfig config, NDList named, Path source) {
        Map<String, Shape> expected = TensorNames.shapes(config);
        Map<String, NDArray> byFileName = new LinkedHashMap<>();
        for (NDArray tensor : named) {
            byFileName.put(tensor.getName(), tensor);
        }
        List<String> problems = new ArrayList<>();
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> e : expected.entrySet()) {
            String name = TensorNames.fileName(config, e.getKey());
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
        String unusedRamp = TensorNames.fileName(config,
                TensorNames.rampModule(config.numHiddenLayers() - 1) + ".");
        for (String name : byFileName.keySet()) {
            if (!name.startsWith(unusedRamp) && !TensorNames.isBuffer(name)) {
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
            e.getValue().setName(TensorNames.fileName(config, e.getKey()));
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

    /** Canonical name to tensor, in the order of {@link TensorNames#shapes}. */
    public Map<String, NDArray> asMap() {
        return java.util.Collections.unmodifiableMap(tensors);
    }

    /** The tensors under their file names, ready for {@link SafeTensorsFile#write}. */
    public NDList toNamedList() {
        NDList list = new NDList(tensors.size());
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            e.getValue().setName(TensorNames.fileName(config, e.getKey()));
            list.add(e.getValue());
        }
        return list;
    }
}
