package dev.deebert.tests.reliability;

import static org.junit.jupiter.api.Assertions.fail;

import dev.deebert.tests.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The repository's launch scripts, run as the user runs them: separate processes, output to a log file. */
final class Launcher {
    /** The repository root (surefire runs in the tests module). */
    static final Path ROOT = findRoot();

    private Launcher() {}

    private static Path findRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("submit/deebert"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no submit/deebert above " + Path.of("").toAbsolutePath());
    }

    /** Starts {@code submit/deebert args...} with {@code env} added; stdout and stderr go to {@code log}. */
    static Process deebert(Map<String, String> env, Path log, String... args) throws IOException {
        Path jar = ROOT.resolve("job/target/deebert-spark-app.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: run these tests with mvn package, not mvn test");
        }
        List<String> command = new ArrayList<>(List.of("bash", ROOT.resolve("submit/deebert").toString()));
        command.addAll(List.of(args));
        return start(command, env, log);
    }

    static Process start(List<String> command, Map<String, String> env, Path log) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        return builder.start();
    }

    /** Waits for {@code process} ({@code what}, in the failure) at most {@code minutes}; returns its exit code. */
    static int exitCode(Process process, long minutes, Path log, String what) throws InterruptedException {
        if (!process.waitFor(minutes, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            fail(what + " did not finish in " + minutes + " minutes:\n" + tail(log));
        }
        return process.exitValue();
    }

    /**
     * The arguments of a score run of the golden BERT model over a {@link JsonCorpus}, in small batches and
     * {@code partitions} tasks, as the cluster tests submit it.
     */
    static List<String> scoreCorpus(Path corpus, Path out, int partitions, String runId) {
        return List.of("score", "--model", Fixtures.golden("bert").toString(), "--input", corpus.toString(),
                "--id-col", "doc", "--output", out.toString(), "--threshold", "0.5", "--max-seq-len", "24",
                "--batch-size", "8", "--partitions", Integer.toString(partitions), "--run-id", runId);
    }

    /** The last lines of a log, for assertion messages. */
    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }
}
