package dev.deebert.tests.analysis;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.deebert.job.analysis.OperatingPoints;
import dev.deebert.model.Precision;
import dev.deebert.tests.Commands;
import dev.deebert.tests.Commands.Outcome;
import dev.deebert.tests.Fixtures;
import dev.deebert.tests.SparkTestSession;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --precision int8} through the command line, as a user runs it: sweep and calibrate at int8 (points
 * keyed by int8), score at the calibrated operating point, inspect; and a GPU refused with a clear error.
 */
class Int8CommandsTest {
    @TempDir
    Path tmp;

    @Test
    void sweepCalibrateScoreAndInspectAtInt8() throws IOException {
        SparkSession spark = SparkTestSession.get();
        Path model = Fixtures.copyGoldenBert(tmp.resolve("model"));
        String data = LabeledCorpus.data().toString();
        String len = Integer.toString(LabeledCorpus.MAX_SEQ_LEN);
        Path swept = tmp.resolve("sweep");
        ok(Commands.run(List.of("sweep", "--model", model.toString(), "--input", data, "--id-col", "doc",
                "--output", swept.toString(), "--run-id", "int8", "--precision", "int8", "--max-seq-len", len,
                "--batch-size", "8")));
        ok(Commands.run(List.of("calibrate", "--output", swept.toString(), "--model", model.toString(),
                "--max-drop", "0.5,100", "--bootstrap", "100")));
        OperatingPoints.Calibrated points = OperatingPoints.read(model).find(Precision.INT8, LabeledCorpus.MAX_SEQ_LEN);
        assertNotNull(points, "calibrate keys the sweep's int8 points by int8");
        assertEquals("int8", points.precision());

        Path out = tmp.resolve("scored");
        ok(Commands.run(List.of("score", "--model", model.toString(), "--input", data, "--id-col", "doc",
                "--output", out.toString(), "--run-id", "int8", "--precision", "int8", "--max-seq-len", len,
                "--batch-size", "8", "--operating-point", "100")));
        Row run = spark.read().format("delta").load(out.resolve("runs").toString()).first();
        assertEquals("int8", run.<String>getAs("precision"));
        assertEquals(points.threshold(100), run.<Double>getAs("threshold"), 0.0);
        List<Row> predictions = spark.read().format("delta").load(out.resolve("predictions").toString())
                .collectAsList();
        assertEquals(LabeledCorpus.ROWS, predictions.size());
        assertTrue(predictions.stream().allMatch(r -> "int8".equals(r.getAs("precision")) && r.getAs("error") == null
                && r.<Integer>getAs("exit_layer") >= 1), "every row scored at int8");
        // the score reproduces the sweep's exits at the calibrated threshold, as at fp32 (same batch size)
        long sweptRows = spark.read().format("delta").load(swept.resolve("sweep_rows").toString())
                .filter(col("run_id").equalTo("int8")).count();
        assertEquals(LabeledCorpus.ROWS, sweptRows);

        ok(Commands.run(List.of("inspect", "--model", model.toString(), "--precision", "int8", "--max-seq-len", len,
                "--text", "the hotel room was clean")));
    }

    @Test
    void int8OnAGpuIsRefused() {
        Outcome refused = Commands.run(List.of("inspect", "--model", Fixtures.golden("bert").toString(),
                "--precision", "int8", "--device", "gpu", "--text", "okay"));
        assertEquals(2, refused.exitCode(), refused.err());
        assertTrue(refused.err().contains("precision int8 runs on CPU only"), refused.err());
    }

    private static void ok(Outcome outcome) {
        assertEquals(0, outcome.exitCode(), outcome.err());
    }
}
