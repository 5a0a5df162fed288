package dev.deebert.tests.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.deebert.job.DeeBertMain;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * notebooks/cost_analysis.ipynb executed by Jupyter against an export this test makes. Skipped where
 * python3 cannot import the notebook's stack (the Java build never needs Python).
 */
class NotebookTest {
    @TempDir
    Path tmp;

    private static boolean pythonStackPresent() {
        try {
            Process check = new ProcessBuilder("python3", "-c",
                    "import nbformat, nbconvert, nbclient, ipykernel, pandas, pyarrow, matplotlib")
                    .redirectErrorStream(true).start();
            return check.waitFor(60, TimeUnit.SECONDS) && check.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The notebook in the source tree, found from the test's working directory (the tests module). */
    private static Path notebook() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("notebooks/cost_analysis.ipynb");
            if (Files.exists(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("notebooks/cost_analysis.ipynb not found above " + Path.of("").toAbsolutePath());
    }

    @Test
    void executesAgainstAnExport() throws Exception {
        assumeTrue(pythonStackPresent(), "python3 with nbformat, nbconvert, pandas, pyarrow and matplotlib");
        Path export = tmp.resolve("export");
        assertEquals(0, DeeBertMain.execute("report", "--output", LabeledCorpus.scoredRoot().toString(), "--export",
                export.toString()));

        ProcessBuilder nbconvert = new ProcessBuilder("python3", "-m", "jupyter", "nbconvert", "--to", "notebook",
                "--execute", "--ExecutePreprocessor.timeout=120", "--output", "executed", "--output-dir",
                tmp.toString(), notebook().toString()).redirectErrorStream(true);
        nbconvert.environment().put("DEEBERT_EXPORT", export.toString());
        nbconvert.environment().put("DEEBERT_MAX_DROP", "100");
        Process process = nbconvert.start();
        String log = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(180, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), log);

        JsonNode executed = new ObjectMapper().readTree(tmp.resolve("executed.ipynb").toFile());
        List<String> text = new ArrayList<>();
        int images = 0;
        for (JsonNode cell : executed.path("cells")) {
            for (JsonNode output : cell.path("outputs")) {
                assertTrue(!"error".equals(output.path("output_type").asText()), output.toString());
                output.path("text").forEach(line -> text.add(line.asText()));
                images += output.path("data").has("image/png") ? 1 : 0;
            }
        }
        String printed = String.join("", text);
        assertTrue(printed.contains("sweep " + LabeledCorpus.RUN + ": S="), printed);
        assertTrue(printed.contains("\"rows\": " + LabeledCorpus.ROWS), "per-run summary of the scoring run: " + printed);
        assertTrue(images >= 3, "plots of quality, cost per run and per partition: " + images);
    }
}
