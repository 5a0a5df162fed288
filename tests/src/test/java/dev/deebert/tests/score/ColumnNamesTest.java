package dev.deebert.tests.score;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.deebert.job.DeeBertMain;
import dev.deebert.tests.Fixtures;
import dev.deebert.tests.SparkTestSession;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Column options name columns: a dot or a space is part of the name, never a struct field or an expression. */
class ColumnNamesTest {
    @TempDir
    Path tmp;

    @Test
    void aDottedIdColumnIsThatColumnNotAStructField() throws Exception {
        Path input = tmp.resolve("input.jsonl");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            lines.add("{\"meta\": {\"id\": \"struct-" + i + "\"}, \"meta.id\": \"flat-" + i + "\", \"my text\": "
                    + "\"a good film number " + i + "\"}");
        }
        Files.write(input, lines, StandardCharsets.UTF_8);
        Path out = tmp.resolve("out");
        assertEquals(0, DeeBertMain.execute("score", "--model", Fixtures.golden("bert").toString(),
                "--input", input.toString(), "--id-col", "meta.id", "--text-col", "my text", "--keep-cols", "meta.id",
                "--output", out.toString(), "--threshold", "0.5", "--precision", "fp32", "--max-seq-len", "24"));
        List<Row> rows = SparkTestSession.get().read().format("delta").load(out.resolve("predictions").toString())
                .select("id", "`meta.id`").collectAsList();
        Set<String> expected = new TreeSet<>();
        for (int i = 0; i < 12; i++) {
            expected.add("flat-" + i);
        }
        assertEquals(expected, rows.stream().map(r -> r.getString(0)).collect(Collectors.toCollection(TreeSet::new)));
        rows.forEach(r -> assertEquals(r.getString(0), r.getString(1), "the kept column is the flat one"));
    }
}
