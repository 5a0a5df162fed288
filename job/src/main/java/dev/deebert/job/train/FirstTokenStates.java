package dev.deebert.job.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.deebert.model.BatchInputs;
import dev.deebert.model.DeeBertNetwork;
import dev.deebert.model.DeeBertWeights;
import dev.deebert.model.Precision;
import dev.deebert.model.TokenizedText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The first-token hidden state after every encoder layer, computed once with dropout off and no gradients.
 * Every exit (ramp or final head) reads only that token, so these states give all exits' logits, and they are
 * what cached stage 2 trains the ramps on.
 *
 * @param states [rows, N, H] float32: row r after layer l + 1 at [r, l]
 */
record FirstTokenStates(NDArray states) {
    /** Rows per forward batch; rows are sorted by length so that batches carry little padding. */
    private static final int BATCH = 32;

    /** Runs the frozen network over {@code rows}; the states are attached to {@code manager}. */
    static FirstTokenStates compute(DeeBertWeights weights, List<LabeledText> rows, NDManager manager,
                                    Progress progress) {
        int layers = weights.config().numHiddenLayers();
        int[] order = IntStream.range(0, rows.size()).boxed()
                .sorted(Comparator.comparingInt(i -> rows.get(i).tokens().numTokens()))
                .mapToInt(Integer::intValue).toArray();
        long[] positionInOrder = new long[rows.size()];
        for (int i = 0; i < order.length; i++) {
            positionInOrder[order[i]] = i;
        }
        NDArray states;
        try (NDManager work = manager.newSubManager()) {
            DeeBertNetwork network = DeeBertNetwork.forInference(weights, Precision.FP32, work);
            NDList batches = new NDList();
            for (int start = 0; start < order.length; start += BATCH) {
                int end = Math.min(order.length, start + BATCH);
                List<TokenizedText> batch = new ArrayList<>();
                for (int i = start; i < end; i++) {
                    batch.add(rows.get(order[i]).tokens());
                }
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    // [B, H] after each layer
                    NDList firsts = new NDList(layers);
                    BatchInputs inputs = BatchInputs.of(work, batch, weights.config());
                    NDArray last = network.encode(inputs, (layer, running, hidden) -> {
                        NDArray first = hidden.get(":, 0, :");
                        // outlives the layer's scope; closed once stacked
                        NDScope.unregister(first);
                        firsts.add(first);
                        return DeeBertNetwork.Remaining.ALL;
                    });
                    // [B, N, H]
                    NDArray stacked = NDArrays.stack(firsts, 1);
                    NDScope.unregister(stacked);
                    batches.add(stacked);
                    firsts.close();
                    last.close();
                }
                progress.rows(end, order.length);
            }
            // back to input order
            states = NDArrays.concat(batches).get(work.create(positionInOrder));
            states.attach(manager);
        }
        return new FirstTokenStates(states);
    }

    int numRows() {
        return (int) states.getShape().get(0);
    }

    /** Logits of every exit for every row, [rows][N][C], exit N being the final head; dropout off. */
    float[][][] exitLogits(DeeBertWeights weights) {
        int layers = weights.config().numHiddenLayers();
        int labels = weights.config().numLabels();
        int rows = numRows();
        float[][][] logits = new float[rows][layers][];
        try (NDManager work = states.getManager().newSubManager()) {
            DeeBertNetwork network = DeeBertNetwork.forInference(weights, Precision.FP32, work);
            for (int layer = 1; layer <= layers; layer++) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    // [rows, C], flattened
                    float[] flat = network.exitLogits(layer, after(states, layer)).toFloatArray();
                    for (int r = 0; r < rows; r++) {
                        logits[r][layer - 1] = Arrays.copyOfRange(flat, r * labels, (r + 1) * labels);
                    }
                }
            }
        }
        return logits;
    }

    /** states [B, N, H] -> [B, 1, H] after layer {@code layer} (1..N): the shape the exits take (first token only). */
    static NDArray after(NDArray states, int layer) {
        return states.get(":, " + (layer - 1) + ":" + layer + ", :");
    }
}
