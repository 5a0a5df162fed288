package dev.deebert.job.analysis;

import static org.apache.spark.sql.functions.col;

import dev.deebert.executor.SweepCounts;
import dev.deebert.job.DeltaTables;
import dev.deebert.tables.Catalog;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** A sweep run's traced rows ({@code sweep_rows}) and what they add up to. */
final class TracedRows {
    private TracedRows() {}

    static Dataset<Row> of(DeltaTables tables, String runId) {
        return tables.read(Catalog.SWEEP_ROWS).filter(col("run_id").equalTo(runId));
    }

    /** One pass over the rows: each partition counts its rows for every threshold, the driver adds them up. */
    static SweepCounts count(Dataset<Row> traced, double[] thresholds, int layers, int labels) {
        return traced.toJavaRDD()
                .mapPartitions(rows -> List.of(SweepCounts.of(rows, thresholds, layers, labels)).iterator())
                .reduce(SweepCounts::merge);
    }

    /** The positive label of a binary task: {@code spam} when there is one, else label 1; -1 when not binary. */
    static int positiveLabel(List<String> labels) {
        if (labels.size() != 2) {
            return -1;
        }
        return labels.contains("spam") ? labels.indexOf("spam") : 1;
    }
}
