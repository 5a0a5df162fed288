package dev.deebert.tests.score;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.deebert.job.DeeBertMain;
import dev.deebert.job.InputFormat;
import dev.deebert.job.score.ScoreJob;
import dev.deebert.job.score.ScoreRequest;
import dev.deebert.job.score.ScoreSummary;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.LongText;
import dev.deebert.model.Batching;
import dev.deebert.model.Precision;
import dev.deebert.executor.PartitionScorer;
import dev.deebert.tables.Catalog;
import dev.deebert.tests.Fixtures;
import dev.deebert.tests.RandomTexts;
import dev.deebert.tests.SparkTestSession;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scoring job end to end: real Spark local[2], real Delta tables on disk, real PyTorch. */
class ScoreJobTest {
    private static final int LAYERS = 3;
    @TempDir
    static Path tmp;
    static SparkSession spark;
    static Path corpus;
    static final int ROWS = 240;

    @BeforeAll
    static void writeCorpus() throws IOException {
        spark = SparkTestSession.get();
        corpus = tmp.resolve("corpus.jsonl");
        RandomTexts texts = new RandomTexts(11);
        ObjectMapper json = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("doc", "doc-" + i);
            row.put("text", texts.next(25));
            row.put("source", i % 2 == 0 ? "even" : "odd");
            lines.add(json.writeValueAsString(row));
        }
        Files.write(corpus, lines, StandardCharsets.UTF_8);
    }

    private static ScoreRequest request(Path input, Path output, double threshold, String runId, String idCol) {
        return request(input, output, threshold, runId, idCol, 0.001);
    }

    private static ScoreRequest request(Path input, Path output, double threshold, String runId, String idCol,
                                        double maxFailedFraction) {
        return new ScoreRequest(ModelDirectory.open(Fixtures.golden("bert")), input, InputFormat.guess(input), idCol, "text", null,
                List.of("source"), output, threshold, runId, 16, Precision.FP32, Batching.COMPACTION, 3, 24, maxFailedFraction, null, ScoreRequest.Audit.NONE,
                LongText.TRUNCATE);
    }

    private static Dataset<Row> table(Path root, String name) {
        return spark.read().format("delta").load(root.resolve(name).toString());
    }

    @Test
    void everyRowScoredOnceAndStatsAddUp() {
        Path out = tmp.resolve("e2e");
        double threshold = 0.9;
        ScoreSummary summary = new ScoreJob(spark).run(request(corpus, out, threshold, "r1", "doc"));

        Dataset<Row> predictions = table(out, "predictions");
        assertEquals(ROWS, predictions.count());
        assertEquals(ROWS, predictions.select("id").distinct().count());
        assertEquals(0, predictions.filter(col("error").isNotNull()).count());
        assertEquals(0, predictions.filter(col("exit_layer").lt(1).or(col("exit_layer").gt(LAYERS))).count());
        assertEquals(ROWS, predictions.filter(col("source").isin("even", "odd")).count(), "pass-through column");
        assertEquals(ROWS, predictions.filter(col("max_seq_len").equalTo(24).and(col("precision").equalTo("fp32")))
                .count(), "each row says how it was computed");
        assertEquals(ROWS, predictions.filter(col("num_chunks").equalTo(1)
                .and(col("layers_computed").equalTo(col("exit_layer")))).count(), "truncation: a row is one chunk");

        Dataset<Row> stats = table(out, "partition_stats");
        assertEquals(3, stats.count(), "one stats row per partition");
        long layersFromPredictions = predictions.agg(sum("exit_layer")).first().getLong(0);
        long layersFromStats = stats.agg(sum("layers_computed")).first().getLong(0);
        assertEquals(layersFromPredictions, layersFromStats);
        assertEquals(ROWS, stats.agg(sum("rows")).first().getLong(0));
        assertEquals(ROWS * LAYERS, summary.layersFull());
        Row times = stats.agg(sum("tokenize_ms"), sum("model_ms"), sum("audit_ms"), sum("wall_ms")).first();
        assertEquals(times.getLong(0), summary.tokenizeMs());
        assertEquals(times.getLong(1), summary.modelMs());
        assertEquals(times.getLong(3), summary.taskMs());
        assertTrue(summary.taskMs() > 0 && summary.modelMs() > 0, "tasks took time: " + times);
        // each part is floored to whole ms on its own: up to 3 ms a partition
        assertTrue(summary.taskMs() + 3 * 3 >= times.getLong(0) + times.getLong(1) + times.getLong(2),
                "a task's wall time holds its tokenizing, model and audit time: " + times);
        assertEquals(1e3 * ROWS / summary.taskMs(), summary.rowsPerTaskSecond(), 1e-9);

        Row run = table(out, "runs").first();
        assertEquals("succeeded", run.<String>getAs("status"));
        assertEquals(24, run.<Integer>getAs("max_seq_len"));
        assertEquals("fp32", run.<String>getAs("precision"));
        assertEquals(ROWS, run.<Long>getAs("rows"));
        double expected = 1.0 - (double) layersFromPredictions / (ROWS * LAYERS);
        assertEquals(expected, run.<Double>getAs("expected_saving"), 1e-12);
        assertEquals(expected, summary.expectedSaving(), 1e-12);
        assertTrue(expected > 0, "a threshold near ln(3) exits some rows early");
    }

    /**
     * Refill in the job: the same predictions and partition stats as compaction. Batches of 7 in 2 partitions
     * of about 120 rows: windows of 112 rows and a short one, neither a multiple of the batch size.
     */
    @Test
    @Tag("slow")
    void refillScoresEveryRowAsCompactionDoesAndStatsAddUp() {
        Path out = tmp.resolve("refill");
        Map<Batching, Map<String, Row>> byId = new LinkedHashMap<>();
        for (Batching batching : Batching.values()) {
            new ScoreJob(spark).run(new ScoreRequest(ModelDirectory.open(Fixtures.golden("bert")), corpus,
                    InputFormat.JSON, "doc", "text", null, List.of(), out, 0.95, batching.toString(), 7,
                    Precision.FP32, batching, 2, 24, 0.001, null, ScoreRequest.Audit.NONE,
                LongText.TRUNCATE));
            Map<String, Row> rows = new LinkedHashMap<>();
            table(out, "predictions").filter(col("run_id").equalTo(batching.toString())).collectAsList()
                    .forEach(r -> rows.put(r.getAs("id"), r));
            byId.put(batching, rows);
        }
        Map<String, Row> refill = byId.get(Batching.REFILL);
        Map<String, Row> compaction = byId.get(Batching.COMPACTION);
        assertEquals(ROWS, refill.size());
        assertEquals(compaction.keySet(), refill.keySet());
        List<Integer> exits = new ArrayList<>();
        for (Row r : refill.values()) {
            Row c = compaction.get(r.<String>getAs("id"));
            assertTrue(r.isNullAt(r.fieldIndex("error")), r.toString());
            for (String column : List.of("label", "label_index", "exit_layer", "num_tokens")) {
                assertEquals(c.<Object>getAs(column), r.<Object>getAs(column), column + " of " + r.getAs("id"));
            }
            assertEquals(c.<Double>getAs("entropy"), r.<Double>getAs("entropy"), 1e-4);
            List<Float> p = r.getList(r.fieldIndex("probabilities"));
            List<Float> q = c.getList(c.fieldIndex("probabilities"));
            for (int i = 0; i < p.size(); i++) {
                assertEquals(q.get(i), p.get(i), 1e-4f);
            }
            exits.add(r.getAs("exit_layer"));
        }
        assertTrue(exits.stream().distinct().count() >= 2, "rows leave at several layers: " + exits);

        Dataset<Row> stats = table(out, "partition_stats");
        for (Batching batching : Batching.values()) {
            Row sums = stats.filter(col("run_id").equalTo(batching.toString()))
                    .agg(functions.sum("rows"), functions.sum("layers_computed"), functions.sum("layers_full"),
                            functions.count("*")).first();
            assertEquals(2L, sums.getLong(3), "one stats row per partition");
            assertEquals(ROWS, sums.getLong(0));
            assertEquals(exits.stream().mapToLong(Integer::longValue).sum(), sums.getLong(1), batching.toString());
            assertEquals((long) ROWS * LAYERS, sums.getLong(2));
        }
        List<Row> perPartition = stats.filter(col("run_id").isin("refill", "compaction"))
                .select("partition_id", "run_id", "rows", "layers_computed", "expected_saving", "exit_histogram")
                .orderBy("partition_id", "run_id").collectAsList();
        for (int i = 0; i < perPartition.size(); i += 2) {
            Row c = perPartition.get(i);
            Row r = perPartition.get(i + 1);
            for (int f = 2; f < 6; f++) {
                assertEquals(c.get(f), r.get(f), "partition " + c.get(0) + ", " + c.schema().fields()[f].name());
            }
        }
    }

    @Test
    @Tag("slow")
    void zeroThresholdRunsEveryLayerAndLargerThresholdsExitEarlier() {
        Path out = tmp.resolve("thresholds");
        double previous = Double.MAX_VALUE;
        for (double threshold : new double[] {0, 0.95, 1.05}) {
            String runId = "s" + threshold;
            new ScoreJob(spark).run(request(corpus, out, threshold, runId, null));
            Dataset<Row> run = table(out, "predictions").filter(col("run_id").equalTo(runId));
            double meanExit = run.agg(org.apache.spark.sql.functions.avg("exit_layer")).first().getDouble(0);
            if (threshold == 0) {
                assertEquals(LAYERS, meanExit, 0.0);
            }
            assertTrue(meanExit < previous, "S=" + threshold + " mean exit " + meanExit + " after " + previous);
            previous = meanExit;
        }
        assertEquals(3 * ROWS, table(out, "predictions").count());
    }

    /**
     * An output root written before predictions and runs recorded max_seq_len and precision: the columns are
     * added (null in the old rows) before the run writes, and the old rows stay.
     */
    @Test
    @Tag("slow")
    void tablesWithoutTheServingColumnsGetThemAndKeepTheirRows() {
        Path out = tmp.resolve("old-schema");
        OldTables.write(spark, out, Catalog.predictions(spark.read().json(corpus.toString()).schema(),
                List.of("source")));
        new ScoreJob(spark).run(request(corpus, out, 0.5, "new", "doc"));

        Dataset<Row> predictions = table(out, "predictions");
        assertEquals(ROWS + 1, predictions.count());
        Row old = predictions.filter(col("run_id").equalTo(OldTables.RUN)).first();
        assertTrue(old.isNullAt(old.fieldIndex("max_seq_len")) && old.isNullAt(old.fieldIndex("precision")), old.toString());
        assertEquals(ROWS, predictions.filter(col("run_id").equalTo("new").and(col("max_seq_len").equalTo(24))
                .and(col("precision").equalTo("fp32"))).count());
        Map<String, Row> runs = new LinkedHashMap<>();
        table(out, "runs").collectAsList().forEach(r -> runs.put(r.getAs("run_id"), r));
        assertEquals(List.of(OldTables.RUN, "new"), runs.keySet().stream().sorted().toList());
        assertTrue(runs.get(OldTables.RUN).isNullAt(runs.get(OldTables.RUN).fieldIndex("max_seq_len")));
        assertEquals(24, runs.get("new").<Integer>getAs("max_seq_len"));
        assertEquals("fp32", runs.get("new").<String>getAs("precision"));
        assertEquals("succeeded", runs.get("new").<String>getAs("status"));
    }

    @Test
    @Tag("slow")
    void derivedIdsAreStableAcrossReruns() {
        Path out = tmp.resolve("ids");
        new ScoreJob(spark).run(request(corpus, out, 0.5, "a", null));
        new ScoreJob(spark).run(new ScoreRequest(ModelDirectory.open(Fixtures.golden("bert")), corpus, InputFormat.JSON, null, "text",
                null, List.of("source"), out, 0.5, "b", 7, Precision.FP32, Batching.COMPACTION, 5, 24, 0.001, null, ScoreRequest.Audit.NONE,
                LongText.TRUNCATE));
        Dataset<Row> a = table(out, "predictions").filter(col("run_id").equalTo("a")).select("id");
        Dataset<Row> b = table(out, "predictions").filter(col("run_id").equalTo("b")).select("id");
        assertEquals(ROWS, a.distinct().count());
        assertEquals(0, a.except(b).count());
    }

    /**
     * A kept column named like a predictions column is prefixed; one named like the scorer's own input (its
     * text) keeps its name; both carry their own row's value.
     */
    @Test
    void keptColumnsNamedLikeTheScorersColumns() throws IOException {
        Path input = tmp.resolve("labeled.jsonl");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            lines.add("{\"doc\": \"l" + i + "\", \"text\": \"good value " + i + "\", \"label\": \"gold-" + i + "\"}");
        }
        Files.write(input, lines, StandardCharsets.UTF_8);
        Path out = tmp.resolve("labeled");
        new ScoreJob(spark).run(new ScoreRequest(ModelDirectory.open(Fixtures.golden("bert")), input, InputFormat.JSON, "doc", "text", null,
                List.of("label", "text"), out, 0.5, "kept", 16, Precision.FP32, Batching.COMPACTION, 2, 24, 0.001, null, ScoreRequest.Audit.NONE,
                LongText.TRUNCATE));
        Dataset<Row> predictions = table(out, "predictions");
        assertEquals(20, predictions.filter(col("text").equalTo(functions.concat(functions.lit("good value "),
                functions.substring(col("id"), 2, 3)))).count());
        assertEquals(20, predictions.filter(col("input_label").equalTo(functions.concat(functions.lit("gold-"),
                functions.substring(col("id"), 2, 3)))).count());
        assertEquals(20, predictions.filter(col("label").isin("neg", "neu", "pos")).count());
    }

    /** A file of no bytes (a feed's delivery before it is written, say) is a run of no rows, as an empty directory is. */
    @Test
    void anEmptyFileIsARunOfNoRows() throws IOException {
        Path empty = Files.createFile(tmp.resolve("empty.jsonl"));
        Path out = tmp.resolve("empty-file");
        new ScoreJob(spark).run(request(empty, out, 0.5, "empty", "doc"));
        Row run = table(out, "runs").first();
        assertEquals("succeeded", run.<String>getAs("status"));
        assertEquals(0L, run.<Long>getAs("rows"));
        assertEquals(0, table(out, "partition_stats").count());
    }

    @Test
    void rerunOfARunIdReplacesItsRows() {
        Path out = tmp.resolve("rerun");
        new ScoreJob(spark).run(request(corpus, out, 0.5, "same", "doc"));
        new ScoreJob(spark).run(request(corpus, out, 0.5, "same", "doc"));
        assertEquals(ROWS, table(out, "predictions").count());
        assertEquals(3, table(out, "partition_stats").count());
        assertEquals(1, table(out, "runs").count());
    }

    @Test
    void aFailedFirstAttemptIsRetriedWithoutDuplicates() {
        Path out = tmp.resolve("retry");
        spark.sparkContext().setLocalProperty(PartitionScorer.FAIL_FIRST_ATTEMPT_OF_PARTITION, "1");
        try {
            new ScoreJob(spark).run(request(corpus, out, 0.5, "retry", "doc"));
        } finally {
            spark.sparkContext().setLocalProperty(PartitionScorer.FAIL_FIRST_ATTEMPT_OF_PARTITION, null);
        }
        assertEquals(ROWS, table(out, "predictions").count());
        assertEquals(ROWS, table(out, "predictions").select("id").distinct().count());
        Dataset<Row> stats = table(out, "partition_stats");
        assertEquals(3, stats.count());
        assertEquals(1, stats.filter(col("partition_id").equalTo(1)).first().<Integer>getAs("task_attempt"));
    }

    @Test
    void hostileRowsAreAllPresentWithAPredictionOrAnError() throws IOException {
        Path input = tmp.resolve("hostile.jsonl");
        List<String> texts = new ArrayList<>(List.of("", "   \t\n ", "ctrl \u0000\u0001\u0007\u001b end",
                "lone \ud800 high and \udc00 low", "emoji 🙂🚀👩‍👩‍👧", "中文文本和日本語のテキスト", "עברית וערבית مرحبا",
                "zero\u200b\u200c\u200dwidth\ufeff", "long text ".repeat(1 << 17)));
        // Escaped, so that lone surrogates survive the trip through a UTF-8 file into Spark's JSON reader.
        ObjectMapper json = new ObjectMapper();
        json.getFactory().configure(JsonWriteFeature.ESCAPE_NON_ASCII.mappedFeature(), true);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            lines.add(json.writeValueAsString(Map.of("doc", "h" + i, "text", texts.get(i), "source", "hostile")));
        }
        lines.add("{\"doc\": \"null-text\", \"text\": null, \"source\": \"hostile\"}");
        Files.write(input, lines, StandardCharsets.UTF_8);

        Path out = tmp.resolve("hostile");
        // One row of ten (the null text) fails, so the run allows that share.
        ScoreSummary summary = new ScoreJob(spark).run(request(input, out, 0.5, "hostile", "doc", 0.1));
        Dataset<Row> predictions = table(out, "predictions");
        assertEquals(lines.size(), predictions.count());
        assertEquals(0, predictions.filter(col("error").isNull().and(col("label").isNull())).count(),
                "each row has a prediction or an error");
        Row nullRow = predictions.filter(col("id").equalTo("null-text")).first();
        assertTrue(nullRow.<String>getAs("error").contains("text is null"), nullRow.toString());
        assertEquals(1, summary.rowsFailed());
        Row huge = predictions.filter(col("id").equalTo("h8")).first();
        assertTrue(huge.<Boolean>getAs("truncated"));
        assertEquals(24, huge.<Integer>getAs("num_tokens"));
    }

    @Test
    void badRequestsFailOnTheDriverWithExitCode2() throws IOException {
        Path notDelta = tmp.resolve("not-delta");
        Files.createDirectories(notDelta.resolve("predictions"));
        Files.writeString(notDelta.resolve("predictions").resolve("junk.txt"), "junk");
        String model = Fixtures.golden("bert").toString();
        String in = corpus.toString();
        String out = tmp.resolve("bad").toString();
        assertEquals(2, DeeBertMain.execute("score", "--model", model, "--input", in, "--output", out,
                "--threshold", "0.1", "--text-col", "body"));
        assertEquals(2, DeeBertMain.execute("score", "--model", model, "--input", in, "--output", out,
                "--threshold", "-1"));
        assertEquals(2, DeeBertMain.execute("score", "--model", model, "--input", in, "--output", out,
                "--threshold", "NaN"));
        assertEquals(2, DeeBertMain.execute("score", "--model", model, "--input", in, "--output", out,
                "--threshold", "0.1", "--batch-size", "0"));
        assertEquals(2, DeeBertMain.execute("score", "--model", model, "--input", in, "--output", out,
                "--threshold", "0.1", "--precision", "fp8"));
        assertEquals(2, DeeBertMain.execute("score", "--model", model, "--input", in, "--output", out,
                "--threshold", "0.1", "--format", "xml"));
        assertEquals(2, DeeBertMain.execute("score", "--model", model, "--input", tmp.resolve("missing").toString(),
                "--output", out, "--threshold", "0.1"));
        assertEquals(2, DeeBertMain.execute("score", "--model", tmp.toString(), "--input", in, "--output", out,
                "--threshold", "0.1"));
        assertEquals(2, DeeBertMain.execute("score", "--model", model, "--input", in,
                "--output", notDelta.toString(), "--threshold", "0.1"));
        assertTrue(!Files.exists(tmp.resolve("bad")), "nothing written by a rejected run");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ScoreJob(spark).run(request(corpus, notDelta, 0.1, "x", "doc")));
        assertTrue(e.getMessage().contains("is not a Delta table"), e.getMessage());
        assertNotEquals(0, DeeBertMain.execute("score", "--model", model));
    }
}
