package dev.deebert.tests.score;

import dev.deebert.tables.Catalog;
import dev.deebert.tables.NamedRow;
import dev.deebert.tables.Table;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * An output root as the version before the serving columns left it: predictions and runs without the
 * columns their catalog entries added since (max_seq_len, precision, feed_id), each holding one row of a run
 * {@link #RUN}.
 */
final class OldTables {
    static final String RUN = "before-serving-columns";

    private OldTables() {}

    /** @param predictions the predictions table a run writes now (with its kept columns) */
    static void write(SparkSession spark, Path root, Table predictions) {
        StructType oldPredictions = withoutAddedLater(predictions);
        Row prediction = new NamedRow(oldPredictions).set("run_id", RUN).set("id", "old-1").set("label", "neg")
                .set("exit_layer", 3).set("model_sha256", "0".repeat(64)).set("threshold", 0.5).toRow();
        spark.createDataFrame(List.of(prediction), oldPredictions).write().format("delta").partitionBy("run_id")
                .save(predictions.at(root).toString());
        StructType oldRuns = withoutAddedLater(Catalog.RUNS);
        Row run = new NamedRow(oldRuns).set("run_id", RUN).set("mode", "batch")
                .set("started_at", Timestamp.from(Instant.now())).set("model_dir", "/old/model")
                .set("model_sha256", "0".repeat(64)).set("threshold", 0.5).set("config", "{}").set("rows", 1L)
                .set("status", "succeeded").toRow();
        spark.createDataFrame(List.of(run), oldRuns).write().format("delta").save(Catalog.RUNS.at(root).toString());
    }

    private static StructType withoutAddedLater(Table table) {
        List<String> added = Arrays.asList(table.addedLater().fieldNames());
        return new StructType(Arrays.stream(table.schema().fields()).filter(f -> !added.contains(f.name()))
                .toArray(StructField[]::new));
    }
}
