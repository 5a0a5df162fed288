package dev.deebert.job.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.deebert.model.DeeBertTokenizer;
import dev.deebert.model.DeeBertWeights;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.SafeTensorsFile;
import dev.deebert.model.TensorNames;
import dev.deebert.tests.Fixtures;
import dev.deebert.tests.JsonArrays;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One stage-1 and one stage-2 step of the trainer's own losses, dropout off, against PyTorch autograd on
 * transformers' BertModel / RobertaModel with DeeBERT's heads (tests/fixtures/make_gradients.py): the same loss
 * and, for every tensor the stage trains, the same gradient. In this package because the losses are the
 * trainer's internals.
 */
class GradientParityTest {
    /** Per tensor: max |ours - autograd| / max |autograd|. */
    private static final double TOLERANCE = 1e-5;
    /** Gradients that are zero in exact arithmetic come out below this in float32. */
    private static final double ROUNDING = 1e-7;

    @TempDir
    Path temp;

    @ParameterizedTest
    @ValueSource(strings = {"bert", "roberta"})
    void bothStagesGiveAutogradsGradientsForEveryTrainedTensor(String modelType) throws Exception {
        Path golden = Fixtures.golden(modelType);
        JsonNode reference = new ObjectMapper().readTree(golden.resolve("gradients.json").toFile());
        ModelDirectory model = ModelDirectory.open(withoutDropout(golden, temp.resolve(modelType)));
        List<LabeledText> rows = rows(model, reference);
        int[] batch = IntStream.range(0, rows.size()).toArray();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            Map<String, NDArray> expected = new LinkedHashMap<>();
            for (NDArray gradient : SafeTensorsFile.read(golden.resolve("gradients.safetensors"), manager)) {
                expected.put(gradient.getName(), gradient);
            }
            DeeBertWeights weights = model.loadWeights(manager);
            Parameters parameters = Parameters.of(weights);

            Map<String, NDArray> trained = parameters.trainFor(1);
            assertStep(BatchLoss.finalHead(weights, rows), batch, trained, reference.get("stage1_loss").asDouble(),
                    expected, "stage1.", manager);

            trained = parameters.trainFor(2);
            assertStep(BatchLoss.rampsThroughNetwork(weights, rows), batch, trained,
                    reference.get("stage2_loss").asDouble(), expected, "stage2.", manager);
            parameters.freeze();
            FirstTokenStates states = FirstTokenStates.compute(weights, rows, manager, Progress.silent());
            trained = parameters.trainFor(2);
            assertStep(BatchLoss.rampsOnStates(weights, states, rows), batch, trained,
                    reference.get("stage2_loss").asDouble(), expected, "stage2.", manager);
        }
    }

    private static void assertStep(BatchLoss loss, int[] batch, Map<String, NDArray> trained, double expectedLoss,
                                   Map<String, NDArray> expected, String prefix, NDManager manager) {
        Set<String> names = expected.keySet().stream().filter(n -> n.startsWith(prefix))
                .map(n -> n.substring(prefix.length())).collect(Collectors.toSet());
        assertEquals(names, trained.keySet(), prefix + " trains exactly autograd's tensors");
        Engine engine = manager.getEngine();
        try (NDManager step = manager.newSubManager(); GradientCollector collector = engine.newGradientCollector()) {
            NDArray value = loss.of(batch, step);
            assertEquals(expectedLoss, value.getFloat(), 1e-5 * Math.abs(expectedLoss), prefix + "loss");
            collector.backward(value);
        }
        for (Map.Entry<String, NDArray> e : trained.entrySet()) {
            float[] ours = e.getValue().getGradient().toFloatArray();
            float[] theirs = expected.get(prefix + e.getKey()).toFloatArray();
            double scale = 0;
            double diff = 0;
            for (int i = 0; i < theirs.length; i++) {
                scale = Math.max(scale, Math.abs(theirs[i]));
                diff = Math.max(diff, Math.abs(ours[i] - theirs[i]));
            }
            if (e.getKey().endsWith(TensorNames.SELF_ATTENTION + ".key.bias")) {
                // adds one constant to every score of a query, which softmax ignores: zero up to rounding
                assertTrue(scale < ROUNDING && diff < ROUNDING, prefix + e.getKey() + ": " + scale + ", " + diff);
                continue;
            }
            assertTrue(scale > ROUNDING, e.getKey() + ": autograd's gradient is zero, the check would be empty");
            assertTrue(diff <= TOLERANCE * scale, prefix + e.getKey() + ": max|diff| " + diff + ", max|grad| " + scale);
        }
        AdamW.zeroGradients(trained);
    }

    private static List<LabeledText> rows(ModelDirectory model, JsonNode reference) {
        List<LabeledText> rows = new ArrayList<>();
        try (DeeBertTokenizer tokenizer = model.tokenizer(reference.get("max_seq_len").asInt())) {
            for (JsonNode row : reference.get("rows")) {
                JsonNode textB = row.get("text_b");
                LabeledText text = new LabeledText("row " + rows.size(),
                        tokenizer.encode(row.get("text").asText(), textB.isNull() ? null : textB.asText()),
                        row.get("label").asInt());
                assertArrayEquals(JsonArrays.longs(row.get("input_ids")), text.tokens().ids(), "the reference's token ids");
                rows.add(text);
            }
        }
        return rows;
    }

    /** A copy of the golden model whose config turns dropout off, so that both sides are deterministic. */
    private static Path withoutDropout(Path golden, Path dir) throws Exception {
        Fixtures.copyGolden(golden.getFileName().toString(), dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(golden.resolve(ModelDirectory.CONFIG).toFile());
        config.put("hidden_dropout_prob", 0.0).put("attention_probs_dropout_prob", 0.0);
        json.writeValue(dir.resolve(ModelDirectory.CONFIG).toFile(), config);
        return dir;
    }
}
