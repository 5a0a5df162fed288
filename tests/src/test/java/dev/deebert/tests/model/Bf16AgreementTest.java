package dev.deebert.tests.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import dev.deebert.model.DeeBertEngine;
import dev.deebert.model.DeeBertTokenizer;
import dev.deebert.model.ExitPolicy;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import dev.deebert.model.Prediction;
import dev.deebert.model.TokenizedText;
import dev.deebert.tests.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

/** bfloat16 GEMMs (through the bundled TorchScript cast) stay close to float32. */
class Bf16AgreementTest {
    @Test
    void bf16LogitsFollowFp32() {
        ModelDirectory model = ModelDirectory.open(Fixtures.golden("bert"));
        List<TokenizedText> rows;
        try (DeeBertTokenizer tokenizer = model.tokenizer(24)) {
            rows = List.of("The movie was great!", "I did not like it.", "okay", "The hotel room was clean.")
                    .stream().map(t -> tokenizer.encode(t, null)).toList();
        }
        ExitPolicy full = ExitPolicy.uniform(0, model.config().numHiddenLayers());
        try (DeeBertEngine fp32 = DeeBertEngine.load(model, Device.cpu(), Precision.FP32);
             DeeBertEngine bf16 = DeeBertEngine.load(model, Device.cpu(), Precision.BF16)) {
            List<Prediction> exact = fp32.trace(rows, full);
            List<Prediction> approx = bf16.trace(rows, full);
            for (int i = 0; i < rows.size(); i++) {
                for (int layer = 0; layer < exact.get(i).layerLogits().length; layer++) {
                    // bfloat16 keeps 8 bits of mantissa: ~1e-2 relative on logits of order 1.
                    assertArrayEquals(exact.get(i).layerLogits()[layer], approx.get(i).layerLogits()[layer], 0.05f,
                            "row " + i + " exit " + (layer + 1));
                }
                assertEquals(exact.get(i).exitLayer(), approx.get(i).exitLayer());
            }
        }
    }
}
