package dev.deebert.job.corpus;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/** The output of a conversion: {@code train.jsonl}, {@code dev.jsonl}, {@code test.jsonl}, one record a line. */
final class JsonLinesSplits implements Closeable {
    private final ObjectMapper json = new ObjectMapper();
    private final Map<Split, BufferedWriter> writers = new EnumMap<>(Split.class);

    private JsonLinesSplits() {
    }

    /** Creates the directory if needed and (re)writes the three files. */
    static JsonLinesSplits create(Path dir) throws IOException {
        Files.createDirectories(dir);
        JsonLinesSplits splits = new JsonLinesSplits();
        try {
            for (Split split : Split.values()) {
                splits.writers.put(split, Files.newBufferedWriter(file(dir, split), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            splits.close();
            throw e;
        }
        return splits;
    }

    static Path file(Path dir, Split split) {
        return dir.resolve(split.fileStem() + ".jsonl");
    }

    void write(Split split, CorpusRecord record) throws IOException {
        BufferedWriter writer = writers.get(split);
        writer.write(json.writeValueAsString(record));
        writer.newLine();
    }

    @Override
    public void close() throws IOException {
        IOException failure = null;
        for (BufferedWriter writer : writers.values()) {
            try {
                writer.close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
