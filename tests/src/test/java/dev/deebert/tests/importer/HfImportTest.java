package dev.deebert.tests.importer;

import static dev.deebert.tests.JsonArrays.floats;
import static dev.deebert.tests.JsonArrays.longs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.deebert.job.DeeBertMain;
import dev.deebert.model.DeeBertConfig;
import dev.deebert.model.DeeBertEngine;
import dev.deebert.model.DeeBertTokenizer;
import dev.deebert.model.ExitPolicy;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.ModelFormatException;
import dev.deebert.model.Precision;
import dev.deebert.model.Prediction;
import dev.deebert.model.SafeTensorsFile;
import dev.deebert.model.TensorNames;
import dev.deebert.model.TokenizedText;
import dev.deebert.tests.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code deebert import --hf} on checkpoints that transformers' own save_pretrained wrote
 * (tests/fixtures/make_hf.py): a sequence classifier's head becomes the final exit, so our engine gives the
 * logits transformers gave; half-precision and sharded checkpoints import exactly; what we cannot run is
 * refused before anything is written.
 */
class HfImportTest {
    private static final double TOLERANCE = 1e-5;
    private static final int MAX_SEQ_LEN = 32;

    private static JsonNode expected;

    @TempDir
    Path tmp;

    @BeforeAll
    static void readExpected() throws IOException {
        expected = new ObjectMapper().readTree(Fixtures.hf("expected.json").toFile());
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert-cls", "roberta-cls", "xlm-roberta-cls-sharded", "bert-cls-vocab",
        "roberta-cls-vocab"})
    void finalExitGivesTheClassifiersOwnLogits(String checkpoint) throws IOException {
        Path out = tmp.resolve("model");
        Outcome imported = deebert("import", "--hf", Fixtures.hf(checkpoint).toString(), "--out", out.toString());
        assertEquals(0, imported.code(), imported.stderr());
        assertTrue(imported.stdout().contains("pretrained pooler, pretrained classifier"), imported.stdout());
        assertEquals(checkpoint.endsWith("-vocab"), imported.stdout().contains("tokenizer.json built from"),
                imported.stdout());

        ModelDirectory model = ModelDirectory.open(out);
        assertEquals(List.of("neg", "neu", "pos"), model.config().labelNames());
        List<JsonNode> cases = cases(checkpoint);
        assertFinalLogits(model, cases);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDList tensors = SafeTensorsFile.read(model.weightsFile(), manager);
            DeeBertConfig config = model.config();
            assertTrue(tensors.get(TensorNames.fileName(config, TensorNames.ramp(0).pooler().weight()))
                    .contentEquals(tensors.get(TensorNames.fileName(config, TensorNames.FINAL_HEAD.pooler().weight()))),
                    "the ramp starts from the pooler");
        }
    }

    /** make_hf.py saved the RoBERTa's weights once whole and once in shards as an XLM-RoBERTa. */
    @Test
    void shardedCheckpointImportsTheSameTensors() {
        Path single = tmp.resolve("single");
        Path sharded = tmp.resolve("sharded");
        assertEquals(3, expected.get("shards").asInt());
        assertEquals(0, deebert("import", "--hf", Fixtures.hf("roberta-cls").toString(), "--out",
                single.toString()).code());
        assertEquals(0, deebert("import", "--hf", Fixtures.hf("xlm-roberta-cls-sharded").toString(), "--out",
                sharded.toString()).code());
        ModelDirectory model = ModelDirectory.open(sharded);
        assertEquals("xlm-roberta", model.config().modelType(), "kept, so that transformers reads it as XLM-R");
        assertEquals(ModelDirectory.open(single).weightsSha256(), model.weightsSha256());
    }

    @Test
    void bareBertModelKeepsItsEncoderAndGetsNewHeads() throws IOException {
        Path base = Fixtures.hf("bert-base");
        Path out = tmp.resolve("model");
        Outcome noLabels = deebert("import", "--hf", base.toString(), "--out", out.toString());
        assertEquals(0, noLabels.code(), noLabels.stderr());
        assertEquals(List.of("LABEL_0", "LABEL_1"), ModelDirectory.open(out).config().labelNames(),
                "transformers' default, for train to re-head");

        Outcome imported = deebert("import", "--hf", base.toString(), "--labels", "ham,spam", "--out", out.toString(),
                "--force");
        assertEquals(0, imported.code(), imported.stderr());
        assertTrue(imported.stdout().contains("BertModel") && imported.stdout().contains("pretrained pooler, new "
                + "classifier"), imported.stdout());
        ModelDirectory model = ModelDirectory.open(out);
        assertEquals(List.of("ham", "spam"), model.config().labelNames());
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDList ours = SafeTensorsFile.read(model.weightsFile(), manager);
            NDList theirs = SafeTensorsFile.read(base.resolve("model.safetensors"), manager);
            for (NDArray half : theirs) {
                assertEquals(DataType.FLOAT16, half.getDataType(), half.getName());
                assertTrue(half.toType(DataType.FLOAT32, false).contentEquals(ours.get("bert." + half.getName())),
                        half.getName() + " widened exactly");
            }
            // theirs: a bare BertModel's names, without the bert. prefix
            assertTrue(ours.get(TensorNames.fileName(model.config(), TensorNames.ramp(0).pooler().bias()))
                    .contentEquals(theirs.get("pooler.dense.bias").toType(DataType.FLOAT32, false)));
            TensorNames.Params head = TensorNames.FINAL_HEAD.classifier();
            NDArray classifier = ours.get(TensorNames.fileName(model.config(), head.weight()));
            assertEquals(2, classifier.getShape().get(0));
            double std = Math.sqrt(classifier.pow(2).mean().getFloat());
            assertTrue(std > 0.01 && std < 0.03, "normal(0, initializer_range 0.02), std " + std);
            assertEquals(0f, ours.get(TensorNames.fileName(model.config(), head.bias())).abs().max().getFloat());
        }
    }

    @Test
    void configAsTransformersWritesItServesInspect() throws IOException {
        Path out = tmp.resolve("model");
        assertEquals(0, deebert("import", "--hf", Fixtures.hf("bert-cls").toString(), "--out", out.toString()).code());
        Path config = out.resolve(ModelDirectory.CONFIG);
        Files.copy(Fixtures.hf("bert-cls").resolve(ModelDirectory.CONFIG), config,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertFalse(Files.readString(config).contains("num_labels"), "transformers 5 writes no num_labels");

        ModelDirectory model = ModelDirectory.open(out).verify();
        assertEquals(List.of("neg", "neu", "pos"), model.config().labelNames());
        JsonNode first = cases("bert-cls").get(0);
        Outcome inspected = deebert("inspect", "--model", out.toString(), "--threshold", "0", "--max-seq-len",
                Integer.toString(MAX_SEQ_LEN), "--precision", "fp32", "--text", first.get("text").asText());
        assertEquals(0, inspected.code(), inspected.stderr());
        JsonNode row = new ObjectMapper().readTree(inspected.stdout());
        assertArrayEquals(floats(first.get("logits")), floats(row.path("final").path("logits")), (float) TOLERANCE);

        ObjectNode contradicting = (ObjectNode) new ObjectMapper().readTree(config.toFile());
        contradicting.put("num_labels", 2);
        Files.writeString(config, contradicting.toString());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelDirectory.open(out));
        assertTrue(e.getMessage().contains("id2label has 3 entries but num_labels is 2"), e.getMessage());
    }

    @Test
    void pickleOnlyCheckpointIsRefusedWithHowToConvert() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("pickle"));
        for (String name : List.of(ModelDirectory.CONFIG, ModelDirectory.TOKENIZER)) {
            Files.copy(Fixtures.hf("bert-cls").resolve(name), dir.resolve(name));
        }
        Files.write(dir.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2});
        Path out = tmp.resolve("model");
        Outcome refused = deebert("import", "--hf", dir.toString(), "--out", out.toString());
        assertEquals(2, refused.code());
        assertTrue(refused.stderr().contains("pickle checkpoint(s) [pytorch_model.bin]")
                && refused.stderr().contains("st.save_file"), refused.stderr());
        assertFalse(Files.exists(out));
    }

    /**
     * Without tokenizer.json, what import --hf cannot build one from (XLM-RoBERTa's SentencePiece model, a
     * tokenizer class other than BERT's, no vocabulary at all) is refused with how transformers writes one.
     */
    @Test
    void tokenizerItCannotBuildIsRefusedWithHowToWriteOne() throws IOException {
        Path xlmr = copyWithout(Fixtures.hf("xlm-roberta-cls-sharded"), "xlmr", ModelDirectory.TOKENIZER);
        Files.write(xlmr.resolve("sentencepiece.bpe.model"), new byte[] {1});
        Path japanese = copyWithout(Fixtures.hf("bert-cls-vocab"), "japanese", "tokenizer_config.json");
        Files.writeString(japanese.resolve("tokenizer_config.json"), "{\"tokenizer_class\": \"BertJapaneseTokenizer\"}");
        Path none = copyWithout(Fixtures.hf("bert-cls-vocab"), "none", "vocab.txt");
        for (Path dir : List.of(xlmr, japanese, none)) {
            Path out = tmp.resolve("model-" + dir.getFileName());
            Outcome refused = deebert("import", "--hf", dir.toString(), "--out", out.toString());
            assertEquals(2, refused.code(), refused.stderr());
            assertTrue(refused.stderr().contains("missing tokenizer.json")
                    && refused.stderr().contains("AutoTokenizer.from_pretrained('" + dir + "').save_pretrained"),
                    refused.stderr());
            assertFalse(Files.exists(out));
        }
        Outcome japaneseRefused = deebert("import", "--hf", japanese.toString(), "--out", tmp.resolve("j").toString());
        assertTrue(japaneseRefused.stderr().contains("names BertJapaneseTokenizer"), japaneseRefused.stderr());
    }

    /** A copy of {@code checkpoint}'s files, but those named {@code left}, in tmp/{@code name}. */
    private Path copyWithout(Path checkpoint, String name, String... left) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        try (Stream<Path> files = Files.list(checkpoint)) {
            for (Path file : files.filter(f -> !List.of(left).contains(f.getFileName().toString())).toList()) {
                Files.copy(file, dir.resolve(file.getFileName()));
            }
        }
        return dir;
    }

    @Test
    void unsupportedArchitectureIsRefusedByName() {
        Path out = tmp.resolve("model");
        Outcome refused = deebert("import", "--hf", Fixtures.hf("gpt2").toString(), "--out", out.toString());
        assertEquals(2, refused.code());
        assertTrue(refused.stderr().contains("model_type 'gpt2' is not supported"), refused.stderr());
        assertFalse(Files.exists(out));
    }

    /**
     * A multi-label classifier (transformers writes {@code "problem_type": "multi_label_classification"} into
     * config.json when one is configured so) was trained with a sigmoid per label: imported, every row would get
     * the softmax's single label. Refused, as is regression.
     */
    @Test
    void multiLabelAndRegressionCheckpointsAreRefused() throws IOException {
        for (String problemType : List.of("multi_label_classification", "regression")) {
            Path dir = copyWithout(Fixtures.hf("bert-cls"), problemType);
            ObjectNode config = (ObjectNode) new ObjectMapper().readTree(dir.resolve(ModelDirectory.CONFIG).toFile());
            config.put("problem_type", problemType);
            Files.writeString(dir.resolve(ModelDirectory.CONFIG), config.toString());
            Path out = tmp.resolve("model-" + problemType);
            Outcome refused = deebert("import", "--hf", dir.toString(), "--out", out.toString());
            assertEquals(2, refused.code(), refused.stderr());
            assertTrue(refused.stderr().contains("problem_type '" + problemType + "' is not supported"),
                    refused.stderr());
            assertFalse(Files.exists(out));
        }
    }

    @Test
    void existingOutputIsKeptWithoutForce() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("model"));
        Files.writeString(out.resolve("keep.txt"), "mine");
        Outcome refused = deebert("import", "--hf", Fixtures.hf("bert-cls").toString(), "--out", out.toString());
        assertEquals(2, refused.code());
        assertEquals("mine", Files.readString(out.resolve("keep.txt")));
        Outcome forced = deebert("import", "--hf", Fixtures.hf("bert-cls").toString(), "--out", out.toString(),
                "--force");
        assertEquals(2, forced.code(), "--force replaces model directories only");
        assertTrue(forced.stderr().contains("is not a model directory: it also holds [keep.txt]"), forced.stderr());
        assertEquals("mine", Files.readString(out.resolve("keep.txt")));
        Outcome onnxOption = deebert("import", "--hf", Fixtures.hf("bert-cls").toString(), "--model-type",
                "roberta", "--out", tmp.resolve("other").toString());
        assertEquals(2, onnxOption.code());
        assertTrue(onnxOption.stderr().contains("--model-type"), onnxOption.stderr());
    }

    /**
     * A checkpoint whose tokenizer.json does not belong to its weights (ids beyond vocab_size) is refused before
     * it replaces anything: the model at --out stays, loadable, and no draft is left behind.
     */
    @Test
    void forceWithAMismatchedTokenizerKeepsTheModelItWouldHaveReplaced() throws IOException {
        Path out = tmp.resolve("model");
        assertEquals(0, deebert("import", "--hf", Fixtures.hf("bert-cls").toString(), "--out", out.toString()).code());
        String before = ModelDirectory.open(out).weightsSha256();
        Path mismatched = copyWithout(Fixtures.hf("bert-cls"), "mismatched");
        try (InputStream bge = getClass().getResourceAsStream("/bge-small-en-v1.5-tokenizer.json")) {
            Files.copy(bge, mismatched.resolve(ModelDirectory.TOKENIZER), StandardCopyOption.REPLACE_EXISTING);
        }

        Outcome refused = deebert("import", "--hf", mismatched.toString(), "--out", out.toString(), "--force");
        assertEquals(2, refused.code());
        assertTrue(refused.stderr().contains("but config.json vocab_size is 400 (tokenizer and model do not belong"
                + " together)"), refused.stderr());
        assertEquals(before, ModelDirectory.open(out).verify().weightsSha256());
        try (Stream<Path> versions = Files.list(tmp.resolve(".model.versions"))) {
            assertEquals(1, versions.count(), "the model, and no draft");
        }
    }

    /** The path GoldenLogitsTest takes: our tokenizer, then every layer traced at threshold 0. */
    private static void assertFinalLogits(ModelDirectory model, List<JsonNode> cases) {
        List<TokenizedText> rows = new ArrayList<>();
        try (DeeBertTokenizer tokenizer = model.tokenizer(MAX_SEQ_LEN)) {
            for (JsonNode c : cases) {
                String textB = c.get("text_b").isNull() ? null : c.get("text_b").asText();
                TokenizedText row = tokenizer.encode(c.get("text").asText(), textB);
                assertArrayEquals(longs(c.get("input_ids")), row.ids(), c.get("text").asText());
                assertArrayEquals(longs(c.get("token_type_ids")), row.typeIds(), c.get("text").asText());
                rows.add(row);
            }
        }
        int layers = model.config().numHiddenLayers();
        try (DeeBertEngine engine = DeeBertEngine.load(model, Device.cpu(), Precision.FP32)) {
            List<Prediction> traced = engine.trace(rows, ExitPolicy.uniform(0, layers));
            for (int i = 0; i < cases.size(); i++) {
                assertArrayEquals(floats(cases.get(i).get("logits")), traced.get(i).layerLogits()[layers - 1],
                        (float) TOLERANCE, cases.get(i).get("text").asText());
            }
        }
    }

    private static List<JsonNode> cases(String checkpoint) {
        return StreamSupport.stream(expected.path("models").path(checkpoint).path("cases").spliterator(), false)
                .toList();
    }

    private record Outcome(int code, String stdout, String stderr) {}

    /** Runs a command as the launcher would, with its stdout and stderr captured. */
    private static Outcome deebert(String... args) {
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = DeeBertMain.execute(args);
            return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
    }
}
