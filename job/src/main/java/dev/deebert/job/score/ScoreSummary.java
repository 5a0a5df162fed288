package dev.deebert.job.score;

import dev.deebert.job.DeltaTables;
import dev.deebert.tables.Catalog;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.math3.stat.interval.ConfidenceInterval;
import org.apache.commons.math3.stat.interval.WilsonScoreInterval;
import org.apache.spark.sql.Row;

/**
 * Totals of a run, summed from its partition stats.
 *
 * @param exitHistogram rows that left after each layer (index 0 = layer 1)
 * @param batches micro-batches of an incremental run, null for a batch run
 * @param rowsRescored rows an incremental run scored again after a model change, null for a batch run
 * @param auditRows rows also scored at full depth
 * @param auditAgreed audited rows whose early-exit label was the full model's
 * @param auditMs model time the audit took, summed over partitions
 * @param tokenizeMs tokenizer time, summed over partitions
 * @param modelMs model time of the scoring itself, summed over partitions
 * @param taskMs the partitions' wall time, summed: what the run took besides the driver's and Spark's own work
 */
public record ScoreSummary(String runId, long rows, long rowsFailed, long layersComputed, long layersFull,
                           long[] exitHistogram, double wallSeconds, DeltaTables tables, Long batches,
                           Long rowsRescored, long auditRows, long auditAgreed, long auditMs, long tokenizeMs,
                           long modelMs, long taskMs) {

    static ScoreSummary of(String runId, List<Row> stats, int numLayers, double wallSeconds, DeltaTables tables,
                           Long batches, Long rowsRescored) {
        long rows = 0;
        long failed = 0;
        long computed = 0;
        long full = 0;
        long[] histogram = new long[numLayers];
        long audited = 0;
        long agreed = 0;
        long auditMs = 0;
        long tokenizeMs = 0;
        long modelMs = 0;
        long taskMs = 0;
        for (Row s : stats) {
            tokenizeMs += s.<Long>getAs("tokenize_ms");
            modelMs += s.<Long>getAs("model_ms");
            taskMs += s.<Long>getAs("wall_ms");
            audited += s.<Long>getAs("audit_rows");
            agreed += s.<Long>getAs("audit_agreed");
            auditMs += s.<Long>getAs("audit_ms");
            rows += s.<Long>getAs("rows");
            failed += s.<Long>getAs("rows_failed");
            computed += s.<Long>getAs("layers_computed");
            full += s.<Long>getAs("layers_full");
            List<Long> h = s.getList(s.fieldIndex("exit_histogram"));
            for (int i = 0; i < numLayers; i++) {
                histogram[i] += h.get(i);
            }
        }
        return new ScoreSummary(runId, rows, failed, computed, full, histogram, wallSeconds, tables, batches,
                rowsRescored, audited, agreed, auditMs, tokenizeMs, modelMs, taskMs);
    }

    /**
     * What the audit found: rows audited, the share whose early-exit label was the full model's and its 95%
     * interval (Wilson's score interval, which stays inside [0, 1] and holds for agreement near 1, where the
     * normal approximation fails); null when no row was audited.
     */
    public Audited audited() {
        if (auditRows == 0) {
            return null;
        }
        ConfidenceInterval interval = new WilsonScoreInterval().createInterval(Math.toIntExact(auditRows),
                Math.toIntExact(auditAgreed), 0.95);
        return new Audited(auditRows, (double) auditAgreed / auditRows, interval.getLowerBound(),
                interval.getUpperBound());
    }

    /** A run's audit ({@link #audited}). */
    public record Audited(long rows, double agreement, double low, double high) {}

    /** Share of encoder layers not run: 1 - layers computed / (scored rows x N). */
    public double expectedSaving() {
        return layersFull == 0 ? 0 : 1.0 - (double) layersComputed / layersFull;
    }

    public double rowsPerSecond() {
        return wallSeconds == 0 ? 0 : rows / wallSeconds;
    }

    /** Rows a task scores per second of its own wall time: the engine's speed, without the run's fixed costs. */
    public double rowsPerTaskSecond() {
        return taskMs == 0 ? 0 : 1e3 * rows / taskMs;
    }

    void print(PrintWriter out) {
        out.printf("run %s: %d rows (%d failed) in %.1f s, %.1f rows/s%n", runId, rows, rowsFailed, wallSeconds,
                rowsPerSecond());
        if (taskMs > 0) {
            out.printf("tasks: %.1f s in all (tokenizing %.1f s, the model %.1f s, the audit %.1f s), %.1f rows/s"
                    + " per task%n", taskMs / 1e3, tokenizeMs / 1e3, modelMs / 1e3, auditMs / 1e3, rowsPerTaskSecond());
        }
        if (batches != null) {
            out.printf("incremental: %d micro-batches, %d rows rescored after a model change%n", batches, rowsRescored);
        }
        out.printf("expected saving %.1f%% (%d of %d layers computed)%n", 100 * expectedSaving(), layersComputed,
                layersFull);
        long most = Math.max(1, Arrays.stream(exitHistogram).max().orElse(1));
        Audited audit = audited();
        if (audit != null) {
            out.printf("audit: %d rows also scored at full depth, %.1f%% agree (95%% CI %.1f..%.1f%%), %.1f s%n",
                    audit.rows(), 100 * audit.agreement(), 100 * audit.low(), 100 * audit.high(), auditMs / 1e3);
        }
        out.println("exit layer histogram:");
        for (int i = 0; i < exitHistogram.length; i++) {
            out.printf("  %2d %8d %s%n", i + 1, exitHistogram[i], "#".repeat((int) (40 * exitHistogram[i] / most)));
        }
        out.printf("tables: %s, %s, %s%n", tables.path(Catalog.PREDICTIONS), tables.path(Catalog.PARTITION_STATS),
                tables.path(Catalog.RUNS));
        out.flush();
    }
}
