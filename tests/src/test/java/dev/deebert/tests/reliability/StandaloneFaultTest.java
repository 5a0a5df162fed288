package dev.deebert.tests.reliability;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.deebert.tests.SparkTestSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults on a real standalone cluster (2 workers x 1 core, executors in JVMs of their own), with the job
 * launched as users launch it ({@code submit/deebert score} against the master): whatever dies mid-run, each
 * input row ends up in {@code predictions} exactly once. Run with {@code mvn -B package -pl tests -am
 * -Dgroups=cluster} (the app jar must be built).
 */
@Tag("cluster")
class StandaloneFaultTest {
    private static final int ROWS = 4000;
    private static final int PARTITIONS = 8;
    private static final long RUN_MINUTES = 15;

    @TempDir
    static Path tmp;
    static LocalStandalone cluster;
    static Path corpus;
    static SparkSession spark;

    @BeforeAll
    static void startCluster() throws IOException, InterruptedException {
        spark = SparkTestSession.get();
        corpus = JsonCorpus.write(tmp.resolve("corpus.jsonl"), ROWS);
        cluster = LocalStandalone.start(tmp.resolve("cluster"), 2, 1, "1g");
    }

    @AfterAll
    static void stopCluster() throws IOException, InterruptedException {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void anExecutorKilledMidRunLosesNoRowAndDuplicatesNone() throws Exception {
        Path out = tmp.resolve("executor-killed");
        Path log = tmp.resolve("executor-killed.log");
        Process driver = score(out, "executor-killed", log);
        awaitFirstPredictionsFile(out, driver, log);

        List<ProcessHandle> executors = cluster.executors();
        assertFalse(executors.isEmpty(), "executors of the run");
        ProcessHandle victim = executors.get(0);
        assertTrue(victim.destroyForcibly(), "SIGKILL executor " + victim.pid());
        victim.onExit().get(1, TimeUnit.MINUTES);

        finish(driver, log);
        assertTrue(Files.readString(log).contains("Lost executor"), "the driver lost an executor mid-run:\n"
                + Launcher.tail(log));
        assertExactlyOnce(out, "executor-killed");
    }

    @Test
    void aRunWhoseDriverWasKilledMidRunIsCompletedByARerunOfItsId() throws Exception {
        Path out = tmp.resolve("driver-killed");
        Path log = tmp.resolve("driver-killed.log");
        Process driver = score(out, "driver-killed", log);
        awaitFirstPredictionsFile(out, driver, log);
        driver.destroyForcibly().waitFor();
        assertEquals("running", run(out, "driver-killed").<String>getAs("status"), "the killed run never finished");

        Path rerunLog = tmp.resolve("driver-killed-rerun.log");
        finish(score(out, "driver-killed", rerunLog), rerunLog);
        assertExactlyOnce(out, "driver-killed");
    }

    private static Process score(Path out, String runId, Path log) throws IOException {
        Map<String, String> env = new HashMap<>(cluster.submitEnv());
        env.put("DEEBERT_DRIVER_MEMORY", "1g");
        return Launcher.deebert(env, log, Launcher.scoreCorpus(corpus, out, PARTITIONS, runId).toArray(String[]::new));
    }

    /** Waits until a scoring task has written its first predictions file: the run is under way. */
    private static void awaitFirstPredictionsFile(Path out, Process driver, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(RUN_MINUTES);
        while (System.nanoTime() < deadline) {
            if (!driver.isAlive()) {
                fail("the run ended (exit " + driver.exitValue() + ") before writing predictions:\n"
                        + Launcher.tail(log));
            }
            if (Files.isDirectory(out.resolve("predictions"))) {
                try (Stream<Path> files = Files.walk(out.resolve("predictions"))) {
                    if (files.anyMatch(p -> p.getFileName().toString().endsWith(".parquet"))) {
                        return;
                    }
                }
            }
            Thread.sleep(100);
        }
        driver.destroyForcibly();
        fail("no predictions file after " + RUN_MINUTES + " minutes:\n" + Launcher.tail(log));
    }

    private static void finish(Process driver, Path log) throws InterruptedException {
        assertEquals(0, Launcher.exitCode(driver, RUN_MINUTES, log, "the run"), Launcher.tail(log));
    }

    private static void assertExactlyOnce(Path out, String runId) {
        Dataset<Row> predictions = table(out, "predictions").filter(col("run_id").equalTo(runId));
        Dataset<Row> inputIds = spark.read().json(corpus.toString()).select(col("doc").as("id"));
        long rows = predictions.count();
        long distinct = predictions.select("id").distinct().count();
        Dataset<Row> stats = table(out, "partition_stats").filter(col("run_id").equalTo(runId));
        // The figures of the fault, for the run's record (surefire keeps them in the test's output file).
        System.out.printf("%s: %d input rows, %d prediction rows, %d distinct ids, stats rows %s%n", runId, ROWS,
                rows, distinct, stats.select("partition_id", "task_attempt", "rows", "executor_id")
                        .orderBy("partition_id").collectAsList());
        assertEquals(ROWS, rows, "prediction rows");
        assertEquals(ROWS, distinct, "distinct ids");
        assertEquals(0, inputIds.except(predictions.select("id")).count(), "every input id scored");
        assertEquals(0, predictions.filter(col("error").isNotNull()).count(), "rows with an error");

        assertEquals(PARTITIONS, stats.count(), "one stats row per partition");
        assertEquals(PARTITIONS, stats.select("partition_id").distinct().count(), "each partition once");
        assertEquals(ROWS, stats.agg(sum("rows")).first().getLong(0), "rows in partition stats");

        Row run = run(out, runId);
        assertEquals("succeeded", run.<String>getAs("status"));
        assertEquals(ROWS, run.<Long>getAs("rows"));
    }

    private static Row run(Path out, String runId) {
        List<Row> runs = table(out, "runs").filter(col("run_id").equalTo(runId)).collectAsList();
        assertEquals(1, runs.size(), "runs rows of " + runId);
        return runs.get(0);
    }

    private static Dataset<Row> table(Path out, String name) {
        return spark.read().format("delta").load(out.resolve(name).toString());
    }
}
