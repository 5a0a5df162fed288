package dev.deebert.model;

/** Softmax and its entropy over one row of logits, in double precision. */
public final class Entropy {
    private Entropy() {}

    /** Natural-log entropy of softmax(x), as logsumexp(x) - sum(softmax(x) * x): no log of a tiny probability. */
    public static double of(float[] logits) {
        double lse = logSumExp(logits);
        double expected = 0;
        for (float x : logits) {
            expected += Math.exp(x - lse) * x;
        }
        return Math.max(0, lse - expected);
    }

    public static float[] softmax(float[] logits) {
        double lse = logSumExp(logits);
        float[] p = new float[logits.length];
        for (int i = 0; i < logits.length; i++) {
            p[i] = (float) Math.exp(logits[i] - lse);
        }
        return p;
    }

    public static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    private static double logSumExp(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : logits) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (float x : logits) {
            sum += Math.exp(x - max);
        }
        return max + Math.log(sum);
    }
}
