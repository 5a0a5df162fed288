package dev.deebert.model;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.List;

/**
 * Where each row of the batches of one pass leaves, recorded layer by layer as the pass runs: the observer of
 * {@link DeeBertEngine#classify} (rows leave at the first ramp the policy accepts) and
 * {@link DeeBertEngine#trace} (every row runs every layer, every exit's logits are kept, and the exit is
 * decided from them at the end, so that it is the one early exit would take).
 */
final class BatchExits implements DeeBertNetwork.Observer {
    private final DeeBertNetwork network;
    private final List<TokenizedText> rows;
    private final ExitPolicy policy;
    private final int layers;
    /** When traced, {@code traces[row][l - 1]} holds the logits [C] of the exit after layer l; else null. */
    private final float[][][] traces;
    private final Prediction[] predictions;

    private BatchExits(DeeBertNetwork network, List<TokenizedText> rows, ExitPolicy policy, boolean traced) {
        this.network = network;
        this.rows = rows;
        this.policy = policy;
        this.layers = network.config().numHiddenLayers();
        this.traces = traced ? new float[rows.size()][layers][] : null;
        this.predictions = new Prediction[rows.size()];
    }

    static BatchExits early(DeeBertNetwork network, List<TokenizedText> rows, ExitPolicy policy) {
        return new BatchExits(network, rows, policy, false);
    }

    static BatchExits traced(DeeBertNetwork network, List<TokenizedText> rows, ExitPolicy policy) {
        return new BatchExits(network, rows, policy, true);
    }

    @Override
    public DeeBertNetwork.Remaining afterLayer(int layer, int[] running, NDArray hidden) {
        if (traces == null && layer < layers && !policy.opens(layer)) {
            // a ramp no row can leave by is not run: at S=0 the model costs what it would without ramps
            return DeeBertNetwork.Remaining.ALL;
        }
        int labels = network.config().numLabels();
        // [B, C], flattened
        float[] logits = network.exitLogits(layer, hidden).toFloatArray();
        long[] staying = new long[running.length];
        int kept = 0;
        for (int i = 0; i < running.length; i++) {
            int row = running[i];
            float[] rowLogits = Arrays.copyOfRange(logits, i * labels, (i + 1) * labels);
            if (traces != null) {
                traces[row][layer - 1] = rowLogits;
            }
            if (!leaves(row, layer, rowLogits)) {
                staying[kept++] = i;
            }
        }
        return DeeBertNetwork.Remaining.of(Arrays.copyOf(staying, kept), running.length);
    }

    /** Whether {@code row} leaves after {@code layer}; if so its prediction is recorded. */
    private boolean leaves(int row, int layer, float[] logits) {
        if (traces != null) {
            if (layer == layers) {
                predictions[row] = tracedExit(rows.get(row), traces[row]);
            }
            return layer == layers;
        }
        if (layer == layers || policy.exitsAt(layer, Entropy.of(logits))) {
            predictions[row] = Prediction.exit(logits, layer, layer, rows.get(row), null);
            return true;
        }
        return false;
    }

    /** The exit the policy picks from a full trace: {@code exits[l - 1]} holds the logits after layer l. */
    private Prediction tracedExit(TokenizedText text, float[][] exits) {
        int layer = 1;
        while (layer < layers && !policy.exitsAt(layer, Entropy.of(exits[layer - 1]))) {
            layer++;
        }
        return Prediction.exit(exits[layer - 1], layer, layers, text, exits);
    }

    /** Every row's prediction, in input order, once the pass is over. */
    List<Prediction> predictions() {
        return Arrays.asList(predictions);
    }
}
