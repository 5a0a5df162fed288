package dev.deebert.job.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.loss.Loss;
import dev.deebert.model.BatchInputs;
import dev.deebert.model.DeeBertNetwork;
import dev.deebert.model.DeeBertWeights;
import dev.deebert.model.TokenizedText;
import java.util.ArrayList;
import java.util.List;

/**
 * The training loss of a batch of rows (indices into the training set), built inside a gradient collector.
 * The network is bound afresh for every batch: its fused tensors are copies that must follow the updates.
 */
@FunctionalInterface
interface BatchLoss {
    /** A scalar loss; temporaries go to {@code manager}, which the caller closes after the backward pass. */
    NDArray of(int[] rows, NDManager manager);

    Loss CROSS_ENTROPY = Loss.softmaxCrossEntropyLoss();

    /** Stage 1: cross-entropy of the final head; dropout on everywhere. */
    static BatchLoss finalHead(DeeBertWeights weights, List<LabeledText> train) {
        return (rows, manager) -> {
            DeeBertNetwork network = DeeBertNetwork.forTraining(weights, manager);
            BatchInputs inputs = BatchInputs.of(manager, tokens(train, rows), weights.config());
            // [B, L, H]
            NDArray hidden = network.encode(inputs, DeeBertNetwork.EVERY_LAYER);
            int layers = weights.config().numHiddenLayers();
            return crossEntropy(network.exitLogits(layers, hidden), labels(train, rows, manager));
        };
    }

    /**
     * Reference stage 2: the unweighted sum of ramp 1..N-1 cross-entropies through the frozen network
     * (dropout on). Layer N is not run: no ramp reads it.
     */
    static BatchLoss rampsThroughNetwork(DeeBertWeights weights, List<LabeledText> train) {
        return (rows, manager) -> {
            DeeBertNetwork network = DeeBertNetwork.forTraining(weights, manager);
            BatchInputs inputs = BatchInputs.of(manager, tokens(train, rows), weights.config());
            int ramps = weights.config().numHiddenLayers() - 1;
            RampLosses losses = new RampLosses(labels(train, rows, manager));
            network.encode(inputs, (layer, running, hidden) -> {
                if (layer <= ramps) {
                    losses.add(network.exitLogits(layer, hidden));
                }
                return layer < ramps ? DeeBertNetwork.Remaining.ALL : DeeBertNetwork.Remaining.NONE;
            });
            return losses.sum;
        };
    }

    /** Cached stage 2: the same sum, on first-token states computed once ({@link FirstTokenStates}). */
    static BatchLoss rampsOnStates(DeeBertWeights weights, FirstTokenStates cached, List<LabeledText> train) {
        return (rows, manager) -> {
            DeeBertNetwork network = DeeBertNetwork.forTraining(weights, manager);
            long[] index = new long[rows.length];
            for (int i = 0; i < rows.length; i++) {
                index[i] = rows[i];
            }
            // [B, N, H]
            NDArray states = cached.states().get(manager.create(index));
            states.attach(manager);
            RampLosses losses = new RampLosses(labels(train, rows, manager));
            for (int layer = 1; layer < weights.config().numHiddenLayers(); layer++) {
                losses.add(network.exitLogits(layer, FirstTokenStates.after(states, layer)));
            }
            return losses.sum;
        };
    }

    /** The running sum of the ramps' cross-entropies, ramp 1 first; null before the first. */
    final class RampLosses {
        private final NDArray labels;
        private NDArray sum;

        private RampLosses(NDArray labels) {
            this.labels = labels;
        }

        /** logits [B, C] of the next ramp. */
        private void add(NDArray logits) {
            NDArray loss = crossEntropy(logits, labels);
            sum = sum == null ? loss : sum.add(loss);
        }
    }

    /** Mean cross-entropy of logits [B, C] against labels [B] int64. */
    private static NDArray crossEntropy(NDArray logits, NDArray labels) {
        return CROSS_ENTROPY.evaluate(new NDList(labels), new NDList(logits));
    }

    private static List<TokenizedText> tokens(List<LabeledText> train, int[] rows) {
        List<TokenizedText> tokens = new ArrayList<>(rows.length);
        for (int row : rows) {
            tokens.add(train.get(row).tokens());
        }
        return tokens;
    }

    private static NDArray labels(List<LabeledText> train, int[] rows, NDManager manager) {
        long[] labels = new long[rows.length];
        for (int i = 0; i < rows.length; i++) {
            labels[i] = train.get(rows[i]).label();
        }
        return manager.create(labels);
    }
}
