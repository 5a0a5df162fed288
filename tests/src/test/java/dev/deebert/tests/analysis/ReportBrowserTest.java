package dev.deebert.tests.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.deebert.job.DeeBertMain;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The report as a browser lays it out: headless Chromium (Debian's chromium package, or Chrome) loads a report of
 * real tables in a 1280-pixel-wide window, and the page's own layout probe writes onto {@code <body>} what only a
 * browser knows, which {@code --dump-dom} prints. Every chart image must decode and nothing may run off the page.
 * Outside the default suite (tag {@code browser}); installs nothing, and is skipped where no browser is on PATH.
 */
@Tag("browser")
class ReportBrowserTest {
    private static final List<String> BROWSERS = List.of("chromium", "chromium-browser", "google-chrome");
    private static final int WIDTH = 1280;
    private static final Pattern BODY = Pattern.compile("<body([^>]*)>");
    private static final Pattern ATTRIBUTE = Pattern.compile("(data-[a-z-]+)=\"([^\"]*)\"");

    @TempDir
    Path tmp;

    private static Optional<Path> browser() {
        return Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .flatMap(dir -> BROWSERS.stream().map(name -> Path.of(dir, name)))
                .filter(Files::isExecutable).findFirst();
    }

    /**
     * The demo's layout (a root of scoring runs, the sweep their model was calibrated on beside it), and a root
     * of runs one of which drifted from what calibration promised.
     */
    @ParameterizedTest
    @ValueSource(strings = {"calibrated", "drifted"})
    void everyChartDecodesAndNothingRunsOffA1280PixelPage(String report) throws Exception {
        Optional<Path> browser = browser();
        assumeTrue(browser.isPresent(), "no " + String.join(", ", BROWSERS) + " on PATH");
        Path file = tmp.resolve("report.html");
        List<String> args = report.equals("calibrated")
                ? List.of("report", "--output", LabeledCorpus.calibratedRuns().toString(), "--sweep-input",
                        LabeledCorpus.sweptRoot().toString(), "--html", file.toString())
                : List.of("report", "--output", LabeledCorpus.audited(tmp.resolve("drifted"), Map.of(
                        LabeledCorpus.FULL_RUN, new Double[] {1.0, 0.98, 1.0, null}, LabeledCorpus.CALIBRATED_RUN,
                        new Double[] {0.94, 0.9, 0.96, 0.97})).toString(), "--html", file.toString());
        assertEquals(0, DeeBertMain.execute(args.toArray(String[]::new)));
        String page = Files.readString(file);
        long images = page.split("<img ", -1).length - 1;
        assertTrue(images > 0);

        Map<String, String> body = laidOut(browser.get(), file);
        assertEquals(Integer.toString(WIDTH), body.get("data-viewport-width"), "the window the page was laid out in");
        int client = Integer.parseInt(body.get("data-client-width"));
        int scroll = Integer.parseInt(body.get("data-scroll-width"));
        assertTrue(scroll <= client && client <= WIDTH, "page " + scroll + " px wide in a " + client + " px window");
        List<String> widths = List.of(body.get("data-image-widths").split(" "));
        assertEquals(images, widths.size(), "every image of the page: " + widths);
        assertTrue(widths.stream().allMatch(w -> Integer.parseInt(w) > 0), "every image decoded: " + widths);
    }

    /** The data attributes on {@code <body>} once Chromium has loaded {@code page} and run its scripts. */
    private Map<String, String> laidOut(Path browser, Path page) throws IOException, InterruptedException {
        Path dom = tmp.resolve("dom.html");
        Process chromium = new ProcessBuilder(browser.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--user-data-dir=" + tmp.resolve("profile"), "--window-size=" + WIDTH + ",2000",
                "--virtual-time-budget=10000", "--dump-dom", page.toUri().toString())
                .redirectOutput(dom.toFile()).redirectError(tmp.resolve("chromium.log").toFile()).start();
        assertTrue(chromium.waitFor(120, TimeUnit.SECONDS), "chromium within 120 s");
        assertEquals(0, chromium.exitValue(), Files.readString(tmp.resolve("chromium.log")));
        String dumped = Files.readString(dom, StandardCharsets.UTF_8);
        Matcher body = BODY.matcher(dumped);
        assertTrue(body.find(), "a <body> in the dumped DOM");
        Map<String, String> attributes = new HashMap<>();
        Matcher attribute = ATTRIBUTE.matcher(body.group(1));
        while (attribute.find()) {
            attributes.put(attribute.group(1), attribute.group(2));
        }
        assertTrue(attributes.containsKey("data-scroll-width"), "the layout probe ran: " + body.group());
        return attributes;
    }
}
