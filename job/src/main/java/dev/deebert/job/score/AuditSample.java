package dev.deebert.job.score;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.shiftrightunsigned;
import static org.apache.spark.sql.functions.xxhash64;

import dev.deebert.tables.Catalog;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;

/**
 * The rows of a run that executors also score at full depth, so that the run measures, without labels, how often
 * its early exit gives the full model's label: each row with probability {@code fraction}, and at least
 * {@code minRows} rows per run (all of them when the run has fewer). A row's draw is a hash of (run id, row
 * id), so a rerun of the run audits the same rows, and any partition of the input draws alike. The minimum is
 * owed across the micro-batches of an incremental run: once that many rows were audited, only the fraction is.
 */
final class AuditSample {
    /** 2^53: a 64-bit hash shifted right by 11 bits is a uniform integer in [0, 2^53), exact as a double. */
    private static final double UNIFORM_RANGE = 0x1p53;

    private final String runId;
    private final double fraction;
    private long owed;

    AuditSample(String runId, ScoreRequest.Audit audit) {
        this.runId = runId;
        this.fraction = audit.fraction();
        this.owed = audit.minRows();
    }

    /** {@code scorerInput} with {@link Catalog#AUDIT_SAMPLE} true on the rows to audit. */
    Dataset<Row> mark(Dataset<Row> scorerInput) {
        Column draw = shiftrightunsigned(xxhash64(lit(runId), col("id")), 11).cast("double").divide(UNIFORM_RANGE);
        double below = fraction;
        if (owed > 0) {
            // The owed rows are those of the smallest draws: one pass keeping the smallest per partition.
            List<Double> smallest = scorerInput.select(draw.as("draw")).orderBy("draw")
                    .limit((int) Math.min(Integer.MAX_VALUE, owed)).as(Encoders.DOUBLE()).collectAsList();
            below = smallest.size() < owed ? 1.0 : Math.max(below, Math.nextUp(smallest.get(smallest.size() - 1)));
        }
        return scorerInput.withColumn(Catalog.AUDIT_SAMPLE, draw.lt(below));
    }

    /** Counts {@code rows} audited towards the run's minimum. */
    void audited(long rows) {
        owed = Math.max(0, owed - rows);
    }
}
