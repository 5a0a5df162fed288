package dev.deebert.tests.analysis;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.deebert.executor.ExitTrace;
import dev.deebert.job.DeeBertMain;
import dev.deebert.job.InputFormat;
import dev.deebert.job.analysis.SweepJob;
import dev.deebert.job.analysis.SweepRequest;
import dev.deebert.model.DeeBertEngine;
import dev.deebert.model.DeeBertTokenizer;
import dev.deebert.model.ExitPolicy;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Batching;
import dev.deebert.model.Precision;
import dev.deebert.model.Prediction;
import dev.deebert.model.TokenizedText;
import dev.deebert.tests.BrokenEngines;
import dev.deebert.tests.Fixtures;
import dev.deebert.tests.SparkTestSession;
import io.delta.tables.DeltaTable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** deebert sweep on real Spark, Delta and PyTorch, checked against the engine's real early exit. */
class SweepJobTest {
    @TempDir
    static Path tmp;
    static SparkSession spark;
    static Path root;

    @BeforeAll
    static void sweep() {
        spark = SparkTestSession.get();
        root = LabeledCorpus.sweptRoot();
    }

    private static Dataset<Row> table(Path at, String name) {
        return spark.read().format("delta").load(at.resolve(name).toString());
    }

    private static List<Row> sweepOf(Path at, String runId) {
        return table(at, "sweep").filter(col("run_id").equalTo(runId)).orderBy("threshold").collectAsList();
    }

    /** What DeeBertEngine.classify (real early exit, batches of 5 in file order) gives per doc and threshold. */
    private static Map<String, Prediction[]> earlyExit(List<Map<String, Object>> rows, double[] thresholds) {
        ModelDirectory model = ModelDirectory.open(Fixtures.golden("bert"));
        Map<String, Prediction[]> out = new HashMap<>();
        try (DeeBertTokenizer tokenizer = model.tokenizer(LabeledCorpus.MAX_SEQ_LEN);
             DeeBertEngine engine = DeeBertEngine.load(model, Device.cpu(), Precision.FP32)) {
            for (int t = 0; t < thresholds.length; t++) {
                ExitPolicy policy = ExitPolicy.uniform(thresholds[t], LabeledCorpus.LAYERS);
                for (int from = 0; from < rows.size(); from += 5) {
                    List<Map<String, Object>> batch = rows.subList(from, Math.min(rows.size(), from + 5));
                    List<TokenizedText> tokens = new ArrayList<>();
                    batch.forEach(r -> tokens.add(tokenizer.encode((String) r.get("text"), null)));
                    List<Prediction> predictions = engine.classify(tokens, policy);
                    for (int i = 0; i < batch.size(); i++) {
                        out.computeIfAbsent((String) batch.get(i).get("doc"), d -> new Prediction[thresholds.length])[t] =
                                predictions.get(i);
                    }
                }
            }
        }
        return out;
    }

    @Test
    void derivedExitsAndQualityMatchTheRealEarlyExitAtEveryThreshold() {
        double[] thresholds = LabeledCorpus.THRESHOLDS;
        List<Map<String, Object>> rows = LabeledCorpus.rows(LabeledCorpus.ROWS, 7);
        Map<String, Prediction[]> reference = earlyExit(rows, thresholds);
        Map<String, String> labels = new HashMap<>();
        rows.forEach(r -> labels.put((String) r.get("doc"), (String) r.get("label")));

        List<Row> traced = table(root, "sweep_rows").filter(col("run_id").equalTo(LabeledCorpus.RUN)).collectAsList();
        assertEquals(LabeledCorpus.ROWS, traced.size());
        for (Row row : traced) {
            String doc = row.getAs("id");
            ExitTrace trace = ExitTrace.of(row);
            assertEquals(Arrays.asList(LabeledCorpus.LABELS).indexOf(labels.get(doc)), row.<Integer>getAs("label_index"));
            for (int t = 0; t < thresholds.length; t++) {
                Prediction expected = reference.get(doc)[t];
                int exit = trace.exitLayer(ExitPolicy.uniform(thresholds[t], LabeledCorpus.LAYERS));
                assertEquals(expected.exitLayer(), exit, doc + " at S=" + thresholds[t]);
                assertEquals(expected.labelIndex(), trace.labelAt(exit), doc + " at S=" + thresholds[t]);
            }
        }

        List<Row> sweep = sweepOf(root, LabeledCorpus.RUN);
        assertEquals(thresholds.length, sweep.size());
        for (int t = 0; t < thresholds.length; t++) {
            Row point = sweep.get(t);
            assertEquals(thresholds[t], point.<Double>getAs("threshold"));
            long[] histogram = new long[LabeledCorpus.LAYERS];
            int right = 0;
            for (Map.Entry<String, Prediction[]> e : reference.entrySet()) {
                Prediction p = e.getValue()[t];
                histogram[p.exitLayer() - 1]++;
                right += LabeledCorpus.LABELS[p.labelIndex()].equals(labels.get(e.getKey())) ? 1 : 0;
            }
            long layers = 0;
            for (int l = 1; l <= LabeledCorpus.LAYERS; l++) {
                layers += l * histogram[l - 1];
            }
            assertArrayEquals(histogram, point.getList(point.fieldIndex("exit_histogram")).stream()
                    .mapToLong(v -> (Long) v).toArray(), "S=" + thresholds[t]);
            assertEquals((double) right / LabeledCorpus.ROWS, point.<Double>getAs("accuracy"), 1e-12);
            assertEquals(1.0 - (double) layers / (LabeledCorpus.ROWS * LabeledCorpus.LAYERS),
                    point.<Double>getAs("expected_saving"), 1e-12);
            assertNull(point.getAs("positive_f1"), "three labels: no positive class");
            assertTrue(point.<Double>getAs("measured_ms") > 0, "the fixture's sweep is timed");
        }
    }

    @Test
    void zeroIsTheReferenceAndSavingGrowsWithTheThreshold() {
        List<Row> sweep = sweepOf(root, LabeledCorpus.RUN);
        Row zero = sweep.get(0);
        assertEquals(0.0, zero.<Double>getAs("threshold"));
        assertEquals(0.0, zero.<Double>getAs("quality_drop"));
        assertEquals(0.0, zero.<Double>getAs("expected_saving"));
        assertEquals(LabeledCorpus.LAYERS, zero.<Double>getAs("mean_exit_layer"));
        assertEquals(0.0, zero.<Double>getAs("actual_saving"));
        double previous = -1;
        for (Row point : sweep) {
            double saving = point.getAs("expected_saving");
            assertTrue(saving >= previous, "saving " + saving + " after " + previous);
            previous = saving;
            assertEquals(100 * (zero.<Double>getAs("accuracy") - point.<Double>getAs("accuracy")),
                    point.<Double>getAs("quality_drop"), 1e-9);
        }
        assertTrue(previous > 0.3, "the largest threshold exits most rows early, saving " + previous);
    }

    @Test
    void layerwiseHoldsForcedQualityAndExitShares() {
        List<Row> layerwise = table(root, "layerwise").filter(col("run_id").equalTo(LabeledCorpus.RUN)).collectAsList();
        assertEquals(LabeledCorpus.THRESHOLDS.length * LabeledCorpus.LAYERS, layerwise.size());
        double fullAccuracy = sweepOf(root, LabeledCorpus.RUN).get(0).getAs("accuracy");
        Map<Double, Double> shares = new HashMap<>();
        for (Row row : layerwise) {
            shares.merge(row.getAs("threshold"), row.<Double>getAs("exit_fraction"), Double::sum);
            if (row.<Integer>getAs("layer") == LabeledCorpus.LAYERS) {
                assertEquals(fullAccuracy, row.<Double>getAs("forced_accuracy"), 1e-12, "the final head is S=0");
            }
        }
        shares.values().forEach(total -> assertEquals(1.0, total, 1e-9));
        Row forcedFirst = layerwise.stream().filter(r -> r.<Integer>getAs("layer") == 1).findFirst().orElseThrow();
        // Layer 1's ramp alone, counted independently from the traces.
        long right = table(root, "sweep_rows").filter(col("run_id").equalTo(LabeledCorpus.RUN))
                .filter(col("predicted").getItem(0).equalTo(col("label_index"))).count();
        assertEquals((double) right / LabeledCorpus.ROWS, forcedFirst.<Double>getAs("forced_accuracy"), 1e-12);
    }

    @Test
    void commandAddsTheZeroThreshold() {
        Path data = LabeledCorpus.write(tmp.resolve("small.jsonl"), LabeledCorpus.rows(40, 3));
        Path out = tmp.resolve("cli");
        assertEquals(0, DeeBertMain.execute("sweep", "--model", Fixtures.golden("bert").toString(), "--input",
                data.toString(), "--output", out.toString(), "--thresholds", "1.2,1.07", "--run-id", "cli",
                "--max-seq-len", "24", "--batch-size", "4"));
        List<Row> sweep = sweepOf(out, "cli");
        assertEquals(List.of(0.0, 1.07, 1.2), sweep.stream().map(r -> r.<Double>getAs("threshold")).toList());
        assertEquals(40, table(out, "sweep_rows").count());
        sweep.forEach(point -> assertNull(point.getAs("actual_saving"), "not timed"));
        sweep.forEach(point -> assertEquals(List.of(Fixtures.defaultPrecision().toString(), 24, 4),
                List.of(point.getAs("precision"), point.getAs("max_seq_len"), point.getAs("batch_size")),
                "how the sweep ran, auto precision by default"));
    }

    /**
     * The tables exist, as empty Delta tables, before any task writes: a sweep whose tasks all fail leaves
     * them so (a driver killed while tasks wrote would otherwise leave plain directories every rerun refuses).
     */
    @Test
    void aSweepCreatesItsTablesBeforeItsTasksRun() throws IOException {
        Path model = Fixtures.copyGoldenBert(tmp.resolve("broken"));
        Path data = LabeledCorpus.write(tmp.resolve("few.jsonl"), LabeledCorpus.rows(20, 9));
        Path out = tmp.resolve("created");
        SweepRequest request = new SweepRequest(ModelDirectory.open(model), data, InputFormat.JSON, "doc", "text", "label", out,
                new double[] {0.5}, "never-ran", LabeledCorpus.BATCH_SIZE, Precision.FP32, Batching.COMPACTION, LabeledCorpus.MAX_SEQ_LEN,
                false);
        try (BrokenEngines everyTask = BrokenEngines.forEveryTask(spark)) {
            assertThrows(Exception.class, () -> new SweepJob(spark).run(request));
        }
        for (String name : List.of("sweep", "layerwise", "sweep_rows")) {
            assertTrue(DeltaTable.isDeltaTable(spark, out.resolve(name).toString()), name);
            assertEquals(0, table(out, name).count(), name);
        }
    }

    /** Label indices as pandas writes an integer column that held a missing value: 0.0, 1.0, 2.0. */
    @Test
    void labelIndicesWrittenAsFloatsAreIndices() {
        List<Map<String, Object>> rows = LabeledCorpus.rows(12, 3);
        Map<String, Integer> expected = new HashMap<>();
        for (Map<String, Object> row : rows) {
            int index = Arrays.asList(LabeledCorpus.LABELS).indexOf((String) row.get("label"));
            expected.put((String) row.get("doc"), index);
            row.put("label", (double) index);
        }
        Path data = LabeledCorpus.write(tmp.resolve("float-labels.jsonl"), rows);
        Path out = tmp.resolve("float-labels");
        assertEquals(0, DeeBertMain.execute("sweep", "--model", Fixtures.golden("bert").toString(), "--input",
                data.toString(), "--id-col", "doc", "--output", out.toString(), "--max-seq-len", "24",
                "--run-id", "floats"));
        List<Row> traced = table(out, "sweep_rows").collectAsList();
        assertEquals(rows.size(), traced.size());
        for (Row row : traced) {
            assertEquals(expected.get(row.<String>getAs("id")), row.<Integer>getAs("label_index"));
        }
    }

    @Test
    void unknownLabelsAndMissingColumnsAreUserErrors() {
        List<Map<String, Object>> rows = LabeledCorpus.rows(10, 5);
        rows.get(3).put("label", "spam");
        Path data = LabeledCorpus.write(tmp.resolve("bad.jsonl"), rows);
        String model = Fixtures.golden("bert").toString();
        assertEquals(2, DeeBertMain.execute("sweep", "--model", model, "--input", data.toString(), "--output",
                tmp.resolve("bad").toString(), "--max-seq-len", "24"));
        assertEquals(2, DeeBertMain.execute("sweep", "--model", model, "--input", data.toString(), "--output",
                tmp.resolve("bad").toString(), "--max-seq-len", "24", "--label-col", "sentiment"));
        assertEquals(2, DeeBertMain.execute("sweep", "--model", model, "--input", data.toString(), "--output",
                tmp.resolve("bad").toString(), "--max-seq-len", "24", "--thresholds", "-1"));
    }
}
