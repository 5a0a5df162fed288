package dev.deebert.tests.importer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.deebert.job.DeeBertMain;
import dev.deebert.job.importer.OnnxWeightsWriter;
import dev.deebert.model.DeeBertEngine;
import dev.deebert.model.DeeBertTokenizer;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import dev.deebert.model.TokenizedText;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each known backbone (BGE-small, 12 layers; all-MiniLM-L6-v2, 6 layers), once imported, computes what ONNX
 * Runtime computes from the very ONNX file it was imported from: last-layer hidden states of every token, on
 * real sentences, run by DeeBERT as one padded batch and by ONNX Runtime one sentence at a time. Written back
 * into the known backbone that fits it ({@link OnnxWeightsWriter#writeIntoKnownBackbone}), an import gives
 * that very file again.
 */
class BackboneParityTest {
    private static final double TOLERANCE = 1e-4;
    private static final List<String> SENTENCES = List.of(
            "The quick brown fox jumps over the lazy dog.",
            "I absolutely loved this movie; the acting was superb and the soundtrack gave me chills.",
            "Terrible service. We waited forty-five minutes and the food arrived cold.",
            "Can you tell me how to get to the nearest train station?",
            "The Federal Reserve raised interest rates by 0.25 percentage points on Wednesday.",
            "My package was supposed to arrive on Monday, but it's now Friday and there's still no sign of it!",
            "Photosynthesis converts light energy into chemical energy stored in glucose.",
            "She sells seashells by the seashore.",
            "Wow.",
            "Honestly, I'm not sure whether I should laugh or cry about what happened at the meeting today.",
            "The hotel room was clean, quiet, and surprisingly affordable for such a central location.",
            "Error 404: the page you requested could not be found on this server.",
            "In 1969, Neil Armstrong became the first person to walk on the Moon.",
            "Please remember to water the plants while I'm away next week.",
            "The battery drains way too fast, even with the screen brightness turned all the way down.",
            "Machine learning models can inherit biases present in their training data.",
            "Who let the dogs out?",
            "The committee will reconvene after lunch to finalize the budget for next year's projects.",
            "It rained all weekend, so we stayed in, played board games, and baked an enormous chocolate cake.",
            "Customer support resolved my issue within minutes - fantastic experience overall.",
            "Mix two cups of flour with one teaspoon of baking soda and a pinch of salt.",
            "The defendant pleaded not guilty to all charges on Tuesday morning in the district court.",
            "Nothing about this update makes sense; half the features I relied on are gone.",
            "Scientists discovered a new species of frog in the rainforests of Ecuador.");

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"bge-small-en-v1.5", "all-minilm-l6-v2"})
    void importedEncoderMatchesOnnxRuntime(String backbone) throws Exception {
        Path out = tmp.resolve(backbone);
        assertEquals(0, DeeBertMain.execute("import", "--backbone", backbone, "--num-labels", "2",
                "--out", out.toString()));
        ModelDirectory model = ModelDirectory.open(out);

        List<TokenizedText> rows = new ArrayList<>();
        try (DeeBertTokenizer tokenizer = model.tokenizer(128)) {
            for (String sentence : SENTENCES) {
                rows.add(tokenizer.encode(sentence, null));
            }
        }
        float[][][] ours;
        try (DeeBertEngine engine = DeeBertEngine.load(model, Device.cpu(), Precision.FP32)) {
            ours = engine.lastHiddenStates(rows);
        }

        byte[] onnx;
        try (InputStream in = getClass().getResourceAsStream("/" + backbone + ".onnx")) {
            onnx = in.readAllBytes();
        }
        // what bench's ONNX Runtime peers run for this import, found without naming a template: its own file
        assertArrayEquals(onnx, OnnxWeightsWriter.writeIntoKnownBackbone(model),
                "the import written into the known backbone that fits is not " + backbone + "'s file");
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        double worst = 0;
        int tokens = 0;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(2);
            try (OrtSession session = env.createSession(onnx, options)) {
                for (int r = 0; r < rows.size(); r++) {
                    float[][] reference = runOnnx(env, session, rows.get(r));
                    assertEquals(reference.length, ours[r].length, "tokens of sentence " + r);
                    for (int t = 0; t < reference.length; t++) {
                        for (int h = 0; h < reference[t].length; h++) {
                            worst = Math.max(worst, Math.abs(reference[t][h] - ours[r][t][h]));
                        }
                        tokens++;
                    }
                }
            }
        }
        System.out.printf(backbone + " parity: %d sentences, %d tokens, max |diff| %.3g%n", rows.size(), tokens, worst);
        assertTrue(worst <= TOLERANCE, "max abs diff of last hidden states " + worst + " > " + TOLERANCE);
    }

    /** One sentence, unpadded: last_hidden_state [1, L, H] -> [L, H]. */
    private static float[][] runOnnx(OrtEnvironment env, OrtSession session, TokenizedText row) throws Exception {
        long[] mask = new long[row.numTokens()];
        Arrays.fill(mask, 1);
        try (OnnxTensor ids = OnnxTensor.createTensor(env, new long[][] {row.ids()});
             OnnxTensor attention = OnnxTensor.createTensor(env, new long[][] {mask});
             OnnxTensor types = OnnxTensor.createTensor(env, new long[][] {row.typeIds()});
             OrtSession.Result result = session.run(Map.of("input_ids", ids, "attention_mask", attention,
                     "token_type_ids", types))) {
            return ((float[][][]) result.get("last_hidden_state").orElseThrow().getValue())[0];
        }
    }
}
