package dev.deebert.tests.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.deebert.job.DeeBertMain;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.ServingContract;
import dev.deebert.tests.Fixtures;
import dev.deebert.tests.SparkTestSession;
import dev.deebert.job.train.DeeBertTrainer;
import dev.deebert.job.train.StageReport;
import dev.deebert.job.train.TrainingReport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code deebert train} end to end: Spark reads the tables, the core trains, the model directory is written. */
class TrainCommandTest {
    @TempDir
    Path temp;

    /** The resume test checks identical trajectories, not learning speed: a learning rate far from divergence. */
    private static final String[] GENTLE = {"--lr", "1e-3"};

    private String[] args(Path trainFile, Path devFile, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--model", DeeBertTrainerTest.goldenBert().toString(),
                "--train", trainFile.toString(), "--dev", devFile.toString(), "--out", out.toString(),
                "--max-seq-len", "24", "--stage2-lr", "3e-3", "--threads", "1"));
        args.addAll(List.of(extra));
        if (!args.contains("--lr")) {
            args.addAll(List.of("--lr", "3e-3"));
        }
        if (!args.contains("--epochs")) {
            args.addAll(List.of("--epochs", "2"));
        }
        return args.toArray(new String[0]);
    }

    @Test
    void interruptedRunsResumeToTheSameModelAsAnUninterruptedOne() throws Exception {
        Path trainFile = SyntheticSentiment.writeJsonl(temp.resolve("train.jsonl"), SyntheticSentiment.rows(300, 1));
        Path devFile = SyntheticSentiment.writeJsonl(temp.resolve("dev.jsonl"), SyntheticSentiment.rows(90, 2));
        Path whole = temp.resolve("whole");
        assertEquals(0, DeeBertMain.execute(args(trainFile, devFile, whole, GENTLE)));

        // 2 epochs x 38 steps of stage 1, then 50 of stage 2: stop inside stage 1, then 4 steps into stage 2
        Path resumed = temp.resolve("resumed");
        Path checkpoint = DeeBertTrainer.checkpointDir(resumed);
        assertEquals(0, DeeBertMain.execute(args(trainFile, devFile, resumed, GENTLE[0], GENTLE[1], "--checkpoint-every", "10",
                "--stop-after-steps", "25")));
        assertFalse(Files.exists(resumed));
        assertTrue(Files.isDirectory(checkpoint));
        assertEquals(2, DeeBertMain.execute(args(trainFile, devFile, resumed, GENTLE)), "a leftover checkpoint needs --resume");
        assertEquals(0, DeeBertMain.execute(args(trainFile, devFile, resumed, GENTLE[0], GENTLE[1], "--resume", "--stop-after-steps", "55")));
        assertFalse(Files.exists(resumed));
        assertEquals(0, DeeBertMain.execute(args(trainFile, devFile, resumed, GENTLE[0], GENTLE[1], "--resume")));
        assertFalse(Files.exists(checkpoint), "the checkpoint is removed once the model is written");

        ModelDirectory model = ModelDirectory.open(resumed);
        assertEquals(List.of("neg", "neu", "pos"), List.copyOf(model.config().id2label().values()));
        assertArrayEquals(Files.readAllBytes(whole.resolve(ModelDirectory.WEIGHTS)),
                Files.readAllBytes(resumed.resolve(ModelDirectory.WEIGHTS)));
        TrainingReport report = TrainingReport.read(resumed.resolve(TrainingReport.FILE));
        assertEquals(List.of(1, 2), report.stages().stream().map(StageReport::stage).toList());
        assertEquals(TrainingReport.read(whole.resolve(TrainingReport.FILE)).stages().get(1).devRamps(),
                report.stages().get(1).devRamps());
        assertTrue(report.stages().get(1).devFinal().accuracy() > DeeBertTrainerTest.WELL_ABOVE_CHANCE);
        try (Stream<Path> left = Files.walk(temp)) {
            assertEquals(List.of(), left.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("tmp-") || n.contains(".tmp") || n.endsWith(".old")).toList(),
                    "no temporary directories are left behind");
        }
    }

    /**
     * An existing --out is replaced only with --force, and only if it is a model directory: --force on a
     * directory of models deletes none of them.
     */
    @Test
    void anExistingOutIsReplacedOnlyWithForceAndOnlyIfItIsAModelDirectory() throws Exception {
        Path trainFile = SyntheticSentiment.writeJsonl(temp.resolve("train.jsonl"), SyntheticSentiment.rows(60, 7));
        Path devFile = SyntheticSentiment.writeJsonl(temp.resolve("dev.jsonl"), SyntheticSentiment.rows(30, 8));
        Path models = temp.resolve("models");
        Path out = Fixtures.copyGoldenBert(models.resolve("existing"));
        Path other = Fixtures.copyGoldenBert(models.resolve("other"));
        String before = ModelDirectory.open(out).weightsSha256();

        assertEquals(2, DeeBertMain.execute(args(trainFile, devFile, out)), "exists, and no --force");
        assertEquals(before, ModelDirectory.open(out).weightsSha256());
        assertEquals(2, DeeBertMain.execute(args(trainFile, devFile, models, "--force")), "not a model directory");
        assertEquals(before, ModelDirectory.open(out).weightsSha256());
        assertEquals(before, ModelDirectory.open(other).weightsSha256());

        assertEquals(0, DeeBertMain.execute(args(trainFile, devFile, out, "--force")));
        ModelDirectory trained = ModelDirectory.open(out);
        assertNotEquals(before, trained.weightsSha256());
        assertEquals(ServingContract.trained(24), trained.serving());
        assertTrue(Files.isRegularFile(out.resolve(TrainingReport.FILE)), "the report came with the model");
        assertEquals(before, ModelDirectory.open(other).weightsSha256());
    }

    @Test
    void integerLabelsFromCsvGiveABinaryModelWithFreshClassifiers() throws Exception {
        Path trainFile = csv(temp.resolve("train.csv"), SyntheticSentiment.rows(240, 3));
        Path devFile = csv(temp.resolve("dev.csv"), SyntheticSentiment.rows(60, 4));
        Path out = temp.resolve("binary");
        // Fresh classifiers on the small random golden backbone: after 2 epochs (60 steps) whether dev accuracy
        // has left 0.5 depends on the seed (0.5-0.975 over seeds 1-5); after 4 it is 1.0 for seeds 1, 5, 7, 11 and 42.
        assertEquals(0, DeeBertMain.execute(args(trainFile, devFile, out, "--epochs", "4")));

        ModelDirectory model = ModelDirectory.open(out);
        assertEquals(2, model.config().numLabels());
        assertEquals(List.of("0", "1"), List.copyOf(model.config().id2label().values()));
        TrainingReport report = TrainingReport.read(out.resolve(TrainingReport.FILE));
        assertEquals("1", report.positiveLabel());
        StageReport stage2 = report.stages().get(1);
        assertNotNull(stage2.devFinal().positiveF1());
        assertTrue(stage2.devFinal().accuracy() > 0.75, "binary dev accuracy " + stage2.devFinal().accuracy());
    }

    /**
     * train re-heads a backbone whose labels differ as import makes heads for given labels: a bare backbone
     * imported with the two default labels and re-headed by train for three trains to the same weights as
     * the backbone imported for those three.
     */
    @Test
    void aReHeadedBackboneTrainsAsOneImportedForItsLabels() throws Exception {
        Path trainFile = SyntheticSentiment.writeJsonl(temp.resolve("train.jsonl"), SyntheticSentiment.rows(40, 9));
        Path devFile = SyntheticSentiment.writeJsonl(temp.resolve("dev.jsonl"), SyntheticSentiment.rows(20, 10));
        String backbone = Fixtures.hf("bert-base").toString();
        List<String> trained = new ArrayList<>();
        for (String labels : new String[] {null, "neg,neu,pos"}) {
            Path imported = temp.resolve("imported-" + labels);
            List<String> importArgs = new ArrayList<>(List.of("import", "--hf", backbone, "--out", imported.toString()));
            if (labels != null) {
                importArgs.addAll(List.of("--labels", labels));
            }
            assertEquals(0, DeeBertMain.execute(importArgs.toArray(new String[0])));
            assertEquals(labels == null ? 2 : 3, ModelDirectory.open(imported).config().numLabels());
            Path out = temp.resolve("trained-" + labels);
            assertEquals(0, DeeBertMain.execute("train", "--model", imported.toString(), "--train",
                    trainFile.toString(), "--dev", devFile.toString(), "--out", out.toString(), "--max-seq-len", "16",
                    "--epochs", "1", "--threads", "1"));
            assertEquals(List.of("neg", "neu", "pos"), ModelDirectory.open(out).config().labelNames());
            trained.add(ModelDirectory.open(out).weightsSha256());
        }
        assertEquals(trained.get(0), trained.get(1));
    }

    /**
     * The model records the length it was trained at, and score, inspect and a stage 2 of its own run at it
     * unless told otherwise: rows longer than 32 tokens are cut to 32, not to the 64 the golden model's positions
     * would allow.
     */
    @Test
    void aModelTrainedAt32TokensIsServedAt32ByDefault() throws Exception {
        SparkSession spark = SparkTestSession.get();  // the suite's session, which train then leaves running
        Path trainFile = SyntheticSentiment.writeJsonl(temp.resolve("train.jsonl"), SyntheticSentiment.rows(60, 5));
        Path devFile = SyntheticSentiment.writeJsonl(temp.resolve("dev.jsonl"), SyntheticSentiment.rows(30, 6));
        Path model = temp.resolve("at32");
        assertEquals(0, DeeBertMain.execute("train", "--model", DeeBertTrainerTest.goldenBert().toString(), "--train",
                trainFile.toString(), "--dev", devFile.toString(), "--out", model.toString(), "--max-seq-len", "32",
                "--epochs", "1", "--threads", "1"));
        assertEquals(ServingContract.trained(32), ModelDirectory.open(model).serving());
        Path ramps = temp.resolve("at32-ramps");
        assertEquals(0, DeeBertMain.execute("train", "--model", model.toString(), "--train", trainFile.toString(),
                "--dev", devFile.toString(), "--out", ramps.toString(), "--stages", "2", "--threads", "1"));
        assertEquals(ServingContract.trained(32), ModelDirectory.open(ramps).serving(),
                "stage 2 alone trains the ramps at the length stage 1 trained the model at, not the preset's");

        String longText = "the food was good and the room was clean ".repeat(8);
        Path input = Files.write(temp.resolve("score.jsonl"), List.of("{\"doc\": \"long\", \"text\": \"" + longText
                + "\"}", "{\"doc\": \"short\", \"text\": \"good food\"}"));
        Path out = temp.resolve("scored");
        assertEquals(0, DeeBertMain.execute("score", "--model", model.toString(), "--input", input.toString(),
                "--id-col", "doc", "--output", out.toString(), "--run-id", "defaults", "--allow-uncalibrated"));
        assertEquals(0, DeeBertMain.execute("score", "--model", model.toString(), "--input", input.toString(),
                "--id-col", "doc", "--output", out.toString(), "--run-id", "asked", "--threshold", "0",
                "--max-seq-len", "24"));
        for (Row row : spark.read().format("delta").load(out.resolve("predictions").toString()).collectAsList()) {
            int expected = row.getAs("run_id").equals("defaults") ? 32 : 24;
            assertEquals(expected, row.<Integer>getAs("max_seq_len"), row.toString());
            assertEquals(Fixtures.defaultPrecision().toString(), row.getAs("precision"));
            assertTrue(row.<Integer>getAs("num_tokens") <= expected, row.toString());
            if (row.getAs("id").equals("long")) {
                assertEquals(expected, row.<Integer>getAs("num_tokens"), "the long row is cut there: " + row);
            }
        }
        for (Row run : spark.read().format("delta").load(out.resolve("runs").toString()).collectAsList()) {
            assertEquals(run.getAs("run_id").equals("defaults") ? 32 : 24, run.<Integer>getAs("max_seq_len"));
            assertEquals(0.0, run.<Double>getAs("threshold"), "uncalibrated: the full model");
        }

        // Precedence: the command line, the model's contract, conf/deebert.properties, the default for the model.
        Path golden = DeeBertTrainerTest.goldenBert();
        assertEquals(32, inspectedTokens(model, longText));
        assertEquals(64, inspectedTokens(golden, longText), "records nothing: 128 capped by its 64 positions");
        Path conf = Files.writeString(temp.resolve("deebert.properties"), "deebert.inspect.max-seq-len = 20\n");
        System.setProperty(DeeBertMain.DEFAULTS_PROPERTY, conf.toString());
        try {
            assertEquals(32, inspectedTokens(model, longText), "the model's contract beats conf/");
            assertEquals(20, inspectedTokens(golden, longText), "conf/ beats the default");
            assertEquals(24, inspectedTokens(model, longText, "--max-seq-len", "24"), "the command line beats all");
        } finally {
            System.clearProperty(DeeBertMain.DEFAULTS_PROPERTY);
        }
    }

    private static int inspectedTokens(Path model, String text, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("inspect", "--model", model.toString(), "--text", text));
        args.addAll(List.of(options));
        return new ObjectMapper().readTree(stdout(() -> DeeBertMain.execute(args.toArray(String[]::new))))
                .get("num_tokens").asInt();
    }

    /** What {@code command} printed on stdout; fails unless it exits 0. */
    private static String stdout(java.util.function.IntSupplier command) {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, command.getAsInt());
        } finally {
            System.setOut(stdout);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void badInputIsAOneLineUserError() throws Exception {
        Path trainFile = SyntheticSentiment.writeJsonl(temp.resolve("train.jsonl"), SyntheticSentiment.rows(30, 1));
        Path out = temp.resolve("never");
        assertEquals(2, DeeBertMain.execute(args(trainFile, trainFile, out, "--label-col", "sentiment")));
        assertEquals(2, DeeBertMain.execute(args(trainFile, trainFile, out, "--resume")));
        assertEquals(2, DeeBertMain.execute(args(trainFile, temp.resolve("missing.jsonl"), out)));
        assertFalse(Files.exists(out));
    }

    /** neg -> 0 and pos -> 1 as integers; neutral rows left out. */
    private static Path csv(Path file, List<SyntheticSentiment.Row> rows) throws Exception {
        List<String> lines = new ArrayList<>(List.of("text,label"));
        for (SyntheticSentiment.Row row : rows) {
            if (!row.label().equals("neu")) {
                lines.add("\"" + row.text() + "\"," + (row.label().equals("pos") ? 1 : 0));
            }
        }
        return Files.write(file, lines);
    }
}
