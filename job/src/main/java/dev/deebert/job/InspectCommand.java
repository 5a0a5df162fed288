package dev.deebert.job;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.deebert.job.options.EngineOptions;
import dev.deebert.job.options.ModelOption;
import dev.deebert.model.DeeBertConfig;
import dev.deebert.model.DeeBertEngine;
import dev.deebert.model.DeeBertTokenizer;
import dev.deebert.model.Entropy;
import dev.deebert.model.ExitPolicy;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import dev.deebert.model.Prediction;
import dev.deebert.model.TokenizedText;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Prints, for each text, every ramp's logits (all layers computed) and the early-exit decision at the
 * threshold: one JSON object per line, for looking at a model without Spark.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Print every ramp's logits and the early-exit decision for a few texts, as JSON lines.")
final class InspectCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOption model;

    @Option(names = "--threshold", defaultValue = "0", description = "Entropy threshold S (default: ${DEFAULT-VALUE}).")
    double threshold;

    @Mixin
    EngineOptions.PrecisionOption precision;

    @Mixin
    EngineOptions.MaxSeqLen maxSeqLen;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
    String device;

    @ArgGroup(multiplicity = "1")
    Texts texts;

    static final class Texts {
        @Option(names = "--text", required = true, description = "A text to classify (repeatable).")
        List<String> inline;

        @Option(names = "--input", required = true, description = "A UTF-8 file with one text per line.")
        Path file;
    }

    @Override
    public Integer call() throws IOException {
        Device on = Device.fromName(device);
        Precision chosen = precision.on(on);
        ModelDirectory dir = ModelDirectory.open(model.dir());
        DeeBertConfig config = dir.config();
        ExitPolicy policy = ExitPolicy.uniform(threshold, config.numHiddenLayers());
        List<String> lines = texts.inline != null ? texts.inline : Files.readAllLines(texts.file, StandardCharsets.UTF_8);

        List<Prediction> predictions;
        try (DeeBertTokenizer tokenizer = dir.tokenizer(maxSeqLen.of(dir));
             DeeBertEngine engine = DeeBertEngine.load(dir, on, chosen)) {
            List<TokenizedText> rows = new ArrayList<>(lines.size());
            for (String line : lines) {
                rows.add(tokenizer.encode(line, null));
            }
            predictions = engine.trace(rows, policy);
        }

        ObjectMapper json = new ObjectMapper();
        PrintWriter out = spec.commandLine().getOut();
        for (int i = 0; i < predictions.size(); i++) {
            out.println(json.writeValueAsString(describe(json, config, i, predictions.get(i))));
        }
        out.flush();
        return 0;
    }

    private static ObjectNode describe(ObjectMapper json, DeeBertConfig config, int index, Prediction p) {
        ObjectNode row = json.createObjectNode();
        row.put("index", index);
        row.put("num_tokens", p.numTokens());
        row.put("truncated", p.truncated());
        row.put("exit_layer", p.exitLayer());
        row.put("label", config.labelName(p.labelIndex()));
        row.put("entropy", p.entropy());
        ArrayNode ramps = row.putArray("ramps");
        float[][] layers = p.layerLogits();
        for (int layer = 1; layer < layers.length; layer++) {
            float[] logits = layers[layer - 1];
            ObjectNode ramp = ramps.addObject();
            ramp.put("layer", layer);
            putFloats(ramp.putArray("logits"), logits);
            ramp.put("entropy", Entropy.of(logits));
            ramp.put("label", config.labelName(Entropy.argmax(logits)));
        }
        ObjectNode last = row.putObject("final");
        float[] finalLogits = layers[layers.length - 1];
        putFloats(last.putArray("logits"), finalLogits);
        last.put("entropy", Entropy.of(finalLogits));
        last.put("label", config.labelName(Entropy.argmax(finalLogits)));
        return row;
    }

    private static void putFloats(ArrayNode array, float[] values) {
        for (float v : values) {
            array.add(v);
        }
    }
}
