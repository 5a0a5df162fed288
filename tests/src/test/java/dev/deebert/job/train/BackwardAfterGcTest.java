package dev.deebert.job.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.deebert.model.DeeBertTokenizer;
import dev.deebert.model.DeeBertWeights;
import dev.deebert.model.ModelDirectory;
import dev.deebert.tests.Fixtures;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Regression for the stage-1 "gradient norm is Infinity" that struck at a different step in each process: the
 * backward pass read a tensor whose JVM buffer had been freed since the forward pass. Here the JVM collects and
 * reuses freed native memory (filled with infinities) between forward and backward of the trainer's own losses,
 * as a garbage collection at the wrong moment did in the failed runs; every gradient must come out exactly as
 * without it. In this package because the losses are the trainer's internals.
 */
class BackwardAfterGcTest {
    @Test
    void gradientsDoNotDependOnMemoryTheJvmFreesBeforeTheBackwardPass() throws Exception {
        for (int stage : new int[] {1, 2}) {
            Map<String, float[]> quiet = gradients(stage, false);
            Map<String, float[]> collected = gradients(stage, true);
            assertEquals(quiet.keySet(), collected.keySet());
            for (Map.Entry<String, float[]> e : quiet.entrySet()) {
                assertArrayEquals(e.getValue(), collected.get(e.getKey()), 0f, "stage " + stage + " " + e.getKey());
            }
        }
    }

    /** One step of the stage's loss (dropout on, fixed seed) on the golden BERT; optionally GC in between. */
    private static Map<String, float[]> gradients(int stage, boolean collectGarbageBeforeBackward) throws Exception {
        ModelDirectory model = ModelDirectory.open(Fixtures.golden("bert"));
        Engine engine = Engine.getEngine("PyTorch");
        Map<String, float[]> gradients = new LinkedHashMap<>();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
             DeeBertTokenizer tokenizer = model.tokenizer(24)) {
            DeeBertWeights weights = model.loadWeights(manager);
            List<LabeledText> rows = List.of(
                    new LabeledText("good", tokenizer.encode("a good film", null), 2),
                    new LabeledText("bad", tokenizer.encode("a bad and rather long film", null), 0));
            BatchLoss loss = stage == 1 ? BatchLoss.finalHead(weights, rows)
                    : BatchLoss.rampsThroughNetwork(weights, rows);
            Map<String, NDArray> trained = Parameters.of(weights).trainFor(stage);
            try (NDManager step = manager.newSubManager();
                 GradientCollector collector = engine.newGradientCollector()) {
                engine.setRandomSeed(1);
                NDArray value = loss.of(new int[] {0, 1}, step);
                if (collectGarbageBeforeBackward) {
                    reuseFreedNativeMemory();
                }
                collector.backward(value);
            }
            for (Map.Entry<String, NDArray> e : trained.entrySet()) {
                gradients.put(e.getKey(), e.getValue().getGradient().toFloatArray());
            }
        }
        return gradients;
    }

    /**
     * Lets the JVM free unreachable direct buffers, then takes small native blocks (the size of a scalar's) and
     * fills them with infinities, so that a read of freed memory returns them.
     */
    private static void reuseFreedNativeMemory() throws InterruptedException {
        List<ByteBuffer> held = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            System.gc();
            Thread.sleep(100);
            for (int i = 0; i < 10_000; i++) {
                ByteBuffer block = ByteBuffer.allocateDirect(Float.BYTES).order(ByteOrder.nativeOrder());
                block.putFloat(0, Float.POSITIVE_INFINITY);
                held.add(block);
            }
        }
    }
}
