package dev.deebert.job.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.deebert.job.importer.UntrainedExits;
import dev.deebert.model.DeeBertConfig;
import dev.deebert.model.DeeBertWeights;
import dev.deebert.model.TensorNames;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The model's tensors during training and which of them each stage trains. Updates happen in place, so the
 * one {@link DeeBertWeights} stays valid for every forward pass.
 */
final class Parameters {
    private final DeeBertWeights weights;

    private Parameters(DeeBertWeights weights) {
        this.weights = weights;
    }

    static Parameters of(DeeBertWeights weights) {
        return new Parameters(weights);
    }

    /**
     * Takes a backbone's weights for {@code labels}. When the number of labels differs, every classifier is
     * re-initialised from {@code seed} as import initialises new exits ({@link UntrainedExits#classifiers}).
     */
    static Parameters forLabels(DeeBertWeights backbone, LabelSet labels, long seed, NDManager manager) {
        DeeBertConfig config = backbone.config().withLabels(labels.names());
        Map<String, NDArray> tensors = new LinkedHashMap<>(backbone.asMap());
        if (backbone.config().numLabels() != labels.size()) {
            tensors.putAll(UntrainedExits.classifiers(config, seed, manager));
        }
        return new Parameters(DeeBertWeights.of(config, tensors));
    }

    DeeBertWeights weights() {
        return weights;
    }

    DeeBertConfig config() {
        return weights.config();
    }

    /**
     * The tensors stage {@code stage} trains, with gradients attached; all others have theirs detached so
     * that no gradient is computed for them.
     */
    Map<String, NDArray> trainFor(int stage) {
        Map<String, NDArray> trained = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : weights.asMap().entrySet()) {
            // a ramp's pooler and classifier are trained in stage 2 only, everything else in stage 1
            boolean train = (stage == 2) == TensorNames.isRamp(e.getKey());
            e.getValue().setRequiresGradient(train);
            if (train) {
                trained.put(e.getKey(), e.getValue());
            }
        }
        return trained;
    }

    /** Detaches every gradient: evaluation and caching then build no autograd graph. */
    void freeze() {
        for (NDArray tensor : weights.asMap().values()) {
            tensor.setRequiresGradient(false);
        }
    }

    /** The same model with the tensors of a checkpoint (canonical names), checked against the config. */
    Parameters withTensors(Map<String, NDArray> saved) {
        return new Parameters(DeeBertWeights.of(config(), saved));
    }
}
