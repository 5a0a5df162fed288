package dev.deebert.tests.score;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.deebert.job.DeeBertMain;
import dev.deebert.job.InputFormat;
import dev.deebert.job.score.IncrementalScoring;
import dev.deebert.job.score.ScoreJob;
import dev.deebert.job.score.ScoreRequest;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.LongText;
import dev.deebert.model.Batching;
import dev.deebert.model.Precision;
import dev.deebert.model.SafeTensorsFile;
import dev.deebert.model.TensorNames;
import dev.deebert.tables.Catalog;
import dev.deebert.tests.Fixtures;
import dev.deebert.tests.RandomTexts;
import dev.deebert.tests.SparkTestSession;
import io.delta.tables.DeltaTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Incremental scoring end to end: real Spark local[2] streams over real Delta tables and JSON directories,
 * real PyTorch. Input rows carry a unique {@code doc} id so "exactly once" is checked id by id.
 */
class IncrementalScoreTest {
    private static final StructType DOC_SCHEMA = new StructType()
            .add("doc", DataTypes.StringType).add("text", DataTypes.StringType).add("source", DataTypes.StringType);

    @TempDir
    static Path tmp;
    static SparkSession spark;

    @BeforeAll
    static void session() {
        spark = SparkTestSession.get();
    }

    private static List<Map<String, Object>> docs(int from, int to) {
        RandomTexts texts = new RandomTexts(from);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = from; i < to; i++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("doc", "doc-" + i);
            row.put("text", texts.next(20));
            row.put("source", "s" + i % 3);
            rows.add(row);
        }
        return rows;
    }

    /** The texts of docs [from, to) under the ids of docs [firstId, firstId + to - from). */
    private static List<Map<String, Object>> docsAs(int from, int to, int firstId) {
        List<Map<String, Object>> rows = docs(from, to);
        for (int i = 0; i < rows.size(); i++) {
            rows.get(i).put("doc", "doc-" + (firstId + i));
        }
        return rows;
    }

    /** Appends docs [from, to) to a Delta table in one commit of one file. */
    private static void append(Path table, int from, int to) {
        append(table, docs(from, to));
    }

    private static void append(Path table, List<Map<String, Object>> docs) {
        List<Row> rows = docs.stream().map(d -> RowFactory.create(d.values().toArray())).toList();
        spark.createDataFrame(rows, DOC_SCHEMA).coalesce(1).write().format("delta").mode("append")
                .save(table.toString());
    }

    private static void writeJsonFile(Path file, int from, int to) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, docs(from, to).stream().map(IncrementalScoreTest::json).toList(), StandardCharsets.UTF_8);
    }

    private static String json(Map<String, Object> row) {
        try {
            return new ObjectMapper().writeValueAsString(row);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ScoreRequest request(Path model, Path input, Path out, String runId, boolean rescore,
                                        int maxFilesPerTrigger) {
        return request(model, input, out, out.resolve("_checkpoint"), runId, rescore, maxFilesPerTrigger);
    }

    private static ScoreRequest request(Path model, Path input, Path out, Path checkpoint, String runId,
                                        boolean rescore, int maxFilesPerTrigger) {
        return new ScoreRequest(ModelDirectory.open(model), input, InputFormat.guess(input), "doc", "text", null, List.of("source"), out,
                0.0, runId, 16, Precision.FP32, Batching.COMPACTION, 2, 24, 0.001,
                new ScoreRequest.Incremental(checkpoint, rescore, maxFilesPerTrigger), ScoreRequest.Audit.NONE,
                LongText.TRUNCATE);
    }

    private static void run(Path input, Path out, String runId) {
        new ScoreJob(spark).run(request(Fixtures.golden("bert"), input, out, runId, false, 0));
    }

    /** The three tables of an output root, read once (each read of a Delta table costs a Spark job). */
    private record Output(List<Row> predictions, List<Row> stats, Map<String, Row> runs) {
        static Output read(Path root) {
            Map<String, Row> runs = new HashMap<>();
            for (Row run : table(root, "runs").collectAsList()) {
                runs.put(run.getAs("run_id"), run);
            }
            return new Output(table(root, "predictions").collectAsList(),
                    table(root, "partition_stats").collectAsList(), runs);
        }

        private static Dataset<Row> table(Path root, String name) {
            return spark.read().format("delta").load(root.resolve(name).toString());
        }

        Set<String> ids(String runId) {
            return predictions.stream().filter(r -> r.getAs("run_id").equals(runId))
                    .map(r -> r.<String>getAs("id")).collect(Collectors.toCollection(TreeSet::new));
        }

        long statsRows(String runId) {
            return stats.stream().filter(r -> r.getAs("run_id").equals(runId)).mapToLong(r -> r.<Long>getAs("rows"))
                    .sum();
        }

        long statsRows() {
            return stats.stream().mapToLong(r -> r.<Long>getAs("rows")).sum();
        }

        /** The predictions by id; fails on a duplicate id. */
        Map<String, Row> byId() {
            return byId(predictions);
        }

        /** The predictions of one run by id; fails on a duplicate id. */
        Map<String, Row> byId(String runId) {
            return byId(predictions.stream().filter(r -> r.getAs("run_id").equals(runId)).toList());
        }

        private static Map<String, Row> byId(List<Row> predictions) {
            Map<String, Row> rows = new HashMap<>();
            for (Row row : predictions) {
                assertNull(rows.put(row.getAs("id"), row), "duplicate id " + row);
            }
            return rows;
        }

        /** Every doc in [0, n) exactly once in predictions. */
        void assertExactlyOnce(int n) {
            assertEquals(n, predictions.size());
            assertEquals(docIds(0, n), new TreeSet<>(byId().keySet()));
        }
    }

    private static Set<String> docIds(int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> "doc-" + i).collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void eachRunScoresOnlyItsNewRowsAndAnEmptyRunRecordsZero() {
        Path input = tmp.resolve("appends/input");
        Path out = tmp.resolve("appends/out");
        for (int k = 0; k < 3; k++) {
            append(input, 20 * k, 20 * k + 20);
            run(input, out, "i" + k);
        }
        run(input, out, "empty");
        Output tables = Output.read(out);
        tables.assertExactlyOnce(60);
        assertEquals(60, tables.statsRows());
        for (int k = 0; k < 3; k++) {
            String runId = "i" + k;
            assertEquals(docIds(20 * k, 20 * k + 20), tables.ids(runId), runId + " scored exactly its append");
            assertEquals(20, tables.statsRows(runId));
            Row run = tables.runs().get(runId);
            assertEquals("incremental", run.<String>getAs("mode"));
            assertEquals("succeeded", run.<String>getAs("status"));
            assertEquals(20L, run.<Long>getAs("rows"));
            assertEquals(1L, run.<Long>getAs("batches"));
            assertEquals(0L, run.<Long>getAs("rows_rescored"));
            assertFalse(run.<Timestamp>getAs("finished_at").before(run.getAs("started_at")));
        }
        Row empty = tables.runs().get("empty");
        assertEquals("succeeded", empty.<String>getAs("status"));
        assertEquals(0L, empty.<Long>getAs("rows"));
        assertEquals(0L, empty.<Long>getAs("batches"));

        IllegalArgumentException reused = assertThrows(IllegalArgumentException.class, () -> run(input, out, "i1"));
        assertTrue(reused.getMessage().contains("already taken"), reused.getMessage());
    }

    /** Tables written before the serving columns existed take idempotent appends once they have them. */
    @Test
    @Tag("slow")
    void incrementalRunsAppendToTablesWithoutTheServingColumns() {
        Path input = tmp.resolve("old-schema/input");
        Path out = tmp.resolve("old-schema/out");
        OldTables.write(spark, out, Catalog.predictions(DOC_SCHEMA, List.of("source")));
        append(input, 0, 10);
        run(input, out, "n1");
        append(input, 10, 25);
        run(input, out, "n2");

        Output tables = Output.read(out);
        assertEquals(docIds(0, 10), tables.ids("n1"));
        assertEquals(docIds(10, 25), tables.ids("n2"));
        assertEquals(Set.of("old-1"), tables.ids(OldTables.RUN));
        for (Row row : tables.predictions()) {
            boolean old = row.getAs("run_id").equals(OldTables.RUN);
            assertEquals(old ? null : 24, row.getAs("max_seq_len"), row.toString());
            assertEquals(old ? null : "fp32", row.getAs("precision"), row.toString());
            assertEquals(old, row.getAs("feed_id") == null, row.toString());
        }
        assertEquals(24, tables.runs().get("n2").<Integer>getAs("max_seq_len"));
    }

    @Test
    void aRunKilledAfterWritingAMicroBatchIsCompletedExactlyOnceByTheNextRun() {
        Path input = tmp.resolve("killed/input");
        Path out = tmp.resolve("killed/out");
        append(input, 0, 10);
        append(input, 10, 22);
        append(input, 22, 36);
        Path model = Fixtures.golden("bert");
        // One file per micro-batch: three micro-batches. The run dies after writing its second to both tables
        // but before Spark's checkpoint records it as done, so the rerun replays it and Delta must skip it.
        spark.sparkContext().setLocalProperty(IncrementalScoring.FAIL_AFTER_MICRO_BATCHES, "2");
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> new ScoreJob(spark).run(request(model, input, out, "killed", false, 1)));
            assertTrue(e.getMessage().contains("injected failure"), e.getMessage());
        } finally {
            spark.sparkContext().setLocalProperty(IncrementalScoring.FAIL_AFTER_MICRO_BATCHES, null);
        }
        new ScoreJob(spark).run(request(model, input, out, "rerun", false, 1));

        Output tables = Output.read(out);
        tables.assertExactlyOnce(36);
        assertEquals(docIds(0, 22), tables.ids("killed"));
        assertEquals(docIds(22, 36), tables.ids("rerun"));
        assertEquals(3 * 2, tables.stats().size(), "one stats row per partition per micro-batch");
        assertEquals(22L, tables.statsRows("killed"));
        assertEquals(14L, tables.statsRows("rerun"));
        Row killed = tables.runs().get("killed");
        assertEquals("failed", killed.<String>getAs("status"));
        assertEquals(2L, killed.<Long>getAs("batches"));
        assertEquals(22L, killed.<Long>getAs("rows"), "the two micro-batches it committed");
        Row rerun = tables.runs().get("rerun");
        assertEquals("succeeded", rerun.<String>getAs("status"));
        assertEquals(2L, rerun.<Long>getAs("batches"), "the replayed micro-batch and the last one");
        assertEquals(14L, rerun.<Long>getAs("rows"));
    }

    @Test
    @Tag("slow")
    void rowsCarryTheirModelAndRescoreReplacesExactlyTheOldModelsRows() throws IOException {
        Path input = tmp.resolve("model/input");
        Path out = tmp.resolve("model/out");
        TwoModels models = TwoModels.in(tmp.resolve("model"));

        append(input, 0, 15);
        new ScoreJob(spark).run(request(models.a(), input, out, "m1", false, 0));
        append(input, 15, 30);
        new ScoreJob(spark).run(request(models.b(), input, out, "m2", false, 0));
        Map<String, Row> before = Output.read(out).byId();
        for (int i = 0; i < 30; i++) {
            Row row = before.get("doc-" + i);
            assertEquals(i < 15 ? models.shaA() : models.shaB(), row.<String>getAs("model_sha256"), row.toString());
            assertEquals(i < 15 ? "m1" : "m2", row.<String>getAs("run_id"));
        }

        new ScoreJob(spark).run(request(models.b(), input, out, "m3", true, 0));
        Output tables = Output.read(out);
        tables.assertExactlyOnce(30);
        Map<String, Row> after = tables.byId();
        for (int i = 0; i < 30; i++) {
            Row old = before.get("doc-" + i);
            Row now = after.get("doc-" + i);
            assertEquals(models.shaB(), now.<String>getAs("model_sha256"));
            if (i < 15) {
                assertEquals("m3", now.<String>getAs("run_id"));
                assertFalse(Arrays.equals(probabilities(old), probabilities(now)),
                        "threshold 0 ends at the perturbed classifier: " + now);
            } else {
                assertEquals("m2", now.<String>getAs("run_id"), "rows of the current model stay as they were");
                assertArrayEquals(probabilities(old), probabilities(now));
            }
        }
        Row rescore = tables.runs().get("m3");
        assertEquals(15L, rescore.<Long>getAs("rows_rescored"));
        assertEquals(15L, rescore.<Long>getAs("rows"));
        assertEquals(0L, rescore.<Long>getAs("batches"));
        assertEquals(15L, tables.statsRows("m3"));
        assertEquals(45L, tables.statsRows(), "stats count the work: 30 rows once, 15 of them again");
    }

    /**
     * Two feeds (inputs with their own checkpoints) share an output root and use the same ids for different
     * texts. A rescore of one feed after a model change replaces that feed's rows only, with predictions of
     * its own texts; rows written before feed_id existed are the feed's when its checkpoint wrote them.
     */
    @Test
    @Tag("slow")
    void aRescoreReplacesOnlyItsOwnFeedsRowsWhenFeedsShareIds() throws IOException {
        Path inputA = tmp.resolve("feeds/a");
        Path inputB = tmp.resolve("feeds/b");
        Path out = tmp.resolve("feeds/out");
        Path checkpointA = tmp.resolve("feeds/checkpoint-a");
        Path checkpointB = tmp.resolve("feeds/checkpoint-b");
        TwoModels models = TwoModels.in(tmp.resolve("feeds"));

        append(inputA, 0, 10);
        new ScoreJob(spark).run(request(models.a(), inputA, out, checkpointA, "a1", false, 0));
        // Feed B: ids doc-0..9 again, other texts.
        append(inputB, docsAs(100, 110, 0));
        new ScoreJob(spark).run(request(models.a(), inputB, out, checkpointB, "b1", false, 0));
        // a1's rows as a version before feed_id left them.
        DeltaTable.forPath(spark, out.resolve("predictions").toString())
                .update(functions.col("run_id").equalTo("a1"), Map.of("feed_id", functions.lit(null).cast("string")));
        append(inputA, 10, 15);
        new ScoreJob(spark).run(request(models.a(), inputA, out, checkpointA, "a2", false, 0));
        Map<String, Row> beforeB = Output.read(out).byId("b1");

        new ScoreJob(spark).run(request(models.b(), inputA, out, checkpointA, "a3", true, 0));
        Output tables = Output.read(out);
        assertEquals(25, tables.predictions().size());
        assertEquals(15L, tables.runs().get("a3").<Long>getAs("rows_rescored"));
        Map<String, Row> rescored = tables.byId("a3");
        assertEquals(docIds(0, 15), new TreeSet<>(rescored.keySet()), "feed A's rows, legacy ones included");
        String feedA = rescored.get("doc-0").getAs("feed_id");
        assertTrue(feedA != null && rescored.values().stream().allMatch(r -> feedA.equals(r.getAs("feed_id"))
                && models.shaB().equals(r.getAs("model_sha256"))), rescored.values().toString());
        Map<String, Row> afterB = tables.byId("b1");
        assertEquals(beforeB.keySet(), afterB.keySet());
        for (String id : beforeB.keySet()) {
            assertEquals(beforeB.get(id), afterB.get(id), "feed B's row " + id + " is untouched");
            assertFalse(Arrays.equals(probabilities(afterB.get(id)), probabilities(rescored.get(id))),
                    "feed A's " + id + " is a prediction of feed A's text: " + rescored.get(id));
        }
    }

    /** Two input rows under one id to rescore: Delta's MERGE takes one source row per target row. */
    @Test
    @Tag("slow")
    void aRescoreRefusesAnIdThatTwoInputRowsShare() throws IOException {
        Path input = tmp.resolve("duplicate/input");
        Path out = tmp.resolve("duplicate/out");
        Path modelB = TwoModels.in(tmp.resolve("duplicate")).b();
        append(input, 0, 5);
        new ScoreJob(spark).run(request(Fixtures.golden("bert"), input, out, "d1", false, 0));
        append(input, docsAs(7, 8, 2));

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new ScoreJob(spark).run(request(modelB, input, out, "d2", true, 0)));
        assertTrue(e.getMessage().contains("id 'doc-2' occurs 2 times"), e.getMessage());
        Output tables = Output.read(out);
        assertEquals("failed", tables.runs().get("d2").<String>getAs("status"));
        assertEquals(docIds(0, 5), tables.ids("d1"), "no row rescored");
    }

    /**
     * Files delivered with their original modification times (rsync -a, cp -p) are new to the feed however old
     * their times; a file still being written under a hidden name (then renamed in) is read once complete.
     */
    @Test
    @Tag("slow")
    void filesWithOldModificationTimesAreScoredAndHiddenFilesOnlyOnceRenamed() throws IOException {
        Path input = tmp.resolve("old-files/input");
        Path out = tmp.resolve("old-files/out");
        writeJsonFile(input.resolve("a.json"), 0, 10);
        run(input, out, "o1");
        Path old = input.resolve("b.json");
        writeJsonFile(old, 10, 18);
        Files.setLastModifiedTime(old, FileTime.from(Instant.now().minus(Duration.ofDays(400))));
        Path partial = input.resolve(".c.json.partial");
        writeJsonFile(partial, 18, 25);
        run(input, out, "o2");
        Files.move(partial, input.resolve("c.json"), StandardCopyOption.ATOMIC_MOVE);
        run(input, out, "o3");

        Output tables = Output.read(out);
        tables.assertExactlyOnce(25);
        assertEquals(docIds(10, 18), tables.ids("o2"), "the old file, not the hidden one");
        assertEquals(docIds(18, 25), tables.ids("o3"));
    }

    /**
     * An empty directory (a feed before its first delivery) is a run of no rows for batch and incremental runs
     * alike, without --format; a batch rerun over an emptied input replaces its rows by none.
     */
    @Test
    @Tag("slow")
    void anEmptyDirectoryIsARunOfNoRows() throws IOException {
        Path input = Files.createDirectories(tmp.resolve("empty/input"));
        Path out = tmp.resolve("empty/out");
        List<String> args = List.of("score", "--model", Fixtures.golden("bert").toString(), "--input",
                input.toString(), "--output", out.toString(), "--threshold", "0.5", "--id-col", "doc",
                "--max-seq-len", "24");
        List<String> incremental = new ArrayList<>(args);
        incremental.addAll(List.of("--incremental", "--checkpoint", tmp.resolve("empty/checkpoint").toString()));
        assertEquals(0, DeeBertMain.execute(with(args, "--run-id", "batch")));
        assertEquals(0, DeeBertMain.execute(with(incremental, "--run-id", "e1")));
        writeJsonFile(input.resolve("a.json"), 0, 6);
        assertEquals(0, DeeBertMain.execute(with(incremental, "--run-id", "e2")));
        assertEquals(0, DeeBertMain.execute(with(args, "--run-id", "batch")));
        Files.delete(input.resolve("a.json"));
        assertEquals(0, DeeBertMain.execute(with(args, "--run-id", "batch")));

        Output tables = Output.read(out);
        for (String runId : List.of("batch", "e1", "e2")) {
            assertEquals("succeeded", tables.runs().get(runId).<String>getAs("status"), runId);
        }
        assertEquals(0L, tables.runs().get("e1").<Long>getAs("rows"));
        assertEquals(0L, tables.runs().get("e1").<Long>getAs("batches"));
        assertEquals(docIds(0, 6), tables.ids("e2"));
        assertEquals(Set.of(), tables.ids("batch"), "the rerun over the emptied input replaced its 6 rows");
        assertEquals(0L, tables.statsRows("batch"));
        assertEquals(0L, tables.runs().get("batch").<Long>getAs("rows"));
    }

    private static String[] with(List<String> args, String... more) {
        List<String> all = new ArrayList<>(args);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    @Test
    void aJsonDirectoryIsScoredFileByFileThroughTheCommandLine() throws IOException {
        Path input = tmp.resolve("files/input");
        Path out = tmp.resolve("files/out");
        List<String> args = List.of("score", "--model", Fixtures.golden("bert").toString(), "--input",
                input.toString(), "--output", out.toString(), "--threshold", "0.5", "--id-col", "doc",
                "--keep-cols", "source", "--partitions", "2", "--max-seq-len", "24", "--incremental",
                "--checkpoint", tmp.resolve("files/checkpoint").toString());
        writeJsonFile(input.resolve("a.json"), 0, 10);
        List<String> first = new ArrayList<>(args);
        first.addAll(List.of("--run-id", "f1"));
        assertEquals(0, DeeBertMain.execute(first.toArray(String[]::new)));
        writeJsonFile(input.resolve("b.json"), 10, 18);
        assertEquals(0, DeeBertMain.execute(args.toArray(String[]::new)), "with a generated run id");

        Output tables = Output.read(out);
        tables.assertExactlyOnce(18);
        assertEquals(docIds(0, 10), tables.ids("f1"));
        assertEquals(2, tables.runs().size());
        String second = tables.runs().keySet().stream().filter(id -> !id.equals("f1")).findFirst().orElseThrow();
        assertTrue(second.startsWith("incr-"), second);
        assertEquals(docIds(10, 18), tables.ids(second));
        assertEquals(8L, tables.runs().get(second).<Long>getAs("rows"));
        assertEquals(18L, tables.statsRows());
    }

    @Test
    void incrementalOptionsAreCheckedOnTheDriver() throws IOException {
        String model = Fixtures.golden("bert").toString();
        Path file = tmp.resolve("cli/one.json");
        writeJsonFile(file, 0, 3);
        String in = file.getParent().toString();
        String out = tmp.resolve("cli/out").toString();
        assertEquals(2, DeeBertMain.execute("score", "--model", model, "--input", in, "--output", out,
                "--threshold", "0.1", "--rescore-model-change"));
        assertEquals(2, DeeBertMain.execute("score", "--model", model, "--input", in, "--output", out,
                "--threshold", "0.1", "--incremental"));
        assertEquals(2, DeeBertMain.execute("score", "--model", model, "--input", file.toString(), "--output", out,
                "--threshold", "0.1", "--incremental", "--checkpoint", tmp.resolve("cli/ckpt").toString()));
        assertEquals(2, DeeBertMain.execute("score", "--model", model, "--input", in, "--output", out,
                "--threshold", "0.1", "--incremental", "--checkpoint", file.toString()));
        assertFalse(Files.exists(tmp.resolve("cli/out")), "nothing written by a rejected run");
    }

    private static float[] probabilities(Row row) {
        List<Float> p = row.getList(row.fieldIndex("probabilities"));
        float[] out = new float[p.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = p.get(i);
        }
        return out;
    }

    /** A copy of {@code model} whose final classifier favours label 0 a little more: same shapes, new hash. */
    /** The golden BERT model, and a copy under {@code dir} whose classifier bias is moved: other predictions and hash. */
    private record TwoModels(Path a, Path b, String shaA, String shaB) {
        static TwoModels in(Path dir) throws IOException {
            Path a = Fixtures.golden("bert");
            Path b = perturbedCopy(a, dir.resolve("bert-b"));
            TwoModels models = new TwoModels(a, b, ModelDirectory.open(a).weightsSha256(),
                    ModelDirectory.open(b).weightsSha256());
            assertNotEquals(models.shaA(), models.shaB());
            return models;
        }
    }

    private static Path perturbedCopy(Path model, Path copy) throws IOException {
        Files.createDirectories(copy);
        for (String name : List.of(ModelDirectory.CONFIG, ModelDirectory.TOKENIZER)) {
            Files.copy(model.resolve(name), copy.resolve(name));
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList tensors = SafeTensorsFile.read(model.resolve(ModelDirectory.WEIGHTS), manager);
            NDList perturbed = new NDList();
            for (NDArray tensor : tensors) {
                if (tensor.getName().equals(TensorNames.FINAL_HEAD.classifier().bias())) {
                    NDArray bias = tensor.add(manager.create(new float[] {0.75f, 0f, -0.25f}));
                    bias.setName(tensor.getName());
                    tensor = bias;
                }
                perturbed.add(tensor);
            }
            assertEquals(tensors.size(), perturbed.size());
            SafeTensorsFile.write(perturbed, copy.resolve(ModelDirectory.WEIGHTS));
        }
        return copy;
    }
}
