package dev.deebert.tests.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.deebert.job.DeeBertMain;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code DeeBertMain.main} as submit/deebert runs it, through SparkSubmit in client mode (local master), in a
 * JVM of its own: the JVM ends with the command's exit code, which the launcher's callers (cron, Airflow,
 * scripts) read: 0 after a command ran, whatever threads Spark left behind, and 2 for a bad request.
 * (In YARN cluster mode the application's final status carries it instead: YarnClusterTest.)
 */
class MainExitCodeTest {
    private static final long MINUTES = 3;

    @TempDir
    Path tmp;

    @Test
    void aCommandThatRanExitsWithZero() throws Exception {
        Path log = tmp.resolve("report.log");
        // A command with a Spark session that it leaves open, as every Spark command does, and little to do.
        int exit = main(log, "report", "--output", Files.createDirectories(tmp.resolve("empty")).toString(),
                "--export", tmp.resolve("export").toString());
        assertEquals(0, exit, Launcher.tail(log));
        assertTrue(Files.readString(log).contains("exported"), Launcher.tail(log));
    }

    @Test
    void aBadRequestExitsWithTwo() throws Exception {
        Path log = tmp.resolve("missing-model.log");
        Path missing = tmp.resolve("no-such-model");
        int exit = main(log, "score", "--model", missing.toString(), "--input",
                JsonCorpus.write(tmp.resolve("corpus.jsonl"), 1).toString(),
                "--output", tmp.resolve("out").toString(), "--threshold", "0.5");
        assertEquals(2, exit, Launcher.tail(log));
        assertTrue(Files.readString(log).contains("deebert score: " + missing + ": model directory does not exist"),
                Launcher.tail(log));
    }

    /** SparkSubmit as submit/deebert starts it, on this JVM's classpath, with its Java 17 and DJL flags. */
    private int main(Path log, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx1g"));
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("-Djdk.reflect") || a.startsWith("-Dai.djl"))
                .forEach(command::add);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.apache.spark.deploy.SparkSubmit",
                "--master", "local[1]", "--properties-file", Launcher.ROOT.resolve("conf/spark-local.conf").toString(),
                "--conf", "spark.ui.enabled=false", "--conf", "spark.sql.warehouse.dir=" + tmp.resolve("warehouse"),
                "--class", DeeBertMain.class.getName(), "spark-internal"));
        command.addAll(List.of(args));
        Process process = Launcher.start(command, Map.of(), log);
        if (!process.waitFor(MINUTES, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            fail("the JVM did not end in " + MINUTES + " minutes:\n" + Launcher.tail(log));
        }
        return process.exitValue();
    }
}
