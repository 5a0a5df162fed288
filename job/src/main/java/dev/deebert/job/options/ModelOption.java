package dev.deebert.job.options;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --model}: the DeeBERT model directory a command reads. */
public final class ModelOption {
    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "DeeBERT model directory (on a cluster: a path every executor can read).")
    private Path dir;

    public Path dir() {
        return dir;
    }
}
