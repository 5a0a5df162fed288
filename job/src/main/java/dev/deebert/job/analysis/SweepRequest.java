package dev.deebert.job.analysis;

import dev.deebert.job.RunIds;
import dev.deebert.job.InputFormat;
import dev.deebert.model.Batching;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import dev.deebert.executor.ScoringSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A sweep as the user asked for it, checked on the driver before anything starts.
 *
 * @param model the model as the command opened it, so the sweep runs on the weights whose length and labels
 *     the command read (a model replaced since fails the run on its hash)
 * @param idCol column of row ids, or null to derive them from the text as scoring does
 * @param thresholds the thresholds S to report, ascending, always including 0 (the reference of every
 *     quality drop and saving)
 * @param batching how {@code --measure-time}'s early exit shares layers between batches (auto already decided)
 */
public record SweepRequest(ModelDirectory model, Path data, InputFormat format, String idCol, String textCol, String labelCol,
                           Path output, double[] thresholds, String runId, int batchSize, Precision precision,
                           Batching batching, int maxSeqLen, boolean measureTime) {

    public SweepRequest {
        for (double s : thresholds) {
            if (!(s >= 0) || Double.isInfinite(s)) {
                throw new IllegalArgumentException("--thresholds must be finite numbers >= 0, got " + s);
            }
        }
        thresholds = Arrays.stream(thresholds).map(s -> s == 0 ? 0.0 : s).distinct().sorted().toArray();
        if (thresholds.length == 0 || thresholds[0] != 0) {
            double[] withZero = new double[thresholds.length + 1];
            System.arraycopy(thresholds, 0, withZero, 1, thresholds.length);
            thresholds = withZero;
        }
        ScoringSpec.checkBatchSize(batchSize);
        RunIds.check(runId);
        if (!Files.exists(data)) {
            throw new IllegalArgumentException("--input " + data + " does not exist");
        }
    }

    @Override
    public double[] thresholds() {
        return thresholds.clone();
    }
}
