package dev.deebert.tests.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on 127.0.0.1 started with {@code submit/cluster/local-standalone.sh}: one master
 * and N workers whose executors are JVMs of their own, so a test can kill one.
 */
final class LocalStandalone implements AutoCloseable {
    private static final Path SCRIPT = Launcher.ROOT.resolve("submit/cluster/local-standalone.sh");
    /** What users run, {@code eval "$(local-standalone.sh start ...)"}, then the variables it set, one a line. */
    private static final String EVAL_START = "exports=$(bash \"$0\" \"$@\") && eval \"$exports\""
            + " && echo \"DEEBERT_MASTER=$DEEBERT_MASTER\" && echo \"DEEBERT_SUBMIT_ARGS=$DEEBERT_SUBMIT_ARGS\"";
    private static final Pattern VARIABLE = Pattern.compile("(DEEBERT_MASTER|DEEBERT_SUBMIT_ARGS)=(.*)");

    private final Path dir;
    private final Map<String, String> submitEnv;

    private LocalStandalone(Path dir, Map<String, String> submitEnv) {
        this.dir = dir;
        this.submitEnv = submitEnv;
    }

    static LocalStandalone start(Path dir, int workers, int coresPerWorker, String memory)
            throws IOException, InterruptedException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Files.createDirectories(dir);
        Path log = dir.resolve("start.log");
        Process start = Launcher.start(List.of("bash", "-c", EVAL_START, SCRIPT.toString(), "start",
                "--workers", Integer.toString(workers), "--cores-per-worker", Integer.toString(coresPerWorker),
                "--memory", memory, "--port", Integer.toString(port)), env(dir), log);
        if (!start.waitFor(5, TimeUnit.MINUTES) || start.exitValue() != 0) {
            start.destroyForcibly();
            new LocalStandalone(dir, Map.of()).close();  // whatever daemons did come up
            throw new IllegalStateException("local-standalone.sh start failed:\n" + Launcher.tail(log));
        }
        Map<String, String> submitEnv = new LinkedHashMap<>();
        for (String line : Files.readAllLines(log)) {
            Matcher m = VARIABLE.matcher(line);
            if (m.matches()) {
                submitEnv.put(m.group(1), m.group(2));
            }
        }
        assertEquals("spark://127.0.0.1:" + port, submitEnv.get("DEEBERT_MASTER"), "start prints the master URL");
        return new LocalStandalone(dir, submitEnv);
    }

    private static Map<String, String> env(Path dir) {
        return Map.of("DEEBERT_STANDALONE_DIR", dir.toString());
    }

    /** DEEBERT_MASTER and DEEBERT_SUBMIT_ARGS: what points submit/deebert at this cluster. */
    Map<String, String> submitEnv() {
        return submitEnv;
    }

    /** The executor JVMs of this cluster's workers (their classpath lies under this cluster's directory). */
    List<ProcessHandle> executors() {
        return ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                .filter(c -> c.contains("CoarseGrainedExecutorBackend") && c.contains(dir.toString()))
                .isPresent()).toList();
    }

    /** The stderr logs of every executor this cluster has run (work dir/app/executor id/stderr). */
    List<Path> executorLogs() throws IOException {
        try (Stream<Path> files = Files.walk(dir.resolve("run"))) {
            return files.filter(p -> p.getFileName().toString().equals("stderr")).sorted().toList();
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        Process stop = Launcher.start(List.of("bash", SCRIPT.toString(), "stop"), env(dir), dir.resolve("stop.log"));
        stop.waitFor(2, TimeUnit.MINUTES);
    }
}
