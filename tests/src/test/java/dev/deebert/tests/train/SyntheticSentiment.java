package dev.deebert.tests.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Labelled sentences the tiny golden BERT can learn: filler words plus one or two cue words of the label's
 * class (neg/neu/pos, the golden model's labels), words the golden tokenizer knows.
 */
final class SyntheticSentiment {
    record Row(String text, String label) {}

    private static final Map<String, List<String>> CUES = Map.of(
            "neg", List.of("terrible", "cold", "bland", "late", "damaged", "boring", "disappointed", "slow"),
            "neu", List.of("station", "street", "today", "weather", "train", "morning", "table", "minutes"),
            "pos", List.of("good", "great", "wonderful", "friendly", "best", "love", "sweet", "clean"));
    private static final List<String> LABELS = List.of("neg", "neu", "pos");
    private static final List<String> FILLER = List.of("the", "food", "was", "and", "it", "is", "my", "day", "room",
            "service", "we", "our", "this", "of", "to", "in");

    private SyntheticSentiment() {}

    static List<Row> rows(int count, long seed) {
        Random random = new Random(seed);
        List<Row> rows = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String label = LABELS.get(i % LABELS.size());
            List<String> words = new ArrayList<>();
            int filler = 2 + random.nextInt(4);
            for (int w = 0; w < filler; w++) {
                words.add(FILLER.get(random.nextInt(FILLER.size())));
            }
            int cues = 2 + random.nextInt(2);
            for (int c = 0; c < cues; c++) {
                List<String> cueWords = CUES.get(label);
                words.add(random.nextInt(words.size() + 1), cueWords.get(random.nextInt(cueWords.size())));
            }
            rows.add(new Row(String.join(" ", words), label));
        }
        return rows;
    }

    /** Writes rows as JSON lines with fields {@code text} and {@code label}. */
    static Path writeJsonl(Path file, List<Row> rows) {
        ObjectMapper json = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        try {
            for (Row row : rows) {
                lines.add(json.writeValueAsString(Map.of("text", row.text(), "label", row.label())));
            }
            return Files.write(file, lines);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
