package dev.deebert.tests;

import dev.deebert.job.DeeBertMain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Runs deebert command lines in the test JVM, as spark-submit would run them, keeping what they print on stderr. */
public final class Commands {
    private Commands() {}

    /** A command's exit code and what it printed on stderr. */
    public record Outcome(int exitCode, String err) {}

    public static Outcome run(List<String> args) {
        PrintStream stderr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            return new Outcome(DeeBertMain.execute(args.toArray(String[]::new)),
                    captured.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(stderr);
        }
    }
}
