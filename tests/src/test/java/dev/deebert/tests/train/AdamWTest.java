package dev.deebert.tests.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.deebert.job.train.AdamW;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Three steps against PyTorch 2.x: torch.optim.AdamW(lr=1e-2, eps=1e-8, weight_decay=0) under
 * LambdaLR(lambda s: (3 - s) / 3), each step after zero_grad, setting .grad to the gradients below and
 * clip_grad_norm_(params, 1.0). Expected norms and parameters are what that script printed.
 */
class AdamWTest {
    @Test
    void matchesTorchAdamWWithClippingAndLinearDecay() {
        float[][] gradP = {{3, -4, 0.5f, 1, 1, 1}, {0.01f, 0.02f, -0.03f, 0, 0, 0}, {1, 2, 3, 4, 5, 6}};
        float[][] gradQ = {{0.2f, -0.1f}, {0.5f, 0.5f}, {-1, 1}};
        double[] torchNorms = {5.319774627685547, 0.7080960273742676, 9.643651008605957};
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray p = manager.create(new float[] {0.5f, -1f, 2f, 0.1f, 0.2f, -0.3f}, new Shape(2, 3));
            NDArray q = manager.create(new float[] {0.3f, -0.7f});
            Map<String, NDArray> params = new LinkedHashMap<>(Map.of("p", p, "q", q));
            params.values().forEach(tensor -> tensor.setRequiresGradient(true));
            AdamW optimizer = new AdamW(params, manager);
            int total = 3;
            for (int step = 1; step <= total; step++) {
                // d(sum(p * gp) + sum(q * gq)) / d(p, q) = (gp, gq)
                try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                    collector.backward(p.mul(manager.create(gradP[step - 1], new Shape(2, 3))).sum()
                            .add(q.mul(manager.create(gradQ[step - 1])).sum()));
                }
                double norm = optimizer.update(params, step, 1e-2 * (total - step + 1) / total, 1.0);
                assertEquals(torchNorms[step - 1], norm, 1e-5);
            }
            assertArrayEquals(new float[] {0.48332905769348145f, -0.9846184849739075f, 1.9849032163619995f,
                    0.08288102596998215f, 0.18294288218021393f, -0.3170044720172882f}, p.toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {0.28315067291259766f, -0.6970346570014954f}, q.toFloatArray(), 1e-6f);
        }
    }
}
