package dev.deebert.job.importer;

import dev.deebert.model.DeeBertConfig;
import dev.deebert.model.DeeBertWeights;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The untrained exit heads of a freshly imported model: a pooler and a classifier after the last layer and
 * a ramp (highway) after each earlier one. Initialized like the reference's {@code _init_weights}: Linear
 * weights normal(0, initializer_range), biases 0; except that poolers start as copies of the pretrained
 * pooler when the backbone has one, since it already maps [CLS] to a useful sentence vector.
 * Deterministic for a seed: values are drawn in a fixed order from one {@link Random}.
 */
final class ExitHeads {
    private ExitHeads() {}

    /**
     * Tensors named canonically: every {@code encoder.highway.{i}.*}, and {@code pooler.dense.*} and
     * {@code classifier.*} where {@code pretrained} lacks them. {@code pretrained} holds the imported tensors
     * by canonical name; the final exit among them, if any, is {@code pooler.dense.weight} [H, H] and
     * {@code pooler.dense.bias} [H], and for a fine-tuned classifier also {@code classifier.weight}
     * [labels, H] and {@code classifier.bias} [labels].
     */
    static Map<String, HostTensor> create(DeeBertConfig config, Map<String, HostTensor> pretrained, long seed) {
        Random random = new Random(seed);
        int hidden = config.hiddenSize();
        Map<String, HostTensor> heads = new LinkedHashMap<>();
        HostTensor poolerWeight = pretrained.get(DeeBertWeights.POOLER_WEIGHT);
        HostTensor poolerBias = pretrained.get(DeeBertWeights.POOLER_BIAS);
        boolean copyPooler = poolerWeight != null;
        if (!copyPooler) {
            poolerWeight = normal(random, config, hidden, hidden);
            poolerBias = zeros(hidden);
            heads.put(DeeBertWeights.POOLER_WEIGHT, poolerWeight);
            heads.put(DeeBertWeights.POOLER_BIAS, poolerBias);
        }
        for (int ramp = 0; ramp < config.numHiddenLayers() - 1; ramp++) {
            String prefix = DeeBertWeights.rampPrefix(ramp);
            // Sharing the host copy is safe: every tensor becomes its own NDArray.
            heads.put(prefix + DeeBertWeights.POOLER_WEIGHT,
                    copyPooler ? poolerWeight : normal(random, config, hidden, hidden));
            heads.put(prefix + DeeBertWeights.POOLER_BIAS, copyPooler ? poolerBias : zeros(hidden));
            heads.put(prefix + "classifier.weight", normal(random, config, config.numLabels(), hidden));
            heads.put(prefix + "classifier.bias", zeros(config.numLabels()));
        }
        if (!pretrained.containsKey(DeeBertWeights.CLASSIFIER_WEIGHT)) {
            heads.put(DeeBertWeights.CLASSIFIER_WEIGHT, normal(random, config, config.numLabels(), hidden));
            heads.put(DeeBertWeights.CLASSIFIER_BIAS, zeros(config.numLabels()));
        }
        return heads;
    }

    /** [rows, cols] drawn from normal(0, initializer_range). */
    private static HostTensor normal(Random random, DeeBertConfig config, int rows, int cols) {
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * config.initializerRange());
        }
        return new HostTensor(new long[] {rows, cols}, values);
    }

    private static HostTensor zeros(int size) {
        return new HostTensor(new long[] {size}, new float[size]);
    }
}
