package dev.deebert.job.analysis;

import dev.deebert.executor.SweepCounts;
import java.util.Arrays;
import org.apache.commons.math3.distribution.BinomialDistribution;
import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.Well19937c;

/**
 * Bootstrap of a threshold's accuracy drop. The drop is the mean over rows of d = (full model right) - (early
 * exit right), in {-1, 0, 1}. Resampling n rows with replacement only changes how many rows of each d are drawn,
 * which is a multinomial draw over the three counts; drawing those counts directly is the same bootstrap at a
 * cost independent of n (a million rows x 1000 resamples would otherwise be 10^9 draws).
 */
final class DropBootstrap {
    private final double[] sorted;

    /**
     * Resamples the drop of one threshold.
     *
     * @param paired rows by {@link SweepCounts#ONLY_EXIT_RIGHT}, {@link SweepCounts#SAME},
     *     {@link SweepCounts#ONLY_FULL_RIGHT}
     */
    DropBootstrap(long[] paired, int resamples, long seed) {
        RandomGenerator random = new Well19937c(seed);
        long n = paired[0] + paired[1] + paired[2];
        int rows = Math.toIntExact(n);
        sorted = new double[resamples];
        for (int b = 0; b < resamples; b++) {
            // Multinomial(n; p) as Binomial(n, p_exit) then Binomial(rest, p_full / (1 - p_exit)).
            int exitRight = binomial(random, rows, (double) paired[SweepCounts.ONLY_EXIT_RIGHT] / n);
            long others = paired[SweepCounts.SAME] + paired[SweepCounts.ONLY_FULL_RIGHT];
            int fullRight = others == 0 ? 0
                    : binomial(random, rows - exitRight, (double) paired[SweepCounts.ONLY_FULL_RIGHT] / others);
            sorted[b] = 100.0 * (fullRight - exitRight) / n;
        }
        Arrays.sort(sorted);
    }

    /** The 2.5% and 97.5% percentiles of the resampled drop, in accuracy points. */
    double[] interval95() {
        return new double[] {percentile(0.025), percentile(0.975)};
    }

    /** The drop that the resampled drops stay at or below with probability {@code confidence}, in points. */
    double upperBound(double confidence) {
        return percentile(confidence);
    }

    private static int binomial(RandomGenerator random, int trials, double p) {
        if (trials == 0 || p == 0) {
            return 0;
        }
        return p >= 1 ? trials : new BinomialDistribution(random, trials, p).sample();
    }

    /** Linear interpolation between the closest ranks (numpy's default). */
    private double percentile(double q) {
        double rank = q * (sorted.length - 1);
        int low = (int) Math.floor(rank);
        int high = Math.min(sorted.length - 1, low + 1);
        return sorted[low] + (rank - low) * (sorted[high] - sorted[low]);
    }
}
