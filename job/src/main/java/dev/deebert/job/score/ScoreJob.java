package dev.deebert.job.score;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.substring;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.deebert.model.DeeBertConfig;
import dev.deebert.model.ExitPolicy;
import dev.deebert.model.ModelDirectory;
import dev.deebert.score.PartitionScorer;
import dev.deebert.score.ScoreSchemas;
import dev.deebert.score.ScoringSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * The batch scoring job: input table -> mapPartitions with the executor's shared DeeBERT -> Delta tables
 * {@code predictions}, {@code partition_stats} and {@code runs} under the output root.
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
        Dataset<Row> input = scorerInput(raw, request);
        ScoringSpec spec = new ScoringSpec(request.runId(), model.dir().toString(), model.weightsSha256(),
                config.numHiddenLayers(), labels(config), ExitPolicy.uniform(request.threshold(),
                config.numHiddenLayers()), request.threshold(), request.precision(), request.batchSize(),
                request.maxSeqLen(), request.keepCols());
        model.tokenizer(request.maxSeqLen()).close();

        StructType predictionSchema = ScoreSchemas.predictions(raw.schema(), request.keepCols());
        RunTables tables = new RunTables(request.output().toAbsolutePath());
        tables.checkWritable(spark, Map.of(tables.predictions(), predictionSchema,
                tables.partitionStats(), ScoreSchemas.PARTITION_STATS, tables.runs(), RunRecord.SCHEMA));

        RunRecord run = new RunRecord(request.runId(), Instant.now(), null, model.dir().toString(),
                spec.modelSha256(), request.threshold(), describe(request), 0, 0, 0, RunRecord.RUNNING);
        writeRun(tables, run);
        Dataset<Row> scored = input
                .mapPartitions(new PartitionScorer(spec), Encoders.row(ScoreSchemas.scorerOutput(predictionSchema)))
                .persist(StorageLevel.MEMORY_AND_DISK());
        try {
            describeJob("score and write predictions", request);
            RunTables.replaceRun(scored.filter(col(ScoreSchemas.STATS).isNull()).drop(ScoreSchemas.STATS),
                    tables.predictions(), request.runId(), true);
            describeJob("write partition stats", request);
            Dataset<Row> stats = scored.filter(col(ScoreSchemas.STATS).isNotNull()).select(ScoreSchemas.STATS + ".*");
            RunTables.replaceRun(stats, tables.partitionStats(), request.runId(), false);
            List<Row> partitions = spark.read().format("delta").load(tables.partitionStats().toString())
                    .filter(col("run_id").equalTo(request.runId())).collectAsList();
            ScoreSummary summary = ScoreSummary.of(request.runId(), partitions, config.numHiddenLayers(),
                    (System.nanoTime() - start) / 1e9, tables);
            writeRun(tables, run.finished(RunRecord.SUCCEEDED, summary.rows(), summary.rowsFailed(),
                    summary.expectedSaving()));
            return summary;
        } catch (RuntimeException e) {
            writeRun(tables, run.finished(RunRecord.FAILED, 0, 0, 0));
            throw e;
        } finally {
            scored.unpersist();
            spark.sparkContext().setJobDescription(null);
        }
    }

    /**
     * The scorer's input columns (id, text, text_b, pass-through). Without an id column, a row's id is a hash
     * of its texts plus its rank among identical texts: the same on every rerun, whatever the partitioning.
     */
    private Dataset<Row> scorerInput(Dataset<Row> raw, ScoreRequest request) {
        List<String> columns = Arrays.asList(raw.columns());
        List<String> needed = new ArrayList<>();
        needed.add(request.textCol());
        if (request.idCol() != null) {
            needed.add(request.idCol());
        }
        if (request.textBCol() != null) {
            needed.add(request.textBCol());
        }
        needed.addAll(request.keepCols());
        for (String column : needed) {
            if (!columns.contains(column)) {
                throw new IllegalArgumentException(request.input() + " has no column '" + column + "' (columns: "
                        + String.join(", ", columns) + ")");
            }
        }
        Column text = col(request.textCol()).cast("string");
        Column textB = request.textBCol() == null ? lit(null).cast("string") : col(request.textBCol()).cast("string");
        Column hash = substring(sha2(concat_ws("\u0001", coalesce(text, lit("\u0000")),
                coalesce(textB, lit("\u0000"))), 256), 1, 16);
        Column derived = concat_ws("-", hash,
                row_number().over(Window.partitionBy(hash).orderBy(hash)).cast("string"));
        Column id = request.idCol() == null ? derived : coalesce(col(request.idCol()).cast("string"), derived);

        List<Column> select = new ArrayList<>(List.of(id.as("id"), text.as("text"), textB.as("text_b")));
        request.keepCols().forEach(c -> select.add(col(c)));
        Dataset<Row> input = raw.select(select.toArray(Column[]::new));
        int partitions = request.partitions() > 0 ? request.partitions()
                : Math.max(raw.rdd().getNumPartitions(), spark.sparkContext().defaultParallelism());
        return input.repartition(partitions);
    }

    private static List<String> labels(DeeBertConfig config) {
        return IntStream.range(0, config.numLabels()).mapToObj(config::labelName).toList();
    }

    private void writeRun(RunTables tables, RunRecord run) {
        Dataset<Row> row = spark.createDataFrame(List.of(run.toRow()), RunRecord.SCHEMA);
        RunTables.replaceRun(row, tables.runs(), run.runId(), false);
    }

    private void describeJob(String step, ScoreRequest request) {
        spark.sparkContext().setJobDescription("deebert score " + request.runId() + ": " + step);
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
        try {
            return new ObjectMapper().writeValueAsString(options);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
