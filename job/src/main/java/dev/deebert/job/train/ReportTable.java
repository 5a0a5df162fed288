package dev.deebert.job.train;

import java.io.PrintWriter;
import java.util.Locale;

/** training_report.json as a table: per stage its timing, then every exit's dev quality. */
final class ReportTable {
    private ReportTable() {}

    static void print(TrainingReport report, PrintWriter out) {
        String positive = report.positiveLabel() == null ? "" : String.format(Locale.ROOT, "  %9s",
                report.positiveLabel() + "-F1");
        for (StageReport stage : report.stages()) {
            out.printf(Locale.ROOT, "stage %d (%s): %d epochs, %d steps of %d rows, lr %.2g: %.1f s, %.1f rows/s%s%n",
                    stage.stage(), stage.mode(), stage.epochs(), stage.steps(), stage.batchSize(), stage.learningRate(),
                    stage.seconds(), stage.rowsPerSecond(), stage.cachingSeconds() == null ? ""
                            : String.format(Locale.ROOT, " (+ %.1f s caching frozen states)", stage.cachingSeconds()));
            out.printf(Locale.ROOT, "  %-10s  %8s  %8s%s%n", "dev exit", "accuracy", "macro-F1", positive);
            int layer = 1;
            for (Quality ramp : stage.devRamps()) {
                row(out, "layer " + layer++, ramp);
            }
            row(out, "final (" + layer + ")", stage.devFinal());
        }
        out.flush();
    }

    private static void row(PrintWriter out, String exit, Quality quality) {
        out.printf(Locale.ROOT, "  %-10s  %8.4f  %8.4f%s%n", exit, quality.accuracy(), quality.macroF1(),
                quality.positiveF1() == null ? "" : String.format(Locale.ROOT, "  %9.4f", quality.positiveF1()));
    }
}
