package dev.deebert.job.analysis;

import dev.deebert.job.Sessions;
import dev.deebert.job.options.EngineOptions;
import dev.deebert.job.options.InputOptions;
import dev.deebert.job.options.ModelOption;
import dev.deebert.job.options.OutputOptions;
import dev.deebert.model.ModelDirectory;
import java.io.PrintWriter;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code deebert sweep}: quality and saving of every threshold on labeled data, from one traced pass. */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Trace labeled data through every layer once; write sweep, layerwise and sweep_rows Delta tables.")
public final class SweepCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Mixin
    InputOptions.Rows rows;

    @Mixin
    InputOptions.LabelColumn labelCol;

    @Mixin
    OutputOptions.DeltaRoot output;

    /**
     * The default thresholds of a two-label model. Entropies range up to ln C for C labels, so a model with more
     * labels gets this grid times log2(C): a fixed grid would stop at a fraction of the range, where a
     * five-label model still exits almost nothing, and calibrate could pick no more than its top.
     */
    static final double[] TWO_LABEL_GRID = {0, 0.001, 0.005, 0.01, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7};

    @Option(names = "--thresholds", split = ",", description = "Entropy thresholds S; 0 is always added (default:"
            + " 0,0.001,0.005,0.01,0.05,0.1,0.15,0.2,0.3,0.4,0.5,0.6,0.7 for two labels, times log2(labels) for"
            + " more).")
    List<Double> thresholds;

    @Option(names = "--run-id", description = "Run id; rerunning an id replaces that run's rows (default: sweep-<time>).")
    String runId;

    @Mixin
    EngineOptions.BatchSize batchSize;

    @Mixin
    EngineOptions.PrecisionOption precision;

    @Mixin
    EngineOptions.BatchingOption batching;

    @Mixin
    EngineOptions.MaxSeqLen maxSeqLen;

    @Option(names = "--measure-time",
            description = "Also run the real early exit at every threshold and time it (actual_saving).")
    boolean measureTime;

    /** {@link #TWO_LABEL_GRID} scaled to the entropy range of {@code labels} labels, to four decimals. */
    static double[] defaultThresholds(int labels) {
        double scale = Math.log(Math.max(2, labels)) / Math.log(2);
        return Arrays.stream(TWO_LABEL_GRID).map(s -> Math.round(s * scale * 1e4) / 1e4).toArray();
    }

    @Override
    public Integer call() {
        SparkSession spark = Sessions.getOrCreate("deebert sweep");
        ModelDirectory swept = ModelDirectory.open(model.dir().toAbsolutePath());
        int seqLen = maxSeqLen.of(swept);
        SweepRequest request = new SweepRequest(swept, rows.table().path(), rows.table().formatOrGuess(),
                rows.idCol(), rows.textCol(), labelCol.name(), output.root(),
                thresholds != null ? thresholds.stream().mapToDouble(Double::doubleValue).toArray()
                        : defaultThresholds(swept.config().numLabels()),
                runId != null ? runId : "sweep-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")),
                batchSize.rows(seqLen), precision.forTasksOf(spark), batching.forTasksOf(spark), seqLen,
                measureTime);
        SweepPoint[] points = new SweepJob(spark).run(request);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("sweep %s: %d rows, %s at %d tokens, batch %d%n", request.runId(), points[0].rows(),
                request.precision(), request.maxSeqLen(), request.batchSize());
        out.printf("%9s %9s %9s %9s %9s %9s%n", "S", "accuracy", "drop_pts", "saving", "mean_exit", "actual");
        for (SweepPoint p : points) {
            out.printf("%9.4g %9.4f %9.2f %8.1f%% %9.2f %9s%n", p.threshold(), p.accuracy(), p.qualityDrop(),
                    100 * p.expectedSaving(), p.meanExitLayer(),
                    p.actualSaving() == null ? "-" : String.format("%.1f%%", 100 * p.actualSaving()));
        }
        out.printf("tables: %s%n", output.root().toAbsolutePath());
        out.flush();
        return 0;
    }
}
