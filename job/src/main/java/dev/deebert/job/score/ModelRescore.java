package dev.deebert.job.score;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;

import dev.deebert.job.score.Scoring.Scored;
import io.delta.tables.DeltaTable;
import java.nio.file.Files;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code --rescore-model-change}: rows of earlier incremental runs whose {@code model_sha256} is not the
 * current model's, and whose id is still in the input, are scored again and replace the old rows in one
 * MERGE commit. Afterwards each id keeps exactly one prediction, now carrying the current model's hash and
 * the rescoring run's id; the old rows stay readable through Delta time travel. Rows of batch runs are
 * snapshots of their run and never touched.
 *
 * <p>The stats are appended before the MERGE: a crash between the two leaves the old rows stale, so the next
 * rescoring run scores them again and both runs' stats show the work each really did.
 */
record ModelRescore(SparkSession spark, Scoring scoring, RunTables tables) {

    /** Rescores stale rows of {@code input} (scorer input of the whole current input); returns how many. */
    long run(Dataset<Row> input) {
        List<String> incrementalRuns = tables.incrementalRunIds(spark);
        if (incrementalRuns.isEmpty() || !Files.exists(tables.predictions().resolve("_delta_log"))) {
            return 0;
        }
        String predictions = tables.predictions().toString();
        String current = scoring.spec().modelSha256();
        Column staleRow = col("run_id").isin(incrementalRuns.toArray())
                .and(col("model_sha256").notEqual(lit(current)));
        Dataset<Row> staleIds = spark.read().format("delta").load(predictions).filter(staleRow).select("id");
        Dataset<Row> stale = input.join(staleIds, input.col("id").equalTo(staleIds.col("id")), "left_semi")
                .dropDuplicates("id");  // MERGE allows one source row per target row
        try (Scored scored = scoring.score(stale)) {
            spark.sparkContext().setJobDescription("deebert score " + scoring.spec().runId() + ": rescore");
            long rows = scored.stats().agg(coalesce(sum("rows"), lit(0L))).first().getLong(0);
            if (rows == 0) {
                return 0;
            }
            scored.stats().write().format("delta").mode("append").save(tables.partitionStats().toString());
            DeltaTable.forPath(spark, predictions).as("t")
                    .merge(scored.predictions().as("s"), col("t.id").equalTo(col("s.id"))
                            .and(col("t.run_id").isin(incrementalRuns.toArray()))
                            .and(col("t.model_sha256").notEqual(lit(current))))
                    .whenMatched().updateAll()
                    .execute();
            return rows;
        }
    }
}
