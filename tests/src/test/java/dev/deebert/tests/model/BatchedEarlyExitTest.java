package dev.deebert.tests.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.deebert.model.BatchInputs;
import dev.deebert.model.Batching;
import dev.deebert.model.DeeBertNetwork;
import dev.deebert.model.DeeBertEngine;
import dev.deebert.model.DeeBertTokenizer;
import dev.deebert.model.ExitPolicy;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import dev.deebert.model.Prediction;
import dev.deebert.model.TokenizedText;
import dev.deebert.tests.Fixtures;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Batched early exit (rows leave the batch, the rest are cut to their longest length and gathered) must
 * give every row exactly what it gets alone, the reference's batch-size-1 mode; so must refill, which pools
 * the rows that go on from several batches.
 */
class BatchedEarlyExitTest {
    private static final String[] WORDS = ("the movie was great bad okay hotel room clean quiet prices went up "
            + "flight cancelled package arrived damaged good value fast delivery happy customer weather sunny "
            + "nothing works expected disappointed call tomorrow concert loud fun energy staff").split(" ");

    private static ModelDirectory model;
    private static DeeBertEngine engine;
    private static List<TokenizedText> rows;
    private static double[] rampEntropyQuantiles;

    @BeforeAll
    static void load() {
        model = ModelDirectory.open(Fixtures.golden("bert"));
        engine = DeeBertEngine.load(model, Device.cpu(), Precision.FP32);
        Random random = new Random(7);
        rows = new ArrayList<>();
        try (DeeBertTokenizer tokenizer = model.tokenizer(24)) {
            for (int i = 0; i < 300; i++) {
                String text = random.ints(1 + random.nextInt(30), 0, WORDS.length)
                        .mapToObj(w -> WORDS[w]).collect(Collectors.joining(" "));
                rows.add(tokenizer.encode(text, null));
            }
        }
        // Thresholds from the observed ramp entropies, so that rows leave at every layer.
        int layers = model.config().numHiddenLayers();
        double[] entropies = engine.trace(rows, ExitPolicy.uniform(0, layers)).stream()
                .flatMap(p -> Arrays.stream(p.layerLogits()).limit(layers - 1))
                .mapToDouble(dev.deebert.model.Entropy::of).sorted().toArray();
        rampEntropyQuantiles = new double[] {thresholdAbove(entropies, entropies.length / 5),
                thresholdAbove(entropies, entropies.length / 2), thresholdAbove(entropies, entropies.length * 4 / 5)};
    }

    /**
     * A threshold halfway between the {@code k}-th of the {@code sorted} ramp entropies and the next larger one.
     * Not the entropy itself: that row's exit would then hang on the last bits of its entropy, which the batch
     * moves by float rounding on CPUs whose kernels sum in an order that depends on the GEMM's height (AVX512:
     * logits ~1e-6 apart batched and alone, at every precision).
     */
    static double thresholdAbove(double[] sorted, int k) {
        int next = k + 1;
        while (sorted[next] == sorted[k]) {
            next++;
        }
        return (sorted[k] + sorted[next]) / 2;
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private static double threshold(int quantile) {
        return quantile < 0 ? 0 : quantile == 3 ? 10 : rampEntropyQuantiles[quantile];
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 0, 1, 2, 3})
    void batchedEqualsOneRowAtATime(int quantile) {
        int layers = model.config().numHiddenLayers();
        double threshold = threshold(quantile);
        ExitPolicy policy = ExitPolicy.uniform(threshold, layers);

        List<Prediction> batched = assertBatchedAndTracedEqualAlone(engine, rows, policy);
        Set<Integer> exitLayers = batched.stream().map(Prediction::exitLayer).collect(Collectors.toSet());
        if (threshold == 0) {
            assertEquals(Set.of(layers), exitLayers, "S=0 runs the full model");
        } else if (quantile == 3) {
            assertEquals(Set.of(1), exitLayers, "a threshold above ln(C) exits every row at the first ramp");
        } else {
            assertTrue(exitLayers.size() >= 2, "rows leave at several layers: " + exitLayers);
        }
    }

    /**
     * A ramp whose threshold is 0 is not run (no row could leave by it); the rows leave where the trace, which
     * runs every ramp, says they would.
     */
    @Test
    void closedRampsChangeNoExit() {
        int layers = model.config().numHiddenLayers();
        double[] thresholds = new double[layers - 1];
        Arrays.fill(thresholds, rampEntropyQuantiles[1]);
        thresholds[0] = 0;

        List<Prediction> batched = assertBatchedAndTracedEqualAlone(engine, rows, ExitPolicy.perLayer(thresholds));
        Set<Integer> exitLayers = batched.stream().map(Prediction::exitLayer).collect(Collectors.toSet());
        assertTrue(!exitLayers.contains(1) && exitLayers.contains(2), "exits at " + exitLayers);
    }

    /**
     * Classifies {@code rows} in batches of 64, traced, and one at a time; asserts that every row gets the same exit,
     * label and logits all three ways. Returns the batched predictions.
     */
    static List<Prediction> assertBatchedAndTracedEqualAlone(DeeBertEngine engine, List<TokenizedText> rows,
                                                             ExitPolicy policy) {
        List<Prediction> batched = new ArrayList<>();
        for (int from = 0; from < rows.size(); from += 64) {
            batched.addAll(engine.classify(rows.subList(from, Math.min(rows.size(), from + 64)), policy));
        }
        List<Prediction> traced = engine.trace(rows, policy);
        for (int i = 0; i < rows.size(); i++) {
            Prediction alone = engine.classify(List.of(rows.get(i)), policy).get(0);
            Prediction together = batched.get(i);
            assertEquals(alone.exitLayer(), together.exitLayer(), "row " + i);
            assertEquals(alone.exitLayer(), traced.get(i).exitLayer(), "row " + i + " traced");
            assertEquals(alone.layersComputed(), together.layersComputed(), "row " + i);
            assertEquals(alone.labelIndex(), together.labelIndex(), "row " + i);
            assertArrayEquals(alone.logits(), together.logits(), 1e-4f, "row " + i);
            assertArrayEquals(alone.logits(), traced.get(i).logits(), 1e-4f, "row " + i + " traced");
        }
        return batched;
    }

    /**
     * Refill over batches of mixed lengths, 300 rows in batches of 16 (the last one of 12), in input order and
     * sorted by length as scoring sorts a window: every row's result is compaction's and batch 1's.
     */
    @ParameterizedTest
    @ValueSource(ints = {-1, 0, 1, 2, 3})
    void refillEqualsCompactionAndOneRowAtATime(int quantile) {
        ExitPolicy policy = ExitPolicy.uniform(threshold(quantile), model.config().numHiddenLayers());
        List<Prediction> alone = rows.stream().map(row -> engine.classify(List.of(row), policy).get(0)).toList();
        int[] byLength = IntStream.range(0, rows.size()).boxed()
                .sorted(Comparator.comparingInt(i -> rows.get(i).numTokens())).mapToInt(i -> i).toArray();
        for (int[] order : List.of(IntStream.range(0, rows.size()).toArray(), byLength)) {
            List<List<TokenizedText>> batches = new ArrayList<>();
            for (int from = 0; from < order.length; from += 16) {
                batches.add(Arrays.stream(order, from, Math.min(order.length, from + 16)).mapToObj(rows::get).toList());
            }
            List<Prediction> refill = engine.classify(batches, policy, Batching.REFILL);
            List<Prediction> compaction = engine.classify(batches, policy, Batching.COMPACTION);
            assertEquals(order.length, refill.size());
            for (int i = 0; i < order.length; i++) {
                Prediction one = alone.get(order[i]);
                String row = "row " + order[i];
                for (Prediction p : List.of(refill.get(i), compaction.get(i))) {
                    assertEquals(one.exitLayer(), p.exitLayer(), row);
                    assertEquals(one.layersComputed(), p.layersComputed(), row);
                    assertEquals(one.labelIndex(), p.labelIndex(), row);
                    assertEquals(one.numTokens(), p.numTokens(), row);
                    assertEquals(one.entropy(), p.entropy(), 1e-4, row);
                    assertArrayEquals(one.logits(), p.logits(), 1e-4f, row);
                    assertArrayEquals(one.probabilities(), p.probabilities(), 1e-4f, row);
                }
                assertArrayEquals(compaction.get(i).logits(), refill.get(i).logits(), 1e-5f, row);
            }
        }
    }

    /**
     * The queues themselves, with exits scripted per row (1 + row % N, so every batch loses rows at every
     * layer): each row runs layers 1..its exit once each, in order; the row-layers run add up to the sum of
     * the exit layers; refill runs every layer on full batches but while draining (at most one partial run
     * per layer), compaction never runs a batch larger than it was, nor mixes batches.
     */
    @ParameterizedTest
    @ValueSource(strings = {"REFILL", "COMPACTION"})
    void everyRowRunsEachLayerOfItsOwnOnceInOrder(String name) {
        Batching batching = Batching.valueOf(name);
        int layers = model.config().numHiddenLayers();
        int batchSize = 16;
        int[] exits = new int[rows.size()];
        Arrays.setAll(exits, row -> 1 + row % layers);
        int[] reached = new int[rows.size()];
        List<int[]> runs = new ArrayList<>();
        List<Integer> runLayers = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            DeeBertNetwork network = DeeBertNetwork.forInference(model.loadWeights(manager), Precision.FP32, manager);
            List<BatchInputs> batches = new ArrayList<>();
            for (int from = 0; from < rows.size(); from += batchSize) {
                batches.add(BatchInputs.of(manager, rows.subList(from, Math.min(rows.size(), from + batchSize)),
                        model.config()));
            }
            network.encode(batches, batching, (layer, running, hidden) -> {
                assertEquals(running.length, hidden.getShape().get(0));
                runs.add(running.clone());
                runLayers.add(layer);
                long[] going = new long[running.length];
                int kept = 0;
                for (int i = 0; i < running.length; i++) {
                    assertEquals(reached[running[i]] + 1, layer, "row " + running[i] + " runs its layers in order");
                    reached[running[i]] = layer;
                    if (exits[running[i]] > layer) {
                        going[kept++] = i;
                    }
                }
                return DeeBertNetwork.Remaining.of(Arrays.copyOf(going, kept), running.length);
            });
        }
        assertArrayEquals(exits, reached, "every row ran up to its exit layer, no further");
        assertEquals(Arrays.stream(exits).sum(), runs.stream().mapToInt(r -> r.length).sum(),
                "row-layers run = sum of exit layers");
        for (int i = 0; i < runs.size(); i++) {
            int[] run = runs.get(i);
            assertTrue(run.length <= batchSize, "run " + i + " has " + run.length + " rows");
            if (batching == Batching.COMPACTION) {
                int batch = run[0] / batchSize;
                assertTrue(Arrays.stream(run).allMatch(row -> row / batchSize == batch), "one batch per run");
            }
        }
        if (batching == Batching.REFILL) {
            for (int layer = 1; layer <= layers; layer++) {
                int at = layer;
                long partial = IntStream.range(0, runs.size())
                        .filter(i -> runLayers.get(i) == at && runs.get(i).length < batchSize).count();
                assertTrue(partial <= 1, partial + " partial runs of layer " + layer);
            }
        }
    }
}
