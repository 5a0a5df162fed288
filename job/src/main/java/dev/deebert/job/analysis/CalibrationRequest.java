package dev.deebert.job.analysis;

import dev.deebert.job.RunIds;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A calibration as the user asked for it.
 *
 * @param runId the sweep run to calibrate from, or null for the latest sweep under the root
 * @param maxDrops budgets in accuracy points, each >= 0
 * @param confidence how sure a threshold's drop must be to stay within a budget, in [0.5, 1)
 */
public record CalibrationRequest(Path sweepRoot, String runId, Path model, double[] maxDrops, double confidence,
                                 int bootstrap, long seed) {
    public CalibrationRequest {
        if (maxDrops.length == 0) {
            throw new IllegalArgumentException("--max-drop needs at least one budget");
        }
        for (double d : maxDrops) {
            if (!(d >= 0) || Double.isInfinite(d)) {
                throw new IllegalArgumentException("--max-drop must be finite numbers >= 0 (accuracy points), got " + d);
            }
        }
        if (!(confidence >= 0.5 && confidence < 1)) {
            throw new IllegalArgumentException("--confidence must be at least 0.5 and below 1, got " + confidence);
        }
        if (bootstrap < 1) {
            throw new IllegalArgumentException("--bootstrap must be at least 1, got " + bootstrap);
        }
        if (runId != null) {
            RunIds.check(runId);
        }
        maxDrops = Arrays.stream(maxDrops).distinct().sorted().toArray();
    }

    @Override
    public double[] maxDrops() {
        return maxDrops.clone();
    }
}
