package dev.deebert.tests.score;

import static org.apache.spark.sql.functions.sum;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.deebert.job.DeeBertMain;
import dev.deebert.job.InputFormat;
import dev.deebert.job.score.ScoreJob;
import dev.deebert.job.score.ScoreRequest;
import dev.deebert.ml.DeeBertClassifier;
import dev.deebert.model.Batching;
import dev.deebert.model.ChunkAggregate;
import dev.deebert.model.DeeBertEngine;
import dev.deebert.model.DeeBertTokenizer;
import dev.deebert.model.ExitPolicy;
import dev.deebert.model.LongText;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import dev.deebert.model.Prediction;
import dev.deebert.model.TokenizedText;
import dev.deebert.tests.Fixtures;
import dev.deebert.tests.RandomTexts;
import dev.deebert.tests.SparkTestSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --long-text chunk} end to end (real Spark local[2], Delta, the golden model and its tokenizer): texts
 * of many chunks among short ones, chunks of 16 tokens overlapping by 4, at most 5 per row. One score run (mean,
 * every row audited) writes the tables; the ML stage, which runs the same executor code without writing, gives the other
 * predictions (max-confidence, truncation), so that the class costs one run.
 */
class LongTextTest {
    private static final int MAX_SEQ_LEN = 16;
    private static final int OVERLAP = 4;
    private static final int MAX_CHUNKS = 5;
    /** Among the golden model's ramp entropies (near ln 3), so that chunks leave at different layers. */
    private static final double THRESHOLD = 1.0;
    private static final int LAYERS = 3;

    @TempDir
    static Path tmp;
    static SparkSession spark;
    static ModelDirectory model;
    static Path input;
    static Map<String, String> texts = new LinkedHashMap<>();
    /** Predictions by how long texts were scored (truncate, mean, max-confidence), each by id. */
    static Map<String, Map<String, Row>> predictions = new LinkedHashMap<>();

    /**
     * Short texts (one chunk), long ones (2 to 5 chunks) and some longer than 5 chunks hold, shuffled so that
     * chunks of several rows share batches of 4; scored with each aggregate and with truncation.
     */
    @BeforeAll
    static void scoreEveryWay() throws IOException {
        spark = SparkTestSession.get();
        model = ModelDirectory.open(Fixtures.golden("bert"));
        RandomTexts random = new RandomTexts(5);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            String text = switch (i % 3) {
                case 0 -> random.next(8);
                case 1 -> random.next(10) + " " + random.next(40);
                default -> random.next(40) + " " + random.next(40) + " " + random.next(40);
            };
            texts.put("d" + i, text);
            lines.add("{\"doc\": \"d" + i + "\", \"text\": \"" + text + "\"}");
        }
        input = Files.write(tmp.resolve("input.jsonl"), lines);
        new ScoreJob(spark).run(request("chunks", LongText.chunk(OVERLAP, MAX_CHUNKS, ChunkAggregate.MEAN), null));
        predictions.put("mean", byId(table("predictions")));
        predictions.put("max-confidence", byId(classifier().setLongText("chunk").setChunkOverlap(OVERLAP)
                .setMaxChunks(MAX_CHUNKS).setChunkAggregate("max-confidence").transform(rows())));
        predictions.put("truncate", byId(classifier().transform(rows())));
    }

    /** The ML stage at the score run's settings, its added columns named as the predictions' (the input has none). */
    private static DeeBertClassifier classifier() {
        return new DeeBertClassifier().setModelDir(model.dir().toString()).setThreshold(THRESHOLD)
                .setMaxSeqLen(MAX_SEQ_LEN).setBatchSize(4).setPrecision("fp32").setBatching("compaction");
    }

    private static Dataset<Row> rows() {
        return spark.read().json(input.toString()).withColumnRenamed("doc", "id");
    }

    private static Map<String, Row> byId(Dataset<Row> scored) {
        return scored.collectAsList().stream().collect(Collectors.toMap(r -> r.<String>getAs("id"),
                Function.identity()));
    }

    private static ScoreRequest request(String run, LongText longText, String textBCol) {
        return new ScoreRequest(model, input, InputFormat.JSON, "doc", "text", textBCol, List.of(), tmp.resolve("out"),
                THRESHOLD, run, 4, Precision.FP32, Batching.COMPACTION, 2, MAX_SEQ_LEN, 0.001, null,
                new ScoreRequest.Audit(1, 0, null), longText);
    }

    private static Dataset<Row> table(String name) {
        return spark.read().format("delta").load(tmp.resolve("out").resolve(name).toString());
    }

    /**
     * The test's requirement: every row's prediction is the aggregate, computed here by hand, of its chunks
     * each scored alone by the engine; so is its audit label, of the chunks at full depth. The chunks are checked against the text's whole tokenization: each a
     * full sequence with [CLS] and [SEP], sharing {@link #OVERLAP} tokens with the one before, together the
     * text (up to {@link #MAX_CHUNKS}).
     */
    @Test
    void chunkedScoringOfALongTextEqualsTheAggregateOfItsChunksScoredOneByOne() {
        Path tokenizerJson = model.dir().resolve(ModelDirectory.TOKENIZER);
        List<Integer> exits = new ArrayList<>();
        try (DeeBertEngine engine = DeeBertEngine.load(model, Device.cpu(), Precision.FP32);
             DeeBertTokenizer chunker = model.tokenizer(MAX_SEQ_LEN);
             DeeBertTokenizer whole = DeeBertTokenizer.load(tokenizerJson, 100_000)) {
            for (Map.Entry<String, String> text : texts.entrySet()) {
                List<TokenizedText> chunks = chunker.chunks(text.getValue(), OVERLAP, MAX_CHUNKS);
                long[] all = whole.encode(text.getValue(), null).ids();
                boolean truncated = checkChunksCover(all, chunks);
                List<Prediction> alone = chunks.stream()
                        .map(c -> engine.classify(List.of(c), ExitPolicy.uniform(THRESHOLD, LAYERS)).get(0)).toList();
                alone.forEach(p -> exits.add(p.exitLayer()));
                List<Prediction> fullDepth = chunks.stream()
                        .map(c -> engine.classify(List.of(c), ExitPolicy.uniform(0, LAYERS)).get(0)).toList();
                Row audited = predictions.get("mean").get(text.getKey());
                assertEquals(model.config().labelNames().get(argmax(mean(fullDepth))),
                        audited.<String>getAs("audit_label"), audited.toString());
                for (ChunkAggregate aggregate : ChunkAggregate.values()) {
                    Row row = predictions.get(aggregate.toString()).get(text.getKey());
                    String what = aggregate + " " + text.getKey() + ": " + row;
                    float[] expected = aggregate == ChunkAggregate.MEAN ? mean(alone) : mostConfident(alone);
                    int label = argmax(expected);
                    Prediction decider = alone.stream().reduce((a, b) ->
                            b.probabilities()[label] > a.probabilities()[label] ? b : a).orElseThrow();
                    assertArrayEquals(expected, floats(row), 1e-5f, what);
                    assertEquals(label, row.<Integer>getAs("label_index"), what);
                    assertEquals(expected[label], row.<Float>getAs("confidence"), 1e-5f, what);
                    assertEquals(decider.exitLayer(), row.<Integer>getAs("exit_layer"), what);
                    assertEquals(decider.entropy(), row.<Double>getAs("entropy"), 1e-5, what);
                    assertEquals(chunks.size(), row.<Integer>getAs("num_chunks"), what);
                    assertEquals(alone.stream().mapToInt(Prediction::layersComputed).sum(),
                            row.<Integer>getAs("layers_computed"), what);
                    assertEquals(chunks.stream().mapToInt(TokenizedText::numTokens).sum(),
                            row.<Integer>getAs("num_tokens"), what);
                    assertEquals(truncated, row.<Boolean>getAs("truncated"), what);
                }
            }
        }
        Map<Integer, Long> byChunks = predictions.get("mean").values().stream()
                .collect(Collectors.groupingBy(r -> r.<Integer>getAs("num_chunks"), Collectors.counting()));
        assertTrue(byChunks.containsKey(1) && byChunks.containsKey(MAX_CHUNKS) && byChunks.size() > 2,
                "rows of one, several and the most chunks: " + byChunks);
        assertTrue(predictions.get("mean").values().stream().anyMatch(r -> r.<Boolean>getAs("truncated")));
        assertTrue(exits.stream().distinct().count() > 1, "chunks must leave at different layers: " + exits);
    }

    /**
     * Whether the chunks leave part of {@code all} (a text's ids, uncut) unscored; fails unless they are
     * consecutive slices of it, each within [CLS] and [SEP] and overlapping the one before by OVERLAP tokens.
     */
    private static boolean checkChunksCover(long[] all, List<TokenizedText> chunks) {
        long[] body = Arrays.copyOfRange(all, 1, all.length - 1);
        int step = MAX_SEQ_LEN - 2 - OVERLAP;
        for (int k = 0; k < chunks.size(); k++) {
            long[] ids = chunks.get(k).ids();
            assertEquals(all[0], ids[0], "[CLS] first");
            assertEquals(all[all.length - 1], ids[ids.length - 1], "[SEP] last");
            assertTrue(ids.length <= MAX_SEQ_LEN);
            int from = k * step;
            assertArrayEquals(Arrays.copyOfRange(body, from, Math.min(body.length, from + MAX_SEQ_LEN - 2)),
                    Arrays.copyOfRange(ids, 1, ids.length - 1), "chunk " + k);
        }
        int scored = (chunks.size() - 1) * step + chunks.get(chunks.size() - 1).numTokens() - 2;
        assertTrue(chunks.size() <= MAX_CHUNKS);
        boolean truncated = scored < body.length;
        assertEquals(truncated, chunks.get(0).truncated());
        return truncated;
    }

    /** A text that fits one chunk gets exactly what truncation gives it, under both aggregates. */
    @Test
    void aShortTextGetsTheSamePredictionWithChunksAsWithTruncation() {
        Map<String, Row> truncate = predictions.get("truncate");
        int short_ = 0;
        for (String aggregate : List.of("mean", "max-confidence")) {
            for (Row chunked : predictions.get(aggregate).values()) {
                if (chunked.<Integer>getAs("num_chunks") != 1) {
                    continue;
                }
                short_++;
                Row cut = truncate.get(chunked.<String>getAs("id"));
                String what = aggregate + ": " + chunked + " vs " + cut;
                assertFalse(cut.<Boolean>getAs("truncated"), what);
                for (String column : List.of("label", "label_index", "exit_layer", "num_tokens", "truncated",
                        "num_chunks", "layers_computed")) {
                    assertEquals(cut.<Object>getAs(column), chunked.getAs(column), column + " " + what);
                }
                assertArrayEquals(floats(cut), floats(chunked), 1e-6f, what);
                assertEquals(cut.<Double>getAs("entropy"), chunked.<Double>getAs("entropy"), 1e-6, what);
            }
        }
        assertTrue(short_ >= 20, "short texts: " + short_);
    }

    /**
     * Every chunk counts: a row's layers_computed sums its chunks', partition_stats' layers_full is chunks x N
     * and its expected saving follows, and the run's saving is the stats'.
     */
    @Test
    void chunkCountsLayersAndPartitionStatsAddUp() {
        Row rows = table("predictions").agg(sum("num_chunks"), sum("layers_computed"), sum("num_tokens")).first();
        List<Row> stats = table("partition_stats").collectAsList();
        long computed = stats.stream().mapToLong(s -> s.<Long>getAs("layers_computed")).sum();
        long full = stats.stream().mapToLong(s -> s.<Long>getAs("layers_full")).sum();
        assertEquals(rows.getLong(1), computed);
        assertEquals(rows.getLong(0) * LAYERS, full);
        assertEquals(rows.getLong(2), stats.stream().mapToLong(s -> s.<Long>getAs("tokens")).sum());
        assertEquals(texts.size(), stats.stream().mapToLong(s -> s.<Long>getAs("rows")).sum());
        for (Row partition : stats) {
            assertEquals(1 - (double) partition.<Long>getAs("layers_computed") / partition.<Long>getAs("layers_full"),
                    partition.<Double>getAs("expected_saving"), 1e-12);
            assertEquals(partition.<Long>getAs("rows"), partition.getList(partition.fieldIndex("exit_histogram"))
                    .stream().mapToLong(n -> (Long) n).sum(), "the histogram counts rows, by the deciding chunk");
        }
        Row run = table("runs").first();
        assertEquals(1 - (double) computed / full, run.<Double>getAs("expected_saving"), 1e-12);
        assertEquals(texts.size(), run.<Long>getAs("audit_rows"), "the audit counts rows");
        assertTrue(run.<String>getAs("config").contains("\"long_text\":\"chunk\",\"chunk_overlap\":4,"
                + "\"max_chunks\":5,\"chunk_aggregate\":\"mean\""), run.<String>getAs("config"));
    }

    /** Chunk options that cannot run are refused on the driver with exit code 2, before anything is written. */
    @Test
    void badChunkOptionsFailOnTheDriverWithExitCode2() {
        String[] base = {"score", "--model", model.dir().toString(), "--input", input.toString(), "--output",
            tmp.resolve("bad").toString(), "--threshold", "0.5", "--max-seq-len", "" + MAX_SEQ_LEN};
        for (String[] bad : List.of(
                new String[] {"--long-text", "chunk", "--chunk-overlap", "14"},
                new String[] {"--long-text", "chunk", "--chunk-overlap", "-1"},
                new String[] {"--long-text", "chunk", "--max-chunks", "0"},
                new String[] {"--long-text", "chunk", "--chunk-aggregate", "median"},
                new String[] {"--long-text", "window"},
                new String[] {"--long-text", "chunk", "--text-b-col", "text"},
                new String[] {"--chunk-overlap", "2"},
                new String[] {"--long-text", "truncate", "--max-chunks", "3"})) {
            String[] args = IntStream.range(0, base.length + bad.length)
                    .mapToObj(i -> i < base.length ? base[i] : bad[i - base.length]).toArray(String[]::new);
            assertEquals(2, DeeBertMain.execute(args), String.join(" ", bad));
        }
        assertFalse(Files.exists(tmp.resolve("bad")), "nothing written by a rejected run");

        IllegalArgumentException overlap = assertThrows(IllegalArgumentException.class, () -> new ScoreJob(spark)
                .run(request("x", LongText.chunk(14, MAX_CHUNKS, ChunkAggregate.MEAN), null)));
        assertEquals("--chunk-overlap must be less than the 14 text tokens a chunk holds (--max-seq-len 16 less 2"
                + " special tokens), got 14", overlap.getMessage());
        IllegalArgumentException pairs = assertThrows(IllegalArgumentException.class,
                () -> request("x", LongText.chunk(0, MAX_CHUNKS, ChunkAggregate.MEAN), "text"));
        assertTrue(pairs.getMessage().contains("--long-text chunk splits single texts"), pairs.getMessage());
        IllegalArgumentException stage = assertThrows(IllegalArgumentException.class, () -> new DeeBertClassifier()
                .setModelDir(model.dir().toString()).setThreshold(THRESHOLD).setMaxSeqLen(MAX_SEQ_LEN)
                .setLongText("chunk").setChunkOverlap(14).setOutputPrefix("p_")
                .transform(spark.read().json(input.toString())));
        assertEquals(overlap.getMessage(), stage.getMessage());
    }

    private static float[] mean(List<Prediction> chunks) {
        float[] mean = new float[chunks.get(0).probabilities().length];
        for (int c = 0; c < mean.length; c++) {
            double total = 0;
            for (Prediction chunk : chunks) {
                total += chunk.probabilities()[c];
            }
            mean[c] = (float) (total / chunks.size());
        }
        return mean;
    }

    private static float[] mostConfident(List<Prediction> chunks) {
        return chunks.stream().reduce((a, b) -> max(b) > max(a) ? b : a).orElseThrow().probabilities();
    }

    private static float max(Prediction p) {
        float max = 0;
        for (float x : p.probabilities()) {
            max = Math.max(max, x);
        }
        return max;
    }

    private static int argmax(float[] p) {
        int best = 0;
        for (int c = 1; c < p.length; c++) {
            if (p[c] > p[best]) {
                best = c;
            }
        }
        return best;
    }

    private static float[] floats(Row row) {
        List<Float> list = row.getList(row.fieldIndex("probabilities"));
        float[] out = new float[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = list.get(i);
        }
        return out;
    }
}
