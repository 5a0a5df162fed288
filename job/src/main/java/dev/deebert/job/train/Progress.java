package dev.deebert.job.train;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of the current phase on stderr: step, loss, rows/s and ETA. On a terminal one line is rewritten
 * in place (at most every half second); otherwise (logs, CI) a plain line is printed about 20 times per phase.
 */
public final class Progress {
    private static final long TERMINAL_INTERVAL_NANOS = 500_000_000L;
    private static final int PLAIN_LINES_PER_PHASE = 20;

    private final PrintStream out;
    private final boolean terminal;
    private String phase = "";
    private int total;
    private int firstStep;
    private long startNanos;
    private long lastPrintNanos;
    private int lastBucket;
    private long rowsDone;
    private double lossSum;
    private int lossCount;
    private boolean lineOpen;

    public Progress(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    /** Prints nothing: for callers that do not want progress. */
    public static Progress silent() {
        return new Progress(new PrintStream(OutputStream.nullOutputStream()), false);
    }

    /** A new phase of {@code total} steps (or rows), of which {@code done} were completed before a resume. */
    void start(String name, int total, int done) {
        finishLine();
        this.phase = name;
        this.total = total;
        this.firstStep = done;
        this.startNanos = System.nanoTime();
        this.lastPrintNanos = 0;
        this.lastBucket = done / Math.max(1, total / PLAIN_LINES_PER_PHASE);
        this.rowsDone = 0;
        this.lossSum = 0;
        this.lossCount = 0;
        if (done > 0) {
            message(String.format(Locale.ROOT, "%s: resuming at step %d/%d", name, done, total));
        }
    }

    /** Optimizer step {@code step} (1-based) is done; {@code rows} rows went into it. */
    void step(int step, double loss, int rows) {
        rowsDone += rows;
        lossSum += loss;
        lossCount++;
        if (!due(step)) {
            return;
        }
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        int stepsHere = step - firstStep;
        double eta = stepsHere == 0 ? 0 : seconds / stepsHere * (total - step);
        print(String.format(Locale.ROOT, "%s step %d/%d  loss %.4f  %.1f rows/s  ETA %s", phase, step, total,
                lossSum / lossCount, rowsDone / Math.max(seconds, 1e-9), duration(eta)));
        lossSum = 0;
        lossCount = 0;
    }

    /** {@code done} of {@code total} rows processed in a phase without optimizer steps (caching states). */
    void rows(int done, int total) {
        if (!due(done)) {
            return;
        }
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        print(String.format(Locale.ROOT, "%s %d/%d rows  %.1f rows/s", phase, done, total,
                done / Math.max(seconds, 1e-9)));
    }

    public void message(String line) {
        finishLine();
        out.println(line);
        out.flush();
    }

    private boolean due(int done) {
        if (terminal) {
            long now = System.nanoTime();
            if (done < total && now - lastPrintNanos < TERMINAL_INTERVAL_NANOS) {
                return false;
            }
            lastPrintNanos = now;
            return true;
        }
        // rows arrive in batches, so count crossed intervals rather than exact multiples
        int bucket = done / Math.max(1, total / PLAIN_LINES_PER_PHASE);
        if (bucket > lastBucket || done == total) {
            lastBucket = bucket;
            return true;
        }
        return false;
    }

    private void print(String line) {
        if (terminal) {
            out.print("\r" + line + "\033[K");
            lineOpen = true;
        } else {
            out.println(line);
        }
        out.flush();
    }

    private void finishLine() {
        if (lineOpen) {
            out.println();
            lineOpen = false;
        }
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
