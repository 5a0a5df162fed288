package dev.deebert.tests.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.deebert.job.DeeBertMain;
import dev.deebert.tests.Fixtures;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code DeeBertMain.main} as submit/deebert runs it, through SparkSubmit in client mode (local master), in a
 * JVM of its own: the JVM ends with the command's exit code, which the launcher's callers (cron, Airflow,
 * scripts) read: 0 after a command ran, whatever threads Spark left behind, and 2 for a bad request (a native
 * cache others may write among them, which only commands that load PyTorch check).
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

    @Test
    void aNativeCacheOthersMayWriteStopsOnlyWhatLoadsTheEngine() throws Exception {
        Path shared = Files.createDirectory(tmp.resolve("shared-cache"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        Map<String, String> env = Map.of("ENGINE_CACHE_DIR", shared.toString());
        Path help = tmp.resolve("help.log");
        assertEquals(0, main(env, help, "--help"), Launcher.tail(help));

        Path log = tmp.resolve("score.log");
        int exit = main(env, log, "score", "--model", Fixtures.golden("bert").toString(), "--input",
                JsonCorpus.write(tmp.resolve("corpus.jsonl"), 1).toString(), "--output", tmp.resolve("out").toString(),
                "--threshold", "0.5", "--precision", "fp32");
        assertEquals(2, exit, Launcher.tail(log));
        assertTrue(Files.readAllLines(log).contains("deebert score: DJL's native cache " + shared + " is writable by "
                + "other users (rwxrwxrwx), who could plant libtorch there; chmod go-w it or set DJL_CACHE_DIR to a "
                + "directory of your own"), Launcher.tail(log));
        try (Stream<Path> files = Files.list(shared)) {
            assertEquals(0, files.count(), "libtorch was extracted into the refused cache");
        }
    }

    private int main(Path log, String... args) throws IOException, InterruptedException {
        return main(Map.of(), log, args);
    }

    /**
     * SparkSubmit as submit/deebert starts it, on this JVM's classpath, with its Java 17 and DJL flags and
     * {@code env} added to the environment.
     */
    private int main(Map<String, String> env, Path log, String... args) throws IOException, InterruptedException {
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
        return Launcher.exitCode(Launcher.start(command, env, log), MINUTES, log, "the JVM");
    }
}
