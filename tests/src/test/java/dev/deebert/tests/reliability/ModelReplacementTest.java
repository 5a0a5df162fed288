package dev.deebert.tests.reliability;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.deebert.job.InputFormat;
import dev.deebert.job.analysis.SweepJob;
import dev.deebert.job.analysis.SweepRequest;
import dev.deebert.job.score.ScoreJob;
import dev.deebert.job.score.ScoreRequest;
import dev.deebert.model.DeeBertWeights;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.LongText;
import dev.deebert.model.Batching;
import dev.deebert.model.Precision;
import dev.deebert.model.ServingContract;
import dev.deebert.model.TensorNames;
import dev.deebert.tests.Fixtures;
import dev.deebert.tests.SparkTestSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model replaced while it is in use (import --force, train --force): readers see the old model or the new one,
 * never none or half of one, and a run whose model is replaced after its driver checked it fails instead of
 * scoring with the new weights under the old hash.
 */
class ModelReplacementTest {
    private static final Path TOKENIZER = Fixtures.golden("bert").resolve(ModelDirectory.TOKENIZER);

    @TempDir
    Path tmp;

    /**
     * The driver checks and hashes the model; then, at the run's first Spark job (reading the input's schema),
     * another writer replaces it. Every task attempt must fail on the hash, and no row may be stamped.
     */
    @Test
    @Tag("slow")
    void aModelReplacedAfterTheDriverCheckedItFailsTheRunAndStampsNoRow() throws Exception {
        SparkSession spark = SparkTestSession.get();
        Path input = input(40);
        Path model = tmp.resolve("model");
        Path out = tmp.resolve("out");
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            DeeBertWeights golden = ModelDirectory.open(Fixtures.golden("bert")).loadWeights(manager);
            String validated = ModelDirectory.write(model, golden, TOKENIZER, false).weightsSha256();
            DeeBertWeights replacement = variant(golden);

            long start = System.currentTimeMillis();
            AtomicBoolean swapped = new AtomicBoolean();
            AtomicReference<String> replaced = new AtomicReference<>();
            AtomicReference<Throwable> swapFailure = new AtomicReference<>();
            SparkListener swap = new SparkListener() {
                @Override
                public void onJobStart(SparkListenerJobStart job) {
                    if (job.time() >= start && swapped.compareAndSet(false, true)) {
                        try {
                            replaced.set(ModelDirectory.write(model, replacement, TOKENIZER, true).weightsSha256());
                        } catch (Throwable t) {
                            swapFailure.set(t);
                        }
                    }
                }
            };
            spark.sparkContext().addSparkListener(swap);
            Throwable failure;
            try {
                failure = assertThrows(Throwable.class, () -> new ScoreJob(spark).run(request(model, input, out,
                        "replaced-mid-run")));
            } finally {
                spark.sparkContext().removeSparkListener(swap);
            }
            assertNull(swapFailure.get());
            assertNotEquals(validated, replaced.get());
            String messages = messages(failure);
            assertTrue(messages.contains(model + " was replaced after the run started: its model.safetensors has"
                    + " SHA-256 " + replaced.get() + " but the run was validated with, and stamps its rows with, "
                    + validated), messages);

            List<Row> predictions = spark.read().format("delta").load(out.resolve("predictions").toString())
                    .collectAsList();
            assertEquals(List.of(), predictions, "no row of either model under the validated hash");
            // The failed Spark job ends the run's bookkeeping too, so schedulers reading runs see it failed.
            Row run = spark.read().format("delta").load(out.resolve("runs").toString())
                    .filter(col("run_id").equalTo("replaced-mid-run")).first();
            assertEquals("failed", run.<String>getAs("status"));
            assertEquals(0L, run.<Long>getAs("rows"));
        }
    }

    /**
     * score looks the threshold up for the weights it opened; a model replaced before the job starts must not be
     * scored under that threshold and hash (the job once opened the model a second time and took the new one).
     */
    @Test
    void aModelReplacedBetweenTheCommandAndTheJobFailsTheRun() throws Exception {
        SparkSession spark = SparkTestSession.get();
        Path input = input(8);
        Path model = tmp.resolve("model");
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            DeeBertWeights golden = ModelDirectory.open(Fixtures.golden("bert")).loadWeights(manager);
            String validated = ModelDirectory.write(model, golden, TOKENIZER, false).weightsSha256();
            ScoreRequest request = request(model, input, tmp.resolve("out"), "replaced-before-job");
            String replaced = ModelDirectory.write(model, variant(golden), TOKENIZER, true).weightsSha256();

            Throwable failure = assertThrows(Throwable.class, () -> new ScoreJob(spark).run(request));
            assertEquals(validated, request.model().weightsSha256());
            assertTrue(messages(failure).contains("SHA-256 " + replaced + " but the run was validated with, and"
                    + " stamps its rows with, " + validated), messages(failure));
        }
    }

    /** sweep likewise: its default grid and length come from the weights its command opened. */
    @Test
    void aModelReplacedBetweenTheSweepCommandAndItsJobFailsTheSweep() throws Exception {
        SparkSession spark = SparkTestSession.get();
        Path input = Files.write(tmp.resolve("labeled.jsonl"), IntStream.range(0, 8).mapToObj(i -> "{\"doc\": \"d"
                + i + "\", \"text\": \"the room was clean " + i + "\", \"label\": \"neg\"}").toList());
        Path model = tmp.resolve("model");
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            DeeBertWeights golden = ModelDirectory.open(Fixtures.golden("bert")).loadWeights(manager);
            String validated = ModelDirectory.write(model, golden, TOKENIZER, false).weightsSha256();
            SweepRequest request = new SweepRequest(ModelDirectory.open(model), input, InputFormat.guess(input), "doc",
                    "text", "label", tmp.resolve("swept"), new double[] {0.5}, "replaced-before-sweep", 16,
                    Precision.FP32, Batching.COMPACTION, 24, false);
            String replaced = ModelDirectory.write(model, variant(golden), TOKENIZER, true).weightsSha256();

            Throwable failure = assertThrows(Throwable.class, () -> new SweepJob(spark).run(request));
            assertTrue(messages(failure).contains("SHA-256 " + replaced + " but the run was validated with, and"
                    + " stamps its rows with, " + validated), messages(failure));
        }
    }

    /** A reader opening the model in a loop while it is replaced again and again. */
    @Test
    void readersSeeTheOldModelOrTheNewOneNeverNoneOrAMix() throws Exception {
        Path model = tmp.resolve("model");
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            DeeBertWeights a = ModelDirectory.open(Fixtures.golden("bert")).loadWeights(manager);
            DeeBertWeights b = variant(a);
            // Each model's weights hash with the label its config.json names first: a mix would pair them wrongly.
            Map<String, String> firstLabel = Map.of(
                    ModelDirectory.write(model, a, TOKENIZER, false).weightsSha256(), "neg",
                    ModelDirectory.write(model, b, TOKENIZER, true).weightsSha256(), "x");

            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicInteger reads = new AtomicInteger();
            List<String> wrong = Collections.synchronizedList(new ArrayList<>());
            Thread reader = new Thread(() -> {
                while (writing.get()) {
                    try {
                        ModelDirectory seen = ModelDirectory.open(model);
                        String sha = seen.weightsSha256();
                        if (!seen.config().labelName(0).equals(firstLabel.get(sha))) {
                            wrong.add("weights " + sha + " with labels " + seen.config().labelNames());
                        }
                        reads.incrementAndGet();
                    } catch (RuntimeException e) {
                        wrong.add(e.toString());
                    }
                }
            }, "model-reader");
            reader.start();
            int replaces = 30;
            try {
                for (int i = 0; i < replaces; i++) {
                    ModelDirectory.write(model, i % 2 == 0 ? a : b, TOKENIZER, true);
                }
            } finally {
                writing.set(false);
                reader.join();
            }
            assertEquals(List.of(), wrong, "after " + reads.get() + " reads during " + replaces + " replaces");
            assertTrue(reads.get() > 0);
        }

        // What a user names stays a plain model directory, read through the link.
        assertTrue(Files.isSymbolicLink(model));
        assertEquals(Set.of(ModelDirectory.CONFIG, ModelDirectory.WEIGHTS, ModelDirectory.TOKENIZER,
                ServingContract.FILE), names(model));
    }

    /**
     * A replaced version stays for ten minutes, for readers on their way into it (dated by its modification
     * time); the next replace after that deletes it. A plain directory (written before versions) is replaced too.
     */
    @Test
    void replacedVersionsStayTenMinutes() throws Exception {
        Path model = Fixtures.copyGoldenBert(tmp.resolve("model"));
        Path versions = tmp.resolve(".model.versions");
        Path replaced;
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            DeeBertWeights a = ModelDirectory.open(model).loadWeights(manager);
            DeeBertWeights b = variant(a);
            ModelDirectory.write(model, b, TOKENIZER, true);
            ModelDirectory.write(model, a, TOKENIZER, true);
            assertEquals(3, names(versions).size(), "the plain directory, b and a");

            replaced = model.toRealPath();
            try (Stream<Path> entries = Files.list(versions)) {
                for (Path version : entries.filter(v -> !v.equals(replaced)).toList()) {
                    Files.setLastModifiedTime(version, FileTime.from(Instant.now().minus(Duration.ofMinutes(11))));
                }
            }
            ModelDirectory.write(model, b, TOKENIZER, true);
        }
        assertEquals(Set.of(model.toRealPath().getFileName().toString(), replaced.getFileName().toString()),
                names(versions), "the new version and the one it just replaced");
    }

    /** The golden weights with another final classifier bias and other label names. */
    private static DeeBertWeights variant(DeeBertWeights golden) {
        Map<String, NDArray> tensors = new LinkedHashMap<>(golden.asMap());
        String bias = TensorNames.FINAL_HEAD.classifier().bias();
        tensors.put(bias, tensors.get(bias).add(1f));
        return DeeBertWeights.of(golden.config().withLabels(List.of("x", "y", "z")), tensors);
    }

    /** A table of {@code rows} rows {doc, text}. */
    private Path input(int rows) throws IOException {
        return Files.write(tmp.resolve("input.jsonl"), IntStream.range(0, rows)
                .mapToObj(i -> "{\"doc\": \"d" + i + "\", \"text\": \"the room was clean " + i + "\"}").toList());
    }

    private static ScoreRequest request(Path model, Path input, Path out, String runId) {
        return new ScoreRequest(ModelDirectory.open(model), input, InputFormat.guess(input), "doc", "text", null, List.of(), out, 0.5,
                runId, 16, Precision.FP32, Batching.COMPACTION, 2, 24, 0.001, null, ScoreRequest.Audit.NONE,
                LongText.TRUNCATE);
    }

    private static String messages(Throwable failure) {
        List<String> messages = new ArrayList<>();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            messages.add(String.valueOf(t.getMessage()));
        }
        return String.join("\n", messages);
    }

    private static Set<String> names(Path dir) throws Exception {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }
}
