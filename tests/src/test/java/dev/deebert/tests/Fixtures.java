package dev.deebert.tests;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** Paths of the committed test fixtures. */
public final class Fixtures {
    private Fixtures() {}

    /** A golden DeeBERT model directory generated with Hugging Face transformers ("bert" or "roberta"). */
    public static Path golden(String modelType) {
        try {
            return Path.of(Fixtures.class.getResource("/golden/" + modelType + "/config.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
