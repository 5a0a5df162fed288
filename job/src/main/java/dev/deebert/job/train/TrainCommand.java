package dev.deebert.job.train;

import dev.deebert.job.Sessions;
import dev.deebert.job.options.InputOptions;
import dev.deebert.job.options.ModelOption;
import dev.deebert.job.options.OutputOptions;
import dev.deebert.model.DeeBertTokenizer;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.ServingContract;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code deebert train}: reads labelled train and dev tables with Spark, fine-tunes a DeeBERT model in two
 * stages on the driver's CPU and writes the model directory with training_report.json.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fine-tune the DeeBERT model --model (e.g. from import) in two stages: stage 1 the backbone"
                + " and final classifier, stage 2 the off-ramps; write the result to --out.")
public final class TrainCommand implements Callable<Integer> {
    static final double REFERENCE_LR = 2e-5;
    static final int REFERENCE_BATCH = 8;
    static final double CACHED_LR = 1e-3;
    /** 5 left MiniLM's ramp 3 at the majority label and the saving at half (README, train: how long stage 2 trains). */
    static final int CACHED_EPOCHS = 40;
    static final int CACHED_BATCH = 32;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Option(names = "--train", required = true, paramLabel = "PATH", description = "Training table (file or"
            + " directory).")
    Path train;

    @Option(names = "--dev", required = true, paramLabel = "PATH", description = "Dev table, evaluated after each"
            + " stage.")
    Path dev;

    @Mixin
    OutputOptions.ModelOut out;

    @Option(names = "--id-col", description = "Row ids, named when a batch goes wrong (default: the column 'id' "
            + "if there is one, else the row's position).")
    String idCol;

    @Mixin
    InputOptions.TextColumn textCol;

    @Mixin
    InputOptions.SecondTextColumn textBCol;

    @Mixin
    InputOptions.LabelColumn labelCol;

    @Mixin
    InputOptions.Format format;

    @Option(names = "--preset", defaultValue = "reference", description = "reference (128 tokens, 3 epochs) or "
            + "fast (64 tokens, 1 epoch); explicit options win (default: ${DEFAULT-VALUE}).")
    Preset preset;

    @Option(names = "--stages", defaultValue = "1,2", split = ",", description = "Stages to run: 1, 2 or 1,2 "
            + "(default: ${DEFAULT-VALUE}).")
    List<Integer> stages;

    @Option(names = "--epochs", description = "Stage 1 epochs (reference 3, fast 1).")
    Integer epochs;

    @Option(names = "--batch-size", defaultValue = "" + REFERENCE_BATCH, description = "Stage 1 batch size "
            + "(default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", defaultValue = "" + REFERENCE_LR, description = "Stage 1 AdamW learning rate "
            + "(default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--max-seq-len", description = "Tokens per text, special tokens included (reference 128, fast 64;"
            + " --stages 2 alone: the length the model was trained at).")
    Integer maxSeqLen;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of initialisation, shuffling and dropout "
            + "(default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--stage2-mode", defaultValue = "cached", description = "cached: ramps trained on frozen "
            + "states computed once; reference: through the frozen network every step (default: ${DEFAULT-VALUE}).")
    RampTraining stage2Mode;

    @Option(names = "--stage2-lr", description = "Stage 2 learning rate (cached " + CACHED_LR + ", reference: --lr).")
    Double stage2Lr;

    @Option(names = "--stage2-epochs", description = "Stage 2 epochs (cached " + CACHED_EPOCHS
            + ", reference: --epochs).")
    Integer stage2Epochs;

    @Option(names = "--max-train-rows", defaultValue = "0", description = "Train on a seeded random sample of at "
            + "most this many rows; 0: all (default: ${DEFAULT-VALUE}).")
    int maxTrainRows;

    @Option(names = "--resume", description = "Continue an interrupted run from OUT.checkpoint.")
    boolean resume;

    @Option(names = "--checkpoint-every", defaultValue = "100", description = "Optimizer steps between checkpoints; "
            + "0: only between stages (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--skip-nonfinite", defaultValue = "0", description = "Batches with a NaN or infinite loss or "
            + "gradient that may be dropped (listed in training_report.json); the next one stops the run. 0: the "
            + "first stops it (default: ${DEFAULT-VALUE}).")
    int skipNonFinite;

    @Option(names = "--threads", defaultValue = "0", description = "PyTorch threads; 0: the engine's default "
            + "(default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--stop-after-steps", hidden = true, defaultValue = "0",
            description = "Checkpoint and stop after this many steps (simulates an interruption).")
    int stopAfterSteps;

    @Override
    public Integer call() throws IOException {
        ModelDirectory backbone = ModelDirectory.open(model.dir());
        // stage 2 alone trains the ramps on the network as stage 1 left it: at the length stage 1 trained it at
        int seqLen = maxSeqLen != null ? maxSeqLen
                : !stages.contains(1) && ServingContract.TRAINED.equals(backbone.serving().origin())
                        ? backbone.serving().maxSeqLen() : preset.maxSeqLen;
        int stage1Epochs = epochs != null ? epochs : preset.epochs;
        boolean cached = stage2Mode == RampTraining.CACHED;
        StageSettings stage1 = new StageSettings(stage1Epochs, batchSize, lr, TrainingPlan.MAX_GRAD_NORM);
        StageSettings stage2 = new StageSettings(
                stage2Epochs != null ? stage2Epochs : cached ? CACHED_EPOCHS : stage1Epochs,
                cached ? CACHED_BATCH : batchSize,
                stage2Lr != null ? stage2Lr : cached ? CACHED_LR : lr, TrainingPlan.MAX_GRAD_NORM);
        TrainingPlan plan = new TrainingPlan(stages, stage1, stage2, stage2Mode, seed, checkpointEvery,
                stopAfterSteps, skipNonFinite);
        if (maxTrainRows < 0) {
            throw new IllegalArgumentException("--max-train-rows must not be negative, got " + maxTrainRows);
        }
        ModelDirectory.checkWritable(out.dir(), out.force());

        List<TrainingTable.Example> trainRows;
        List<TrainingTable.Example> devRows;
        try (SparkScope spark = SparkScope.open()) {
            trainRows = TrainingTable.read(spark.session(), train, format.named(), idCol, textCol.name(),
                    textBCol.name(), labelCol.name());
            devRows = TrainingTable.read(spark.session(), dev, format.named(), idCol, textCol.name(),
                    textBCol.name(), labelCol.name());
        }
        trainRows = sample(trainRows, maxTrainRows, seed);
        LabelSet labels = LabelSet.of(trainRows.stream().map(TrainingTable.Example::label).toList());
        Progress progress = new Progress(System.err, System.console() != null);
        progress.message(String.format(Locale.ROOT, "train: %d rows, dev: %d rows, labels %s, %d tokens",
                trainRows.size(), devRows.size(), labels.names(), seqLen));
        List<LabeledText> trainSet;
        List<LabeledText> devSet;
        try (DeeBertTokenizer tokenizer = backbone.tokenizer(seqLen)) {
            trainSet = encode(tokenizer, trainRows, labels, train);
            devSet = encode(tokenizer, devRows, labels, dev);
        }

        DeeBertTrainer.Outcome outcome = DeeBertTrainer.train(new DeeBertTrainer.Inputs(backbone, trainSet, devSet,
                labels, seqLen, plan, out.dir(), out.force(), resume, threads), progress);
        if (!outcome.finished()) {
            progress.message("run again with --resume to continue");
            return 0;
        }
        ReportTable.print(outcome.report(), spec.commandLine().getOut());
        progress.message("model written to " + out.dir() + " (report: " + out.dir().resolve(TrainingReport.FILE) + ")");
        return 0;
    }

    /** A seeded random sample (inputs are often sorted by label, so the first rows would not do). */
    static List<TrainingTable.Example> sample(List<TrainingTable.Example> rows, int limit, long seed) {
        if (limit == 0 || rows.size() <= limit) {
            return rows;
        }
        List<TrainingTable.Example> shuffled = new ArrayList<>(rows);
        Collections.shuffle(shuffled, new Random(seed));
        return shuffled.subList(0, limit);
    }

    private static List<LabeledText> encode(DeeBertTokenizer tokenizer, List<TrainingTable.Example> rows,
                                            LabelSet labels, Path source) {
        List<String> unknown = rows.stream().map(TrainingTable.Example::label).distinct()
                .filter(l -> !labels.names().contains(l)).sorted().collect(Collectors.toList());
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(source + " has labels " + unknown + " that the training data lacks "
                    + labels.names());
        }
        List<LabeledText> out = new ArrayList<>(rows.size());
        for (TrainingTable.Example row : rows) {
            out.add(new LabeledText(row.id(), tokenizer.encode(row.text(), row.textB()), labels.indexOf(row.label())));
        }
        return out;
    }

    /** The command's Spark session ({@link Sessions}); stopped at the end only if created here, to give its
     *  memory back to training. */
    private record SparkScope(SparkSession session, boolean owned) implements AutoCloseable {
        static SparkScope open() {
            boolean existing = SparkSession.getActiveSession().isDefined() || SparkSession.getDefaultSession().isDefined();
            return new SparkScope(Sessions.getOrCreate("deebert train"), !existing);
        }

        @Override
        public void close() {
            if (owned) {
                session.stop();
            }
        }
    }
}
