package dev.deebert.model;

import java.io.Serializable;
import java.util.Arrays;

/**
 * When a row leaves: at the first ramp whose entropy is strictly below that ramp's threshold. A threshold
 * of 0 never exits early (entropy is never negative); the last layer always exits through the final head.
 */
public final class ExitPolicy implements Serializable {
    private static final long serialVersionUID = 1L;

    private final double[] thresholds;

    private ExitPolicy(double[] thresholds) {
        for (double t : thresholds) {
            if (!(t >= 0) || Double.isInfinite(t)) {
                throw new IllegalArgumentException("entropy threshold must be a finite number >= 0, got " + t);
            }
        }
        this.thresholds = thresholds;
    }

    /** The paper's single threshold S for every ramp of an N-layer model. */
    public static ExitPolicy uniform(double threshold, int numLayers) {
        double[] t = new double[numLayers - 1];
        Arrays.fill(t, threshold);
        return new ExitPolicy(t);
    }

    /** One threshold per ramp, layer 1 .. N-1. */
    public static ExitPolicy perLayer(double[] thresholds) {
        return new ExitPolicy(thresholds.clone());
    }

    /** Whether a row whose ramp after {@code layer} (1-based) has {@code entropy} leaves there. */
    public boolean exitsAt(int layer, double entropy) {
        return layer <= thresholds.length && entropy < thresholds[layer - 1];
    }

    /** Whether any row can leave at the ramp after {@code layer}: not where its threshold is 0. */
    public boolean opens(int layer) {
        return layer <= thresholds.length && thresholds[layer - 1] > 0;
    }

    public int numRamps() {
        return thresholds.length;
    }

    @Override
    public String toString() {
        double first = thresholds.length == 0 ? 0 : thresholds[0];
        return Arrays.stream(thresholds).allMatch(t -> t == first) ? "S=" + first : "S=" + Arrays.toString(thresholds);
    }
}
