package dev.deebert.tests.analysis;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.deebert.analysis.ExitTrace;
import dev.deebert.job.DeeBertMain;
import dev.deebert.job.analysis.OperatingPoints;
import dev.deebert.model.ExitPolicy;
import dev.deebert.model.ModelDirectory;
import dev.deebert.tests.Fixtures;
import dev.deebert.tests.SparkTestSession;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
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

    private static String calibrate(Path modelDir, String... extra) {
        String[] base = {"calibrate", "--sweep", root.toString(), "--model", modelDir.toString(), "--max-drop",
                Arrays.stream(BUDGETS).mapToObj(Double::toString).reduce((a, b) -> a + "," + b).orElseThrow()};
        String[] args = java.util.stream.Stream.concat(Arrays.stream(base), Arrays.stream(extra)).toArray(String[]::new);
        return Integer.toString(DeeBertMain.execute(args));
    }

    @Test
    void picksTheLargestSavingWithinEachBudgetAndWritesDeebertJson() {
        assertEquals("0", calibrate(model, "--bootstrap", "1000", "--seed", "7"));
        OperatingPoints points = OperatingPoints.read(model);
        List<Row> sweep = spark.read().format("delta").load(root.resolve("sweep").toString())
                .filter(col("run_id").equalTo(LabeledCorpus.RUN)).collectAsList();

        assertEquals(ModelDirectory.open(model).weightsSha256(), points.modelSha256());
        assertEquals(LabeledCorpus.RUN, points.sweep().runId());
        assertEquals(LabeledCorpus.ROWS, points.sweep().rows());
        assertEquals(LabeledCorpus.data().toAbsolutePath().toString(), points.sweep().dataPath());
        assertEquals(BUDGETS.length, points.points().size());
        double previousSaving = -1;
        for (double budget : BUDGETS) {
            // Independently: the largest expected saving among the sweep rows within the budget.
            double bestSaving = sweep.stream().filter(r -> r.<Double>getAs("quality_drop") <= budget + 1e-9)
                    .mapToDouble(r -> r.<Double>getAs("expected_saving")).max().orElseThrow();
            OperatingPoints.Point point = points.point(budget);
            assertEquals(bestSaving, point.expectedSaving(), 0.0, "budget " + budget);
            Row chosen = sweep.stream().filter(r -> r.<Double>getAs("threshold") == point.threshold()).findFirst()
                    .orElseThrow();
            assertEquals(chosen.<Double>getAs("expected_saving"), point.expectedSaving());
            assertEquals(chosen.<Double>getAs("quality_drop"), point.drop());
            assertEquals(chosen.<Double>getAs("accuracy"), point.accuracy());
            assertTrue(point.drop() <= budget + 1e-9);
            assertTrue(point.dropCi95()[0] <= point.drop() && point.drop() <= point.dropCi95()[1],
                    Arrays.toString(point.dropCi95()) + " around " + point.drop());
            assertEquals(point.threshold(), points.threshold(budget));
            assertTrue(point.expectedSaving() >= previousSaving, "a larger budget never saves less");
            previousSaving = point.expectedSaving();
        }
        assertTrue(points.point(0).drop() <= 0, "a zero budget allows no loss (a random model may gain)");
        assertTrue(points.point(100).expectedSaving() > 0.3, "an unlimited budget takes the largest threshold");
        assertEquals(points.point(0), points.auto());
        assertThrows(IllegalArgumentException.class, () -> points.threshold(0.25));
    }

    /** The interval agrees with a literal bootstrap that resamples the rows of sweep_rows. */
    @Test
    void dropIntervalMatchesResamplingRows() {
        assertEquals("0", calibrate(model, "--bootstrap", "2000", "--seed", "1"));
        OperatingPoints.Point point = OperatingPoints.read(model).point(100);
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
        assertEquals(100.0 * Arrays.stream(d).sum() / d.length, point.drop(), 1e-9);
    }

    /** score --operating-point / --threshold auto take the threshold calibrate wrote for this model. */
    @Test
    void scoreRunsAtTheCalibratedThreshold() {
        assertEquals("0", calibrate(model, "--bootstrap", "200"));
        OperatingPoints points = OperatingPoints.read(model);
        Path out = tmp.resolve("scored");
        for (String[] choice : List.of(new String[] {"--operating-point", "100"}, new String[] {"--threshold", "auto"})) {
            String runId = choice[0].substring(2);
            assertEquals(0, DeeBertMain.execute("score", "--model", model.toString(), "--input",
                    LabeledCorpus.data().toString(), "--id-col", "doc", "--output", out.toString(), "--max-seq-len",
                    Integer.toString(LabeledCorpus.MAX_SEQ_LEN), "--run-id", runId, choice[0], choice[1]));
        }
        List<Row> runs = spark.read().format("delta").load(out.resolve("runs").toString()).collectAsList();
        for (Row run : runs) {
            double expected = run.<String>getAs("run_id").equals("operating-point") ? points.threshold(100)
                    : points.auto().threshold();
            assertEquals(expected, run.<Double>getAs("threshold"), 0.0, run.toString());
        }
        assertEquals(2, runs.size());
        assertEquals(2, DeeBertMain.execute("score", "--model", Fixtures.golden("bert").toString(), "--input",
                LabeledCorpus.data().toString(), "--output", out.toString(), "--operating-point", "0.5"),
                "a model without deebert.json");
    }

    @Test
    void userErrors() {
        assertEquals("2", calibrate(Fixtures.golden("roberta")), "weights differ from the swept model");
        assertEquals("2", calibrate(model, "--run-id", "no-such-run"));
        assertEquals("2", calibrate(model, "--max-drop", "-1"));
        assertEquals(2, DeeBertMain.execute("calibrate", "--sweep", tmp.resolve("empty").toString(), "--model",
                model.toString()));
        assertThrows(IllegalArgumentException.class, () -> OperatingPoints.read(tmp));
    }
}
