package dev.deebert.tests.ml;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.deebert.job.InputFormat;
import dev.deebert.job.analysis.OperatingPoints;
import dev.deebert.job.score.ScoreJob;
import dev.deebert.job.score.ScoreRequest;
import dev.deebert.ml.DeeBertClassifier;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.LongText;
import dev.deebert.model.Batching;
import dev.deebert.model.Precision;
import dev.deebert.tests.Fixtures;
import dev.deebert.tests.SparkTestSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark ML Pipeline stage on real Spark (local[2]), the real engine and the golden model. */
class DeeBertClassifierTest {
    private static final String[] PHRASES = {"the room was clean", "flight cancelled again and again",
        "package arrived damaged", "good value", "prices went up while the service went down"};
    private static final int ROWS = 60;
    /** Among the golden model's ramp entropies (near ln 3), so that rows leave at different layers. */
    private static final double THRESHOLD = 1.0;

    @TempDir
    static Path tmp;
    static SparkSession spark;
    static Path input;

    /** Rows of a user's table: an id, a text of 1 to 9 phrases, a gold label and a column of their own. */
    @BeforeAll
    static void writeInput() throws IOException {
        spark = SparkTestSession.get();
        input = Files.write(tmp.resolve("input.jsonl"), IntStream.range(0, ROWS).mapToObj(i -> {
            String text = IntStream.rangeClosed(0, i % 9).mapToObj(k -> PHRASES[(i + k) % PHRASES.length])
                    .collect(Collectors.joining(" "));
            return String.format("{\"doc\": \"d%d\", \"text\": \"%s\", \"label\": \"%s\", \"source\": %d}", i, text,
                    i % 2 == 0 ? "pos" : "neg", i % 3);
        }).toList());
    }

    private static DeeBertClassifier classifier() {
        return new DeeBertClassifier().setModelDir(Fixtures.golden("bert").toString()).setThreshold(THRESHOLD)
                .setMaxSeqLen(24).setBatchSize(16).setPrecision("fp32").setBatching("refill")
                .setOutputPrefix("deebert_");
    }

    @Test
    void aPipelineSavedAndLoadedScoresEveryRowAsScoreDoes() throws IOException {
        Dataset<Row> rows = spark.read().json(input.toString());
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
            new SQLTransformer().setStatement("SELECT *, length(text) AS chars FROM __THIS__"), classifier()});
        Path saved = tmp.resolve("pipeline");
        pipeline.fit(rows).write().save(saved.toString());
        Dataset<Row> scored = PipelineModel.load(saved.toString()).transform(rows);

        List<String> columns = Arrays.asList(scored.columns());
        assertEquals(List.of("doc", "label", "source", "text", "chars", "deebert_label", "deebert_label_index",
                "deebert_confidence", "deebert_probabilities", "deebert_entropy", "deebert_exit_layer",
                "deebert_num_tokens", "deebert_truncated", "deebert_error", "deebert_num_chunks",
                "deebert_layers_computed"), columns);
        assertEquals(scored.schema(), classifier().transformSchema(
                rows.selectExpr("*", "length(text) AS chars").schema()));

        Path out = tmp.resolve("score");
        new ScoreJob(spark).run(new ScoreRequest(ModelDirectory.open(Fixtures.golden("bert")), input,
                InputFormat.JSON, "doc", "text", null, List.of(), out, THRESHOLD, "score", 16, Precision.FP32,
                Batching.COMPACTION, 3, 24, 0.001, null, ScoreRequest.Audit.NONE,
                LongText.TRUNCATE));
        Map<String, Row> byScore = spark.read().format("delta").load(out.resolve("predictions").toString())
                .collectAsList().stream().collect(Collectors.toMap(r -> r.<String>getAs("id"), Function.identity()));

        List<Row> transformed = scored.collectAsList();
        assertEquals(ROWS, transformed.size());
        assertTrue(transformed.stream().map(r -> r.<Integer>getAs("deebert_exit_layer")).distinct().count() > 1,
                () -> "the threshold must exit rows at different layers for the comparison to mean something: "
                        + transformed.stream().map(r -> r.getAs("deebert_exit_layer") + "/" + r.getAs("deebert_entropy"))
                        .toList());
        for (Row row : transformed) {
            Row expected = byScore.get(row.<String>getAs("doc"));
            assertEquals(expected.<String>getAs("label"), row.getAs("deebert_label"));
            assertEquals(expected.<Integer>getAs("label_index"), row.<Integer>getAs("deebert_label_index"));
            assertEquals(expected.<Integer>getAs("exit_layer"), row.<Integer>getAs("deebert_exit_layer"));
            assertEquals(expected.<Integer>getAs("num_tokens"), row.<Integer>getAs("deebert_num_tokens"));
            assertEquals(expected.<Boolean>getAs("truncated"), row.<Boolean>getAs("deebert_truncated"));
            assertEquals(expected.<Integer>getAs("layers_computed"), row.<Integer>getAs("deebert_layers_computed"));
            assertEquals(expected.<Double>getAs("entropy"), row.<Double>getAs("deebert_entropy"), 1e-5);
            assertEquals(expected.<Float>getAs("confidence"), row.<Float>getAs("deebert_confidence"), 1e-5);
            assertNull(row.<String>getAs("deebert_error"));
            assertEquals(row.<String>getAs("text").length(), row.<Integer>getAs("chars"));
        }
    }

    @Test
    void addedColumnsNeverShadowTheInputsAndTheTextColumnMustExist() {
        Dataset<Row> rows = spark.read().json(input.toString());
        IllegalArgumentException shadow = assertThrows(IllegalArgumentException.class,
                () -> classifier().setOutputPrefix("").transform(rows));
        assertTrue(shadow.getMessage().contains("already has a column 'label'"), shadow.getMessage());
        assertTrue(shadow.getMessage().contains("outputPrefix"), shadow.getMessage());

        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> classifier().setTextCol("body").transform(rows));
        assertTrue(missing.getMessage().contains("textCol 'body' is not a column"), missing.getMessage());

        IllegalArgumentException numbers = assertThrows(IllegalArgumentException.class,
                () -> classifier().transform(rows.withColumn("text", functions.length(functions.col("text")))));
        assertTrue(numbers.getMessage().contains("textCol 'text' holds int, not text (string)"), numbers.getMessage());
    }

    @Test
    void withoutAThresholdItTakesTheCalibratedOneAndSaysHowToCalibrateWhenThereIsNone() {
        Dataset<Row> rows = spark.read().json(input.toString());
        DeeBertClassifier uncalibrated = new DeeBertClassifier().setModelDir(Fixtures.golden("bert").toString())
                .setOutputPrefix("p_");
        OperatingPoints.Uncalibrated e = assertThrows(OperatingPoints.Uncalibrated.class,
                () -> uncalibrated.transform(rows));
        assertTrue(e.getMessage().contains("deebert sweep --model"), e.getMessage());
    }
}
