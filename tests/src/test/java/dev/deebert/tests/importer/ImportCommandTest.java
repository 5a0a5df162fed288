package dev.deebert.tests.importer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.deebert.job.DeeBertMain;
import dev.deebert.model.DeeBertConfig;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.SafeTensorsFile;
import dev.deebert.model.ServingContract;
import dev.deebert.model.TensorNames;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code deebert import} end to end on the real BGE-small artifact, and its refusals of bad input. */
class ImportCommandTest {
    @TempDir
    Path tmp;

    @Test
    void importsBgeSmallWithNamedLabelsDeterministically() throws Exception {
        Path first = tmp.resolve("first");
        Path again = tmp.resolve("again");
        Path otherSeed = tmp.resolve("other-seed");
        assertEquals(0, DeeBertMain.execute("import", "--backbone", "bge-small-en-v1.5", "--labels", "neg,pos",
                "--out", first.toString()));
        assertEquals(0, DeeBertMain.execute("import", "--backbone", "bge-small-en-v1.5", "--labels", "neg,pos",
                "--out", again.toString()));
        assertEquals(0, DeeBertMain.execute("import", "--backbone", "bge-small-en-v1.5", "--labels", "neg,pos",
                "--seed", "7", "--out", otherSeed.toString()));

        ModelDirectory model = ModelDirectory.open(first);
        DeeBertConfig c = model.config();
        // BGE-small-en-v1.5's published config.json
        assertEquals("bert", c.modelType());
        assertEquals(List.of(30522, 384, 12, 12, 1536, 512, 2),
                List.of(c.vocabSize(), c.hiddenSize(), c.numHiddenLayers(), c.numAttentionHeads(),
                        c.intermediateSize(), c.maxPositionEmbeddings(), c.typeVocabSize()));
        assertEquals(1e-12, c.layerNormEps());
        assertEquals(Map.of("0", "neg", "1", "pos"), c.id2label());
        assertEquals(Map.of("neg", 0, "pos", 1), c.label2id());
        assertEquals(ServingContract.defaultFor(c), model.serving());
        assertEquals(128, model.serving().maxSeqLen(), "written to serving.json: 128 of 512 positions");
        assertTrue(Files.isRegularFile(first.resolve(ServingContract.FILE)));

        assertEquals(model.weightsSha256(), ModelDirectory.open(again).weightsSha256(), "same seed, same model");
        assertNotEquals(model.weightsSha256(), ModelDirectory.open(otherSeed).weightsSha256());

        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            NDList file = SafeTensorsFile.read(model.weightsFile(), manager);
            UnaryOperator<String> inFile = name -> TensorNames.fileName(model.config(), name);
            // The ONNX export has no pooler, so every pooler and classifier is new: normal(0, 0.02), bias 0.
            for (String name : List.of(TensorNames.FINAL_HEAD.pooler().weight(), TensorNames.ramp(0).pooler().weight(),
                    TensorNames.ramp(10).classifier().weight(), TensorNames.FINAL_HEAD.classifier().weight())) {
                NDArray w = file.get(inFile.apply(name));
                double std = Math.sqrt(w.pow(2).mean().getFloat());
                assertTrue(std > 0.018 && std < 0.022, name + " std " + std);
            }
            for (String name : List.of(TensorNames.ramp(3).pooler().bias(),
                    TensorNames.FINAL_HEAD.classifier().bias())) {
                assertEquals(0f, file.get(inFile.apply(name)).abs().max().getFloat(), name);
            }
            assertFalse(file.get(inFile.apply(TensorNames.ramp(0).pooler().weight()))
                    .contentEquals(file.get(inFile.apply(TensorNames.ramp(1).pooler().weight()))), "ramps drawn apart");
        }
        byte[] shipped;
        try (InputStream in = getClass().getResourceAsStream("/bge-small-en-v1.5-tokenizer.json")) {
            shipped = in.readAllBytes();
        }
        assertArrayEquals(shipped, Files.readAllBytes(model.tokenizerFile()));
    }

    @Test
    void missingOnnxFileIsAUserError() throws Exception {
        Path tokenizer = shippedTokenizer();
        Path out = tmp.resolve("model");
        assertEquals(2, DeeBertMain.execute("import", "--onnx", tmp.resolve("absent.onnx").toString(),
                "--tokenizer", tokenizer.toString(), "--num-labels", "2", "--out", out.toString()));
        assertFalse(Files.exists(out));
    }

    @Test
    void fileThatIsNotOnnxIsAUserError() throws Exception {
        Path tokenizer = shippedTokenizer();
        Path out = tmp.resolve("model");
        assertEquals(2, DeeBertMain.execute("import", "--onnx", tokenizer.toString(),
                "--tokenizer", tokenizer.toString(), "--num-labels", "2", "--out", out.toString()));
        assertFalse(Files.exists(out));
    }

    @Test
    void badOptionsAreUserErrors() {
        Path out = tmp.resolve("model");
        assertEquals(2, DeeBertMain.execute("import", "--labels", "a,b", "--num-labels", "3",
                "--out", out.toString()));
        assertEquals(2, DeeBertMain.execute("import", "--labels", "a,a", "--out", out.toString()));
        assertEquals(2, DeeBertMain.execute("import", "--backbone", "gpt-9", "--num-labels", "2",
                "--out", out.toString()));
        // BGE-small's attention reshapes say 12 heads
        assertEquals(2, DeeBertMain.execute("import", "--num-heads", "8", "--num-labels", "2",
                "--out", out.toString()));
        assertFalse(Files.exists(out));
    }

    private Path shippedTokenizer() throws Exception {
        Path tokenizer = tmp.resolve("tokenizer.json");
        try (InputStream in = getClass().getResourceAsStream("/bge-small-en-v1.5-tokenizer.json")) {
            Files.copy(in, tokenizer);
        }
        return tokenizer;
    }
}
