package dev.deebert.tests.importer;

import static dev.deebert.tests.importer.OnnxBytes.field;
import static dev.deebert.tests.importer.OnnxBytes.message;
import static dev.deebert.tests.importer.OnnxBytes.model;
import static dev.deebert.tests.importer.OnnxBytes.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.deebert.job.DeeBertMain;
import dev.deebert.job.importer.OnnxGraph;
import dev.deebert.job.importer.OnnxWeightsWriter;
import dev.deebert.model.DeeBertConfig;
import dev.deebert.model.DeeBertEngine;
import dev.deebert.model.DeeBertTokenizer;
import dev.deebert.model.DeeBertWeights;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import dev.deebert.model.SafeTensorsFile;
import dev.deebert.model.TensorNames;
import dev.deebert.model.TokenizedText;
import dev.deebert.tests.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DeeBERT model's encoder weights written into a copy of an ONNX export of its architecture
 * ({@link OnnxWeightsWriter}): the imported BGE-small written back is the original file, a changed weight
 * changes what ONNX Runtime computes exactly as it changes DeeBERT's own encoder, and a template that does
 * not fit the model is refused by name.
 */
class OnnxExportTest {
    private static final String PERTURBED = "bert.encoder.layer.3.intermediate.dense.weight";
    private static final List<String> SENTENCES = List.of(
            "The quick brown fox jumps over the lazy dog.",
            "Terrible service. We waited forty-five minutes and the food arrived cold.",
            "In 1969, Neil Armstrong became the first person to walk on the Moon.",
            "Wow.",
            "Customer support resolved my issue within minutes - fantastic experience overall.");

    @TempDir
    static Path tmp;

    private static byte[] template;
    private static ModelDirectory imported;
    private static List<TokenizedText> rows;

    @BeforeAll
    static void importBge() throws Exception {
        Path out = tmp.resolve("bge");
        assertEquals(0, DeeBertMain.execute("import", "--backbone", "bge-small-en-v1.5", "--num-labels", "2",
                "--out", out.toString()));
        imported = ModelDirectory.open(out);
        try (InputStream in = OnnxExportTest.class.getResourceAsStream("/bge-small-en-v1.5.onnx")) {
            template = in.readAllBytes();
        }
        rows = new ArrayList<>();
        try (DeeBertTokenizer tokenizer = imported.tokenizer(128)) {
            for (String sentence : SENTENCES) {
                rows.add(tokenizer.encode(sentence, null));
            }
        }
    }

    @Test
    void importedWeightsWrittenBackGiveTheOriginalModel() throws Exception {
        byte[] exported = OnnxWeightsWriter.write(template, "bge-small-en-v1.5.onnx", imported);

        Map<String, OnnxGraph.Tensor> before = initializers(template);
        Map<String, OnnxGraph.Tensor> after = initializers(exported);
        assertEquals(before.keySet(), after.keySet());
        for (OnnxGraph.Tensor t : before.values()) {
            OnnxGraph.Tensor u = after.get(t.name());
            assertArrayEquals(t.dims(), u.dims(), t.name());
            assertEquals(t.dataType(), u.dataType(), t.name());
            // Arrays.equals compares floats by their bits.
            assertTrue(Arrays.equals(t.floats(), u.floats()) && Arrays.equals(t.longs(), u.longs()),
                    t.name() + " is not bit-identical");
        }
        // The template stores raw_data, which the writer rewrites in place: nothing at all may change.
        assertArrayEquals(template, exported, "the file is not byte-identical");

        double diff = maxAbsDiff(runOnnx(template), runOnnx(exported));
        System.out.printf("BGE-small written back: %d initializers bit-identical, file byte-identical, "
                + "last_hidden_state max |diff| %.3g%n", before.size(), diff);
        assertTrue(diff <= 1e-6, "max abs diff of last_hidden_state " + diff);
    }

    @Test
    void changedEncoderWeightReachesOnnxRuntime() throws Exception {
        Path dir = tmp.resolve("perturbed");
        Files.createDirectories(dir);
        for (String file : List.of(ModelDirectory.CONFIG, ModelDirectory.WEIGHTS, ModelDirectory.TOKENIZER)) {
            Files.copy(imported.dir().resolve(file), dir.resolve(file));
        }
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDList tensors = SafeTensorsFile.read(imported.weightsFile(), manager);
            NDList changed = new NDList();
            for (NDArray t : tensors) {
                NDArray replacement = t.getName().equals(PERTURBED) ? t.add(0.01f) : t;
                replacement.setName(t.getName());
                changed.add(replacement);
            }
            Files.delete(dir.resolve(ModelDirectory.WEIGHTS));
            SafeTensorsFile.write(changed, dir.resolve(ModelDirectory.WEIGHTS));
        }
        ModelDirectory perturbed = ModelDirectory.open(dir);

        float[][][] onnx = runOnnx(OnnxWeightsWriter.write(template, "bge-small-en-v1.5.onnx", perturbed));
        float[][][] ours;
        try (DeeBertEngine engine = DeeBertEngine.load(perturbed, Device.cpu(), Precision.FP32)) {
            ours = engine.lastHiddenStates(rows);
        }
        double fromOriginal = maxAbsDiff(runOnnx(template), onnx);
        double fromDeeBert = maxAbsDiff(ours, onnx);
        System.out.printf("%s + 0.01: ONNX Runtime moves %.3g from the original, %.3g from DeeBERT%n",
                PERTURBED, fromOriginal, fromDeeBert);
        assertTrue(fromOriginal > 1e-3, "the changed weight did not reach the ONNX model: " + fromOriginal);
        assertTrue(fromDeeBert <= 1e-4, "ONNX Runtime and DeeBERT differ by " + fromDeeBert);
    }

    @Test
    void templateOfAnotherArchitectureIsRefused() throws Exception {
        ModelDirectory golden = ModelDirectory.open(Fixtures.golden("bert"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnnxWeightsWriter.write(template, "bge.onnx", golden));
        assertTrue(e.getMessage().contains("(3 layers, hidden size 32) does not fit the ONNX template bge.onnx "
                + "(12 layers, hidden size 384)"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> OnnxWeightsWriter.write(new HandBuiltExport(golden, 4, Set.of()).bytes(), "four.onnx", golden));
        assertTrue(e.getMessage().contains("(3 layers, hidden size 32) does not fit the ONNX template four.onnx "
                + "(4 layers, hidden size 32)"), e.getMessage());

        String dropped = "encoder.layer.1.output.LayerNorm.bias";
        e = assertThrows(IllegalArgumentException.class, () -> OnnxWeightsWriter.write(
                new HandBuiltExport(golden, 3, Set.of(dropped)).bytes(), "holey.onnx", golden));
        assertTrue(e.getMessage().contains("no initializer holds " + dropped), e.getMessage());
    }

    /** A model that fits no known backbone (BackboneParityTest: the ones that do) is refused with each reason. */
    @Test
    void modelOfNoKnownBackboneIsRefusedWithEachReason() {
        ModelDirectory golden = ModelDirectory.open(Fixtures.golden("bert"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnnxWeightsWriter.writeIntoKnownBackbone(golden));
        assertTrue(e.getMessage().startsWith("no known backbone's ONNX export fits the model"), e.getMessage());
        for (String backbone : List.of("bge-small-en-v1.5", "all-minilm-l6-v2")) {
            assertTrue(e.getMessage().contains("(3 layers, hidden size 32) does not fit the ONNX template " + backbone),
                    e.getMessage());
        }
    }

    /** A template that keeps its weights as float_data (BGE uses raw_data) gets the model's values as raw_data. */
    @Test
    void handBuiltTemplateGetsEveryModelTensor() throws Exception {
        ModelDirectory golden = ModelDirectory.open(Fixtures.golden("bert"));
        HandBuiltExport export = new HandBuiltExport(golden, 3, Set.of());
        Map<String, OnnxGraph.Tensor> written = initializers(OnnxWeightsWriter.write(export.bytes(), "hand.onnx",
                golden));
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            DeeBertWeights weights = golden.loadWeights(manager);
            for (Map.Entry<String, String> e : export.canonicalByInitializer.entrySet()) {
                NDArray expected = weights.get(e.getValue());
                OnnxGraph.Tensor actual = written.get(e.getKey());
                boolean matMul = e.getKey().startsWith("onnx::MatMul");
                assertArrayEquals(matMul ? expected.transpose().toFloatArray() : expected.toFloatArray(),
                        actual.floats(), e.getKey() + " (" + e.getValue() + ")");
            }
        }
    }

    /**
     * The initializers and MatMul nodes of a {@code torch.onnx.export} of a BERT encoder with the golden
     * model's shapes, {@code layers} deep, zero-filled, without the canonical tensors {@code dropped}: only
     * what the weight mapping reads, not a runnable graph. Bytes written with protobuf's own encoder after
     * onnx.proto's field numbers.
     */
    private static final class HandBuiltExport {
        final Map<String, String> canonicalByInitializer = new LinkedHashMap<>();
        private final ByteArrayOutputStream graph = new ByteArrayOutputStream();

        HandBuiltExport(ModelDirectory model, int layers, Set<String> dropped) throws IOException {
            DeeBertConfig shapes = model.config().toBuilder().numHiddenLayers(layers).build();
            int matMuls = 0;
            List<String> embeddingTables = List.of(TensorNames.EMBEDDINGS.word(), TensorNames.EMBEDDINGS.position(),
                    TensorNames.EMBEDDINGS.tokenType());
            for (Map.Entry<String, ai.djl.ndarray.types.Shape> e : TensorNames.shapes(shapes).entrySet()) {
                String name = e.getKey();
                long[] dims = e.getValue().getShape();
                if (!TensorNames.backbone(shapes).contains(name) || dropped.contains(name)) {
                    continue;
                }
                if (dims.length == 2 && !embeddingTables.contains(name)) {
                    String initializer = "onnx::MatMul_" + (1000 + matMuls++);
                    String module = "/" + name.substring(0, name.length() - ".weight".length()).replace('.', '/');
                    graph.writeBytes(field(1, message(n -> { // NodeProto: input 1, output 2, name 3, op_type 4
                        n.writeString(1, module + "/input");
                        n.writeString(1, initializer);
                        n.writeString(2, module + "/output");
                        n.writeString(3, module + "/MatMul");
                        n.writeString(4, "MatMul");
                    })));
                    add(initializer, name, new long[] {dims[1], dims[0]});
                } else {
                    add("bert." + name, name, dims);
                }
            }
        }

        /** An initializer of zeros in float_data (field 4, packed). */
        private void add(String initializer, String canonical, long[] dims) throws IOException {
            canonicalByInitializer.put(initializer, canonical);
            long count = Arrays.stream(dims).reduce(1, (a, b) -> a * b);
            graph.writeBytes(field(5, tensor(initializer, dims, OnnxGraph.FLOAT, t -> t.writeByteArray(4, message(p -> {
                for (long i = 0; i < count; i++) {
                    p.writeFloatNoTag(0f);
                }
            })))));
        }

        byte[] bytes() throws IOException {
            return model(graph.toByteArray());
        }
    }

    private static Map<String, OnnxGraph.Tensor> initializers(byte[] onnx) throws IOException {
        return OnnxGraph.read(new ByteArrayInputStream(onnx), "onnx").initializers();
    }

    /** last_hidden_state of every sentence, one at a time (unpadded): [sentence][token][H]. */
    private static float[][][] runOnnx(byte[] onnx) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[][][] states = new float[rows.size()][][];
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(2);
            try (OrtSession session = env.createSession(onnx, options)) {
                for (int r = 0; r < rows.size(); r++) {
                    TokenizedText row = rows.get(r);
                    long[] mask = new long[row.numTokens()];
                    Arrays.fill(mask, 1);
                    try (OnnxTensor ids = OnnxTensor.createTensor(env, new long[][] {row.ids()});
                         OnnxTensor attention = OnnxTensor.createTensor(env, new long[][] {mask});
                         OnnxTensor types = OnnxTensor.createTensor(env, new long[][] {row.typeIds()});
                         OrtSession.Result result = session.run(Map.of("input_ids", ids, "attention_mask",
                                 attention, "token_type_ids", types))) {
                        states[r] = ((float[][][]) result.get("last_hidden_state").orElseThrow().getValue())[0];
                    }
                }
            }
        }
        return states;
    }

    private static double maxAbsDiff(float[][][] a, float[][][] b) {
        double worst = 0;
        for (int r = 0; r < a.length; r++) {
            assertEquals(a[r].length, b[r].length, "tokens of sentence " + r);
            for (int t = 0; t < a[r].length; t++) {
                for (int h = 0; h < a[r][t].length; h++) {
                    worst = Math.max(worst, Math.abs(a[r][t][h] - b[r][t][h]));
                }
            }
        }
        return worst;
    }
}
