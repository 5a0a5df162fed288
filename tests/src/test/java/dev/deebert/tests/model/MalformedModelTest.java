package dev.deebert.tests.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.ModelFormatException;
import dev.deebert.model.SafeTensorsFile;
import dev.deebert.model.ServingContract;
import dev.deebert.train.TrainingReport;
import dev.deebert.tests.Fixtures;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each way a model directory can be broken gives one clear error before anything runs. */
class MalformedModelTest {
    private static final String RAMP_CLASSIFIER = "bert.encoder.highway.0.classifier.weight";

    @TempDir
    Path tmp;
    Path model;

    @BeforeEach
    void copyGolden() throws IOException {
        model = Fixtures.copyGoldenBert(tmp.resolve("model"));
    }

    @Test
    void theIntactCopyVerifies() {
        assertEquals(3, ModelDirectory.open(model).verify().config().numHiddenLayers());
    }

    @Test
    void missingTensor() throws IOException {
        rewriteTensor(RAMP_CLASSIFIER, t -> null);
        assertProblem("missing tensor " + RAMP_CLASSIFIER);
    }

    @Test
    void wrongShape() throws IOException {
        rewriteTensor(RAMP_CLASSIFIER, t -> t.getManager().zeros(new Shape(4, 32)));
        assertProblem(RAMP_CLASSIFIER + " has shape [4, 32], expected (3, 32)");
    }

    @Test
    void wrongDtype() throws IOException {
        rewriteTensor(RAMP_CLASSIFIER, t -> t.toType(DataType.FLOAT64, true));
        assertProblem(RAMP_CLASSIFIER + " has dtype F64, expected F32");
    }

    @Test
    void nanWeights() throws IOException {
        rewriteTensor(RAMP_CLASSIFIER, t -> t.div(0f));
        assertProblem(RAMP_CLASSIFIER + " holds NaN or infinite values");
    }

    @Test
    void truncatedSafetensors() throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(model.resolve("model.safetensors").toFile(), "rw")) {
            file.setLength(file.length() - 100);
        }
        assertProblem("(truncated or corrupt)");
    }

    @Test
    void headerClaimingAbsurdSizeIsNotAllocated() throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(model.resolve("model.safetensors").toFile(), "rw")) {
            file.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 60).array());
        }
        assertProblem("header claims 1152921504606846976 bytes");
    }

    @Test
    void pickleCheckpointIsRefusedWithConversionHint() throws IOException {
        Files.write(model.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2});
        String message = assertProblem("pickle checkpoint(s) [pytorch_model.bin]");
        assertTrue(message.contains("safetensors"), message);
    }

    @Test
    void tokenizerBiggerThanEmbeddings() throws IOException {
        Path tokenizer = model.resolve("tokenizer.json");
        String json = Files.readString(tokenizer, StandardCharsets.UTF_8);
        Files.writeString(tokenizer, json.replaceFirst("\"added_tokens\": *\\[",
                "\"added_tokens\": [{\"id\": 5000, \"content\": \"[EXTRA]\", \"single_word\": false, \"lstrip\": false,"
                        + " \"rstrip\": false, \"normalized\": false, \"special\": true},"), StandardCharsets.UTF_8);
        assertProblem("token ids reach 5000 but config.json vocab_size is 400");
    }

    @Test
    void configWithImpossibleHeads() throws IOException {
        Path config = model.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"num_attention_heads\": 4",
                "\"num_attention_heads\": 5"));
        assertProblem("num_attention_heads");
    }

    @Test
    void servingLengthBeyondThePositions() throws IOException {
        Files.writeString(model.resolve(ServingContract.FILE),
                "{\"format\": \"" + ServingContract.FORMAT + "\", \"max_seq_len\": 65, \"origin\": \"trained\"}");
        assertProblem("serving max_seq_len 65 is outside 2..64");
    }

    /** Directories written before serving.json: the length training_report.json records, else the default. */
    @Test
    void withoutServingJsonTheTrainedLengthElseTheDefault() throws IOException {
        ServingContract unrecorded = ModelDirectory.open(model).serving();
        assertFalse(unrecorded.recorded());
        assertEquals(64, unrecorded.maxSeqLen(), "128 capped by 64 positions");
        assertEquals(62, ModelDirectory.open(Fixtures.golden("roberta")).serving().maxSeqLen(),
                "RoBERTa's 64 positions less padding_idx + 1");
        new TrainingReport("backbone", List.of("neg", "neu", "pos"), null, 10, 10, 24, 42, List.of())
                .write(model.resolve(TrainingReport.FILE));
        assertEquals(ServingContract.trained(24), ModelDirectory.open(model).serving());
    }

    @Test
    void missingDirectory() {
        assertProblem(tmp.resolve("nowhere"), "model directory does not exist");
    }

    private String assertProblem(String expected) {
        return assertProblem(model, expected);
    }

    private static String assertProblem(Path dir, String expected) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelDirectory.open(dir).verify());
        assertTrue(e.getMessage().contains(expected), "message: " + e.getMessage());
        return e.getMessage();
    }

    /** Rewrites model.safetensors with one tensor replaced (or dropped when the function returns null). */
    private void rewriteTensor(String name, UnaryOperator<NDArray> change) throws IOException {
        Path file = model.resolve("model.safetensors");
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            NDList tensors = SafeTensorsFile.read(file, manager);
            NDList changed = new NDList();
            for (NDArray t : tensors) {
                NDArray replacement = t.getName().equals(name) ? change.apply(t) : t;
                if (replacement != null) {
                    replacement.setName(t.getName());
                    changed.add(replacement);
                }
            }
            SafeTensorsFile.write(changed, file);
        }
    }
}
