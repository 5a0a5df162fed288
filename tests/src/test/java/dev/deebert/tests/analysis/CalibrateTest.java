package dev.deebert.tests.analysis;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.deebert.executor.ExitTrace;
import dev.deebert.job.DeeBertMain;
import dev.deebert.job.analysis.OperatingPoints;
import dev.deebert.model.BatchInputs;
import dev.deebert.model.ExitPolicy;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import dev.deebert.tables.Catalog;
import dev.deebert.tests.Commands;
import dev.deebert.tests.Commands.Outcome;
import dev.deebert.tests.Fixtures;
import dev.deebert.tests.SparkTestSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** deebert calibrate against the sweep table it reads, and deebert.json read back through the public API. */
class CalibrateTest {
    private static final double[] BUDGETS = {0, 1.5, 4, 100};

    @TempDir
    static Path tmp;
    static SparkSession spark;
    static Path root;
    static Path model;

    @BeforeAll
    static void copyModel() throws IOException {
        spark = SparkTestSession.get();
        root = LabeledCorpus.sweptRoot();
        model = Fixtures.copyGoldenBert(tmp.resolve("model"));
    }

    /**
     * Entropies range up to ln C: the golden model's three labels put its rows near ln 3 = 1.10, beyond the top of
     * a grid made for two labels (0.7), where no row would exit and calibrate could only pick S=0.
     */
    @Test
    void theDefaultThresholdsSpanTheEntropiesOfAThreeLabelModel() {
        Path sweepRoot = tmp.resolve("default-grid");
        assertEquals(0, execute("sweep", "--model", model.toString(), "--input", LabeledCorpus.data().toString(),
                "--id-col", "doc", "--output", sweepRoot.toString(), "--run-id", "grid").exitCode());
        List<Row> sweep = spark.read().format("delta").load(sweepRoot.resolve("sweep").toString())
                .orderBy("threshold").collectAsList();
        assertEquals(13, sweep.size());
        assertEquals(Math.round(0.7 * Math.log(3) / Math.log(2) * 1e4) / 1e4,
                sweep.get(12).<Double>getAs("threshold"), 0.0);
        assertEquals(1 - 1.0 / LabeledCorpus.LAYERS, sweep.get(12).<Double>getAs("expected_saving"), 1e-9,
                "above ln 3 every row leaves at the first ramp");
        assertTrue(sweep.stream().anyMatch(r -> r.<Double>getAs("expected_saving") > 0
                && r.<Double>getAs("expected_saving") < 1), "thresholds inside the rows' entropy range");
    }

    private static String calibrate(Path modelDir, String... extra) {
        String[] base = {"calibrate", "--output", root.toString(), "--model", modelDir.toString(), "--max-drop",
                Arrays.stream(BUDGETS).mapToObj(Double::toString).reduce((a, b) -> a + "," + b).orElseThrow()};
        String[] args = java.util.stream.Stream.concat(Arrays.stream(base), Arrays.stream(extra)).toArray(String[]::new);
        return Integer.toString(DeeBertMain.execute(args));
    }

    /**
     * Each point's drop and the drop's upper bound at the default confidence are within its budget; the drop alone
     * would allow as much saving or more (CalibrationChoiceTest has which threshold the bound then takes).
     */
    @Test
    void picksTheLargestSavingWithinEachBudgetAndWritesDeebertJson() throws IOException {
        assertEquals("0", calibrate(model, "--bootstrap", "1000", "--seed", "7"));
        OperatingPoints file = OperatingPoints.read(model);
        OperatingPoints.Calibrated points = file.find(Precision.FP32, LabeledCorpus.MAX_SEQ_LEN);
        List<Row> sweep = spark.read().format("delta").load(root.resolve("sweep").toString())
                .filter(col("run_id").equalTo(LabeledCorpus.RUN)).collectAsList();

        assertEquals(ModelDirectory.open(model).weightsSha256(), file.modelSha256());
        assertEquals(Files.getPosixFilePermissions(model.resolve(ModelDirectory.WEIGHTS)),
                Files.getPosixFilePermissions(model.resolve(OperatingPoints.FILE)),
                "as readable as the weights, by drivers running as other users too");
        assertEquals(List.of("fp32", LabeledCorpus.MAX_SEQ_LEN, LabeledCorpus.BATCH_SIZE),
                List.of(points.precision(), points.maxSeqLen(), points.batchSize()), "how the sweep ran");
        assertEquals(LabeledCorpus.RUN, points.sweep().runId());
        assertEquals(LabeledCorpus.ROWS, points.sweep().rows());
        assertEquals(LabeledCorpus.data().toAbsolutePath().toString(), points.sweep().dataPath());
        assertEquals(BUDGETS.length, points.points().size());
        double previousSaving = -1;
        Map<Double, Double> bestByDrop = new HashMap<>();
        for (double budget : BUDGETS) {
            // Independently: the largest expected saving among the sweep rows whose drop is within the budget.
            bestByDrop.put(budget, sweep.stream().filter(r -> r.<Double>getAs("quality_drop") <= budget + 1e-9)
                    .mapToDouble(r -> r.<Double>getAs("expected_saving")).max().orElseThrow());
            OperatingPoints.Point point = points.point(budget);
            assertTrue(point.expectedSaving() <= bestByDrop.get(budget), "budget " + budget);
            Row chosen = sweep.stream().filter(r -> r.<Double>getAs("threshold") == point.threshold()).findFirst()
                    .orElseThrow();
            assertEquals(chosen.<Double>getAs("expected_saving"), point.expectedSaving());
            assertEquals(chosen.<Double>getAs("quality_drop"), point.drop());
            assertEquals(chosen.<Double>getAs("accuracy"), point.accuracy());
            assertTrue(point.drop() <= budget + 1e-9);
            assertTrue(point.dropBound() <= budget + 1e-9, point.dropBound() + " within " + budget);
            assertEquals(0.95, point.confidence(), "calibrate's default");
            assertTrue(point.dropCi95()[0] <= point.drop() && point.drop() <= point.dropCi95()[1],
                    Arrays.toString(point.dropCi95()) + " around " + point.drop());
            assertEquals(point.threshold(), points.threshold(budget));
            assertTrue(point.expectedSaving() >= previousSaving, "a larger budget never saves less");
            previousSaving = point.expectedSaving();
        }
        assertTrue(points.point(0).drop() <= 0, "a zero budget allows no loss (a random model may gain)");
        assertTrue(points.point(0).expectedSaving() < bestByDrop.get(0.0), "the golden model gains accuracy on"
                + " these 150 rows by exiting early, but not surely enough to take that threshold");
        assertTrue(points.point(100).expectedSaving() > 0.3, "an unlimited budget takes the largest threshold");
        assertEquals(points.point(0), points.auto());
        assertThrows(IllegalArgumentException.class, () -> points.threshold(0.25));
    }

    /** The interval and the bound agree with a literal bootstrap that resamples the rows of sweep_rows. */
    @Test
    void dropIntervalMatchesResamplingRows() {
        assertEquals("0", calibrate(model, "--bootstrap", "2000", "--seed", "1"));
        OperatingPoints.Point point = calibrated(model, Precision.FP32, LabeledCorpus.MAX_SEQ_LEN).point(100);
        ExitPolicy policy = ExitPolicy.uniform(point.threshold(), LabeledCorpus.LAYERS);
        int[] d = spark.read().format("delta").load(root.resolve("sweep_rows").toString())
                .filter(col("run_id").equalTo(LabeledCorpus.RUN)).collectAsList().stream().mapToInt(r -> {
                    ExitTrace trace = ExitTrace.of(r);
                    int label = r.getAs("label_index");
                    return (trace.labelAt(LabeledCorpus.LAYERS) == label ? 1 : 0)
                            - (trace.labelAt(trace.exitLayer(policy)) == label ? 1 : 0);
                }).toArray();
        Random random = new Random(99);
        double[] drops = new double[4000];
        for (int b = 0; b < drops.length; b++) {
            long sum = 0;
            for (int i = 0; i < d.length; i++) {
                sum += d[random.nextInt(d.length)];
            }
            drops[b] = 100.0 * sum / d.length;
        }
        Arrays.sort(drops);
        assertEquals(drops[(int) (0.025 * drops.length)], point.dropCi95()[0], 1.0);
        assertEquals(drops[(int) (0.975 * drops.length)], point.dropCi95()[1], 1.0);
        assertEquals(drops[(int) (0.95 * drops.length)], point.dropBound(), 1.0);
        assertEquals(100.0 * Arrays.stream(d).sum() / d.length, point.drop(), 1e-9);
    }

    private static OperatingPoints.Calibrated calibrated(Path modelDir, Precision precision, int maxSeqLen) {
        OperatingPoints.Calibrated points = OperatingPoints.read(modelDir).find(precision, maxSeqLen);
        assertNotNull(points, precision + " at " + maxSeqLen + " in " + modelDir);
        return points;
    }

    private static Outcome execute(String... args) {
        return Commands.run(List.of(args));
    }

    private static Outcome score(Path modelDir, Path out, String runId, String... options) {
        List<String> args = new ArrayList<>(List.of("score", "--model", modelDir.toString(), "--input",
                LabeledCorpus.data().toString(), "--id-col", "doc", "--keep-cols", "label", "--output", out.toString(),
                "--run-id", runId));
        args.addAll(List.of(options));
        return execute(args.toArray(String[]::new));
    }

    private static Map<String, Row> runs(Path out) {
        Map<String, Row> runs = new HashMap<>();
        spark.read().format("delta").load(out.resolve("runs").toString()).collectAsList()
                .forEach(r -> runs.put(r.getAs("run_id"), r));
        return runs;
    }

    /** score --operating-point / --threshold auto take the threshold calibrate wrote for this model. */
    @Test
    void scoreRunsAtTheCalibratedThreshold() {
        // the drops as measured: the strictest point then exits rows early, which the audit below needs
        assertEquals("0", calibrate(model, "--bootstrap", "200", "--confidence", "0.5"));
        OperatingPoints.Calibrated points = calibrated(model, Precision.FP32, LabeledCorpus.MAX_SEQ_LEN);
        Path out = tmp.resolve("scored");
        for (String[] choice : List.of(new String[] {"--operating-point", "100"}, new String[] {"--threshold", "auto"})) {
            Outcome scored = score(model, out, choice[0].substring(2), "--precision", "fp32", "--max-seq-len",
                    Integer.toString(LabeledCorpus.MAX_SEQ_LEN), choice[0], choice[1]);
            assertEquals(0, scored.exitCode(), scored.err());
        }
        Map<String, Row> runs = runs(out);
        assertEquals(2, runs.size());
        assertEquals(points.threshold(100), runs.get("operating-point").<Double>getAs("threshold"), 0.0);
        assertEquals(points.auto().threshold(), runs.get("threshold").<Double>getAs("threshold"), 0.0);
        // Scored on the calibration rows themselves, every row audited (150 < --audit-min-rows 200): the audit
        // finds exactly the agreement calibration promised, at each operating point.
        for (Map.Entry<String, OperatingPoints.Point> run : Map.of("operating-point", points.point(100),
                "threshold", points.auto()).entrySet()) {
            Row scored = runs.get(run.getKey());
            assertEquals((long) LabeledCorpus.ROWS, scored.<Long>getAs("audit_rows"));
            assertEquals(run.getValue().agreement(), scored.<Double>getAs("audit_expected"), 0.0);
            assertEquals(run.getValue().agreement(), scored.<Double>getAs("audit_agreement"), 1e-12);
        }
        assertTrue(points.auto().agreement() < 1, "the strictest point exits some rows with another label");
        assertEquals(2, DeeBertMain.execute("score", "--model", Fixtures.golden("bert").toString(), "--input",
                LabeledCorpus.data().toString(), "--output", out.toString(), "--operating-point", "0.5"),
                "a model without deebert.json");
    }

    /**
     * Points of one precision and length are never used for another: score refuses with the commands that
     * calibrate what it needs, unless told to run uncalibrated (the full model) or given a threshold.
     */
    @Test
    void scoreRefusesAnotherPrecisionOrLengthsPoints() {
        assertEquals("0", calibrate(model, "--bootstrap", "200"));
        Path out = tmp.resolve("uncalibrated");
        String len = Integer.toString(LabeledCorpus.MAX_SEQ_LEN);
        Outcome bf16 = score(model, out, "bf16", "--precision", "bf16", "--max-seq-len", len);
        assertEquals(2, bf16.exitCode(), bf16.err());
        assertTrue(bf16.err().contains("has no operating points for bf16 at " + len + " tokens (calibrated: fp32 at "
                + len + " tokens)"), bf16.err());
        String sweepRoot = OperatingPoints.read(model).calibrations().get(0).sweep().output();
        assertTrue(bf16.err().contains("calibrate with: deebert sweep --model " + model + " --input "
                + LabeledCorpus.data().toAbsolutePath() + " --output " + sweepRoot + " --precision bf16 --max-seq-len "
                + len + " && deebert calibrate --output " + sweepRoot + " --model " + model), bf16.err());
        assertEquals(1, bf16.err().strip().lines().count(), "one line: " + bf16.err());
        assertEquals(2, score(model, out, "longer", "--precision", "fp32", "--max-seq-len", "32").exitCode());
        assertEquals(2, score(model, out, "budget", "--precision", "fp32", "--max-seq-len", "32",
                "--operating-point", "100").exitCode());
        assertEquals(2, score(model, out, "both", "--threshold", "0.3", "--operating-point", "100").exitCode());
        assertFalse(Files.exists(out), "nothing written by a refused run");

        assertEquals(0, score(model, out, "allowed", "--precision", "bf16", "--max-seq-len", len,
                "--allow-uncalibrated").exitCode());
        assertEquals(0, score(model, out, "asked", "--precision", "bf16", "--max-seq-len", len, "--threshold",
                "1.07").exitCode());
        Map<String, Row> runs = runs(out);
        assertEquals(0.0, runs.get("allowed").<Double>getAs("threshold"), "uncalibrated: the full model");
        assertEquals(1.07, runs.get("asked").<Double>getAs("threshold"), "a threshold runs as asked");
        for (Row run : runs.values()) {
            assertEquals("bf16", run.getAs("precision"));
            assertEquals(LabeledCorpus.MAX_SEQ_LEN, run.<Integer>getAs("max_seq_len"));
        }
    }

    /**
     * The defaults of sweep, calibrate and score agree (auto precision, the model's length, batch 32), so a score run
     * at a swept threshold makes exactly the exit decisions the sweep derived: the same accuracy and expected
     * saving, at the calibrated threshold (the largest saving, budget 100 points) and at every other. A second
     * calibration of another precision and length is kept beside the first.
     */
    @Test
    @Tag("slow")
    void atTheDefaultsScoreReproducesTheSweepItWasCalibratedOn() throws IOException {
        Path modelDir = Fixtures.copyGoldenBert(tmp.resolve("defaults-model"));
        int length = ModelDirectory.open(modelDir).serving().maxSeqLen();
        Path sweepRoot = tmp.resolve("defaults-sweep");
        double[] swept = {0, 1.04, 1.07, 1.09};
        String thresholds = Arrays.stream(swept).mapToObj(Double::toString).collect(Collectors.joining(","));
        assertEquals(0, execute("sweep", "--model", modelDir.toString(), "--input", LabeledCorpus.data().toString(),
                "--id-col", "doc", "--output", sweepRoot.toString(), "--run-id", "defaults", "--thresholds",
                thresholds).exitCode());
        assertEquals(0, execute("calibrate", "--output", sweepRoot.toString(), "--model", modelDir.toString(),
                "--max-drop", "100", "--bootstrap", "200").exitCode());
        assertEquals(0, execute("calibrate", "--output", root.toString(), "--model", modelDir.toString(),
                "--bootstrap", "200").exitCode());
        assertEquals(2, OperatingPoints.read(modelDir).calibrations().size(), "each precision and length kept");
        OperatingPoints.Calibrated points = calibrated(modelDir, Fixtures.defaultPrecision(), length);
        assertEquals(List.of(BatchInputs.defaultBatchSize(length), 1),
                List.of(points.batchSize(), points.points().size()), "the default batch at the model's length");
        assertEquals(2, calibrated(modelDir, Precision.FP32, LabeledCorpus.MAX_SEQ_LEN).points().size(),
                "calibrate's own --max-drop default, 0.5 and 2");

        Path out = tmp.resolve("defaults-scored");
        Outcome calibratedRun = score(modelDir, out, "calibrated");
        assertEquals(0, calibratedRun.exitCode(), calibratedRun.err());
        Map<String, Double> runAt = new LinkedHashMap<>(Map.of("calibrated", points.auto().threshold()));
        for (double threshold : swept) {
            if (threshold != points.auto().threshold()) {
                runAt.put("s" + threshold, threshold);
                assertEquals(0, score(modelDir, out, "s" + threshold, "--threshold", Double.toString(threshold))
                        .exitCode());
            }
        }

        Map<String, Row> runs = runs(out);
        Map<String, Map<String, Row>> predictions = new HashMap<>();
        spark.read().format("delta").load(out.resolve("predictions").toString()).collectAsList()
                .forEach(r -> predictions.computeIfAbsent(r.getAs("run_id"), k -> new HashMap<>()).put(r.getAs("id"), r));
        List<Row> traced = spark.read().format("delta").load(sweepRoot.resolve("sweep_rows").toString()).collectAsList();
        Map<Double, Row> sweep = new HashMap<>();
        spark.read().format("delta").load(sweepRoot.resolve("sweep").toString()).collectAsList()
                .forEach(r -> sweep.put(r.getAs("threshold"), r));

        assertEquals(swept.length, runs.size());
        assertTrue(points.auto().threshold() > 0, "the calibrated run exits early");
        for (Map.Entry<String, Double> e : runAt.entrySet()) {
            Row run = runs.get(e.getKey());
            double threshold = e.getValue();
            assertEquals(threshold, run.<Double>getAs("threshold"), 0.0);
            assertEquals(List.of(Fixtures.defaultPrecision().toString(), length),
                    List.of(run.getAs("precision"), run.getAs("max_seq_len")));
            Map<String, Row> scored = predictions.get(e.getKey());
            ExitPolicy policy = ExitPolicy.uniform(threshold, LabeledCorpus.LAYERS);
            for (Row row : traced) {
                Row prediction = scored.get(row.<String>getAs("id"));
                assertEquals(ExitTrace.of(row).exitLayer(policy), prediction.<Integer>getAs("exit_layer"),
                        row.getAs("id") + " at S=" + threshold);
            }
            long right = scored.values().stream().filter(r -> r.getAs("label").equals(r.getAs("input_label"))).count();
            Row point = sweep.get(threshold);
            assertEquals(point.<Double>getAs("accuracy"), (double) right / LabeledCorpus.ROWS, 0.0, "S=" + threshold);
            assertEquals(point.<Double>getAs("expected_saving"), run.<Double>getAs("expected_saving"), 0.0,
                    "S=" + threshold);
        }
    }

    /**
     * deebert.json of format 1 did not record the precision and length it was swept at: score refuses it and
     * calibrate replaces it.
     */
    @Test
    void formatOneFilesAreNeverUsedAndCalibrateReplacesThem() throws IOException {
        Path modelDir = Fixtures.copyGoldenBert(tmp.resolve("format-1-model"));
        String sha = ModelDirectory.open(modelDir).weightsSha256();
        Files.writeString(modelDir.resolve(OperatingPoints.FILE), "{\"format\": \"deebert-operating-points/1\","
                + " \"model_sha256\": \"" + sha + "\", \"sweep\": {\"run_id\": \"old\", \"output\": \"/old\","
                + " \"data_path\": \"/old/dev.jsonl\", \"rows\": 10}, \"reference_accuracy\": 0.9,"
                + " \"operating_points\": [{\"max_drop\": 0.5, \"threshold\": 0.2, \"accuracy\": 0.9, \"drop\": 0.0,"
                + " \"drop_ci95\": [0, 0], \"bootstrap\": 10, \"seed\": 42, \"expected_saving\": 0.5}]}");
        Path out = tmp.resolve("format-1-scored");
        String len = Integer.toString(LabeledCorpus.MAX_SEQ_LEN);
        Outcome refused = score(modelDir, out, "auto", "--precision", "fp32", "--max-seq-len", len);
        assertEquals(2, refused.exitCode());
        assertTrue(refused.err().contains("predates keyed operating points"), refused.err());
        assertFalse(Files.exists(out));

        assertEquals("0", calibrate(modelDir, "--bootstrap", "200"));
        assertEquals(OperatingPoints.FORMAT, OperatingPoints.read(modelDir).format());
        assertEquals(1, OperatingPoints.read(modelDir).calibrations().size());
        assertEquals(LabeledCorpus.RUN, OperatingPoints.lookup(modelDir, sha, Precision.FP32,
                LabeledCorpus.MAX_SEQ_LEN).sweep().runId(), "what score now takes");
    }

    /**
     * A sweep table written before sweeps recorded precision, length and batch size gets those columns when
     * a sweep writes to it; its old runs cannot be calibrated (no score run is known to match them). The commands
     * are spelled as scripts of that time spelled them (sweep --data, calibrate --sweep): still accepted, with a
     * warning.
     */
    @Test
    void oldSweepTablesGetTheSettingsColumnsAndTheirRunsAreNotCalibrated() throws IOException {
        Path sweepRoot = tmp.resolve("old-sweep");
        List<String> settings = Arrays.asList(Catalog.SWEEP.addedLater().fieldNames());
        StructType oldSchema = new StructType(Arrays.stream(Catalog.SWEEP.schema().fields())
                .filter(f -> !settings.contains(f.name())).toArray(StructField[]::new));
        Dataset<Row> oldRuns = spark.read().format("delta").load(root.resolve("sweep").toString())
                .filter(col("run_id").equalTo(LabeledCorpus.RUN)).drop(settings.toArray(String[]::new))
                .withColumn("run_id", functions.lit("old"));
        spark.createDataFrame(oldRuns.collectAsList(), oldSchema).write().format("delta")
                .save(sweepRoot.resolve("sweep").toString());
        spark.read().format("delta").load(root.resolve("sweep_rows").toString())
                .filter(col("run_id").equalTo(LabeledCorpus.RUN)).withColumn("run_id", functions.lit("old"))
                .write().format("delta").partitionBy("run_id").save(sweepRoot.resolve("sweep_rows").toString());

        Path modelDir = Fixtures.copyGoldenBert(tmp.resolve("old-sweep-model"));
        Outcome old = execute("calibrate", "--sweep", sweepRoot.toString(), "--run-id", "old", "--model",
                modelDir.toString());
        assertEquals(2, old.exitCode());
        assertTrue(old.err().contains("was written before sweeps recorded their precision"), old.err());

        Outcome swept = execute("sweep", "--model", modelDir.toString(), "--data", LabeledCorpus.data().toString(),
                "--id-col", "doc", "--output", sweepRoot.toString(), "--run-id", "new", "--max-seq-len", "24",
                "--thresholds", "1.07");
        assertEquals(0, swept.exitCode(), swept.err());
        assertTrue(swept.err().contains("deebert: --data is deprecated, use --input"), swept.err());
        Map<String, List<Row>> byRun = new HashMap<>();
        spark.read().format("delta").load(sweepRoot.resolve("sweep").toString()).collectAsList()
                .forEach(r -> byRun.computeIfAbsent(r.getAs("run_id"), k -> new ArrayList<>()).add(r));
        assertEquals(LabeledCorpus.THRESHOLDS.length, byRun.get("old").size(), "the old run stays");
        byRun.get("old").forEach(r -> settings.forEach(c -> assertTrue(r.isNullAt(r.fieldIndex(c)), c)));
        byRun.get("new").forEach(r -> assertEquals(List.of(Fixtures.defaultPrecision().toString(), 24,
                BatchInputs.defaultBatchSize(24)),
                List.of(r.getAs("precision"), r.getAs("max_seq_len"), r.getAs("batch_size"))));
        assertEquals(2, execute("calibrate", "--sweep", sweepRoot.toString(), "--run-id", "old", "--model",
                modelDir.toString()).exitCode());
        Outcome calibrated = execute("calibrate", "--sweep=" + sweepRoot, "--run-id", "new", "--model",
                modelDir.toString(), "--bootstrap", "100");
        assertEquals(0, calibrated.exitCode(), calibrated.err());
        assertTrue(calibrated.err().contains("deebert: --sweep is deprecated, use --output"), calibrated.err());
        assertNotNull(OperatingPoints.read(modelDir).find(Fixtures.defaultPrecision(), 24));
    }

    @Test
    void userErrors() {
        assertEquals("2", calibrate(Fixtures.golden("roberta")), "weights differ from the swept model");
        assertEquals("2", calibrate(model, "--run-id", "no-such-run"));
        assertEquals("2", calibrate(model, "--max-drop", "-1"));
        assertEquals("2", calibrate(model, "--confidence", "0.4"), "below 0.5 the bound would lie under the drop");
        assertEquals("2", calibrate(model, "--confidence", "1"), "no finite sample makes a drop certain");
        assertEquals(2, DeeBertMain.execute("calibrate", "--output", tmp.resolve("empty").toString(), "--model",
                model.toString()));
        assertNull(OperatingPoints.read(tmp), "no deebert.json");
    }
}
