package dev.deebert.tests.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.deebert.model.BatchInputs;
import dev.deebert.model.DeeBertNetwork;
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
 * reuses freed native memory (filled with infinities) between forward and backward, as a garbage collection at
 * the wrong moment did in the failed runs; every gradient must come out exactly as without it.
 */
class BackwardAfterGcTest {
    @Test
    void gradientsDoNotDependOnMemoryTheJvmFreesBeforeTheBackwardPass() throws Exception {
        Map<String, float[]> quiet = gradients(false);
        Map<String, float[]> collected = gradients(true);
        assertTrue(quiet.size() > 30, "every tensor of the golden BERT gets a gradient");
        for (Map.Entry<String, float[]> e : quiet.entrySet()) {
            assertArrayEquals(e.getValue(), collected.get(e.getKey()), 0f, e.getKey());
        }
    }

    /** One forward and backward pass (dropout on, fixed seed) over every tensor; optionally GC in between. */
    private static Map<String, float[]> gradients(boolean collectGarbageBeforeBackward) throws Exception {
        ModelDirectory model = ModelDirectory.open(Fixtures.golden("bert"));
        Engine engine = Engine.getEngine("PyTorch");
        Map<String, float[]> gradients = new LinkedHashMap<>();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
             DeeBertTokenizer tokenizer = model.tokenizer(24)) {
            DeeBertWeights weights = model.loadWeights(manager);
            for (NDArray tensor : weights.asMap().values()) {
                tensor.setRequiresGradient(true);
            }
            try (NDManager step = manager.newSubManager();
                 GradientCollector collector = engine.newGradientCollector()) {
                engine.setRandomSeed(1);
                DeeBertNetwork network = DeeBertNetwork.forTraining(weights, step);
                BatchInputs in = BatchInputs.of(step, List.of(tokenizer.encode("a good film", null),
                        tokenizer.encode("a bad and rather long film", null)), weights.config());
                NDArray hidden = network.embed(in.ids(), in.typeIds(), in.positions());
                NDArray loss = null;
                for (int layer = 0; layer < weights.config().numHiddenLayers(); layer++) {
                    hidden = network.layer(layer, hidden, in.maskBias());
                    NDArray logits = layer < weights.config().numHiddenLayers() - 1
                            ? network.rampLogits(layer, hidden) : network.finalLogits(hidden);
                    loss = loss == null ? logits.square().sum() : loss.add(logits.square().sum());
                }
                if (collectGarbageBeforeBackward) {
                    reuseFreedNativeMemory();
                }
                collector.backward(loss);
            }
            for (Map.Entry<String, NDArray> e : weights.asMap().entrySet()) {
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
