package dev.deebert.tests.analysis;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.deebert.job.DeeBertMain;
import dev.deebert.tests.SparkTestSession;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** deebert report over a root holding a sweep and a scoring run: the HTML page and the Parquet export. */
class ReportTest {
    private static final Pattern IMAGE = Pattern.compile("<figure id=\"([^\"]+)\"><img alt=\"[^\"]*\" src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"");

    @TempDir
    static Path tmp;
    static SparkSession spark;
    static Path root;
    static String html;

    @BeforeAll
    static void report() throws IOException {
        spark = SparkTestSession.get();
        root = LabeledCorpus.scoredRoot();
        Path file = tmp.resolve("report/index.html");
        assertEquals(0, DeeBertMain.execute("report", "--output", root.toString(), "--html", file.toString(),
                "--export", tmp.resolve("export").toString()));
        html = Files.readString(file);
    }

    @Test
    void htmlHasEverySectionWithEmbeddedPngCharts() throws IOException {
        for (String id : List.of("sweep", "sweep-table", "scoring", "per-run", "per-day", "per-partition", "labels")) {
            assertTrue(html.contains("id=\"" + id + "\""), "section " + id);
        }
        Matcher images = IMAGE.matcher(html);
        List<String> figures = new ArrayList<>();
        while (images.find()) {
            figures.add(images.group(1));
            byte[] png = Base64.getDecoder().decode(images.group(2));
            assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4), images.group(1));
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
            assertEquals(900, image.getWidth());
            assertEquals(480, image.getHeight());
            assertTrue(png.length > 5_000, images.group(1) + " is a drawn chart, " + png.length + " bytes");
        }
        assertEquals(List.of("fig2", "fig3", "fig4-forced", "fig4-exits-" + LabeledCorpus.RUN, "layers-per-run"), figures);
        assertFalse(html.contains("<script"), "self-contained and static");
    }

    @Test
    void costTablesShowLayersSavedOfTheScoringRun() {
        long rows = LabeledCorpus.ROWS;
        long computed = spark.read().format("delta").load(root.resolve("predictions").toString())
                .agg(sum("exit_layer")).first().getLong(0);
        long saved = rows * LabeledCorpus.LAYERS - computed;
        assertTrue(saved > 0);
        String totals = "<td>" + LabeledCorpus.SCORE_RUN + "</td><td>total</td><td class=\"n\">" + rows
                + "</td><td class=\"n\">" + computed + "</td><td class=\"n\">" + rows * LabeledCorpus.LAYERS
                + "</td><td class=\"n\">" + saved + "</td>";
        assertTrue(html.contains(totals), "per-partition totals of " + LabeledCorpus.SCORE_RUN);
    }

    @Test
    void exportWritesEveryTableAsParquet() {
        for (String table : List.of("sweep", "layerwise", "sweep_rows", "predictions", "partition_stats", "runs")) {
            long delta = spark.read().format("delta").load(root.resolve(table).toString()).count();
            long parquet = spark.read().parquet(tmp.resolve("export").resolve(table).toString()).count();
            assertEquals(delta, parquet, table);
            assertTrue(parquet > 0, table);
        }
        assertEquals(LabeledCorpus.ROWS, spark.read().parquet(tmp.resolve("export/sweep_rows").toString())
                .filter(col("run_id").equalTo(LabeledCorpus.RUN)).count());
    }

    @Test
    void runFilterAndUserErrors() throws IOException {
        Path file = tmp.resolve("only-sweep.html");
        assertEquals(0, DeeBertMain.execute("report", "--output", root.toString(), "--html", file.toString(),
                "--run-id", LabeledCorpus.RUN));
        String page = Files.readString(file);
        assertTrue(page.contains("id=\"fig2\""));
        assertFalse(page.contains(LabeledCorpus.SCORE_RUN), "the scoring run is filtered out");
        assertEquals(2, DeeBertMain.execute("report", "--output", root.toString()), "neither --html nor --export");
        assertEquals(2, DeeBertMain.execute("report", "--output", tmp.resolve("none").toString(), "--html",
                file.toString()));
        assertEquals(2, DeeBertMain.execute("report", "--output", tmp.toString(), "--html", file.toString()),
                "no tables under the root");
    }
}
