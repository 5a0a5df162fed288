package dev.deebert.job.score;

import dev.deebert.tables.Catalog;
import dev.deebert.tables.NamedRow;
import java.sql.Timestamp;
import java.time.Instant;
import org.apache.spark.sql.Row;

/**
 * One row of the {@link Catalog#RUNS} table: what ran, on which model, with which outcome. {@code started_at} and
 * {@code finished_at} date a run for per-day cost views; its {@code partition_stats} rows carry its run id.
 *
 * @param mode {@link #BATCH} or {@link #INCREMENTAL}
 * @param maxSeqLen tokens per row the run tokenized to
 * @param precision fp32 or bf16
 * @param batches micro-batches an incremental run executed (replays of a crashed run's last one included);
 *     null for batch runs
 * @param rows rows this run scored, rescored rows included
 * @param rowsRescored rows an incremental run scored again because their model changed; null for batch runs
 * @param auditExpected the agreement calibration promised for the run's operating point, or null
 * @param audited what the run's audit found, or null while it has audited nothing
 */
public record RunRecord(String runId, String mode, Instant startedAt, Instant finishedAt, String modelDir,
                        String modelSha256, double threshold, int maxSeqLen, String precision, String config,
                        Long batches, long rows, long rowsFailed, Long rowsRescored, double expectedSaving,
                        String status, Double auditExpected, ScoreSummary.Audited audited) {
    public static final String RUNNING = "running";
    public static final String SUCCEEDED = "succeeded";
    public static final String FAILED = "failed";

    public static final String BATCH = "batch";
    public static final String INCREMENTAL = "incremental";

    /** The row of a run that has just started. */
    public static RunRecord started(String runId, String mode, String modelDir, String modelSha256, double threshold,
                                    int maxSeqLen, String precision, String config, Double auditExpected) {
        return new RunRecord(runId, mode, Instant.now(), null, modelDir, modelSha256, threshold, maxSeqLen, precision,
                config, null, 0, 0, null, 0, RUNNING, auditExpected, null);
    }

    public RunRecord finished(String outcome, ScoreSummary totals) {
        return new RunRecord(runId, mode, startedAt, Instant.now(), modelDir, modelSha256, threshold, maxSeqLen,
                precision, config, totals.batches(), totals.rows(), totals.rowsFailed(), totals.rowsRescored(),
                totals.expectedSaving(), outcome, auditExpected, totals.audited());
    }

    public Row toRow() {
        NamedRow row = new NamedRow(Catalog.RUNS.schema()).set("run_id", runId).set("mode", mode)
                .set("started_at", Timestamp.from(startedAt))
                .set("finished_at", finishedAt == null ? null : Timestamp.from(finishedAt))
                .set("model_dir", modelDir).set("model_sha256", modelSha256).set("threshold", threshold)
                .set("max_seq_len", maxSeqLen).set("precision", precision).set("config", config)
                .set("batches", batches).set("rows", rows).set("rows_failed", rowsFailed)
                .set("rows_rescored", rowsRescored).set("expected_saving", expectedSaving).set("status", status)
                .set("audit_expected", auditExpected);
        if (audited != null) {
            row.set("audit_rows", audited.rows()).set("audit_agreement", audited.agreement())
                    .set("audit_low", audited.low()).set("audit_high", audited.high());
        }
        return row.toRow();
    }
}
