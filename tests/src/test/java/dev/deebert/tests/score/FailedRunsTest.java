package dev.deebert.tests.score;

import static dev.deebert.tests.RandomTexts.WORDS;
import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.deebert.executor.ExecutorModels;
import dev.deebert.model.Precision;
import dev.deebert.tests.BrokenEngines;
import dev.deebert.tests.Commands;
import dev.deebert.tests.Commands.Outcome;
import dev.deebert.tests.Fixtures;
import dev.deebert.tests.SparkTestSession;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs that did not score their rows must not look as if they had: a model that fails every batch fails its
 * tasks and the run instead of writing every row as an error (a retried task gets the engine built again), a run with more failed rows than
 * --max-failed-fraction allows fails with exit code 1, and an incremental micro-batch that fails either way is
 * not passed by the checkpoint. Through the command line, on real Spark local[2,2] (one task retry), Delta
 * and PyTorch.
 */
class FailedRunsTest {
    @TempDir
    static Path tmp;
    static SparkSession spark;

    @BeforeAll
    static void session() {
        spark = SparkTestSession.get();
    }

    /** JSON lines {doc, text} for docs [from, to), then {@code nulls} rows whose text is null. */
    private static Path write(Path file, int from, int to, int nulls) {
        ObjectMapper json = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        for (int i = from; i < to + nulls; i++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("doc", "doc-" + i);
            row.put("text", i < to ? WORDS.get(i % WORDS.size()) + " " + WORDS.get((7 * i) % WORDS.size()) : null);
            try {
                lines.add(json.writeValueAsString(row));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        try {
            Files.createDirectories(file.getParent());
            return Files.write(file, lines, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Outcome score(Path model, Path input, Path output, String... more) {
        List<String> args = new ArrayList<>(List.of("score", "--model", model.toString(), "--input", input.toString(),
                "--output", output.toString(), "--id-col", "doc", "--threshold", "0.5", "--max-seq-len", "24",
                "--precision", "fp32", "--partitions", "2"));
        args.addAll(List.of(more));
        return Commands.run(args);
    }

    private static Dataset<Row> table(Path root, String name) {
        return spark.read().format("delta").load(root.resolve(name).toString());
    }

    private static Map<String, Row> runs(Path root) {
        Map<String, Row> runs = new HashMap<>();
        table(root, "runs").collectAsList().forEach(r -> runs.put(r.getAs("run_id"), r));
        return runs;
    }

    private static List<Row> predictionsOf(Path root, String runId) {
        return table(root, "predictions").filter(col("run_id").equalTo(runId)).collectAsList();
    }

    @Test
    void aModelThatFailsEveryBatchFailsTheRunInsteadOfWritingEveryRowAsAnError() throws IOException {
        Path model = Fixtures.copyGoldenBert(tmp.resolve("broken-batch"));
        Path input = write(tmp.resolve("batch.jsonl"), 0, 40, 0);
        Path out = tmp.resolve("batch-out");

        Outcome broken;
        try (BrokenEngines everyTask = BrokenEngines.forEveryTask(spark)) {
            broken = score(model, input, out, "--run-id", "broken");
        }
        assertEquals(1, broken.exitCode(), broken.err());
        assertTrue(broken.err().contains("failed alone too"), broken.err());
        Row run = runs(out).get("broken");
        assertEquals("failed", run.<String>getAs("status"));
        assertEquals(0L, run.<Long>getAs("rows"));
        assertEquals(List.of(), predictionsOf(out, "broken"), "no row passed off as scored");
    }

    /**
     * The task whose engine broke fails; its retry, on the same executor, gets an engine built again instead of
     * the broken one, and scores every row.
     */
    @Test
    void aTaskRetriedAfterItsEngineBrokeScoresOnAFreshEngine() throws IOException {
        Path model = BrokenEngines.closedOnceAt(tmp.resolve("broken-once"), Precision.FP32, 24);
        Path input = write(tmp.resolve("once.jsonl"), 0, 40, 0);
        Path out = tmp.resolve("once-out");
        int loads = ExecutorModels.loads();

        Outcome retried = score(model, input, out, "--run-id", "retried");
        assertEquals(0, retried.exitCode(), retried.err());
        assertEquals("succeeded", runs(out).get("retried").<String>getAs("status"));
        List<Row> predictions = predictionsOf(out, "retried");
        assertEquals(40, predictions.size());
        assertTrue(predictions.stream().allMatch(r -> r.getAs("error") == null), "every row scored");
        assertEquals(loads + 1, ExecutorModels.loads(), "the broken engine was built again, once");
    }

    /** The first run's engine fails on every attempt; the second run scores every row the first did not. */
    @Test
    void aMicroBatchTheModelFailsIsScoredByTheNextRun() throws IOException {
        Path model = Fixtures.copyGoldenBert(tmp.resolve("broken-stream"));
        Path input = tmp.resolve("stream/input");
        write(input.resolve("a.json"), 0, 30, 0);
        Path out = tmp.resolve("stream/out");
        String[] incremental = {"--incremental", "--checkpoint", tmp.resolve("stream/checkpoint").toString()};

        try (BrokenEngines everyTask = BrokenEngines.forEveryTask(spark)) {
            Outcome broken = score(model, input, out, concat(incremental, "--run-id", "s1"));
            assertEquals(1, broken.exitCode(), broken.err());
        }
        assertEquals(0, score(model, input, out, concat(incremental, "--run-id", "s2")).exitCode());

        Map<String, Row> runs = runs(out);
        assertEquals("failed", runs.get("s1").<String>getAs("status"));
        assertEquals(0L, runs.get("s1").<Long>getAs("rows"));
        assertEquals("succeeded", runs.get("s2").<String>getAs("status"));
        assertEquals(30L, runs.get("s2").<Long>getAs("rows"));
        List<Row> predictions = table(out, "predictions").collectAsList();
        assertEquals(30, predictions.size());
        assertTrue(predictions.stream().allMatch(r -> r.getAs("run_id").equals("s2") && r.getAs("error") == null),
                "each row scored once, by the run that could");
    }

    /** 4 rows of 40 have no text: each fails on its own (never the task), 10% of the run. */
    @Test
    void moreFailedRowsThanAllowedFailTheRunWithExitCode1() {
        Path input = write(tmp.resolve("nulls.jsonl"), 0, 36, 4);
        Path out = tmp.resolve("nulls-out");

        Outcome strict = score(Fixtures.golden("bert"), input, out, "--run-id", "strict");
        assertEquals(1, strict.exitCode(), strict.err());
        assertTrue(strict.err().contains("4 of 40 rows failed"), strict.err());
        assertTrue(strict.err().contains("text is null"), "names the commonest error: " + strict.err());
        assertFalse(strict.err().contains("\tat "), "one line, no stack trace: " + strict.err());
        assertEquals(0, score(Fixtures.golden("bert"), input, out, "--run-id", "lenient", "--max-failed-fraction",
                "0.1").exitCode());

        Map<String, Row> runs = runs(out);
        assertEquals("failed", runs.get("strict").<String>getAs("status"));
        assertEquals(List.of(), predictionsOf(out, "strict"), "a failed run writes no predictions");
        assertEquals("succeeded", runs.get("lenient").<String>getAs("status"));
        assertEquals(4L, runs.get("lenient").<Long>getAs("rows_failed"));
        List<Row> lenient = predictionsOf(out, "lenient");
        assertEquals(40, lenient.size());
        assertEquals(4, lenient.stream().filter(r -> r.getAs("error") != null).count());
    }

    @Test
    @Tag("slow")
    void aMicroBatchWithMoreFailedRowsThanAllowedIsScoredAgainByTheNextRun() {
        Path input = tmp.resolve("null-stream/input");
        write(input.resolve("a.json"), 0, 36, 4);
        Path out = tmp.resolve("null-stream/out");
        String[] incremental = {"--incremental", "--checkpoint", tmp.resolve("null-stream/checkpoint").toString()};

        Outcome strict = score(Fixtures.golden("bert"), input, out, concat(incremental, "--run-id", "n1"));
        assertEquals(1, strict.exitCode(), strict.err());
        assertTrue(strict.err().contains("4 of 40 rows failed"), strict.err());
        assertEquals(0, score(Fixtures.golden("bert"), input, out,
                concat(incremental, "--run-id", "n2", "--max-failed-fraction", "0.1")).exitCode());

        Map<String, Row> runs = runs(out);
        assertEquals("failed", runs.get("n1").<String>getAs("status"));
        assertEquals(List.of(), predictionsOf(out, "n1"));
        assertEquals(40L, runs.get("n2").<Long>getAs("rows"), "the micro-batch n1 failed on, replayed");
        assertEquals(40, predictionsOf(out, "n2").size());
    }

    private static String[] concat(String[] first, String... more) {
        return IntStream.range(0, first.length + more.length)
                .mapToObj(i -> i < first.length ? first[i] : more[i - first.length]).toArray(String[]::new);
    }
}
