package dev.deebert.tests.model;

import static dev.deebert.tests.JsonArrays.floats;
import static dev.deebert.tests.JsonArrays.longs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.deebert.model.DeeBertEngine;
import dev.deebert.model.DeeBertTokenizer;
import dev.deebert.model.ExitPolicy;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import dev.deebert.model.Prediction;
import dev.deebert.model.TokenizedText;
import dev.deebert.tests.Fixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Java against Hugging Face transformers: the fixtures' expected.json holds the tokens and every exit's
 * logits that tests/fixtures/make_golden.py computed with PyTorch for a small random DeeBERT. Each weight form
 * that oneDNN's GEMM can run on ({@code -Ddeebert.onednn.weights}) is pinned in turn, whichever this CPU's
 * timing would pick.
 */
class GoldenLogitsTest {
    private static final double TOLERANCE = 1e-5;

    @ParameterizedTest
    @CsvSource({"bert, packed", "bert, plain", "roberta, packed", "roberta, plain"})
    void tokensAndEveryExitMatchTransformers(String modelType, String weights) throws IOException {
        Path dir = Fixtures.golden(modelType);
        JsonNode expected = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
        List<JsonNode> cases = StreamSupport.stream(expected.get("cases").spliterator(), false).toList();
        ModelDirectory model = ModelDirectory.open(dir);

        List<TokenizedText> rows = new ArrayList<>();
        try (DeeBertTokenizer tokenizer = model.tokenizer(expected.get("max_seq_len").asInt())) {
            for (JsonNode c : cases) {
                String textB = c.get("text_b").isNull() ? null : c.get("text_b").asText();
                TokenizedText row = tokenizer.encode(c.get("text").asText(), textB);
                assertArrayEquals(longs(c.get("input_ids")), row.ids(), c.get("text").asText());
                assertArrayEquals(longs(c.get("token_type_ids")), row.typeIds(), c.get("text").asText());
                assertEquals(c.get("truncated").asBoolean(), row.truncated(), c.get("text").asText());
                rows.add(row);
            }
        }

        int layers = model.config().numHiddenLayers();
        System.setProperty("deebert.onednn.weights", weights);
        try (DeeBertEngine engine = DeeBertEngine.load(model, Device.cpu(), Precision.FP32)) {
            List<Prediction> traced = engine.trace(rows, ExitPolicy.uniform(0, layers));
            for (int i = 0; i < cases.size(); i++) {
                JsonNode c = cases.get(i);
                float[][] logits = traced.get(i).layerLogits();
                for (int ramp = 0; ramp < layers - 1; ramp++) {
                    assertArrayEquals(floats(c.get("ramp_logits").get(ramp)), logits[ramp], (float) TOLERANCE,
                            c.get("text").asText() + " ramp " + (ramp + 1));
                }
                assertArrayEquals(floats(c.get("final_logits")), logits[layers - 1], (float) TOLERANCE,
                        c.get("text").asText() + " final head");
                assertEquals(layers, traced.get(i).exitLayer());
            }
        } finally {
            System.clearProperty("deebert.onednn.weights");
        }
    }
}
