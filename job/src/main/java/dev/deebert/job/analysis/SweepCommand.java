package dev.deebert.job.analysis;

import dev.deebert.job.InputFormat;
import dev.deebert.job.MaxSeqLen;
import dev.deebert.job.Sessions;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code deebert sweep}: quality and saving of every threshold on labeled data, from one traced pass. */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Trace labeled data through every layer once; write sweep, layerwise and sweep_rows Delta tables.")
public final class SweepCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "DeeBERT model directory (readable by every executor).")
    Path model;

    @Option(names = "--data", required = true, description = "Labeled table: file or directory.")
    Path data;

    @Option(names = "--format", description = "parquet, delta, json, csv or text (default: from the path).")
    String format;

    @Option(names = "--id-col", description = "Column of row ids (default: rows are numbered).")
    String idCol;

    @Option(names = "--text-col", defaultValue = "text", description = "Text column (default: ${DEFAULT-VALUE}).")
    String textCol;

    @Option(names = "--label-col", defaultValue = "label",
            description = "Label column: label names or indices (default: ${DEFAULT-VALUE}).")
    String labelCol;

    @Option(names = "--output", required = true, description = "Output root of the Delta tables.")
    Path output;

    @Option(names = "--thresholds", split = ",",
            defaultValue = "0,0.001,0.005,0.01,0.05,0.1,0.15,0.2,0.3,0.4,0.5,0.6,0.7",
            description = "Entropy thresholds S; 0 is always added (default: ${DEFAULT-VALUE}).")
    List<Double> thresholds;

    @Option(names = "--run-id", description = "Run id; rerunning an id replaces that run's rows (default: sweep-<time>).")
    String runId;

    @Option(names = "--batch-size", defaultValue = "32", description = "Rows per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--precision", defaultValue = Precision.DEFAULT,
            description = "fp32, bf16 or auto (bf16 on GPUs and on CPUs with oneDNN bf16 GEMMs, else fp32); score's default too (default: ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--max-seq-len", description = "Tokens per row (default: the model's serving.json).")
    Integer maxSeqLen;

    @Option(names = "--measure-time",
            description = "Also run the real early exit at every threshold and time it (actual_saving).")
    boolean measureTime;

    @Override
    public Integer call() {
        SparkSession spark = Sessions.getOrCreate("deebert sweep");
        SweepRequest request = new SweepRequest(model, data, format == null ? InputFormat.guess(data)
                : InputFormat.parse(format), idCol, textCol, labelCol, output,
                thresholds.stream().mapToDouble(Double::doubleValue).toArray(),
                runId != null ? runId : "sweep-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")),
                batchSize, Sessions.precision(spark, precision), MaxSeqLen.of(spec, maxSeqLen, ModelDirectory.open(model)), measureTime);
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
        out.printf("tables: %s%n", output.toAbsolutePath());
        out.flush();
        return 0;
    }
}
