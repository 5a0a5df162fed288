package dev.deebert.job.score;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.get_json_object;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;

import dev.deebert.job.DeltaTables;
import dev.deebert.job.score.Scoring.Scored;
import dev.deebert.tables.Catalog;
import io.delta.tables.DeltaTable;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code --rescore-model-change}: rows this feed scored in earlier incremental runs whose {@code model_sha256}
 * is not the current model's, and whose id is still in the input, are scored again and replace the old rows
 * in one MERGE commit. Afterwards each such row carries the current model's hash and the rescoring run's id;
 * the old rows stay readable through Delta time travel. Rows of batch runs are snapshots of their run and
 * never touched.
 *
 * <p>A feed's rows are those carrying its {@code feed_id}. Feeds sharing an output root may use the same ids,
 * so an id alone would let one feed's rescore overwrite another's rows with its own texts' predictions. Rows
 * written before {@code feed_id} existed carry none: they are this feed's when the run that wrote them
 * used this feed's checkpoint (its {@code runs.config}).
 *
 * <p>The stats are appended before the MERGE: a crash between the two leaves the old rows stale, so the next
 * rescoring run scores them again and both runs' stats show the work each really did.
 *
 * @param feedId the streaming query id of this run's feed
 * @param checkpoint the feed's checkpoint, as the runs table records it
 */
record ModelRescore(SparkSession spark, Scoring scoring, DeltaTables tables, String feedId, String checkpoint) {

    /** Rescores stale rows of {@code input} (scorer input of the whole current input); returns how many. */
    long run(Dataset<Row> input) {
        if (!tables.exists(Catalog.PREDICTIONS)) {
            return 0;
        }
        Column stale = staleRowOfThisFeed(incrementalRunIds());
        Dataset<Row> staleIds = tables.read(Catalog.PREDICTIONS).as("t").filter(stale).select("id");
        Dataset<Row> toRescore = input.join(staleIds, input.col("id").equalTo(staleIds.col("id")), "left_semi");
        spark.sparkContext().setJobDescription("deebert score " + scoring.spec().runId() + ": rescore");
        refuseDuplicateIds(toRescore);
        try (Scored scored = scoring.score(toRescore, feedId)) {
            long rows = scored.stats().agg(coalesce(sum("rows"), lit(0L)).as("rows")).first().getAs("rows");
            if (rows == 0) {
                return 0;
            }
            tables.append(Catalog.PARTITION_STATS, scored.stats());
            DeltaTable.forPath(spark, tables.path(Catalog.PREDICTIONS).toString()).as("t")
                    .merge(scored.predictions().as("s"), col("t.id").equalTo(col("s.id")).and(stale))
                    .whenMatched().updateAll()
                    .execute();
            return rows;
        }
    }

    /** Ids of the incremental runs recorded in {@code runs} that used this feed's checkpoint. */
    private List<String> incrementalRunIds() {
        return tables.read(Catalog.RUNS).filter(col("mode").equalTo(RunRecord.INCREMENTAL)
                        .and(get_json_object(col("config"), "$.checkpoint").equalTo(checkpoint)))
                .select("run_id").as(Encoders.STRING()).collectAsList();
    }

    /** On the predictions aliased {@code t}; {@code legacyRuns}: this feed's runs, for rows without a feed id. */
    private Column staleRowOfThisFeed(List<String> legacyRuns) {
        Column ofThisFeed = col("t.feed_id").equalTo(feedId)
                .or(col("t.feed_id").isNull().and(col("t.run_id").isin(legacyRuns.toArray())));
        return ofThisFeed.and(col("t.model_sha256").notEqual(lit(scoring.spec().modelSha256())));
    }

    /**
     * Delta's MERGE takes one source row per target row, and two input rows under one id leave no way to
     * tell which text the old prediction was of: such an id is refused rather than one of its texts picked.
     */
    private static void refuseDuplicateIds(Dataset<Row> toRescore) {
        List<Row> duplicate = toRescore.groupBy("id").count().filter(col("count").gt(1)).limit(1).collectAsList();
        if (!duplicate.isEmpty()) {
            Row id = duplicate.get(0);
            throw new IllegalStateException("--rescore-model-change: id '" + id.getAs("id") + "' occurs "
                    + id.<Long>getAs("count") + " times among the input rows to rescore; one prediction cannot be"
                    + " matched to several texts, so ids of a rescored input must be unique");
        }
    }
}
