package dev.deebert.job.score;

import static org.apache.spark.sql.functions.col;

import dev.deebert.score.PartitionScorer;
import dev.deebert.score.ScoreSchemas;
import dev.deebert.score.ScoringSpec;
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
 */
record Scoring(SparkSession spark, ScoringSpec spec, StructType predictionSchema, int partitions) {

    Scored score(Dataset<Row> scorerInput) {
        int n = partitions > 0 ? partitions
                : Math.max(scorerInput.rdd().getNumPartitions(), spark.sparkContext().defaultParallelism());
        Dataset<Row> output = scorerInput.repartition(n)
                .mapPartitions(new PartitionScorer(spec), Encoders.row(ScoreSchemas.scorerOutput(predictionSchema)))
                .persist(StorageLevel.MEMORY_AND_DISK());
        return new Scored(output);
    }

    /** The scorer's output until closed: prediction rows and one stats row per partition. */
    record Scored(Dataset<Row> output) implements AutoCloseable {
        Dataset<Row> predictions() {
            return output.filter(col(ScoreSchemas.STATS).isNull()).drop(ScoreSchemas.STATS);
        }

        Dataset<Row> stats() {
            return output.filter(col(ScoreSchemas.STATS).isNotNull()).select(ScoreSchemas.STATS + ".*");
        }

        @Override
        public void close() {
            output.unpersist();
        }
    }
}
