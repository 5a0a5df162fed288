package dev.deebert.tests.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.deebert.job.DeeBertMain;
import dev.deebert.model.DeeBertTokenizer;
import dev.deebert.model.DeeBertWeights;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.SafeTensorsFile;
import dev.deebert.model.TensorNames;
import dev.deebert.tests.Fixtures;
import dev.deebert.job.train.DeeBertTrainer;
import dev.deebert.job.train.NonFiniteBatch;
import dev.deebert.job.train.StageReport;
import dev.deebert.job.train.TrainingReport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backbone whose embedding of one word is finite but so large that any row holding the word overflows to
 * NaN: training names the step, the tensor and the rows, keeps the state before the step and exits non-zero;
 * resumed with {@code --skip-nonfinite} it drops exactly the batches with those rows and finishes.
 */
class NonFiniteBatchTest {
    private static final String MARKER = "xylophone";

    @TempDir
    Path temp;

    @Test
    void aNonFiniteBatchIsNamedCheckpointedAndOptionallySkipped() throws Exception {
        List<SyntheticSentiment.Row> rows = SyntheticSentiment.rows(120, 1);
        Set<String> marked = Set.of("r11", "r51", "r91");
        Path trainFile = temp.resolve("train.jsonl");
        writeWithIds(trainFile, rows, marked);
        Path devFile = SyntheticSentiment.writeJsonl(temp.resolve("dev.jsonl"), SyntheticSentiment.rows(30, 2));
        Path backbone = poisonedBackbone(temp.resolve("backbone"), rows);
        Path out = temp.resolve("model");

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream stderr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int status;
        try {
            status = DeeBertMain.execute(args(backbone, trainFile, devFile, out));
        } finally {
            System.setErr(stderr);
        }
        String message = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, status, message);
        assertTrue(message.contains("the loss is not finite"), message);
        assertTrue(marked.stream().anyMatch(message::contains), "names the marked row: " + message);
        assertFalse(message.contains("\tat "), "one line, no stack trace: " + message);

        Path checkpoint = DeeBertTrainer.checkpointDir(out);
        JsonNode state = new ObjectMapper().readTree(checkpoint.resolve("state.json").toFile());
        int failedStep = Integer.parseInt(message.replaceAll("(?s).*stage 1 step (\\d+):.*", "$1"));
        assertEquals(failedStep - 1, state.get("step").asInt(), "the checkpoint holds the state before the step");
        assertFalse(Files.exists(out));

        assertEquals(0, DeeBertMain.execute(args(backbone, trainFile, devFile, out, "--resume",
                "--skip-nonfinite", "10")));
        TrainingReport report = TrainingReport.read(out.resolve(TrainingReport.FILE));
        for (StageReport stage : report.stages()) {
            assertNotNull(stage.skippedBatches(), "stage " + stage.stage() + " met the marked rows");
            Set<String> seen = new HashSet<>();
            for (NonFiniteBatch batch : stage.skippedBatches()) {
                assertTrue(batch.rowIds().stream().anyMatch(marked::contains), batch.toString());
                seen.addAll(batch.rowIds());
            }
            assertTrue(seen.containsAll(marked), "every batch with a marked row is dropped in one epoch");
        }
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            ModelDirectory.open(out).loadWeights(manager); // checks every tensor is finite
        }
    }

    private static String[] args(Path backbone, Path trainFile, Path devFile, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--model", backbone.toString(),
                "--train", trainFile.toString(), "--dev", devFile.toString(), "--out", out.toString(),
                "--max-seq-len", "24", "--epochs", "1", "--stage2-epochs", "1", "--lr", "1e-3", "--threads", "1"));
        args.addAll(List.of(extra));
        return args.toArray(new String[0]);
    }

    private static void writeWithIds(Path file, List<SyntheticSentiment.Row> rows, Set<String> marked)
            throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        for (SyntheticSentiment.Row row : rows) {
            String id = "r" + (lines.size() + 1);
            Map<String, String> fields = new LinkedHashMap<>();
            fields.put("id", id);
            fields.put("text", marked.contains(id) ? row.text() + " " + MARKER : row.text());
            fields.put("label", row.label());
            lines.add(json.writeValueAsString(fields));
        }
        Files.write(file, lines);
    }

    /** The golden BERT with the embedding of a token only the marker word has set near float32's maximum. */
    private static Path poisonedBackbone(Path dir, List<SyntheticSentiment.Row> rows) throws Exception {
        Fixtures.copyGoldenBert(dir);
        ModelDirectory model = ModelDirectory.open(dir);
        Set<Long> markerIds = new HashSet<>();
        try (DeeBertTokenizer tokenizer = model.tokenizer(24)) {
            for (long id : tokenizer.encode(MARKER, null).ids()) {
                markerIds.add(id);
            }
            for (SyntheticSentiment.Row row : rows) {
                for (long id : tokenizer.encode(row.text(), null).ids()) {
                    markerIds.remove(id);
                }
            }
        }
        assertFalse(markerIds.isEmpty(), "the marker word has a token no other row has");
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            DeeBertWeights weights = model.loadWeights(manager);
            NDArray embeddings = weights.get(TensorNames.EMBEDDINGS.word());
            embeddings.set(new NDIndex(markerIds.iterator().next() + ", :"), 3e38f);
            Path file = model.weightsFile();
            Files.delete(file);
            SafeTensorsFile.write(weights.toNamedList(), file);
        }
        return dir;
    }
}
