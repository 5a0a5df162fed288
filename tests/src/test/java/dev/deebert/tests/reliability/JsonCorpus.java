package dev.deebert.tests.reliability;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;

/** A JSON lines corpus of short review-like texts, one object {"doc": "doc-i", "text": ...} per line. */
final class JsonCorpus {
    private static final String[] WORDS = ("the movie was great bad okay hotel room clean quiet prices went up "
            + "flight cancelled package arrived damaged good value fast delivery happy customer").split(" ");

    private JsonCorpus() {}

    static Path write(Path file, int rows) throws IOException {
        Random random = new Random(rows);
        ObjectMapper json = new ObjectMapper();
        Files.write(file, IntStream.range(0, rows).mapToObj(i -> {
            StringBuilder text = new StringBuilder();
            for (int w = random.nextInt(30); w >= 0; w--) {
                text.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
            }
            try {
                return json.writeValueAsString(Map.of("doc", "doc-" + i, "text", text.toString().trim()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).toList(), StandardCharsets.UTF_8);
        return file;
    }
}
