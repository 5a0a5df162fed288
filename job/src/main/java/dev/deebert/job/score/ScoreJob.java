package dev.deebert.job.score;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.deebert.job.DeltaTables;
import dev.deebert.job.InputFormat;
import dev.deebert.job.score.Scoring.Scored;
import dev.deebert.model.DeeBertConfig;
import dev.deebert.model.ExitPolicy;
import dev.deebert.model.ModelDirectory;
import dev.deebert.executor.ScoringSpec;
import dev.deebert.tables.Catalog;
import dev.deebert.tables.Table;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkException;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The scoring job: input table -> mapPartitions with the executor's shared DeeBERT -> Delta tables
 * {@code predictions}, {@code partition_stats} and {@code runs} under the output root. A batch run scores the
 * whole input; an incremental run only what is new since its checkpoint ({@link IncrementalScoring}), then,
 * if asked, what an older model scored ({@link ModelRescore}).
 *
 * <p>The two modes write in ways that never overlap, because a run id belongs to one mode ({@code runs.mode}):
 * <ul>
 *   <li>A batch run replaces exactly its own rows in one atomic commit per table
 *       ({@link DeltaTables#replaceRun}).</li>
 *   <li>An incremental run appends each micro-batch with Delta's idempotent writes ({@code txnAppId} = the
 *       streaming query's id, fixed by its checkpoint; {@code txnVersion} = the micro-batch id). A micro-batch
 *       that Spark replays after a crash is skipped by each table that already committed it, so its rows stay
 *       with the run that first wrote them (a crash between the two tables' commits leaves the replay to write
 *       the other table's rows, under the rerun's id: each row still lands once). Its run id is fresh per
 *       invocation and never reused, so no {@code replaceWhere} ever deletes incremental rows; a rescore after
 *       a model change rewrites rows of incremental runs with one MERGE.</li>
 * </ul>
 * Only the {@code runs} row of any run is replaced by run id (running, then succeeded or failed).
 */
public final class ScoreJob {
    private final SparkSession spark;

    public ScoreJob(SparkSession spark) {
        this.spark = spark;
    }

    public ScoreSummary run(ScoreRequest request) {
        long start = System.nanoTime();
        ModelDirectory model = request.model().verify();
        String modelDir = model.dir().toAbsolutePath().toString();
        DeeBertConfig config = model.config();
        // An empty file, or a directory that holds no files yet (a feed before its first delivery), is an input
        // of no rows: Spark infers no schema from no bytes, and no format can be told from no files.
        boolean empty = InputFormat.holdsNothingToRead(request.input());
        InputFormat format = request.format() != null || empty ? request.format() : InputFormat.guess(request.input());
        Dataset<Row> raw = empty ? null : read(format, request.input());
        ScorerInput columns = new ScorerInput(request);
        if (raw != null) {
            columns.check(raw.schema());
        }
        ScoringSpec spec = ScoringSpec.builder().runId(request.runId()).modelDir(modelDir)
                .modelSha256(model.weightsSha256()).numLayers(config.numHiddenLayers()).labels(config.labelNames())
                .policy(ExitPolicy.uniform(request.threshold(), config.numHiddenLayers()))
                .threshold(request.threshold()).precision(request.precision()).batching(request.batching())
                .batchSize(request.batchSize()).maxSeqLen(request.maxSeqLen()).longText(request.longText())
                .passThrough(request.keepCols()).build();
        model.checkMaxSeqLen(request.maxSeqLen());
        request.longText().checkFits(model, request.maxSeqLen());

        DeltaTables tables = new DeltaTables(spark, request.output());
        // An input of no rows writes no predictions and has no columns to give them.
        Table predictions = raw == null ? null : Catalog.predictions(raw.schema(), request.keepCols());
        List<Table> written = new ArrayList<>(List.of(Catalog.PARTITION_STATS, Catalog.RUNS));
        if (predictions != null) {
            written.add(predictions);
        }
        tables.checkWritable(written);
        String mode = request.isIncremental() ? RunRecord.INCREMENTAL : RunRecord.BATCH;
        checkRunIdFree(tables, request.runId(), mode);
        tables.prepare(written);

        RunRecord run = RunRecord.started(request.runId(), mode, modelDir, spec.modelSha256(),
                request.threshold(), request.maxSeqLen(), request.precision().toString(), describe(request, format),
                request.audit().expectedAgreement());
        writeRun(tables, run);
        IncrementalScoring incremental = null;
        long rescored = 0;
        try {
            if (raw == null && !request.isIncremental()) {
                // a batch run over an input of no rows replaces that run's earlier rows by none
                tables.deleteRun(request.runId(), Catalog.PREDICTIONS, Catalog.PARTITION_STATS);
            } else if (raw != null) {
                Scoring scoring = new Scoring(spark, spec, predictions.schema(), request.partitions(),
                        request.maxFailedFraction(), new AuditSample(request.runId(), request.audit()));
                if (!request.isIncremental()) {
                    scoreBatch(scoring, columns.select(raw), tables, request.runId());
                } else {
                    incremental = new IncrementalScoring(spark, request, format, columns, scoring, tables);
                    incremental.run(raw.schema());
                    if (request.incremental().rescoreModelChange()) {
                        rescored = new ModelRescore(spark, scoring, tables, incremental.feedId(),
                                IncrementalScoring.checkpoint(request)).run(columns.select(raw));
                    }
                }
            }
            ScoreSummary summary = summarize(request, tables, config, start, incremental, rescored);
            writeRun(tables, run.finished(RunRecord.SUCCEEDED, summary));
            return summary;
        } catch (Exception e) {
            // Exception, not RuntimeException: a Spark job that failed (its tasks out of retries) throws
            // SparkException, which Java counts as checked. An incremental run keeps the micro-batches it
            // committed: its row counts them. A failed batch run committed nothing of its own (a replaceWhere
            // that did not finish), so it counts nothing.
            try {
                ScoreSummary committed = request.isIncremental()
                        ? summarize(request, tables, config, start, incremental, rescored)
                        : ScoreSummary.of(request.runId(), List.of(), config.numHiddenLayers(), 0, tables, null, null);
                writeRun(tables, run.finished(RunRecord.FAILED, committed));
            } catch (RuntimeException bookkeeping) {
                e.addSuppressed(bookkeeping);
            }
            throw e;
        } finally {
            spark.sparkContext().setJobDescription(null);
        }
    }

    /**
     * The input as Spark reads it (its schema, eagerly). What Spark refuses to read there (files of another
     * format, a path it cannot list) is the request's input or {@code --format}, refused as such.
     */
    private Dataset<Row> read(InputFormat format, Path input) {
        try {
            return format.read(spark, input);
        } catch (Exception e) {
            if (e instanceof AnalysisException || e instanceof SparkException) {
                throw new IllegalArgumentException("--input " + input + " cannot be read as " + format + ": "
                        + e.getMessage(), e);
            }
            throw e;
        }
    }

    /**
     * Fails when {@code runId} is taken by a run of another mode, or, for an incremental run, at all: an
     * incremental run appends, so reusing its id would mix two runs' rows under one id.
     */
    private static void checkRunIdFree(DeltaTables tables, String runId, String mode) {
        List<String> modes = tables.read(Catalog.RUNS).filter(functions.col("run_id").equalTo(runId)).select("mode")
                .as(Encoders.STRING()).collectAsList();
        for (String existing : modes) {
            if (mode.equals(RunRecord.INCREMENTAL) || !mode.equals(existing)) {
                throw new IllegalArgumentException("--run-id " + runId + " is already taken by a"
                        + (existing.equals(RunRecord.INCREMENTAL) ? "n incremental" : " batch") + " run in "
                        + tables.path(Catalog.RUNS) + "; an incremental run needs a new id (leave --run-id out to"
                        + " get one)");
            }
        }
    }

    private void scoreBatch(Scoring scoring, Dataset<Row> input, DeltaTables tables, String runId) {
        spark.sparkContext().setJobDescription("deebert score " + runId + ": score");
        try (Scored scored = scoring.score(input, null)) {
            spark.sparkContext().setJobDescription("deebert score " + runId + ": write predictions");
            tables.replaceRun(Catalog.PREDICTIONS, scored.predictions(), runId);
            spark.sparkContext().setJobDescription("deebert score " + runId + ": write partition stats");
            tables.replaceRun(Catalog.PARTITION_STATS, scored.stats(), runId);
        }
    }

    /**
     * The run's totals from its committed partition stats; {@code incremental} is null for a batch run and for
     * an incremental run that found no input.
     */
    private ScoreSummary summarize(ScoreRequest request, DeltaTables tables, DeeBertConfig config, long startNanos,
                                   IncrementalScoring incremental, long rescored) {
        boolean isIncremental = request.isIncremental();
        List<Row> stats = tables.read(Catalog.PARTITION_STATS).filter(functions.col("run_id").equalTo(request.runId()))
                .collectAsList();
        return ScoreSummary.of(request.runId(), stats, config.numHiddenLayers(),
                (System.nanoTime() - startNanos) / 1e9, tables,
                isIncremental ? (Long) (incremental == null ? 0 : incremental.batches()) : null,
                isIncremental ? (Long) rescored : null);
    }

    private void writeRun(DeltaTables tables, RunRecord run) {
        tables.replaceRun(Catalog.RUNS, spark.createDataFrame(List.of(run.toRow()), Catalog.RUNS.schema()), run.runId());
    }

    /** @param format the input's format, null for an empty directory given without --format */
    private static String describe(ScoreRequest request, InputFormat format) {
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("input", request.input().toAbsolutePath().toString());
        options.put("format", format == null ? null : format.toString());
        options.put("id_col", request.idCol());
        options.put("text_col", request.textCol());
        options.put("text_b_col", request.textBCol());
        options.put("keep_cols", request.keepCols());
        options.put("batch_size", request.batchSize());
        options.put("precision", request.precision().toString());
        options.put("batching", request.batching().toString());
        options.put("partitions", request.partitions());
        options.put("max_seq_len", request.maxSeqLen());
        options.put("long_text", request.longText().mode().toString());
        if (request.longText().chunked()) {
            options.put("chunk_overlap", request.longText().chunkOverlap());
            options.put("max_chunks", request.longText().maxChunks());
            options.put("chunk_aggregate", request.longText().aggregate().toString());
        }
        if (request.isIncremental()) {
            options.put("checkpoint", IncrementalScoring.checkpoint(request));
            options.put("rescore_model_change", request.incremental().rescoreModelChange());
            options.put("max_files_per_trigger", request.incremental().maxFilesPerTrigger());
        }
        options.put("max_failed_fraction", request.maxFailedFraction());
        options.put("audit_fraction", request.audit().fraction());
        options.put("audit_min_rows", request.audit().minRows());
        try {
            return new ObjectMapper().writeValueAsString(options);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
