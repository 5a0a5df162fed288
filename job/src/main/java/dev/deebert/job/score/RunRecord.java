package dev.deebert.job.score;

import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;

import java.sql.Timestamp;
import java.time.Instant;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

/** One row of the {@code runs} table: what ran, on which model, with which outcome. */
public record RunRecord(String runId, Instant startedAt, Instant finishedAt, String modelDir, String modelSha256,
                        double threshold, String config, long rows, long rowsFailed, double expectedSaving,
                        String status) {
    public static final String RUNNING = "running";
    public static final String SUCCEEDED = "succeeded";
    public static final String FAILED = "failed";

    public static final StructType SCHEMA = new StructType()
            .add("run_id", StringType, false)
            .add("started_at", TimestampType, false)
            .add("finished_at", TimestampType, true)
            .add("model_dir", StringType, false)
            .add("model_sha256", StringType, false)
            .add("threshold", DoubleType, false)
            .add("config", StringType, false)
            .add("rows", LongType, true)
            .add("rows_failed", LongType, true)
            .add("expected_saving", DoubleType, true)
            .add("status", StringType, false);

    public RunRecord finished(String outcome, long rows, long rowsFailed, double expectedSaving) {
        return new RunRecord(runId, startedAt, Instant.now(), modelDir, modelSha256, threshold, config, rows,
                rowsFailed, expectedSaving, outcome);
    }

    public Row toRow() {
        return RowFactory.create(runId, Timestamp.from(startedAt), finishedAt == null ? null : Timestamp.from(finishedAt),
                modelDir, modelSha256, threshold, config, rows, rowsFailed, expectedSaving, status);
    }
}
