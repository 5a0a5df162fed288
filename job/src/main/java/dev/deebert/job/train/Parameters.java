package dev.deebert.job.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.deebert.model.DeeBertConfig;
import dev.deebert.model.DeeBertWeights;
import dev.deebert.model.TensorNames;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
     * Takes a backbone's weights for {@code labels}. When the number of labels differs, the final classifier
     * and the ramp classifiers are re-initialised as transformers does (normal(0, initializer_range), bias 0),
     * from {@code seed}.
     */
    static Parameters forLabels(DeeBertWeights backbone, LabelSet labels, long seed, NDManager manager) {
        DeeBertConfig config = backbone.config().withLabels(labels.names());
        Map<String, NDArray> tensors = new LinkedHashMap<>(backbone.asMap());
        if (backbone.config().numLabels() != labels.size()) {
            manager.getEngine().setRandomSeed((int) seed);
            double std = config.initializerRange() > 0 ? config.initializerRange() : 0.02;
            Shape weight = new Shape(labels.size(), config.hiddenSize());
            for (TensorNames.Params classifier : classifiers(config)) {
                tensors.put(classifier.weight(), manager.randomNormal(0f, (float) std, weight, DataType.FLOAT32));
                tensors.put(classifier.bias(), manager.zeros(new Shape(labels.size())));
            }
        }
        return new Parameters(DeeBertWeights.of(config, tensors));
    }

    /** The final classifier, then ramp 0's, 1's ...: the order the seed's values are drawn in. */
    private static List<TensorNames.Params> classifiers(DeeBertConfig config) {
        List<TensorNames.Params> classifiers = new ArrayList<>();
        classifiers.add(TensorNames.FINAL_HEAD.classifier());
        for (int i = 0; i < config.numHiddenLayers() - 1; i++) {
            classifiers.add(TensorNames.ramp(i).classifier());
        }
        return classifiers;
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
