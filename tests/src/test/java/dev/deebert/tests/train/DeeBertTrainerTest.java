package dev.deebert.tests.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.deebert.model.DeeBertEngine;
import dev.deebert.model.DeeBertTokenizer;
import dev.deebert.model.DeeBertWeights;
import dev.deebert.model.ExitPolicy;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import dev.deebert.model.Prediction;
import dev.deebert.model.TensorNames;
import dev.deebert.model.TokenizedText;
import dev.deebert.job.train.DeeBertTrainer;
import dev.deebert.job.train.LabelSet;
import dev.deebert.job.train.LabeledText;
import dev.deebert.job.train.Progress;
import dev.deebert.job.train.Quality;
import dev.deebert.job.train.RampTraining;
import dev.deebert.job.train.StageReport;
import dev.deebert.job.train.StageSettings;
import dev.deebert.job.train.TrainingPlan;
import dev.deebert.job.train.TrainingReport;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training core on the tiny golden BERT (H=32, 3 layers, neg/neu/pos) and synthetic sentiment rows. */
class DeeBertTrainerTest {
    static final int MAX_SEQ_LEN = 24;
    /** Chance for three balanced classes is 1/3; a model that learnt the cue words does far better. */
    static final double WELL_ABOVE_CHANCE = 0.6;

    @TempDir
    Path temp;

    static Path goldenBert() {
        try {
            return Path.of(DeeBertTrainerTest.class.getResource("/golden/bert").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<LabeledText> encode(ModelDirectory model, List<SyntheticSentiment.Row> rows, LabelSet labels) {
        List<LabeledText> out = new ArrayList<>();
        try (DeeBertTokenizer tokenizer = model.tokenizer(MAX_SEQ_LEN)) {
            for (SyntheticSentiment.Row row : rows) {
                out.add(new LabeledText("row " + (out.size() + 1), tokenizer.encode(row.text(), null),
                        labels.indexOf(row.label())));
            }
        }
        return out;
    }

    /** Learning rates far above BERT's 2e-5: the tiny random model has much to learn in few steps. */
    static TrainingPlan plan(List<Integer> stages, int epochs) {
        return plan(stages, epochs, RampTraining.CACHED);
    }

    static TrainingPlan plan(List<Integer> stages, int epochs, RampTraining rampTraining) {
        return new TrainingPlan(stages, new StageSettings(epochs, 8, 3e-3, TrainingPlan.MAX_GRAD_NORM),
                new StageSettings(5, 32, 3e-3, TrainingPlan.MAX_GRAD_NORM), rampTraining, 42, 0, 0, 0);
    }

    private TrainingReport train(Path backbone, TrainingPlan plan, Path out) throws Exception {
        ModelDirectory model = ModelDirectory.open(backbone);
        LabelSet labels = LabelSet.of(List.of("neg", "neu", "pos"));
        DeeBertTrainer.Inputs inputs = new DeeBertTrainer.Inputs(model,
                encode(model, SyntheticSentiment.rows(300, 1), labels),
                encode(model, SyntheticSentiment.rows(90, 2), labels), labels, MAX_SEQ_LEN, plan, out, false, false, 1);
        DeeBertTrainer.Outcome outcome = DeeBertTrainer.train(inputs, Progress.silent());
        assertTrue(outcome.finished());
        return outcome.report();
    }

    @Test
    void stageOneLearnsTheTaskAndStageTwoTrainsOnlyTheRamps() throws Exception {
        Path stage1 = temp.resolve("stage1");
        TrainingReport first = train(goldenBert(), plan(List.of(1), 3), stage1);
        StageReport s1 = first.stages().get(0);
        assertTrue(s1.lastEpochLoss() < s1.firstEpochLoss(), "loss " + s1.firstEpochLoss() + " -> " + s1.lastEpochLoss());
        assertTrue(s1.devFinal().accuracy() > WELL_ABOVE_CHANCE, "dev accuracy " + s1.devFinal().accuracy());

        for (RampTraining mode : RampTraining.values()) {
            Path stage2 = temp.resolve("stage2-" + mode.label());
            StageReport s2 = train(stage1, plan(List.of(2), 3, mode), stage2).stages().get(0);
            assertEquals(mode.label(), s2.mode());
            for (Quality ramp : s2.devRamps()) {
                assertTrue(ramp.accuracy() > WELL_ABOVE_CHANCE, mode + " ramp dev accuracy " + ramp.accuracy());
            }
            assertEquals(s1.devFinal(), s2.devFinal(), "stage 2 must not change the final head");
            assertOnlyRampsChanged(stage1, stage2);
        }
    }

    private static void assertOnlyRampsChanged(Path before, Path after) {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            Map<String, NDArray> old = ModelDirectory.open(before).loadWeights(manager).asMap();
            Map<String, NDArray> now = ModelDirectory.open(after).loadWeights(manager).asMap();
            for (String name : old.keySet()) {
                boolean same = Arrays.equals(old.get(name).toFloatArray(), now.get(name).toFloatArray());
                if (TensorNames.isRamp(name)) {
                    assertFalse(same, name + " should have been trained in stage 2");
                } else {
                    assertTrue(same, name + " changed in stage 2");
                }
            }
        }
    }

    @Test
    void trainedModelLoadsAndClassifiesAsReported() throws Exception {
        Path out = temp.resolve("model");
        TrainingReport report = train(goldenBert(), plan(List.of(1, 2), 2), out);
        assertTrue(Files.isRegularFile(out.resolve(TrainingReport.FILE)));
        assertEquals(report.stages(), TrainingReport.read(out.resolve(TrainingReport.FILE)).stages());

        ModelDirectory model = ModelDirectory.open(out);
        assertEquals(List.of("neg", "neu", "pos"), List.copyOf(model.config().id2label().values()));
        List<SyntheticSentiment.Row> dev = SyntheticSentiment.rows(90, 2);
        List<TokenizedText> tokens = new ArrayList<>();
        try (DeeBertTokenizer tokenizer = model.tokenizer(MAX_SEQ_LEN)) {
            dev.forEach(row -> tokens.add(tokenizer.encode(row.text(), null)));
        }
        try (DeeBertEngine engine = DeeBertEngine.load(model, Device.cpu(), Precision.FP32)) {
            // threshold 0: every row runs to the final head, as the report's final-head figures do
            List<Prediction> predictions = engine.classify(tokens, ExitPolicy.uniform(0, 3));
            long correct = 0;
            for (int i = 0; i < dev.size(); i++) {
                correct += model.config().labelName(predictions.get(i).labelIndex()).equals(dev.get(i).label()) ? 1 : 0;
            }
            assertEquals(report.stages().get(1).devFinal().accuracy(), (double) correct / dev.size(), 1e-9);
        }
    }

    @Test
    void sameSeedGivesIdenticalWeights() throws Exception {
        train(goldenBert(), plan(List.of(1, 2), 1), temp.resolve("a"));
        train(goldenBert(), plan(List.of(1, 2), 1), temp.resolve("b"));
        assertArrayEquals(Files.readAllBytes(temp.resolve("a").resolve(ModelDirectory.WEIGHTS)),
                Files.readAllBytes(temp.resolve("b").resolve(ModelDirectory.WEIGHTS)));
    }
}
