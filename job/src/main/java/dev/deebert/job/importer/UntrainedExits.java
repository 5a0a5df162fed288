package dev.deebert.job.importer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.deebert.model.DeeBertConfig;
import dev.deebert.model.TensorNames;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The untrained exits of a model: the ramps and heads that import adds to a backbone, and the fresh
 * classifiers train gives a model re-headed for other labels. Initialized like the reference's
 * {@code _init_weights}: Linear weights normal(0, initializer_range), biases 0; except that poolers start as
 * copies of the pretrained pooler when the backbone has one, since it already maps [CLS] to a useful sentence
 * vector.
 * Deterministic for a seed: values are drawn in a fixed order (ramp 0, 1, ..., then the final head) from one
 * host {@link Random}, so a model's initial weights do not depend on the engine's generator.
 */
public final class UntrainedExits {
    private final DeeBertConfig config;
    private final Random random;
    private final Map<String, HostTensor> exits = new LinkedHashMap<>();

    private UntrainedExits(DeeBertConfig config, long seed) {
        this.config = config;
        this.random = new Random(seed);
    }

    /**
     * Tensors named canonically ({@link TensorNames}): every ramp's, and the final head's pooler and
     * classifier where {@code pretrained} lacks them. {@code pretrained} holds the imported tensors by
     * canonical name; a pretrained pooler is [H, H] and [H], a fine-tuned classifier [labels, H] and
     * [labels].
     */
    static Map<String, HostTensor> create(DeeBertConfig config, Map<String, HostTensor> pretrained, long seed) {
        UntrainedExits draws = new UntrainedExits(config, seed);
        int hidden = config.hiddenSize();
        TensorNames.Exit last = TensorNames.FINAL_HEAD;
        HostTensor poolerWeight = pretrained.get(last.pooler().weight());
        HostTensor poolerBias = pretrained.get(last.pooler().bias());
        boolean copyPooler = poolerWeight != null;
        if (!copyPooler) {
            draws.linear(last.pooler(), hidden);
        }
        for (int i = 0; i < config.numHiddenLayers() - 1; i++) {
            TensorNames.Exit ramp = TensorNames.ramp(i);
            if (copyPooler) {
                // Sharing the host copy is safe: every tensor becomes its own NDArray.
                draws.exits.put(ramp.pooler().weight(), poolerWeight);
                draws.exits.put(ramp.pooler().bias(), poolerBias);
            } else {
                draws.linear(ramp.pooler(), hidden);
            }
            draws.linear(ramp.classifier(), config.numLabels());
        }
        if (!pretrained.containsKey(last.classifier().weight())) {
            draws.linear(last.classifier(), config.numLabels());
        }
        return draws.exits;
    }

    /**
     * Fresh classifiers [labels, H] and [labels] for every exit of a model whose labels changed: the values
     * {@link #create} draws for a backbone with a pretrained pooler and no classifier.
     */
    public static Map<String, NDArray> classifiers(DeeBertConfig config, long seed, NDManager manager) {
        UntrainedExits draws = new UntrainedExits(config, seed);
        for (int i = 0; i < config.numHiddenLayers() - 1; i++) {
            draws.linear(TensorNames.ramp(i).classifier(), config.numLabels());
        }
        draws.linear(TensorNames.FINAL_HEAD.classifier(), config.numLabels());
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        draws.exits.forEach((name, tensor) -> arrays.put(name, tensor.toNDArray(manager)));
        return arrays;
    }

    /** A Linear layer with {@code out} outputs from H inputs: weight [out, H] normal(0, initializer_range), bias 0. */
    private void linear(TensorNames.Params layer, int out) {
        int in = config.hiddenSize();
        float[] weight = new float[out * in];
        for (int i = 0; i < weight.length; i++) {
            weight[i] = (float) (random.nextGaussian() * config.initializerRange());
        }
        exits.put(layer.weight(), new HostTensor(new long[] {out, in}, weight));
        exits.put(layer.bias(), new HostTensor(new long[] {out}, new float[out]));
    }
}
