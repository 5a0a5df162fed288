package dev.deebert.tests.score;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.deebert.tests.Commands;
import dev.deebert.tests.Commands.Outcome;
import dev.deebert.tests.Fixtures;
import dev.deebert.tests.RandomTexts;
import dev.deebert.tests.SparkTestSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The label-free audit of a score run (--audit-fraction, --audit-min-rows) on real Spark local[2], Delta and the
 * golden 3-layer model: what it records equals a direct comparison with a full-model run (S=0) of the same rows,
 * and it samples the rows it says it does.
 */
class AuditTest {
    /** Exits the golden model's rows after layer 1 (its entropies lie just below ln 3 = 1.0986). */
    private static final String THRESHOLD = "1.09";
    private static final int ROWS = 80;

    @TempDir
    static Path tmp;
    static SparkSession spark;
    static Path input;
    static Path scored;

    @BeforeAll
    static void scoreTwice() throws IOException {
        spark = SparkTestSession.get();
        RandomTexts texts = new RandomTexts(17);
        ObjectMapper json = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            lines.add(json.writeValueAsString(Map.of("doc", "doc-" + i, "text", texts.next(12))));
        }
        input = Files.write(tmp.resolve("rows.jsonl"), lines);
        // A full-model run that audits every row (fewer than the minimum); an early-exit run that samples.
        scored = tmp.resolve("scored");
        assertEquals(0, score(scored, "full", "0", "--audit-min-rows", "500").exitCode());
        Outcome early = score(scored, "early", THRESHOLD, "--audit-fraction", "0.25", "--audit-min-rows", "10");
        assertEquals(0, early.exitCode(), early.err());
    }

    private static Outcome score(Path output, String runId, String threshold, String... audit) {
        List<String> args = new ArrayList<>(List.of("score", "--model", Fixtures.golden("bert").toString(), "--input",
                input.toString(), "--output", output.toString(), "--id-col", "doc", "--run-id", runId,
                "--threshold", threshold, "--max-seq-len", "24", "--precision", "fp32", "--partitions", "2"));
        args.addAll(List.of(audit));
        return Commands.run(args);
    }

    private static Dataset<Row> table(Path root, String name, String runId) {
        return spark.read().format("delta").load(root.resolve(name).toString()).filter(col("run_id").equalTo(runId));
    }

    private static Set<String> audited(Path root, String runId) {
        return table(root, "predictions", runId).filter(col("audit_label").isNotNull()).select("id")
                .collectAsList().stream().map(r -> r.getString(0)).collect(Collectors.toSet());
    }

    @Test
    void theAuditRecordsWhatTheFullModelSaysOfTheSameRows() {
        Map<String, String> full = table(scored, "predictions", "full").collectAsList().stream()
                .collect(Collectors.toMap(r -> r.getAs("id"), r -> r.getAs("label")));
        List<Row> audited = table(scored, "predictions", "early").filter(col("audit_label").isNotNull()).collectAsList();
        assertTrue(audited.size() >= 10, "at least --audit-min-rows: " + audited.size());
        assertTrue(audited.size() < ROWS, "a sample, not every row: " + audited.size());
        long rerun = audited.stream().filter(r -> r.<Integer>getAs("exit_layer") < 3).count();
        assertTrue(rerun > 0, "audited rows left early and ran again at full depth");
        for (Row row : audited) {
            assertEquals(full.get(row.<String>getAs("id")), row.getAs("audit_label"), "row " + row.getAs("id"));
        }
        long agreed = audited.stream().filter(r -> r.getAs("label").equals(full.get(r.<String>getAs("id")))).count();

        Row run = table(scored, "runs", "early").first();
        assertEquals((long) audited.size(), run.<Long>getAs("audit_rows"));
        assertEquals((double) agreed / audited.size(), run.<Double>getAs("audit_agreement"), 1e-12);
        double agreement = run.getAs("audit_agreement");
        assertTrue(run.<Double>getAs("audit_low") <= agreement + 1e-12 && agreement <= run.<Double>getAs("audit_high"));
        assertNull(run.getAs("audit_expected"), "a threshold given as a number promises nothing");

        // The full model agrees with itself, and its rows (all leaving after the last layer) need no second pass.
        Row fullRun = table(scored, "runs", "full").first();
        assertEquals(List.of((long) ROWS, 1.0), List.of(fullRun.getAs("audit_rows"), fullRun.getAs("audit_agreement")));
        assertEquals(0L, table(scored, "partition_stats", "full").agg(sum("audit_layers")).first().getLong(0));

        Row cost = table(scored, "partition_stats", "early").agg(sum("audit_rows"), sum("audit_agreed"),
                sum("audit_layers")).first();
        assertEquals(List.of((long) audited.size(), agreed, 3 * rerun),
                List.of(cost.getLong(0), cost.getLong(1), cost.getLong(2)));
    }

    /**
     * The draw is a hash of (run id, row id): a rerun audits the same rows, another run other rows; a minimum
     * with no fraction audits exactly that many.
     */
    @Test
    @Tag("slow")
    void aRerunAuditsTheSameRowsAndAnotherRunOthers() {
        Set<String> first = audited(scored, "early");
        assertEquals(0, score(scored, "early", THRESHOLD, "--audit-fraction", "0.25", "--audit-min-rows", "10").exitCode());
        assertEquals(first, audited(scored, "early"));
        assertEquals(0, score(scored, "ten", THRESHOLD, "--audit-fraction", "0", "--audit-min-rows", "10").exitCode());
        Set<String> ten = audited(scored, "ten");
        assertEquals(10, ten.size());
        assertNotEquals(first, ten);
        assertFalse(first.containsAll(ten), "other rows, not a subset of the first run's");
    }

    /** An incremental run owes its minimum across micro-batches: one file per micro-batch, 10 rows in all. */
    @Test
    void anIncrementalRunOwesItsMinimumAcrossMicroBatches() throws IOException {
        Path feed = Files.createDirectories(tmp.resolve("feed"));
        List<String> lines = Files.readAllLines(input);
        Files.write(feed.resolve("a.json"), lines.subList(0, 6));
        Files.write(feed.resolve("b.json"), lines.subList(6, 40));
        Path out = tmp.resolve("incremental");
        Outcome run = Commands.run(List.of("score", "--model", Fixtures.golden("bert").toString(), "--input",
                feed.toString(), "--output", out.toString(), "--id-col", "doc", "--run-id", "feed", "--threshold",
                THRESHOLD, "--max-seq-len", "24", "--precision", "fp32", "--incremental", "--checkpoint",
                tmp.resolve("checkpoint").toString(), "--max-files-per-trigger", "1", "--audit-fraction", "0",
                "--audit-min-rows", "10"));
        assertEquals(0, run.exitCode(), run.err());
        Row record = table(out, "runs", "feed").first();
        assertEquals(2L, record.<Long>getAs("batches"));
        assertEquals(10L, record.<Long>getAs("audit_rows"));
        assertEquals(10, audited(out, "feed").size());
    }

    @Test
    void auditOptionsOutOfRangeAreRefusedBeforeAnythingRuns() {
        Path out = tmp.resolve("refused");
        assertEquals(2, score(out, "bad", THRESHOLD, "--audit-fraction", "1.5").exitCode());
        assertEquals(2, score(out, "bad", THRESHOLD, "--audit-min-rows", "-1").exitCode());
        assertFalse(Files.exists(out.resolve("runs")), "no table written");
    }
}
