package dev.deebert.job.analysis;

import dev.deebert.job.Sessions;
import dev.deebert.job.options.ModelOption;
import dev.deebert.job.options.OutputOptions;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code deebert calibrate}: operating points per accuracy budget from a sweep, into the model's deebert.json. */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = "Pick the threshold of largest saving that stays within each accuracy budget with --confidence,"
                + " from the sweep tables under --output; write deebert.json into the model directory the sweep ran.")
public final class CalibrateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    OutputOptions.DeltaRoot output;

    @Option(names = "--run-id", description = "Sweep run to use (default: the latest).")
    String runId;

    @Mixin
    ModelOption model;

    @Option(names = "--max-drop", split = ",", defaultValue = "0.5,2",
            description = "Budgets: accuracy points the early exit may lose against S=0 (default: ${DEFAULT-VALUE}).")
    List<Double> maxDrops;

    @Option(names = "--confidence", defaultValue = "0.95",
            description = "How sure a threshold's accuracy drop must be to stay within a budget, by the bootstrap:"
                    + " 0.5 takes the drop measured on the sweep's rows, closer to 1 is more cautious"
                    + " (default: ${DEFAULT-VALUE}).")
    double confidence;

    @Option(names = "--bootstrap", defaultValue = "1000", description = "Bootstrap resamples (default: ${DEFAULT-VALUE}).")
    int bootstrap;

    @Option(names = "--seed", defaultValue = "42", description = "Bootstrap seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        CalibrationRequest request = new CalibrationRequest(output.root(), runId, model.dir(),
                maxDrops.stream().mapToDouble(Double::doubleValue).toArray(), confidence, bootstrap, seed);
        OperatingPoints.Calibrated points = new Calibration(Sessions.getOrCreate("deebert calibrate")).run(request);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("sweep %s (%d rows, %s at %d tokens, batch %d), accuracy at S=0 %.4f%n", points.sweep().runId(),
                points.sweep().rows(), points.precision(), points.maxSeqLen(), points.batchSize(),
                points.referenceAccuracy());
        for (OperatingPoints.Point p : points.points()) {
            out.printf("max drop %.2f pts: S=%.4g, accuracy %.4f, drop %.2f pts (at most %.2f with %.3g%% confidence;"
                    + " 95%% CI %.2f..%.2f), saving %.1f%%, agreement with the full model %.1f%%%n", p.maxDrop(),
                    p.threshold(), p.accuracy(), p.drop(), p.dropBound(), 100 * p.confidence(), p.dropCi95()[0],
                    p.dropCi95()[1], 100 * p.expectedSaving(), 100 * p.agreement());
        }
        out.printf("wrote %s (score runs at %s and %d tokens use these points)%n", model.dir().resolve(OperatingPoints.FILE),
                points.precision(), points.maxSeqLen());
        out.flush();
        return 0;
    }
}
