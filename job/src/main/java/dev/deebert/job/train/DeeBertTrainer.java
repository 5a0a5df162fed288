package dev.deebert.job.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.deebert.model.DeeBertWeights;
import dev.deebert.model.Engines;
import dev.deebert.model.Entropy;
import dev.deebert.model.ModelDirectory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Two-stage DeeBERT fine-tuning (float32, on the CPU). Stage 1 trains embeddings, encoder, final pooler and
 * classifier on the final head's cross-entropy. Stage 2 freezes all of that and trains only the ramps on the
 * sum of their cross-entropies. Each stage has a fresh AdamW, linear decay to 0 and gradient clipping, and is
 * evaluated on the dev set afterwards.
 *
 * <p>Deterministic for the same seed, data and thread count: rows are shuffled by a seeded {@link Random} per
 * stage and epoch, and the engine's generator (dropout) is reseeded from (seed, stage, step) before every
 * step, so a resumed run draws the same dropout masks as an uninterrupted one.
 */
public final class DeeBertTrainer {

    /**
     * @param out the model directory to write; the checkpoint lives next to it in {@code OUT.checkpoint}
     * @param replace whether a model directory already at {@code out} may be replaced (--force)
     * @param resume continue from that checkpoint instead of starting over
     * @param threads PyTorch intra-op threads during the run (0: keep the engine's setting). Small models train
     *     much faster on one thread, especially on a busy machine.
     */
    public record Inputs(ModelDirectory backbone, List<LabeledText> train, List<LabeledText> dev, LabelSet labels,
                         int maxSeqLen, TrainingPlan plan, Path out, boolean replace, boolean resume, int threads) {
        public Inputs {
            if (threads < 0) {
                throw new IllegalArgumentException("threads must not be negative, got " + threads);
            }
            if (train.isEmpty() || dev.isEmpty()) {
                throw new IllegalArgumentException("training and dev sets must not be empty (train "
                        + train.size() + " rows, dev " + dev.size() + " rows)");
            }
        }
    }

    /** {@code report} is null when the run stopped early ({@code --stop-after-steps}); the checkpoint remains. */
    public record Outcome(TrainingReport report, Path checkpoint) {
        public boolean finished() {
            return report != null;
        }
    }

    private final Inputs in;
    private final Progress progress;
    private final Engine engine = Engines.pytorch();
    private final Checkpoint checkpoint;
    private int stepsThisRun;
    private int skippedThisRun;

    private DeeBertTrainer(Inputs in, Progress progress) {
        this.in = in;
        this.progress = progress;
        this.checkpoint = new Checkpoint(checkpointDir(in.out()));
    }

    public static Path checkpointDir(Path out) {
        return out.toAbsolutePath().resolveSibling(out.getFileName() + ".checkpoint");
    }

    public static Outcome train(Inputs in, Progress progress) throws IOException {
        Engines.pytorch(); // loads the native library JniUtils needs
        int previousThreads = JniUtils.getNumThreads();
        if (in.threads() > 0) {
            JniUtils.setNumThreads(in.threads());
        }
        try {
            return new DeeBertTrainer(in, progress).run();
        } finally {
            JniUtils.setNumThreads(previousThreads);
        }
    }

    private Outcome run() throws IOException {
        TrainingPlan plan = in.plan();
        try (NDManager manager = Engines.newManager(Device.cpu())) {
            DeeBertWeights backbone = in.backbone().loadWeights(manager);
            if (backbone.config().numLabels() != in.labels().size() && !plan.runs(1)) {
                throw new IllegalArgumentException("the backbone has " + backbone.config().numLabels()
                        + " labels but the data " + in.labels().size() + ": the classifiers must be re-initialised, "
                        + "and stage 1 (not requested) would be needed to train the final one");
            }
            Parameters parameters = Parameters.forLabels(backbone, in.labels(), plan.seed(), manager);
            String fingerprint = Checkpoint.fingerprint(parameters.config(), in.train(), plan);
            Checkpoint.State resumed = null;
            if (in.resume()) {
                if (!checkpoint.exists()) {
                    throw new IllegalArgumentException("--resume: no checkpoint at " + checkpoint.dir());
                }
                resumed = checkpoint.readState(fingerprint);
                parameters = parameters.withTensors(checkpoint.readWeights(manager));
            } else if (checkpoint.exists()) {
                throw new IllegalArgumentException(checkpoint.dir() + " holds the checkpoint of an interrupted run: "
                        + "pass --resume to continue it, or remove it to start over");
            }

            List<StageReport> reports = new ArrayList<>(resumed == null ? List.of() : resumed.reports());
            FirstTokenStates devStates = null;
            for (int stage : plan.stages()) {
                int done = 0;
                if (resumed != null && stage <= resumed.stage()) {
                    boolean finished = stage < resumed.stage() || resumed.step() == resumed.stageSteps();
                    if (finished) {
                        continue;
                    }
                    done = resumed.step();
                }
                StageReport report = runStage(stage, done, parameters, fingerprint, reports, manager);
                if (report == null) {
                    progress.message("stopped after " + stepsThisRun + " steps; checkpoint in " + checkpoint.dir());
                    return new Outcome(null, checkpoint.dir());
                }
                if (devStates == null) {
                    progress.start("evaluating on dev", in.dev().size(), 0);
                    devStates = FirstTokenStates.compute(parameters.weights(), in.dev(), manager, progress);
                }
                reports.add(evaluate(report, parameters, devStates));
                int steps = plan.settings(stage).totalSteps(in.train().size());
                checkpoint.save(new Checkpoint.State(fingerprint, stage, steps, steps, reports), parameters, null);
            }
            TrainingReport report = new TrainingReport(in.backbone().dir().toString(), in.labels().names(),
                    in.labels().positiveIndex() < 0 ? null : in.labels().names().get(in.labels().positiveIndex()),
                    in.train().size(), in.dev().size(), in.maxSeqLen(), plan.seed(), reports);
            ModelDirectory.write(in.out(), parameters.weights(), in.backbone().tokenizerFile(), report.maxSeqLen(),
                    report::write, in.replace());
            checkpoint.delete();
            return new Outcome(report, null);
        }
    }

    /** Runs stage {@code stage} from step {@code done}; returns null when stopped early (after a checkpoint). */
    private StageReport runStage(int stage, int done, Parameters parameters, String fingerprint,
                                 List<StageReport> finished, NDManager manager) throws IOException {
        TrainingPlan plan = in.plan();
        StageSettings settings = plan.settings(stage);
        boolean cached = stage == 2 && plan.rampTraining() == RampTraining.CACHED;
        String mode = stage == 2 ? plan.rampTraining().label() : RampTraining.REFERENCE.label();
        // the stage's optimizer state and cached states live in stageMemory, freed when the stage ends
        try (NDManager stageMemory = manager.newSubManager()) {
            long cachingStart = System.nanoTime();
            BatchLoss loss = stageLoss(stage, parameters, stageMemory);
            Double cachingSeconds = cached ? (System.nanoTime() - cachingStart) / 1e9 : null;

            Map<String, NDArray> trained = parameters.trainFor(stage);
            int rows = in.train().size();
            int perEpoch = settings.stepsPerEpoch(rows);
            int total = settings.totalSteps(rows);
            AdamW optimizer = new AdamW(trained, stageMemory);
            if (done > 0) {
                NDList saved = checkpoint.readOptimizer(stageMemory);
                if (saved == null) {
                    throw new IllegalArgumentException(checkpoint.dir() + " lacks the optimizer state of stage " + stage);
                }
                optimizer.restore(saved);
            }
            progress.start("stage " + stage + " (" + mode + ")", total, done);
            long start = System.nanoTime();
            double[] epochLoss = new double[settings.epochs()];
            int[] epochSteps = new int[settings.epochs()];
            int step = done;
            long rowsProcessed = 0;
            List<NonFiniteBatch> skipped = new ArrayList<>();
            for (int epoch = step / perEpoch; epoch < settings.epochs(); epoch++) {
                int[] order = shuffled(rows, plan.seed(), stage, epoch);
                for (int batch = step % perEpoch; batch < perEpoch; batch++) {
                    int[] rowsOfBatch = Arrays.copyOfRange(order, batch * settings.batchSize(),
                            Math.min(rows, (batch + 1) * settings.batchSize()));
                    step++;
                    engine.setRandomSeed(stepSeed(plan.seed(), stage, step));
                    double value = lossAndGradients(loss, rowsOfBatch, manager);
                    // transformers' linear schedule without warm-up: step s (1-based) uses lr * (T - s + 1) / T
                    double learningRate = settings.learningRate() * (total - step + 1) / total;
                    String nonFinite = null;
                    if (!Double.isFinite(value)) {
                        nonFinite = "loss";
                    } else if (!Double.isFinite(optimizer.update(trained, step, learningRate,
                            settings.maxGradNorm()))) {
                        nonFinite = AdamW.firstNonFinite(trained);
                    }
                    if (nonFinite != null) {
                        NonFiniteBatch bad = new NonFiniteBatch(stage, step, nonFinite, idsOf(rowsOfBatch));
                        AdamW.zeroGradients(trained);
                        skipOrStop(bad, new Checkpoint.State(fingerprint, stage, step - 1, total, finished),
                                parameters, optimizer);
                        skipped.add(bad);
                    } else {
                        epochLoss[epoch] += value;
                        epochSteps[epoch]++;
                    }
                    rowsProcessed += rowsOfBatch.length;
                    stepsThisRun++;
                    progress.step(step, value, rowsOfBatch.length);
                    boolean stop = plan.stopAfterSteps() > 0 && stepsThisRun >= plan.stopAfterSteps();
                    boolean due = plan.checkpointEvery() > 0 && step % plan.checkpointEvery() == 0;
                    if (step < total && (stop || due)) {
                        checkpoint.save(new Checkpoint.State(fingerprint, stage, step, total, finished), parameters,
                                optimizer);
                    }
                    if (step < total && stop) {
                        parameters.freeze();
                        return null;
                    }
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            parameters.freeze();
            return new StageReport(stage, mode, settings.epochs(), settings.batchSize(), settings.learningRate(), total,
                    seconds, rowsProcessed / seconds, cachingSeconds,
                    meanOf(epochLoss, epochSteps, 0), meanOf(epochLoss, epochSteps, settings.epochs() - 1), null, null,
                    skipped.isEmpty() ? null : skipped);
        }
    }

    /**
     * Drops a batch with a non-finite loss or gradient while the plan allows; otherwise checkpoints the state
     * before it (parameters and optimizer are untouched by the batch) and stops the run.
     */
    private void skipOrStop(NonFiniteBatch batch, Checkpoint.State lastGood, Parameters parameters,
                            AdamW optimizer) throws IOException {
        if (skippedThisRun < in.plan().skipNonFinite()) {
            skippedThisRun++;
            progress.message("skipped " + batch.describe());
            return;
        }
        checkpoint.save(lastGood, parameters, optimizer);
        throw new TrainingDivergedException(batch, batch.describe() + "; " + checkpoint.dir()
                + " holds the state before that step (train --resume continues from it; --skip-nonfinite N drops up"
                + " to N such batches)");
    }

    private List<String> idsOf(int[] rows) {
        List<String> ids = new ArrayList<>(rows.length);
        for (int row : rows) {
            ids.add(in.train().get(row).id());
        }
        return ids;
    }

    /** The stage's loss; cached stage 2 first computes the frozen states of all training rows. */
    private BatchLoss stageLoss(int stage, Parameters parameters, NDManager stageMemory) {
        if (stage == 1) {
            return BatchLoss.finalHead(parameters.weights(), in.train());
        }
        if (in.plan().rampTraining() == RampTraining.REFERENCE) {
            return BatchLoss.rampsThroughNetwork(parameters.weights(), in.train());
        }
        parameters.freeze();
        progress.start("stage 2: caching frozen states", in.train().size(), 0);
        FirstTokenStates states = FirstTokenStates.compute(parameters.weights(), in.train(), stageMemory, progress);
        return BatchLoss.rampsOnStates(parameters.weights(), states, in.train());
    }

    /** Forward and backward pass of one batch; the gradients accumulate on the trained tensors. */
    private double lossAndGradients(BatchLoss loss, int[] rows, NDManager manager) {
        try (NDManager step = manager.newSubManager();
             NDScope scope = new NDScope();
             GradientCollector collector = engine.newGradientCollector()) {
            scope.suppressNotUsedWarning();
            NDArray value = loss.of(rows, step);
            collector.backward(value);
            return value.getFloat();
        } finally {
            Engines.trimFreedMemory();
        }
    }

    private StageReport evaluate(StageReport report, Parameters parameters, FirstTokenStates devStates) {
        float[][][] logits = devStates.exitLogits(parameters.weights());
        int exits = parameters.config().numHiddenLayers();
        int[] actual = in.dev().stream().mapToInt(LabeledText::label).toArray();
        List<Quality> ramps = new ArrayList<>();
        Quality last = null;
        for (int exit = 0; exit < exits; exit++) {
            int[] predicted = new int[logits.length];
            for (int row = 0; row < logits.length; row++) {
                predicted[row] = Entropy.argmax(logits[row][exit]);
            }
            Quality quality = Quality.of(predicted, actual, in.labels().size(), in.labels().positiveIndex());
            if (exit < exits - 1) {
                ramps.add(quality);
            } else {
                last = quality;
            }
        }
        return report.withDev(last, ramps);
    }

    private static int[] shuffled(int rows, long seed, int stage, int epoch) {
        List<Integer> order = new ArrayList<>(IntStream.range(0, rows).boxed().toList());
        Collections.shuffle(order, new Random(seed * 1_000_003L + stage * 1_009L + epoch));
        return order.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int stepSeed(long seed, int stage, int step) {
        return Long.hashCode(seed * 0x9E3779B97F4A7C15L + stage * 1_000_000_007L + step);
    }

    private static Double meanOf(double[] sums, int[] counts, int epoch) {
        return counts[epoch] == 0 ? null : sums[epoch] / counts[epoch];
    }
}
