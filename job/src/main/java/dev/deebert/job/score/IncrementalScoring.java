package dev.deebert.job.score;

import dev.deebert.job.DeltaTables;
import dev.deebert.job.InputFormat;
import dev.deebert.job.score.Scoring.Scored;
import dev.deebert.tables.Catalog;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.streaming.StreamExecution;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.StructType;

/**
 * The streaming half of an incremental run: the input read as a stream from where the checkpoint left off
 * ({@code Trigger.AvailableNow}: everything new, then stop), each micro-batch scored like a batch run and
 * appended once to predictions and partition_stats (see {@link ScoreJob} for why a replay cannot duplicate).
 */
public final class IncrementalScoring {
    /**
     * Fault injection for the exactly-once tests: a Spark local property k; the run dies after writing its
     * k-th micro-batch to both tables, before Spark records the micro-batch as done in the checkpoint.
     */
    public static final String FAIL_AFTER_MICRO_BATCHES = "deebert.faults.failAfterMicroBatches";

    private final SparkSession spark;
    private final ScoreRequest request;
    private final InputFormat format;
    private final ScorerInput columns;
    private final Scoring scoring;
    private final DeltaTables tables;
    /** Written by the stream's thread, read by the caller's. */
    private final AtomicLong batches = new AtomicLong();
    private String feedId;

    IncrementalScoring(SparkSession spark, ScoreRequest request, InputFormat format, ScorerInput columns,
                       Scoring scoring, DeltaTables tables) {
        this.spark = spark;
        this.request = request;
        this.format = format;
        this.columns = columns;
        this.scoring = scoring;
        this.tables = tables;
    }

    /**
     * Scores what is new; {@code schema} is the input's as a batch read of it sees it now. A micro-batch that
     * fails (a failed task, too many failed rows) stops the query before Spark commits it in the checkpoint,
     * so the next run scores it again.
     */
    void run(StructType schema) {
        try {
            StreamingQuery query = stream(schema).writeStream()
                    .option("checkpointLocation", checkpoint(request))
                    .trigger(Trigger.AvailableNow())
                    .foreachBatch((VoidFunction2<Dataset<Row>, Long>) this::write)
                    .start();
            feedId = query.id().toString();
            query.awaitTermination();
        } catch (StreamingQueryException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IllegalStateException("incremental run " + request.runId() + " stopped after "
                    + batches.get() + " micro-batch(es): " + cause.getMessage(), e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("incremental run " + request.runId() + " could not start its stream: "
                    + e.getMessage(), e);
        }
    }

    /** Micro-batches this run executed so far. */
    long batches() {
        return batches.get();
    }

    /** The feed's streaming query id, once {@link #run} started the query. */
    String feedId() {
        return feedId;
    }

    /** The checkpoint directory as Spark and the runs table get it. */
    static String checkpoint(ScoreRequest request) {
        return request.incremental().checkpoint().toAbsolutePath().toString();
    }

    private Dataset<Row> stream(StructType schema) {
        return format.readStream(spark, request.input(), schema, request.incremental().maxFilesPerTrigger());
    }

    private void write(Dataset<Row> batch, long batchId) {
        // The query id lives in the checkpoint: stable across restarts, new for a new checkpoint, so a fresh
        // checkpoint (whose batch ids restart at 0) can never be mistaken for replays of an old one. Read here
        // rather than from the started query, which the first micro-batch may run before.
        String queryId = spark.sparkContext().getLocalProperty(StreamExecution.QUERY_ID_KEY());
        if (queryId == null) {
            throw new IllegalStateException("micro-batch " + batchId + " runs outside a streaming query");
        }
        String appId = "deebert-score-" + queryId;
        spark.sparkContext().setJobDescription("deebert score " + request.runId() + ": micro-batch " + batchId);
        try (Scored scored = scoring.score(columns.select(batch), queryId)) {
            tables.appendOnce(Catalog.PREDICTIONS, scored.predictions(), appId, batchId);
            tables.appendOnce(Catalog.PARTITION_STATS, scored.stats(), appId, batchId);
        }
        long done = batches.incrementAndGet();
        String failAfter = spark.sparkContext().getLocalProperty(FAIL_AFTER_MICRO_BATCHES);
        if (failAfter != null && done >= Long.parseLong(failAfter)) {
            throw new IllegalStateException("injected failure after micro-batch " + batchId);
        }
    }
}
