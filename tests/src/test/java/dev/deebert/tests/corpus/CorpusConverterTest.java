package dev.deebert.tests.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.deebert.job.DeeBertMain;
import dev.deebert.job.corpus.ConversionReport;
import dev.deebert.job.corpus.CorpusConverter;
import dev.deebert.job.corpus.Label;
import dev.deebert.job.corpus.Split;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** prepare-corpus on the hand-made mails: rows, labels, splits, caps, skipped mails, reruns. */
class CorpusConverterTest {
    @TempDir
    Path tmp;

    @Test
    void convertsEveryReadableMailAndCountsTheBrokenOne() throws Exception {
        ConversionReport report = new CorpusConverter(4000).convert(HandMadeMails.directory(), tmp);

        assertEquals(7, report.keptTotal());
        assertEquals(List.of("spam-1/broken"), report.malformed().stream().map(m -> m.split(":")[0]).toList());
        assertEquals(List.of(), report.empty());
        // Every key lands in train, per the Python reference of the split hash (see SplitTest), including
        // the content key "sha256:<hex of the raw bytes>" of the mail without Message-ID.
        assertEquals(3, report.kept(Split.TRAIN, Label.SPAM));
        assertEquals(4, report.kept(Split.TRAIN, Label.HAM));
        assertEquals(List.of(), CorpusRows.read(tmp, Split.DEV));
        assertEquals(List.of(), CorpusRows.read(tmp, Split.TEST));

        Map<String, JsonNode> rows = CorpusRows.read(tmp, Split.TRAIN).stream()
                .collect(Collectors.toMap(r -> r.get("id").asText(), r -> r));
        assertEquals(7, rows.size());
        JsonNode alternative = rows.get("spam-1/multipart-alternative");
        assertEquals("Cheap watches\nBuy cheap watches today.", alternative.get("text").asText());
        assertEquals("spam", alternative.get("label").asText());
        assertEquals("spam-1", alternative.get("group").asText());
        JsonNode lunch = rows.get("easy-ham-1/no-message-id");
        assertEquals("Lunch?\nShall we have lunch on Friday?", lunch.get("text").asText());
        assertEquals("ham", lunch.get("label").asText());
        assertEquals("easy-ham-1", lunch.get("group").asText());
        assertEquals("Offer\nСкидки на всё только сегодня", rows.get("spam-1/koi8r").get("text").asText());
    }

    @Test
    void commandCapsTextsAndRerunsToIdenticalFiles() throws Exception {
        Path first = tmp.resolve("first");
        Path second = tmp.resolve("second");
        String source = HandMadeMails.directory().toString();
        assertEquals(0, DeeBertMain.execute("prepare-corpus", "--source", source, "--out", first.toString(),
                "--max-chars", "20"));
        assertEquals(0, DeeBertMain.execute("prepare-corpus", "--source", source, "--out", second.toString(),
                "--max-chars", "20"));

        for (Split split : Split.values()) {
            String file = split.fileStem() + ".jsonl";
            assertArrayEquals(Files.readAllBytes(first.resolve(file)), Files.readAllBytes(second.resolve(file)), file);
        }
        List<JsonNode> rows = CorpusRows.read(first, Split.TRAIN);
        assertTrue(rows.stream().allMatch(r -> r.get("text").asText().length() <= 20), rows.toString());
        JsonNode alternative = rows.stream()
                .filter(r -> r.get("id").asText().equals("spam-1/multipart-alternative")).findFirst().orElseThrow();
        assertEquals("Cheap watches\nBuy ch", alternative.get("text").asText());
    }

    @Test
    void commandRejectsAMissingSourceAndAnUnlabelledGroup() throws Exception {
        Path out = tmp.resolve("out");
        assertEquals(2, DeeBertMain.execute("prepare-corpus", "--source", tmp.resolve("absent").toString(),
                "--out", out.toString()));

        Path unlabelled = tmp.resolve("unlabelled");
        Files.createDirectories(unlabelled.resolve("misc"));
        Files.write(unlabelled.resolve("misc/one.txt"), HandMadeMails.bytes("easy-ham-1/no-message-id"));
        assertEquals(2, DeeBertMain.execute("prepare-corpus", "--source", unlabelled.toString(),
                "--out", out.toString()));
        assertEquals(2, DeeBertMain.execute("prepare-corpus", "--source", HandMadeMails.directory().toString(),
                "--out", out.toString(), "--max-chars", "0"));
    }
}
