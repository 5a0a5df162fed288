package dev.deebert.tests;

import ai.djl.Device;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Paths of the committed test fixtures. */
public final class Fixtures {
    private Fixtures() {}

    /** What {@code --precision auto} (every command's default) picks on this machine's CPU. */
    public static Precision defaultPrecision() {
        return Precision.fastestOn(Device.cpu());
    }

    /** A golden DeeBERT model directory generated with Hugging Face transformers ("bert" or "roberta"). */
    public static Path golden(String modelType) {
        return resource("/golden/" + modelType);
    }

    /**
     * A Hugging Face checkpoint directory that tests/fixtures/make_hf.py saved with transformers ("bert-cls",
     * ...), or its expected.json.
     */
    public static Path hf(String name) {
        return resource("/hf/" + name);
    }

    /** A tokenizer.json that tests/fixtures/make_unigram_tokenizer.py trained ("unigram": XLM-R's kind). */
    public static Path tokenizer(String name) {
        return resource("/tokenizers/" + name + "/tokenizer.json");
    }

    /** Raw mails of SpamAssassin's layout (easy-ham-1/, spam-1/) for the corpus converter. */
    public static Path corpus() {
        return resource("/corpus");
    }

    private static Path resource(String name) {
        try {
            return Path.of(Fixtures.class.getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A writable copy of the golden BERT model directory at {@code dir}, for tests that change it. */
    public static Path copyGoldenBert(Path dir) throws IOException {
        return copyGolden("bert", dir);
    }

    /** A writable copy of a golden model directory ("bert" or "roberta") at {@code dir}. */
    public static Path copyGolden(String modelType, Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String name : List.of(ModelDirectory.CONFIG, ModelDirectory.WEIGHTS, ModelDirectory.TOKENIZER)) {
            Files.copy(golden(modelType).resolve(name), dir.resolve(name));
        }
        return dir;
    }
}
