package dev.deebert.model;

import java.util.List;
import java.util.Locale;

/** How the probabilities of a row's chunks make the row's prediction. */
public enum ChunkAggregate {
    /** The mean of the chunks' probabilities: every chunk counts alike. */
    MEAN {
        @Override
        float[] probabilities(List<Prediction> chunks) {
            double[] sum = new double[chunks.get(0).probabilities().length];
            for (Prediction chunk : chunks) {
                float[] p = chunk.probabilities();
                for (int c = 0; c < sum.length; c++) {
                    sum[c] += p[c];
                }
            }
            float[] mean = new float[sum.length];
            for (int c = 0; c < sum.length; c++) {
                mean[c] = (float) (sum[c] / chunks.size());
            }
            return mean;
        }
    },
    /** The probabilities of the most confident chunk (the highest top probability, the first on ties). */
    MAX_CONFIDENCE {
        @Override
        float[] probabilities(List<Prediction> chunks) {
            Prediction best = chunks.get(0);
            for (Prediction chunk : chunks) {
                if (chunk.probabilities()[chunk.labelIndex()] > best.probabilities()[best.labelIndex()]) {
                    best = chunk;
                }
            }
            return best.probabilities();
        }
    };

    abstract float[] probabilities(List<Prediction> chunks);

    /**
     * The row's prediction from its chunks' (at least one), in chunk order. The chunk that decided is the one
     * most in favour of the row's label: for max-confidence the most confident chunk itself, for mean a chunk
     * that (with two labels) predicts that label alone too, since a mean above one half needs a chunk above it.
     */
    public ChunkedPrediction of(List<Prediction> chunks) {
        float[] probabilities = probabilities(chunks);
        int label = Entropy.argmax(probabilities);
        Prediction decider = chunks.get(0);
        int layers = 0;
        int tokens = 0;
        boolean truncated = false;
        for (Prediction chunk : chunks) {
            if (chunk.probabilities()[label] > decider.probabilities()[label]) {
                decider = chunk;
            }
            layers += chunk.layersComputed();
            tokens += chunk.numTokens();
            truncated |= chunk.truncated();
        }
        return new ChunkedPrediction(label, probabilities, decider, chunks.size(), layers, tokens, truncated);
    }

    /** The aggregate of a command-line name: {@code mean} or {@code max-confidence}, in any case. */
    public static ChunkAggregate named(String name) {
        for (ChunkAggregate aggregate : values()) {
            if (aggregate.toString().equalsIgnoreCase(name.trim())) {
                return aggregate;
            }
        }
        throw new IllegalArgumentException("expected mean or max-confidence, got '" + name + "'");
    }

    /** The command-line name. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
