package dev.deebert.tests.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
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
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Batched early exit (rows leave the batch, the rest are gathered and cut to their longest length) must
 * give every row exactly what it gets alone, the reference's batch-size-1 mode.
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
        rampEntropyQuantiles = new double[] {entropies[entropies.length / 5], entropies[entropies.length / 2],
                entropies[entropies.length * 4 / 5]};
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 0, 1, 2, 3})
    void batchedEqualsOneRowAtATime(int quantile) {
        int layers = model.config().numHiddenLayers();
        double threshold = quantile < 0 ? 0 : quantile == 3 ? 10 : rampEntropyQuantiles[quantile];
        ExitPolicy policy = ExitPolicy.uniform(threshold, layers);

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

        Set<Integer> exitLayers = batched.stream().map(Prediction::exitLayer).collect(Collectors.toSet());
        if (threshold == 0) {
            assertEquals(Set.of(layers), exitLayers, "S=0 runs the full model");
        } else if (quantile == 3) {
            assertEquals(Set.of(1), exitLayers, "a threshold above ln(C) exits every row at the first ramp");
        } else {
            assertTrue(exitLayers.size() >= 2, "rows leave at several layers: " + exitLayers);
        }
    }
}
