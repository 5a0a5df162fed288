package dev.deebert.tests.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.deebert.job.DeeBertMain;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.SafeTensorsFile;
import dev.deebert.tests.Commands;
import dev.deebert.tests.Commands.Outcome;
import dev.deebert.tests.Fixtures;
import dev.deebert.tests.SparkTestSession;
import io.delta.tables.DeltaTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests a user can get wrong, through the command line: each is refused with exit code 2 and one line
 * naming the problem, before anything is written (or changed) under the output root.
 */
class HostileRequestTest {
    @TempDir
    static Path tmp;
    static Path corpus;
    static SparkSession spark;

    @BeforeAll
    static void setUp() throws IOException {
        spark = SparkTestSession.get();
        corpus = JsonCorpus.write(tmp.resolve("corpus.jsonl"), 40);
    }

    private static Outcome score(Path model, Path input, Path output, String... more) {
        List<String> args = new ArrayList<>(List.of("score", "--model", model.toString(), "--input", input.toString(),
                "--id-col", "doc", "--output", output.toString(), "--threshold", "0.5", "--max-seq-len", "24",
                "--partitions", "2"));
        args.addAll(List.of(more));
        return Commands.run(args);
    }

    private static void assertRefused(Outcome outcome, String problem) {
        assertEquals(2, outcome.exitCode(), outcome.err());
        assertTrue(outcome.err().contains(problem), "stderr names the problem '" + problem + "': " + outcome.err());
    }

    @Test
    void modelWithAnExtraTensorIsRefused() throws IOException {
        Path model = tmp.resolve("extra-tensor");
        Files.createDirectories(model);
        for (String name : new String[] {ModelDirectory.CONFIG, ModelDirectory.TOKENIZER}) {
            Files.copy(Fixtures.golden("bert").resolve(name), model.resolve(name));
        }
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            NDList tensors = SafeTensorsFile.read(Fixtures.golden("bert").resolve(ModelDirectory.WEIGHTS), manager);
            NDArray adapter = manager.zeros(new Shape(4, 32));
            adapter.setName("bert.adapter.weight");
            tensors.add(adapter);
            SafeTensorsFile.write(tensors, model.resolve(ModelDirectory.WEIGHTS));
        }
        Path out = tmp.resolve("extra-tensor-out");
        assertRefused(score(model, corpus, out), "unexpected tensor bert.adapter.weight");
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void unreadableInputIsRefused() throws IOException {
        Path input = Files.copy(corpus, tmp.resolve("unreadable.jsonl"));
        Files.setPosixFilePermissions(input, PosixFilePermissions.fromString("---------"));
        Assumptions.assumeFalse(Files.isReadable(input), "permissions do not bind this user (root)");
        Path out = tmp.resolve("unreadable-out");
        assertRefused(score(Fixtures.golden("bert"), input, out), "not readable");
        assertFalse(Files.exists(out), "nothing written");
    }

    /** Spark would read the line as a row of nulls, to fail as "text is null" under a made-up id. */
    @Test
    void malformedJsonLineIsRefusedNamingIt() throws IOException {
        Path input = Files.writeString(tmp.resolve("malformed.jsonl"), Files.readString(corpus)
                + "{\"doc\": \"broken\", \"text\": \"no closing brace\"\n");
        Path out = tmp.resolve("malformed-out");
        assertRefused(score(Fixtures.golden("bert"), input, out),
                "lines that are no JSON object, e.g. {\"doc\": \"broken\", \"text\": \"no closing brace\"");
        assertFalse(Files.exists(out), "nothing written");
    }

    /** Numbers cast to text would get plausible labels: a --text-col naming the wrong column goes unnoticed. */
    @Test
    void textColumnOfNumbersIsRefused() throws IOException {
        Path input = Files.writeString(tmp.resolve("numbers.jsonl"),
                "{\"doc\": \"a\", \"text\": 5}\n{\"doc\": \"b\", \"text\": 7}\n");
        Path out = tmp.resolve("numbers-out");
        assertRefused(score(Fixtures.golden("bert"), input, out), "column 'text' holds bigint, not text (string)");
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void outputRootThatIsAFileIsRefusedAndKept() throws IOException {
        Path out = Files.writeString(tmp.resolve("output-is-a-file"), "keep me");
        assertRefused(score(Fixtures.golden("bert"), corpus, out), "is a file");
        assertEquals("keep me", Files.readString(out));
    }

    @Test
    @Tag("slow")
    void predictionsTableWithOtherColumnsIsRefusedAndNoTableChanges() throws IOException {
        Path out = tmp.resolve("schema");
        assertEquals(0, score(Fixtures.golden("bert"), corpus, out, "--run-id", "first").exitCode());
        Map<String, Long> versions = versions(out);
        List<Path> files = files(out);

        // The first run kept no input columns; keeping one would change the predictions table's columns.
        Outcome second = score(Fixtures.golden("bert"), corpus, out, "--run-id", "second", "--keep-cols", "text");
        assertRefused(second, "predictions has columns");
        assertEquals(versions, versions(out), "Delta versions of predictions, partition_stats, runs");
        assertEquals(files, files(out), "no file added or removed");
    }

    /**
     * A rerun of an existing run id with an option that cannot work is refused before the run's row in runs
     * (or anything else) changes: the run keeps its succeeded row and its predictions.
     */
    @Test
    @Tag("slow")
    void invalidOptionsLeaveAnExistingRunAsItWas() throws IOException {
        Path out = tmp.resolve("existing-run");
        assertEquals(0, score(Fixtures.golden("bert"), corpus, out, "--run-id", "nightly").exitCode());
        Map<String, Long> versions = versions(out);
        List<Path> files = files(out);
        List<List<String>> invalid = List.of(List.of("--max-seq-len", "1"), List.of("--max-seq-len", "65"),
                List.of("--batch-size", "0"), List.of("--batch-size", "100000000"), List.of("--partitions", "-1"),
                List.of("--threshold", "Infinity"), List.of("--max-failed-fraction", "1.5"),
                List.of("--precision", "fp16"), List.of("--format", "parquet"), List.of("--text-col", "body"),
                List.of("--keep-cols", "doc,doc"), List.of("--max-files-per-trigger", "2"),
                List.of("--incremental", "--checkpoint", tmp.resolve("existing-run-checkpoint").toString()));
        for (List<String> options : invalid) {
            List<String> args = new ArrayList<>(List.of("score", "--model", Fixtures.golden("bert").toString(),
                    "--input", corpus.toString(), "--id-col", "doc", "--output", out.toString(), "--run-id",
                    "nightly"));
            args.addAll(options);
            if (!options.contains("--max-seq-len")) {
                args.addAll(List.of("--max-seq-len", "24"));
            }
            if (!options.contains("--threshold")) {
                args.addAll(List.of("--threshold", "0.5"));
            }
            assertEquals(2, DeeBertMain.execute(args.toArray(String[]::new)), options.toString());
        }
        assertEquals(versions, versions(out), "Delta versions of predictions, partition_stats, runs");
        assertEquals(files, files(out), "no file added or removed");
        Dataset<Row> run = spark.read().format("delta").load(out.resolve("runs").toString());
        assertEquals("succeeded", run.first().<String>getAs("status"));
    }

    private static Map<String, Long> versions(Path out) {
        return Map.of("predictions", version(out.resolve("predictions")),
                "partition_stats", version(out.resolve("partition_stats")), "runs", version(out.resolve("runs")));
    }

    private static long version(Path table) {
        return DeltaTable.forPath(spark, table.toString()).history(1).first().<Long>getAs("version");
    }

    private static List<Path> files(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.sorted().toList();
        }
    }
}
