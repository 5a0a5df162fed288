package dev.deebert.tests.score;

import dev.deebert.job.score.RunRecord;
import dev.deebert.score.NamedRow;
import dev.deebert.score.ScoreSchemas;
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
 * An output root as the version before {@link ScoreSchemas#SERVING} left it: predictions and runs without
 * the columns added since ({@link ScoreSchemas#ADDED_LATER}: max_seq_len, precision, feed_id), each holding
 * one row of a run {@link #RUN}.
 */
final class OldTables {
    static final String RUN = "before-serving-columns";

    private OldTables() {}

    /** @param predictions the predictions schema a run writes now (with its kept columns) */
    static void write(SparkSession spark, Path root, StructType predictions) {
        StructType oldPredictions = withoutAddedLater(predictions);
        Row prediction = new NamedRow(oldPredictions).set("run_id", RUN).set("id", "old-1").set("label", "neg")
                .set("exit_layer", 3).set("model_sha256", "0".repeat(64)).set("threshold", 0.5).toRow();
        spark.createDataFrame(List.of(prediction), oldPredictions).write().format("delta").partitionBy("run_id")
                .save(root.resolve("predictions").toString());
        StructType oldRuns = withoutAddedLater(RunRecord.SCHEMA);
        Row run = new NamedRow(oldRuns).set("run_id", RUN).set("mode", "batch")
                .set("started_at", Timestamp.from(Instant.now())).set("model_dir", "/old/model")
                .set("model_sha256", "0".repeat(64)).set("threshold", 0.5).set("config", "{}").set("rows", 1L)
                .set("status", "succeeded").toRow();
        spark.createDataFrame(List.of(run), oldRuns).write().format("delta").save(root.resolve("runs").toString());
    }

    private static StructType withoutAddedLater(StructType schema) {
        List<String> added = Arrays.asList(ScoreSchemas.ADDED_LATER.fieldNames());
        return new StructType(Arrays.stream(schema.fields()).filter(f -> !added.contains(f.name()))
                .toArray(StructField[]::new));
    }
}
