package dev.deebert.tests.reliability;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.deebert.tests.SparkTestSession;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptReport;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deebert on a real YARN cluster (a MiniYARNCluster), submitted in cluster deploy mode as users submit it
 * ({@code submit/cluster/yarn.sh}): the driver runs in the ApplicationMaster's container, so the application's
 * final status, not an exit code, says how the command ended. A YARN that retries failed applications (2
 * attempts) runs a successful score exactly once. Run with {@code mvn -B package -pl tests -am -Dgroups=cluster}
 * (the app jar must be built).
 */
@Tag("cluster")
class YarnClusterTest {
    private static final int ROWS = 2000;
    private static final long RUN_MINUTES = 10;

    @TempDir
    static Path tmp;
    static MiniYarn yarn;
    static Path corpus;

    @BeforeAll
    static void startCluster() throws IOException, InterruptedException {
        corpus = JsonCorpus.write(tmp.resolve("corpus.jsonl"), ROWS);
        yarn = MiniYarn.start(tmp.resolve("cluster"), 8192, 2);
    }

    @AfterAll
    static void stopCluster() {
        if (yarn != null) {
            yarn.close();
        }
    }

    @Test
    void aScoreRunSucceedsInItsFirstAndOnlyAttempt() throws Exception {
        Path out = tmp.resolve("out");
        Path log = tmp.resolve("score.log");
        int exit = yarnSh(log, Launcher.scoreCorpus(corpus, out, 4, "yarn").toArray(String[]::new));
        ApplicationId app = MiniYarn.submitted(log);
        ApplicationReport report = yarn.report(app);
        List<ApplicationAttemptReport> attempts = yarn.attempts(app);

        SparkSession spark = SparkTestSession.get();
        Dataset<Row> predictions = spark.read().format("delta").load(out.resolve("predictions").toString());
        long rows = predictions.count();
        long distinct = predictions.select("id").distinct().count();
        List<Row> runs = spark.read().format("delta").load(out.resolve("runs").toString())
                .filter(col("run_id").equalTo("yarn")).collectAsList();
        // The figures of the run, for the record (surefire keeps them in the test's output file).
        System.out.printf("%s: %s, %d attempt(s), %d s, spark-submit exit %d; %d input rows, %d prediction rows, "
                + "%d distinct ids%n", app, report.getFinalApplicationStatus(), attempts.size(),
                (report.getFinishTime() - report.getStartTime()) / 1000, exit, ROWS, rows, distinct);

        assertEquals(FinalApplicationStatus.SUCCEEDED, report.getFinalApplicationStatus(), report.getDiagnostics());
        assertEquals(1, attempts.size(), "attempts");
        assertEquals(0, exit, Launcher.tail(log));
        assertEquals(ROWS, rows, "prediction rows");
        assertEquals(ROWS, distinct, "distinct ids");
        assertEquals(1, runs.size(), "runs rows");
        assertEquals("succeeded", runs.get(0).<String>getAs("status"));
    }

    @Test
    void aFailedCommandFailsTheApplicationWithItsReasonInTheDriverLog() throws Exception {
        Path missing = tmp.resolve("no-such-model");
        Path log = tmp.resolve("missing-model.log");
        int exit = yarnSh(log, "score", "--model", missing.toString(), "--input", corpus.toString(),
                "--output", tmp.resolve("missing-model-out").toString(), "--threshold", "0.5");
        ApplicationId app = MiniYarn.submitted(log);
        ApplicationReport report = yarn.report(app);
        List<ApplicationAttemptReport> attempts = yarn.attempts(app);
        System.out.printf("%s: %s, %d attempt(s), spark-submit exit %d, diagnostics: %s%n", app,
                report.getFinalApplicationStatus(), attempts.size(), exit, report.getDiagnostics());

        assertEquals(FinalApplicationStatus.FAILED, report.getFinalApplicationStatus());
        assertTrue(report.getDiagnostics().contains("User application exited with status 2"),
                report.getDiagnostics());
        assertNotEquals(0, exit, "spark-submit reports the failure to its caller");
        String driverLog = yarn.driverLog(attempts.get(0), "stderr");
        assertTrue(driverLog.contains("deebert score: " + missing + ": model directory does not exist"),
                "the reason in the driver log:\n" + driverLog);
    }

    /** Runs submit/cluster/yarn.sh against the cluster and returns its exit code. */
    private static int yarnSh(Path log, String... args) throws IOException, InterruptedException {
        Map<String, String> env = new HashMap<>(yarn.submitEnv());
        env.put("EXECUTORS", "1");
        env.put("EXECUTOR_CORES", "1");
        env.put("EXECUTOR_MEMORY", "1g");
        List<String> command = new ArrayList<>(List.of("bash",
                Launcher.ROOT.resolve("submit/cluster/yarn.sh").toString()));
        command.addAll(List.of(args));
        return Launcher.exitCode(Launcher.start(command, env, log), RUN_MINUTES, log, "spark-submit");
    }
}
