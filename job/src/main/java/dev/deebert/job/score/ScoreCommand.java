package dev.deebert.job.score;

import dev.deebert.job.Sessions;
import dev.deebert.job.analysis.OperatingPoints;
import dev.deebert.job.options.EngineOptions;
import dev.deebert.job.options.InputOptions;
import dev.deebert.job.options.LongTextOptions;
import dev.deebert.job.options.ModelOption;
import dev.deebert.job.options.OutputOptions;
import dev.deebert.model.LongText;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code deebert score}: early-exit classification of a table into Delta tables, whole or incrementally. */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = {"Score a table with early exit; write predictions, partition_stats and runs Delta tables.",
            "With --incremental, score only the rows that arrived since the last run (each row exactly once, even"
                + " across crashes and reruns): a Delta table is read from its next version, a directory of"
                + " Parquet/JSON/CSV/text files from its new files. Meant to run on a schedule (see submit/schedule)."})
public final class ScoreCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Mixin
    InputOptions.Rows rows;

    @Mixin
    InputOptions.SecondTextColumn textBCol;

    @Option(names = "--keep-cols", split = ",", description = "Input columns copied to the predictions.")
    List<String> keepCols = List.of();

    @Mixin
    OutputOptions.DeltaRoot output;

    @Option(names = "--threshold", description = "Entropy threshold S, used as given; 0 runs the full model."
            + " Default auto: the strictest operating point that calibrate wrote into the model's deebert.json for"
            + " this --precision and --max-seq-len; without one the run is refused (see --allow-uncalibrated).")
    String threshold;

    @Option(names = "--operating-point", description = "Quality budget in accuracy points (e.g. 0.5 or 2): take the"
            + " threshold that calibrate chose for it at this --precision and --max-seq-len from the model's"
            + " deebert.json.")
    Double operatingPoint;

    @Option(names = "--allow-uncalibrated", description = "When the model has no operating points for this"
            + " --precision and --max-seq-len, run the full model (S=0: no early exit) instead of refusing.")
    boolean allowUncalibrated;

    @Option(names = "--run-id", description = "Run id; rerunning a batch run's id replaces that run's rows."
            + " An incremental run's id must be new (default: score-<time>, incr-<time>-<random> with --incremental).")
    String runId;

    @Option(names = "--incremental", description = "Score only what is new since the last run with this --checkpoint.")
    boolean incremental;

    @Option(names = "--checkpoint", description = "With --incremental: checkpoint directory remembering what was"
            + " scored; keep it with the output on shared storage and use one per input/output pair.")
    Path checkpoint;

    @Option(names = "--rescore-model-change", description = "With --incremental: also score again, with the current"
            + " model, every row that an earlier incremental run scored with another model (by model_sha256) and"
            + " whose id is still in the input. Its row in predictions is replaced in one Delta MERGE (new"
            + " prediction, model_sha256 and this run's run_id); the old row stays readable by Delta time travel."
            + " Rows of batch runs are never touched. Default: off, old rows keep their model.")
    boolean rescoreModelChange;

    @Option(names = "--max-files-per-trigger", defaultValue = "0", description = "With --incremental: input files"
            + " per micro-batch, to bound a backlog's memory (default: no limit).")
    int maxFilesPerTrigger;

    @Mixin
    EngineOptions.BatchSize batchSize;

    @Mixin
    EngineOptions.PrecisionOption precision;

    @Mixin
    EngineOptions.BatchingOption batching;

    @Option(names = "--partitions", defaultValue = "0",
            description = "Partitions to score in (default: the input's, at least Spark's default parallelism).")
    int partitions;

    @Mixin
    EngineOptions.MaxSeqLen maxSeqLen;

    @Mixin
    LongTextOptions longText;

    @Option(names = "--max-failed-fraction", defaultValue = "0.001", description = "Largest share of rows that may"
            + " get an error instead of a prediction (null text, a row the model fails on); a run, or an incremental"
            + " micro-batch, with more fails and writes none of its predictions (default: ${DEFAULT-VALUE}).")
    double maxFailedFraction;

    @Option(names = "--audit-fraction", defaultValue = "0.01", description = "Share of rows also scored at full"
            + " depth, so that the run records without labels how often its early exit gives the full model's label"
            + " (runs.audit_agreement; predictions.audit_label). Drawn by a hash of run id and row id (default:"
            + " ${DEFAULT-VALUE}).")
    double auditFraction;

    @Option(names = "--audit-min-rows", defaultValue = "200", description = "Rows audited at least per run, all"
            + " of them when the run has fewer (default: ${DEFAULT-VALUE}).")
    int auditMinRows;

    @Override
    public Integer call() {
        ModelDirectory dir = ModelDirectory.open(model.dir().toAbsolutePath());
        SparkSession spark = Sessions.getOrCreate("deebert score");
        Precision chosen = precision.forTasksOf(spark);
        int seqLen = maxSeqLen.of(dir);
        LongText longTexts = longText.longText();
        Threshold point = threshold(dir, chosen, seqLen, longTexts);
        ScoreRequest request = new ScoreRequest(dir, rows.table().path(), rows.table().format(),
                rows.idCol(), rows.textCol(), textBCol.name(), keepCols, output.root(),
                point.value(), runId != null ? runId : defaultRunId(), batchSize.rows(seqLen), chosen,
                batching.forTasksOf(spark), partitions, seqLen, maxFailedFraction, incremental(),
                new ScoreRequest.Audit(auditFraction, auditMinRows, point.agreement()), longTexts);
        ScoreSummary summary = new ScoreJob(spark).run(request);
        summary.print(spec.commandLine().getOut());
        return 0;
    }

    /** A threshold to score with, and the audit agreement calibration found for it (null when not calibrated). */
    private record Threshold(double value, Double agreement) {}

    /**
     * The threshold asked for: a number as given, else an operating point calibrated for this very model,
     * precision and length (the full model with --allow-uncalibrated when there is none). Sweeps trace
     * truncated rows, so with chunks a calibrated point holds per chunk, and the run says so.
     */
    private Threshold threshold(ModelDirectory dir, Precision chosen, int seqLen, LongText longTexts) {
        if (threshold != null && !"auto".equals(threshold)) {
            if (operatingPoint != null) {
                throw new IllegalArgumentException("give --threshold S or --operating-point D, not both");
            }
            try {
                return new Threshold(Double.parseDouble(threshold), null);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--threshold must be a number or auto, got '" + threshold + "'");
            }
        }
        try {
            OperatingPoints.Calibrated points = OperatingPoints.lookup(dir.dir(), dir.weightsSha256(), chosen, seqLen);
            OperatingPoints.Point point = points.pointFor(operatingPoint);
            if (longTexts.chunked()) {
                spec.commandLine().getErr().println("deebert score: S=" + point.threshold() + " was calibrated on"
                        + " truncated rows: each chunk exits as such a row would, but the accuracy and audit agreement"
                        + " of rows aggregated from chunks are not what calibrate measured (README, Long texts)");
            }
            return new Threshold(point.threshold(), point.agreement());
        } catch (OperatingPoints.Uncalibrated e) {
            if (!allowUncalibrated) {
                throw e;
            }
            spec.commandLine().getErr().println("deebert score: " + e.reason()
                    + "; --allow-uncalibrated: running the full model (S=0)");
            return new Threshold(0, null);
        }
    }

    private ScoreRequest.Incremental incremental() {
        if (!incremental) {
            if (checkpoint != null || rescoreModelChange || maxFilesPerTrigger != 0) {
                throw new IllegalArgumentException(
                        "--checkpoint, --rescore-model-change and --max-files-per-trigger need --incremental");
            }
            return null;
        }
        if (checkpoint == null) {
            throw new IllegalArgumentException("--incremental needs --checkpoint DIR to remember what was scored");
        }
        return new ScoreRequest.Incremental(checkpoint, rescoreModelChange, maxFilesPerTrigger);
    }

    /** Incremental runs append under their id, so theirs must be new on every invocation, even within a second. */
    private String defaultRunId() {
        String time = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        return incremental ? "incr-" + time + "-" + UUID.randomUUID().toString().substring(0, 8) : "score-" + time;
    }
}
