package dev.deebert.job.options;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where commands write: {@code --output} is always a root of Delta tables, {@code --out} always a directory the
 * command writes whole (a model, a corpus).
 */
public final class OutputOptions {
    private OutputOptions() {}

    /** {@code --output}: score and sweep write their tables under it; calibrate and report read them there. */
    public static final class DeltaRoot {
        @Option(names = "--output", required = true, paramLabel = "ROOT",
                description = "Root directory of the Delta tables (those score and sweep write).")
        private Path root;

        public Path root() {
            return root;
        }
    }

    /** {@code --out} and {@code --force} of the commands that write a model directory. */
    public static final class ModelOut {
        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Model directory to write.")
        private Path dir;

        @Option(names = "--force", description = "Replace --out if it already exists: a model directory only, in one"
                + " atomic step.")
        private boolean force;

        public Path dir() {
            return dir;
        }

        public boolean force() {
            return force;
        }
    }
}
