package dev.deebert.tests.corpus;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** The hand-made mails under test resources {@code corpus/<group>/<name>.txt}. */
final class HandMadeMails {
    private HandMadeMails() {
    }

    static Path directory() {
        try {
            return Path.of(HandMadeMails.class.getResource("/corpus").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] bytes(String groupAndName) {
        try (InputStream in = HandMadeMails.class.getResourceAsStream("/corpus/" + groupAndName + ".txt")) {
            if (in == null) {
                throw new IllegalArgumentException("no test mail corpus/" + groupAndName + ".txt");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
