package dev.deebert.tests.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.deebert.job.corpus.Split;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads back a split file written by prepare-corpus. */
final class CorpusRows {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CorpusRows() {
    }

    static List<JsonNode> read(Path outDir, Split split) throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(outDir.resolve(split.fileStem() + ".jsonl"), StandardCharsets.UTF_8)) {
            rows.add(JSON.readTree(line));
        }
        return rows;
    }
}
