package dev.deebert.job.importer;

import dev.deebert.model.DeeBertConfig;
import dev.deebert.model.TensorNames;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The untrained exits of a freshly imported model: a ramp after each layer but the last, and the final
 * head's pooler and classifier where the import brings none. Initialized like the reference's
 * {@code _init_weights}: Linear weights normal(0, initializer_range), biases 0; except that poolers start as
 * copies of the pretrained pooler when the backbone has one, since it already maps [CLS] to a useful sentence
 * vector.
 * Deterministic for a seed: values are drawn in a fixed order from one {@link Random}.
 */
final class UntrainedExits {
    private UntrainedExits() {}

    /**
     * Tensors named canonically ({@link TensorNames}): every ramp's, and the final head's pooler and
     * classifier where {@code pretrained} lacks them. {@code pretrained} holds the imported tensors by
     * canonical name; a pretrained pooler is [H, H] and [H], a fine-tuned classifier [labels, H] and
     * [labels].
     */
    static Map<String, HostTensor> create(DeeBertConfig config, Map<String, HostTensor> pretrained, long seed) {
        Random random = new Random(seed);
        int hidden = config.hiddenSize();
        Map<String, HostTensor> exits = new LinkedHashMap<>();
        TensorNames.Exit last = TensorNames.FINAL_HEAD;
        HostTensor poolerWeight = pretrained.get(last.pooler().weight());
        HostTensor poolerBias = pretrained.get(last.pooler().bias());
        boolean copyPooler = poolerWeight != null;
        if (!copyPooler) {
            poolerWeight = normal(random, config, hidden, hidden);
            poolerBias = zeros(hidden);
            exits.put(last.pooler().weight(), poolerWeight);
            exits.put(last.pooler().bias(), poolerBias);
        }
        for (int i = 0; i < config.numHiddenLayers() - 1; i++) {
            TensorNames.Exit ramp = TensorNames.ramp(i);
            // Sharing the host copy is safe: every tensor becomes its own NDArray.
            exits.put(ramp.pooler().weight(), copyPooler ? poolerWeight : normal(random, config, hidden, hidden));
            exits.put(ramp.pooler().bias(), copyPooler ? poolerBias : zeros(hidden));
            exits.put(ramp.classifier().weight(), normal(random, config, config.numLabels(), hidden));
            exits.put(ramp.classifier().bias(), zeros(config.numLabels()));
        }
        if (!pretrained.containsKey(last.classifier().weight())) {
            exits.put(last.classifier().weight(), normal(random, config, config.numLabels(), hidden));
            exits.put(last.classifier().bias(), zeros(config.numLabels()));
        }
        return exits;
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
