package dev.deebert.job.score;

import dev.deebert.job.InputFormat;
import dev.deebert.job.Sessions;
import dev.deebert.model.Precision;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code deebert score}: batch early-exit classification of a table into Delta tables. */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Score a table with early exit; write predictions, partition_stats and runs Delta tables.")
public final class ScoreCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "DeeBERT model directory (readable by every executor).")
    Path model;

    @Option(names = "--input", required = true, description = "Input table: file or directory.")
    Path input;

    @Option(names = "--format", description = "parquet, delta, json, csv or text (default: from the path).")
    String format;

    @Option(names = "--id-col", description = "Column of row ids (default: derived from the text, stable across reruns).")
    String idCol;

    @Option(names = "--text-col", defaultValue = "text", description = "Text column (default: ${DEFAULT-VALUE}).")
    String textCol;

    @Option(names = "--text-b-col", description = "Second text column, for pair tasks.")
    String textBCol;

    @Option(names = "--keep-cols", split = ",", description = "Input columns copied to the predictions.")
    List<String> keepCols = List.of();

    @Option(names = "--output", required = true, description = "Output root of the Delta tables.")
    Path output;

    @Option(names = "--threshold", description = "Entropy threshold S; 0 runs the full model "
            + "(default: score.threshold in conf/deebert.properties).")
    Double threshold;

    @Option(names = "--run-id", description = "Run id; rerunning an id replaces that run's rows (default: score-<time>).")
    String runId;

    @Option(names = "--batch-size", defaultValue = "32", description = "Rows per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--precision", defaultValue = "fp32", description = "fp32 or bf16 (default: ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--partitions", defaultValue = "0",
            description = "Partitions to score in (default: the input's, at least Spark's default parallelism).")
    int partitions;

    @Option(names = "--max-seq-len", defaultValue = "128", description = "Tokens per row (default: ${DEFAULT-VALUE}).")
    int maxSeqLen;

    @Override
    public Integer call() {
        if (threshold == null) {
            throw new IllegalArgumentException("--threshold is required (or set score.threshold in conf/deebert.properties)");
        }
        ScoreRequest request = new ScoreRequest(model, input,
                format == null ? InputFormat.guess(input) : InputFormat.parse(format), idCol, textCol, textBCol,
                keepCols, output, threshold,
                runId != null ? runId : "score-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")),
                batchSize, Precision.parse(precision), partitions, maxSeqLen);
        ScoreSummary summary = new ScoreJob(Sessions.getOrCreate("deebert score")).run(request);
        summary.print(spec.commandLine().getOut());
        return 0;
    }
}
