package dev.deebert.tests.analysis;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.deebert.job.InputFormat;
import dev.deebert.job.analysis.SweepJob;
import dev.deebert.job.analysis.SweepRequest;
import dev.deebert.job.score.ScoreJob;
import dev.deebert.job.score.ScoreRequest;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.LongText;
import dev.deebert.model.Batching;
import dev.deebert.model.Precision;
import dev.deebert.tests.Commands;
import dev.deebert.tests.Fixtures;
import dev.deebert.tests.RandomTexts;
import dev.deebert.tests.SparkTestSession;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A synthetic corpus labeled with the golden model's labels (neg/neu/pos), and one sweep of it shared by
 * the analysis tests of a JVM (the sweep is what they all read; running it once keeps the suite short).
 */
final class LabeledCorpus {
    static final String[] LABELS = {"neg", "neu", "pos"};
    static final int ROWS = 150;
    static final int LAYERS = 3;
    static final int MAX_SEQ_LEN = 24;
    static final int BATCH_SIZE = 8;
    static final String RUN = "base";
    /** Around the golden model's ramp entropies (near ln 3), so that every threshold exits a different share. */
    static final String SCORE_RUN = "score-1";
    static final double SCORE_THRESHOLD = 1.07;
    static final double[] THRESHOLDS = {0, 0.9, 1.0, 1.04, 1.07, 1.09, 1.2};
    private static Path root;

    private LabeledCorpus() {}

    /** Rows {id, text, label} in file order. */
    static List<Map<String, Object>> rows(int count, long seed) {
        RandomTexts texts = new RandomTexts(seed);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("doc", "doc-" + i);
            row.put("text", texts.next(30));
            row.put("label", LABELS[texts.nextInt(LABELS.length)]);
            rows.add(row);
        }
        return rows;
    }

    static Path write(Path file, List<Map<String, Object>> rows) {
        ObjectMapper json = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        try {
            for (Map<String, Object> row : rows) {
                lines.add(json.writeValueAsString(row));
            }
            Files.write(file, lines, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    static SweepRequest request(Path data, Path output, String runId, double[] thresholds, boolean measureTime) {
        return new SweepRequest(ModelDirectory.open(Fixtures.golden("bert")), data, InputFormat.guess(data), "doc", "text", "label", output,
                thresholds, runId, BATCH_SIZE, Precision.FP32, Batching.COMPACTION, MAX_SEQ_LEN, measureTime);
    }

    /** An output root holding the timed sweep {@link #RUN} of {@link #rows}(ROWS, 7), made once per JVM. */
    static synchronized Path sweptRoot() {
        if (root == null) {
            try {
                Path dir = Files.createTempDirectory("deebert-analysis");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        ModelDirectory.deleteRecursively(dir);
                    } catch (IOException e) {
                        // a leftover temp directory is harmless
                    }
                }));
                Path data = write(dir.resolve("labeled.jsonl"), rows(ROWS, 7));
                Path output = dir.resolve("out");
                new SweepJob(SparkTestSession.get()).run(request(data, output, RUN, THRESHOLDS, true));
                root = output;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return root;
    }

    /**
     * {@link #sweptRoot()} with a scoring run {@link #SCORE_RUN} of the same data added (tables predictions,
     * partition_stats and runs), as a report reads it.
     */
    static synchronized Path scoredRoot() {
        Path out = sweptRoot();
        if (!Files.exists(out.resolve("runs"))) {
            new ScoreJob(SparkTestSession.get()).run(new ScoreRequest(ModelDirectory.open(Fixtures.golden("bert")), data(),
                    InputFormat.JSON, "doc", "text", null, List.of(), out, SCORE_THRESHOLD, SCORE_RUN, 8, Precision.FP32, Batching.COMPACTION,
                    3, MAX_SEQ_LEN, 0.001, null, ScoreRequest.Audit.NONE,
                LongText.TRUNCATE));
        }
        return out;
    }

    static Path data() {
        return sweptRoot().resolveSibling("labeled.jsonl");
    }

    /** The budgets (accuracy points) {@link #calibratedRuns()} calibrates, and the one its run scores at. */
    static final String BUDGETS = "1.5,100";
    static final String BUDGET_SCORED = "1.5";
    /** The scoring runs of {@link #calibratedRuns()}: the full model, and the operating point of BUDGET_SCORED. */
    static final String FULL_RUN = "score-full";
    static final String CALIBRATED_RUN = "score-at-point";
    private static Path calibrated;

    /**
     * An output root of scoring runs, as the demo leaves one beside its sweep: the commands calibrate a copy of
     * the golden model on {@link #sweptRoot()} ({@link #BUDGETS}), then score {@link #data()} with it at S=0
     * ({@link #FULL_RUN}) and at an operating point ({@link #CALIBRATED_RUN}), at the sweep's precision and
     * length. Made once per JVM; {@link #calibratedModel()} is the model.
     */
    static synchronized Path calibratedRuns() {
        if (calibrated == null) {
            Path dir = sweptRoot().getParent();
            try {
                Path model = Fixtures.copyGoldenBert(dir.resolve("calibrated-model"));
                Path out = dir.resolve("calibrated-runs");
                // the drops as measured: at 95% confidence the golden model's 150 rows allow it no early exit
                command("calibrate", "--output", sweptRoot().toString(), "--run-id", RUN, "--model", model.toString(),
                        "--max-drop", BUDGETS, "--bootstrap", "100", "--confidence", "0.5");
                for (String[] run : List.of(new String[] {FULL_RUN, "--threshold", "0"},
                        new String[] {CALIBRATED_RUN, "--operating-point", BUDGET_SCORED})) {
                    command("score", "--model", model.toString(), "--input", data().toString(), "--id-col", "doc",
                            "--output", out.toString(), "--run-id", run[0], run[1], run[2], "--precision", "fp32",
                            "--max-seq-len", Integer.toString(MAX_SEQ_LEN), "--batch-size",
                            Integer.toString(BATCH_SIZE));
                }
                calibrated = out;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return calibrated;
    }

    static Path calibratedModel() {
        return calibratedRuns().resolveSibling("calibrated-model");
    }

    private static void command(String... args) {
        Commands.Outcome outcome = Commands.run(List.of(args));
        if (outcome.exitCode() != 0) {
            throw new IllegalStateException(String.join(" ", args) + " exited " + outcome.exitCode() + ": "
                    + outcome.err());
        }
    }

    /**
     * A root at {@code dir} holding the runs table of {@link #calibratedRuns()} with its audit made up: per run id,
     * {agreement, low, high, expected (null: none)} of {@link #ROWS} audited rows.
     */
    static Path audited(Path dir, Map<String, Double[]> audit) {
        SparkSession spark = SparkTestSession.get();
        List<Row> rows = audit.entrySet().stream().map(e -> RowFactory.create(e.getKey(), (long) ROWS,
                e.getValue()[0], e.getValue()[1], e.getValue()[2], e.getValue()[3])).toList();
        StructType schema = new StructType().add("run_id", DataTypes.StringType)
                .add("audit_rows", DataTypes.LongType).add("audit_agreement", DataTypes.DoubleType)
                .add("audit_low", DataTypes.DoubleType).add("audit_high", DataTypes.DoubleType)
                .add("audit_expected", DataTypes.DoubleType);
        spark.read().format("delta").load(calibratedRuns().resolve("runs").toString())
                .drop("audit_rows", "audit_agreement", "audit_low", "audit_high", "audit_expected")
                .join(spark.createDataFrame(rows, schema), "run_id")
                .write().format("delta").save(dir.resolve("runs").toString());
        return dir;
    }
}
