package dev.deebert.job.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW as {@code torch.optim.AdamW} (betas 0.9/0.999, eps 1e-8, bias correction) with weight decay 0, as in
 * the reference, preceded by {@code clip_grad_norm_} over all trained tensors.
 *
 * <p>Hand-written rather than DJL's {@code Adam}: DJL keeps the moments in private maps, so they cannot be
 * saved and restored for {@code --resume}, and its {@code clipGrad} clips each element, where the reference
 * rescales by the global gradient norm.
 */
public final class AdamW {
    static final double BETA1 = 0.9;
    static final double BETA2 = 0.999;
    static final double EPSILON = 1e-8;

    /** name -> [first moment, second moment], shaped like the parameter. */
    private final Map<String, NDArray[]> moments = new LinkedHashMap<>();

    /** Zero moments for each trained parameter, in {@code manager}. */
    public AdamW(Map<String, NDArray> trained, NDManager manager) {
        for (Map.Entry<String, NDArray> e : trained.entrySet()) {
            NDArray p = e.getValue();
            moments.put(e.getKey(), new NDArray[] {manager.zeros(p.getShape()), manager.zeros(p.getShape())});
        }
    }

    /**
     * One update of every trained parameter from its accumulated gradient, which is then zeroed. {@code step}
     * counts from 1. Returns the gradient norm before clipping; when that is not finite nothing changes (see
     * {@link #firstNonFinite}).
     */
    public double update(Map<String, NDArray> trained, int step, double learningRate, double maxGradNorm) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            Map<String, NDArray> grads = new LinkedHashMap<>();
            double squares = 0;
            for (Map.Entry<String, NDArray> e : trained.entrySet()) {
                NDArray grad = e.getValue().getGradient();
                grads.put(e.getKey(), grad);
                squares += squaredNorm(grad);
            }
            double norm = Math.sqrt(squares);
            if (!Double.isFinite(norm)) {
                return norm;
            }
            double clip = Math.min(1.0, maxGradNorm / (norm + 1e-6));
            double stepSize = learningRate / (1 - Math.pow(BETA1, step));
            double correction2 = Math.sqrt(1 - Math.pow(BETA2, step));
            for (Map.Entry<String, NDArray> e : trained.entrySet()) {
                NDArray grad = grads.get(e.getKey());
                NDArray clipped = clip < 1.0 ? grad.mul(clip) : grad;
                NDArray[] m = moments.get(e.getKey());
                m[0].muli(BETA1).addi(clipped.mul(1 - BETA1));
                m[1].muli(BETA2).addi(clipped.square().muli(1 - BETA2));
                NDArray denominator = m[1].sqrt().divi(correction2).addi(EPSILON);
                // stopGradient() aliases the parameter's storage without autograd, so the update is in place
                e.getValue().stopGradient().subi(m[0].div(denominator).muli(stepSize));
            }
            zeroGradients(trained);
            return norm;
        }
    }

    /** The first trained tensor, in model order, whose gradient is NaN, infinite or too large to square. */
    public static String firstNonFinite(Map<String, NDArray> trained) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            for (Map.Entry<String, NDArray> e : trained.entrySet()) {
                if (!Double.isFinite(squaredNorm(e.getValue().getGradient()))) {
                    return e.getKey();
                }
            }
            return null;
        }
    }

    /** Sets every accumulated gradient to zero, NaN and infinities included (which {@code g - g} would keep). */
    public static void zeroGradients(Map<String, NDArray> trained) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            for (NDArray parameter : trained.values()) {
                parameter.getGradient().set(new NDIndex("..."), 0f);
            }
        }
    }

    private static double squaredNorm(NDArray grad) {
        return grad.square().sum().getFloat();
    }

    /** The moments under names {@code m.<parameter>} and {@code v.<parameter>}, for a checkpoint. */
    NDList state() {
        NDList list = new NDList();
        for (Map.Entry<String, NDArray[]> e : moments.entrySet()) {
            e.getValue()[0].setName("m." + e.getKey());
            e.getValue()[1].setName("v." + e.getKey());
            list.add(e.getValue()[0]);
            list.add(e.getValue()[1]);
        }
        return list;
    }

    /** Takes over moments written by {@link #state()}; every trained parameter's must be present. */
    void restore(NDList saved) {
        Map<String, NDArray> byName = new LinkedHashMap<>();
        for (NDArray array : saved) {
            byName.put(array.getName(), array);
        }
        for (Map.Entry<String, NDArray[]> e : moments.entrySet()) {
            for (int i = 0; i < 2; i++) {
                String name = (i == 0 ? "m." : "v.") + e.getKey();
                NDArray value = byName.get(name);
                if (value == null || !value.getShape().equals(e.getValue()[i].getShape())) {
                    throw new IllegalArgumentException("checkpoint optimizer state lacks " + name
                            + " or has the wrong shape");
                }
                e.getValue()[i].close();
                e.getValue()[i] = value;
            }
        }
    }
}
