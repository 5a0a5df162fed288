package dev.deebert.job.score;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;

import dev.deebert.executor.PartitionScorer;
import dev.deebert.executor.ScoringSpec;
import dev.deebert.tables.Catalog;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * Scores scorer input with the executors' shared model, the same way for a batch run, a micro-batch and a
 * rescore. The output is persisted because two tables (predictions, partition_stats) are written from it and
 * scoring twice would cost twice and could disagree.
 *
 * @param partitions partitions to score in, or 0 for the input's (at least Spark's default parallelism)
 * @param maxFailedFraction the largest share of rows that may get an error instead of a prediction
 * @param audit the run's rows to score at full depth as well
 */
record Scoring(SparkSession spark, ScoringSpec spec, StructType predictionSchema, int partitions,
               double maxFailedFraction, AuditSample audit) {

    /**
     * Scores {@code scorerInput}; {@code feedId} is the incremental feed whose rows these are, or null for a
     * batch run. Fails, before anything is written from it, when more rows failed than allowed: rows that
     * were never scored must not be written as if they had been (nor, in an incremental run, be passed by
     * its checkpoint).
     */
    Scored score(Dataset<Row> scorerInput, String feedId) {
        int n = partitions > 0 ? partitions
                : Math.max(scorerInput.rdd().getNumPartitions(), spark.sparkContext().defaultParallelism());
        Dataset<Row> output = audit.mark(scorerInput).repartition(n)
                .mapPartitions(new PartitionScorer(spec, predictionSchema),
                        Encoders.row(Catalog.scorerOutput(predictionSchema)))
                .persist(StorageLevel.MEMORY_AND_DISK());
        Scored scored = new Scored(output, feedId);
        try {
            checkFailedRows(scored);
            audit.audited(scored.stats().agg(coalesce(sum("audit_rows"), lit(0L))).first().getLong(0));
            return scored;
        } catch (Exception e) {  // a failed Spark job throws SparkException, checked to Java
            scored.close();
            throw e;
        }
    }

    private void checkFailedRows(Scored scored) {
        Row totals = scored.stats().agg(coalesce(sum("rows"), lit(0L)).as("rows"),
                coalesce(sum("rows_failed"), lit(0L)).as("rows_failed")).first();
        long rows = totals.getAs("rows");
        long failed = totals.getAs("rows_failed");
        if (failed > 0 && (double) failed / rows > maxFailedFraction) {
            Row common = scored.predictions().filter(col("error").isNotNull()).groupBy("error").count()
                    .orderBy(desc("count")).first();
            throw new TooManyFailedRows(String.format("run %s: %d of %d rows failed (%.2f%%), more than"
                    + " --max-failed-fraction %s allows, so none of these rows was written. Most common error"
                    + " (%d rows): %s", spec.runId(), failed, rows, 100.0 * failed / rows, maxFailedFraction,
                    common.<Long>getAs("count"), common.<String>getAs("error")));
        }
    }

    /** The scorer's output until closed: prediction rows and one stats row per partition. */
    record Scored(Dataset<Row> output, String feedId) implements AutoCloseable {
        Dataset<Row> predictions() {
            return output.filter(col(Catalog.PREDICTION).isNotNull()).select(Catalog.PREDICTION + ".*")
                    .withColumn("feed_id", lit(feedId).cast("string"));
        }

        Dataset<Row> stats() {
            return output.filter(col(Catalog.STATS).isNotNull()).select(Catalog.STATS + ".*");
        }

        @Override
        public void close() {
            output.unpersist();
        }
    }
}
