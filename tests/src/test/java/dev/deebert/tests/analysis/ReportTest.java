package dev.deebert.tests.analysis;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.deebert.job.DeeBertMain;
import dev.deebert.job.analysis.OperatingPoints;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import dev.deebert.tests.SparkTestSession;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deebert report over the demo's layout, a root of scoring runs beside the root of the sweep their model was
 * calibrated on: the HTML page and the Parquet export.
 */
class ReportTest {
    private static final Pattern IMAGE = Pattern.compile("<figure id=\"([^\"]+)\"><img alt=\"[^\"]*\" width=\"900\""
            + " height=\"480\" src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"><figcaption>([^<]*)</figcaption>");

    @TempDir
    static Path tmp;
    static SparkSession spark;
    static Path runs;
    static String html;

    @BeforeAll
    static void report() throws IOException {
        spark = SparkTestSession.get();
        runs = LabeledCorpus.calibratedRuns();
        Path file = tmp.resolve("report/index.html");
        assertEquals(0, DeeBertMain.execute("report", "--output", runs.toString(), "--sweep-input",
                LabeledCorpus.sweptRoot().toString(), "--html", file.toString(), "--export",
                tmp.resolve("export").toString()));
        html = Files.readString(file);
    }

    /** Figure id -> caption, each image checked to be a drawn PNG chart. */
    static Map<String, String> figures(String page) throws IOException {
        Matcher images = IMAGE.matcher(page);
        Map<String, String> figures = new LinkedHashMap<>();
        while (images.find()) {
            byte[] png = Base64.getDecoder().decode(images.group(2));
            assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4), images.group(1));
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
            assertEquals(900, image.getWidth());
            assertEquals(480, image.getHeight());
            assertTrue(png.length > 5_000, images.group(1) + " is a drawn chart, " + png.length + " bytes");
            figures.put(images.group(1), images.group(3));
        }
        assertEquals(page.split("<img ", -1).length - 1, figures.size(), "every image is a figure of a chart");
        return figures;
    }

    @Test
    void htmlHasEverySectionWithEmbeddedPngCharts() throws IOException {
        for (String id : List.of("sweep", "sweep-table", "saving", "layers", "scoring", "per-run", "per-day",
                "per-partition", "labels", "audit")) {
            assertTrue(html.contains("id=\"" + id + "\""), "section " + id);
        }
        assertEquals(List.of("fig2", "fig3", "run-times", "fig4-forced", "exits", "layers-per-run", "audit-agreement"),
                new ArrayList<>(figures(html).keySet()));
        assertEquals(1, html.split("<script", -1).length - 1, "the layout probe is the page's only script");
        assertFalse(html.contains("src=\"http") || html.contains("<link"), "self-contained");
    }

    /** The points calibrate wrote into the scoring runs' model are marked on the sweep they were chosen from. */
    @Test
    void calibratedOperatingPointsAreMarkedOnTheSweep() throws IOException {
        OperatingPoints.Calibrated calibrated = OperatingPoints.read(LabeledCorpus.calibratedModel())
                .find(Precision.FP32, LabeledCorpus.MAX_SEQ_LEN);
        String caption = figures(html).get("fig2");
        for (OperatingPoints.Point p : calibrated.points()) {
            assertTrue(caption.contains(LabeledCorpus.RUN + " S="
                    + BigDecimal.valueOf(p.threshold()).stripTrailingZeros().toPlainString() + " ("), caption);
        }
        assertTrue(html.contains(LabeledCorpus.calibratedModel().resolve(OperatingPoints.FILE).toString()));
        String exits = figures(html).get("exits");
        String scoredAt = BigDecimal.valueOf(calibrated.point(Double.parseDouble(LabeledCorpus.BUDGET_SCORED))
                .threshold()).stripTrailingZeros().toPlainString();
        assertTrue(exits.contains(LabeledCorpus.RUN + " S=" + scoredAt), exits);
        assertTrue(exits.contains("run " + LabeledCorpus.CALIBRATED_RUN + " (S=" + scoredAt + ")"), exits);
    }

    @Test
    void perRunTableShowsShortHashesWithTheFullOneAsTitle() throws IOException {
        String sha = ModelDirectory.open(LabeledCorpus.calibratedModel()).weightsSha256();
        String perRun = html.substring(html.indexOf("<table id=\"per-run\""));
        perRun = perRun.substring(0, perRun.indexOf("</table>"));
        assertTrue(perRun.contains("<td class=\"hash\" title=\"" + sha + "\">" + sha.substring(0, 12) + "…</td>"));
        assertFalse(html.contains(">" + sha + "<"), "no full hash as the text of a cell");
        assertTrue(perRun.contains("<th>rows_<wbr>per_<wbr>s</th>"), "headers break at underscores");
    }

    @Test
    void costTablesShowLayersSavedOfTheScoringRun() {
        long rows = LabeledCorpus.ROWS;
        long computed = spark.read().format("delta").load(runs.resolve("predictions").toString())
                .filter(col("run_id").equalTo(LabeledCorpus.CALIBRATED_RUN)).agg(sum("exit_layer")).first().getLong(0);
        long saved = rows * LabeledCorpus.LAYERS - computed;
        assertTrue(saved > 0);
        String totals = "<td>" + LabeledCorpus.CALIBRATED_RUN + "</td><td>total</td><td class=\"n\">" + rows
                + "</td><td class=\"n\">" + computed + "</td><td class=\"n\">" + rows * LabeledCorpus.LAYERS
                + "</td><td class=\"n\">" + saved + "</td>";
        assertTrue(html.contains(totals), "per-partition totals of " + LabeledCorpus.CALIBRATED_RUN);
    }

    /** Each run's audit as score recorded it in runs, and what calibration promised for the operating point. */
    @Test
    void auditAgreementPerRunAsRecorded() {
        String audit = html.substring(html.indexOf("<table id=\"audit-table\""));
        audit = audit.substring(0, audit.indexOf("</table>"));
        for (Row run : spark.read().format("delta").load(runs.resolve("runs").toString()).collectAsList()) {
            String cells = "<td class=\"n\">" + run.<Long>getAs("audit_rows") + "</td>"
                    + Stream.of("audit_agreement", "audit_low", "audit_high").map(c -> "<td class=\"n\">"
                            + String.format(Locale.ROOT, "%.4g", run.<Double>getAs(c)) + "</td>")
                    .collect(Collectors.joining());
            assertTrue(audit.contains(cells), run.getAs("run_id") + ": " + cells + " in " + audit);
        }
        assertTrue(html.contains("No run drifted."));
    }

    /** A run whose whole agreement interval lies below what calibration promised is flagged as drifted. */
    @Test
    void aRunBelowWhatCalibrationPromisedIsFlagged() throws IOException {
        Path root = LabeledCorpus.audited(tmp.resolve("audited"), Map.of(
                LabeledCorpus.FULL_RUN, new Double[] {1.0, 0.98, 1.0, null},
                LabeledCorpus.CALIBRATED_RUN, new Double[] {0.9375, 0.9, 0.96, 0.97}));
        Path file = tmp.resolve("audited.html");
        assertEquals(0, DeeBertMain.execute("report", "--output", root.toString(), "--html", file.toString()));
        String page = Files.readString(file);
        assertTrue(figures(page).containsKey("audit-agreement"));
        assertTrue(page.contains("Drifted: " + LabeledCorpus.CALIBRATED_RUN + "."), "flagged");
        String audit = page.substring(page.indexOf("<table id=\"audit-table\""));
        assertTrue(audit.contains("<td class=\"n\">0.9375</td><td class=\"n\">0.9000</td><td class=\"n\">0.9600</td>"
                + "<td class=\"n\">0.9700</td><td>true</td>"), audit);
        assertTrue(page.contains("No sweep tables"), "a root of runs alone");
    }

    @Test
    void exportWritesEveryTableAsParquet() {
        Path sweeps = tmp.resolve("sweep-export");
        assertEquals(0, DeeBertMain.execute("report", "--output", LabeledCorpus.sweptRoot().toString(), "--export",
                sweeps.toString()));
        for (String table : List.of("sweep", "layerwise", "sweep_rows", "predictions", "partition_stats", "runs")) {
            Path root = table.startsWith("sweep") || table.equals("layerwise") ? LabeledCorpus.sweptRoot() : runs;
            Path export = root == runs ? tmp.resolve("export") : sweeps;
            long delta = spark.read().format("delta").load(root.resolve(table).toString()).count();
            long parquet = spark.read().parquet(export.resolve(table).toString()).count();
            assertEquals(delta, parquet, table);
            assertTrue(parquet > 0, table);
        }
        assertEquals(LabeledCorpus.ROWS, spark.read().parquet(sweeps.resolve("sweep_rows").toString())
                .filter(col("run_id").equalTo(LabeledCorpus.RUN)).count());
    }

    @Test
    void runFilterAndUserErrors() throws IOException {
        Path file = tmp.resolve("only-sweep.html");
        assertEquals(0, DeeBertMain.execute("report", "--output", runs.toString(), "--sweep-input",
                LabeledCorpus.sweptRoot().toString(), "--html", file.toString(), "--run-id", LabeledCorpus.RUN));
        String page = Files.readString(file);
        assertTrue(page.contains("id=\"fig2\""));
        assertFalse(page.contains(LabeledCorpus.CALIBRATED_RUN), "the scoring runs are filtered out");
        assertEquals(2, DeeBertMain.execute("report", "--output", runs.toString()), "neither --html nor --export");
        assertEquals(2, DeeBertMain.execute("report", "--output", tmp.resolve("none").toString(), "--html",
                file.toString()));
        assertEquals(2, DeeBertMain.execute("report", "--output", tmp.toString(), "--html", file.toString()),
                "no tables under the root");
        assertEquals(2, DeeBertMain.execute("report", "--output", runs.toString(), "--sweep-input", runs.toString(),
                "--html", file.toString()), "a sweep root without sweeps");
    }
}
