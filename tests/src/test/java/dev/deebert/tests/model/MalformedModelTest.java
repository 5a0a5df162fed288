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
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.ModelFormatException;
import dev.deebert.model.SafeTensorsFile;
import dev.deebert.model.ServingContract;
import dev.deebert.model.TensorNames;
import dev.deebert.tests.Fixtures;
import dev.deebert.job.train.TrainingReport;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each way a model directory can be broken gives one clear error before anything runs. */
class MalformedModelTest {
    private static final String RAMP_CLASSIFIER = "bert." + TensorNames.ramp(0).classifier().weight();
    private static final String QUERY_BIAS = "bert." + TensorNames.layer(0).query().bias();

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
    void overlappingTensorsAreRefused() throws IOException {
        // the tensor stored after the first one starts 4 bytes early, inside the first one
        rewriteHeader(header -> shift(header, tensorAt(header, end(header, tensorAt(header, 0))), -4), 0);
        assertProblem("(overlapping tensors)");
    }

    @Test
    void aGapBetweenTensorsIsRefused() throws IOException {
        rewriteHeader(header -> shift(header, lastTensor(header), 4), 4);
        assertProblem("(a gap)");
    }

    @Test
    void aShapeBeyondTheFileIsRefusedWithoutOverflow() throws IOException {
        rewriteHeader(header -> ((ObjectNode) header.get(QUERY_BIAS)).set("shape",
                new ObjectMapper().createArrayNode().add(100_000).add(100_000).add(100_000).add(100_000)), 0);
        assertProblem("holds more elements than the");
    }

    @Test
    void configSizesBeyondTheWeightsAreRefusedBeforeAllocation() throws IOException {
        Path config = model.resolve("config.json");
        ObjectMapper json = new ObjectMapper();
        ObjectNode fields = (ObjectNode) json.readTree(config.toFile());
        fields.remove(List.of("id2label", "label2id"));
        json.writeValue(config.toFile(), fields.put("num_labels", Integer.MAX_VALUE));
        assertProblem("num_labels 2147483647 cannot describe weights of");
        json.writeValue(config.toFile(), fields.put("num_labels", 3).put("num_hidden_layers", 200_000_000));
        assertProblem("num_hidden_layers 200000000 cannot describe weights of");
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
    void pairTemplateBeyondTheTokenTypes() throws IOException {
        Path tokenizer = model.resolve("tokenizer.json");
        String json = Files.readString(tokenizer, StandardCharsets.UTF_8);
        String pairSeparator = "\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":1}";
        assertTrue(json.contains(pairSeparator), "the golden BERT's pair template types its second [SEP] 1");
        Files.writeString(tokenizer, json.replace(pairSeparator, pairSeparator.replace("1}", "2}")));
        assertProblem("its templates give token type id 2 but config.json type_vocab_size is 2");
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

    /**
     * Rewrites model.safetensors' JSON header (the data bytes stay as they are, {@code extraBytes} zero bytes
     * appended), as a corrupt or hostile writer could.
     */
    private void rewriteHeader(Consumer<ObjectNode> change, int extraBytes) throws IOException {
        Path file = model.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        int headerLength = (int) ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = (ObjectNode) json.readTree(Arrays.copyOfRange(bytes, 8, 8 + headerLength));
        change.accept(header);
        byte[] newHeader = json.writeValueAsBytes(header);
        ByteBuffer out = ByteBuffer.allocate(8 + newHeader.length + bytes.length - 8 - headerLength + extraBytes)
                .order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(newHeader.length).put(newHeader).put(bytes, 8 + headerLength, bytes.length - 8 - headerLength);
        Files.write(file, out.array());
    }

    /** The tensor whose bytes start at data byte {@code offset}, or null. */
    private static String tensorAt(ObjectNode header, long offset) {
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode offsets = e.getValue().path("data_offsets");
            if (offsets.path(0).asLong(-1) == offset && offsets.path(1).asLong() > offset) {
                return e.getKey();
            }
        }
        return null;
    }

    private static long end(ObjectNode header, String tensor) {
        return header.get(tensor).get("data_offsets").get(1).asLong();
    }

    /** The tensor whose bytes come last in the file. */
    private static String lastTensor(ObjectNode header) {
        String last = tensorAt(header, 0);
        for (String next = last; next != null; next = tensorAt(header, end(header, next))) {
            last = next;
        }
        return last;
    }

    private static void shift(ObjectNode header, String tensor, long bytes) {
        ArrayNode offsets = (ArrayNode) header.get(tensor).get("data_offsets");
        offsets.set(0, offsets.get(0).asLong() + bytes);
        offsets.set(1, offsets.get(1).asLong() + bytes);
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
