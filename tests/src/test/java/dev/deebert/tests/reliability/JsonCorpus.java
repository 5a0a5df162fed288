package dev.deebert.tests.reliability;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.deebert.tests.RandomTexts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.IntStream;

/** A JSON lines corpus of short review-like texts, one object {"doc": "doc-i", "text": ...} per line. */
final class JsonCorpus {
    private JsonCorpus() {}

    static Path write(Path file, int rows) throws IOException {
        RandomTexts texts = new RandomTexts(rows);
        ObjectMapper json = new ObjectMapper();
        Files.write(file, IntStream.range(0, rows).mapToObj(i -> {
            try {
                return json.writeValueAsString(Map.of("doc", "doc-" + i, "text", texts.next(30)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).toList(), StandardCharsets.UTF_8);
        return file;
    }
}
