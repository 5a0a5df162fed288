package dev.deebert.job.score;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.deebert.job.score.Scoring.Scored;
import dev.deebert.model.DeeBertConfig;
import dev.deebert.model.ExitPolicy;
import dev.deebert.model.ModelDirectory;
import dev.deebert.score.ScoreSchemas;
import dev.deebert.score.ScoringSpec;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * The scoring job: input table -> mapPartitions with the executor's shared DeeBERT -> Delta tables
 * {@code predictions}, {@code partition_stats} and {@code runs} under the output root. A batch run scores the
 * whole input; an incremental run only what is new since its checkpoint ({@link IncrementalScoring}), then,
 * if asked, what an older model scored ({@link ModelRescore}).
 */
public final class ScoreJob {
    private final SparkSession spark;

    public ScoreJob(SparkSession spark) {
        this.spark = spark;
    }

    public ScoreSummary run(ScoreRequest request) {
        long start = System.nanoTime();
        ModelDirectory model = ModelDirectory.open(request.model().toAbsolutePath()).verify();
        DeeBertConfig config = model.config();
        Dataset<Row> raw = request.format().read(spark, request.input());
        ScorerInput columns = new ScorerInput(request);
        columns.check(raw.schema());
        ScoringSpec spec = new ScoringSpec(request.runId(), model.dir().toString(), model.weightsSha256(),
                config.numHiddenLayers(), labels(config), ExitPolicy.uniform(request.threshold(),
                config.numHiddenLayers()), request.threshold(), request.precision(), request.batchSize(),
                request.maxSeqLen(), request.keepCols());
        model.checkMaxSeqLen(request.maxSeqLen());

        StructType predictionSchema = ScoreSchemas.predictions(raw.schema(), request.keepCols());
        RunTables tables = new RunTables(request.output().toAbsolutePath());
        Map<Path, StructType> schemas = Map.of(tables.predictions(), predictionSchema,
                tables.partitionStats(), ScoreSchemas.PARTITION_STATS, tables.runs(), RunRecord.SCHEMA);
        tables.checkWritable(spark, schemas, ScoreSchemas.SERVING);
        String mode = request.isIncremental() ? RunRecord.INCREMENTAL : RunRecord.BATCH;
        tables.checkRunIdFree(spark, request.runId(), mode);
        RunTables.addMissingColumns(spark, schemas, ScoreSchemas.SERVING);
        tables.createMissing(spark, schemas);

        RunRecord run = RunRecord.started(request.runId(), mode, model.dir().toString(), spec.modelSha256(),
                request.threshold(), request.maxSeqLen(), request.precision().toString(), describe(request));
        writeRun(tables, run);
        Scoring scoring = new Scoring(spark, spec, predictionSchema, request.partitions());
        IncrementalScoring incremental = request.isIncremental()
                ? new IncrementalScoring(spark, request, columns, scoring, tables) : null;
        long rescored = 0;
        try {
            if (incremental == null) {
                scoreBatch(scoring, columns.select(raw), tables, request.runId());
            } else {
                incremental.run(raw.schema());
                if (request.incremental().rescoreModelChange()) {
                    rescored = new ModelRescore(spark, scoring, tables).run(columns.select(raw));
                }
            }
            ScoreSummary summary = summarize(request, tables, config, start, incremental, rescored);
            writeRun(tables, run.finished(RunRecord.SUCCEEDED, summary));
            return summary;
        } catch (RuntimeException e) {
            // An incremental run keeps the micro-batches it committed: its row counts them. A failed batch run
            // committed nothing of its own (a replaceWhere that did not finish), so it counts nothing.
            try {
                ScoreSummary committed = incremental != null
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

    private void scoreBatch(Scoring scoring, Dataset<Row> input, RunTables tables, String runId) {
        try (Scored scored = scoring.score(input)) {
            spark.sparkContext().setJobDescription("deebert score " + runId + ": score and write predictions");
            RunTables.replaceRun(scored.predictions(), tables.predictions(), runId, true);
            spark.sparkContext().setJobDescription("deebert score " + runId + ": write partition stats");
            RunTables.replaceRun(scored.stats(), tables.partitionStats(), runId, false);
        }
    }

    /** The run's totals from its committed partition stats. */
    private ScoreSummary summarize(ScoreRequest request, RunTables tables, DeeBertConfig config, long startNanos,
                                   IncrementalScoring incremental, long rescored) {
        return ScoreSummary.of(request.runId(), tables.statsOf(spark, request.runId()), config.numHiddenLayers(),
                (System.nanoTime() - startNanos) / 1e9, tables, incremental == null ? null : incremental.batches(),
                incremental == null ? null : rescored);
    }

    private static List<String> labels(DeeBertConfig config) {
        return IntStream.range(0, config.numLabels()).mapToObj(config::labelName).toList();
    }

    private void writeRun(RunTables tables, RunRecord run) {
        Dataset<Row> row = spark.createDataFrame(List.of(run.toRow()), RunRecord.SCHEMA);
        RunTables.replaceRun(row, tables.runs(), run.runId(), false);
    }

    private static String describe(ScoreRequest request) {
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("input", request.input().toAbsolutePath().toString());
        options.put("format", request.format().toString());
        options.put("id_col", request.idCol());
        options.put("text_col", request.textCol());
        options.put("text_b_col", request.textBCol());
        options.put("keep_cols", request.keepCols());
        options.put("batch_size", request.batchSize());
        options.put("precision", request.precision().toString());
        options.put("partitions", request.partitions());
        options.put("max_seq_len", request.maxSeqLen());
        if (request.isIncremental()) {
            options.put("checkpoint", request.incremental().checkpoint().toAbsolutePath().toString());
            options.put("rescore_model_change", request.incremental().rescoreModelChange());
            options.put("max_files_per_trigger", request.incremental().maxFilesPerTrigger());
        }
        try {
            return new ObjectMapper().writeValueAsString(options);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
