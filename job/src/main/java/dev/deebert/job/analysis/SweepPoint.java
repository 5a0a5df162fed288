package dev.deebert.job.analysis;

import dev.deebert.executor.Confusion;
import dev.deebert.executor.SweepCounts;
import dev.deebert.tables.Catalog;
import dev.deebert.tables.NamedRow;
import java.sql.Timestamp;
import org.apache.spark.sql.Row;

/**
 * One threshold's figures of a sweep (a row of {@link Catalog#SWEEP} without the run's columns).
 *
 * @param positiveF1 F1 of the positive label of a binary task, else null
 * @param qualityDrop accuracy points lost against S=0
 * @param exitHistogram rows leaving after each layer (index 0 = layer 1)
 * @param agreement share of rows whose label is the full model's (S=0)
 * @param measuredMs model time of the real early exit summed over partitions, or null when not measured
 * @param actualSaving 1 - measuredMs / measuredMs at S=0, or null
 */
public record SweepPoint(double threshold, long rows, double accuracy, double macroF1, Double positiveF1,
                         double qualityDrop, double expectedSaving, double meanExitLayer, long[] exitHistogram,
                         double agreement, Double measuredMs, Double actualSaving) {

    /**
     * The figures of every threshold of {@code counts}, whose first threshold is 0.
     *
     * @param positive index of the positive label, or -1 for none
     * @param modelNanos model time per threshold, or null when not measured
     */
    static SweepPoint[] of(SweepCounts counts, int positive, long[] modelNanos) {
        double[] thresholds = counts.thresholds();
        int layers = counts.layers();
        double reference = counts.atThreshold(0).accuracy();
        SweepPoint[] points = new SweepPoint[thresholds.length];
        for (int t = 0; t < thresholds.length; t++) {
            Confusion quality = counts.atThreshold(t);
            long[] histogram = counts.exitHistogram(t);
            long rows = quality.rows();
            long layersComputed = 0;
            for (int l = 1; l <= layers; l++) {
                layersComputed += l * histogram[l - 1];
            }
            Double measured = modelNanos == null ? null : modelNanos[t] / 1e6;
            Double actual = modelNanos == null || modelNanos[0] == 0 ? null : 1.0 - (double) modelNanos[t] / modelNanos[0];
            points[t] = new SweepPoint(thresholds[t], rows, quality.accuracy(), quality.macroF1(),
                    positive < 0 ? null : quality.f1(positive), 100 * (reference - quality.accuracy()),
                    1.0 - (double) layersComputed / (rows * layers), (double) layersComputed / rows, histogram,
                    (double) counts.agreed(t) / rows, measured, actual);
        }
        return points;
    }

    /** The {@link Catalog#SWEEP} row; {@code request} says how the sweep ran. */
    Row toRow(SweepRequest request, String modelSha256, String dataPath, Timestamp sweptAt) {
        return new NamedRow(Catalog.SWEEP.schema()).set("run_id", request.runId()).set("threshold", threshold)
                .set("rows", rows).set("accuracy", accuracy).set("macro_f1", macroF1).set("positive_f1", positiveF1)
                .set("quality_drop", qualityDrop).set("expected_saving", expectedSaving)
                .set("mean_exit_layer", meanExitLayer)
                .set("exit_histogram", exitHistogram).set("agreement", agreement)
                .set("measured_ms", measuredMs).set("actual_saving", actualSaving).set("model_sha256", modelSha256)
                .set("data_path", dataPath).set("swept_at", sweptAt).set("max_seq_len", request.maxSeqLen())
                .set("precision", request.precision().toString()).set("batch_size", request.batchSize())
                .toRow();
    }
}
