package dev.deebert.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Batched early exit. A batch runs layer by layer; after each ramp the rows that are confident enough
 * leave, and the rest are gathered into a smaller batch (and cut to their longest remaining length), so
 * later layers only compute rows still running. Thread-safe: weights are shared, every call works in its
 * own sub-manager, and each layer's temporaries are freed as soon as the layer is done.
 */
public final class DeeBertEngine implements AutoCloseable {
    private final DeeBertConfig config;
    private final Precision precision;
    private final NDManager manager;
    private final DeeBertNetwork network;

    private DeeBertEngine(DeeBertConfig config, Precision precision, NDManager manager, DeeBertNetwork network) {
        this.config = config;
        this.precision = precision;
        this.manager = manager;
        this.network = network;
    }

    /** Loads the weights of {@code model} onto {@code device}. */
    public static DeeBertEngine load(ModelDirectory model, Device device, Precision precision) {
        return load(model, device, precision, model::loadWeights);
    }

    /**
     * Loads the weights of {@code model} onto {@code device}, failing unless they are the weights of SHA-256
     * {@code sha256} ({@link ModelDirectory#loadWeights(NDManager, String)}).
     */
    public static DeeBertEngine load(ModelDirectory model, String sha256, Device device, Precision precision) {
        return load(model, device, precision, manager -> model.loadWeights(manager, sha256));
    }

    private static DeeBertEngine load(ModelDirectory model, Device device, Precision precision,
                                      Function<NDManager, DeeBertWeights> load) {
        NDManager manager = NDManager.newBaseManager(device, "PyTorch");
        try {
            DeeBertWeights weights = load.apply(manager);
            DeeBertNetwork network = DeeBertNetwork.forInference(weights, precision, manager);
            return new DeeBertEngine(model.config(), precision, manager, network);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public DeeBertConfig config() {
        return config;
    }

    public Precision precision() {
        return precision;
    }

    public Device device() {
        return manager.getDevice();
    }

    /** Early exit: each row stops at the first ramp the policy accepts. Results are in input order. */
    public List<Prediction> classify(List<TokenizedText> rows, ExitPolicy policy) {
        return run(rows, policy, false);
    }

    /**
     * Runs every layer for every row and records every ramp's logits; the exit layer is still the one
     * {@code policy} would choose, decided from the recorded ramps (what inspect and the sweep need).
     */
    public List<Prediction> trace(List<TokenizedText> rows, ExitPolicy policy) {
        return run(rows, policy, true);
    }

    private List<Prediction> run(List<TokenizedText> rows, ExitPolicy policy, boolean traced) {
        int layers = config.numHiddenLayers();
        if (policy.numRamps() != layers - 1) {
            throw new IllegalArgumentException("policy has " + policy.numRamps() + " thresholds for "
                    + (layers - 1) + " ramps");
        }
        Prediction[] results = new Prediction[rows.size()];
        if (rows.isEmpty()) {
            return List.of();
        }
        float[][][] traces = traced ? new float[rows.size()][layers][] : null;
        try (NDManager batch = manager.newSubManager()) {
            BatchInputs inputs = BatchInputs.of(batch, rows, config);
            NDArray hidden = network.embed(inputs.ids(), inputs.typeIds(), inputs.positions());
            NDArray mask = inputs.maskBias();
            // running[i] = input position of the i-th row still in the batch
            int[] running = java.util.stream.IntStream.range(0, rows.size()).toArray();
            for (int layer = 1; layer <= layers && running.length > 0; layer++) {
                NDArray next;
                NDArray nextMask = mask;
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    next = network.layer(layer - 1, hidden, mask);
                    float[] logits = (layer < layers ? network.rampLogits(layer - 1, next) : network.finalLogits(next))
                            .toFloatArray();
                    int[] staying = decide(rows, running, layer, logits, policy, traces, results);
                    if (staying.length < running.length && staying.length > 0) {
                        int width = Arrays.stream(staying).map(i -> rows.get(i).numTokens()).max().orElse(1);
                        NDArray keep = batch.create(positionsIn(running, staying));
                        String cut = ":, :" + width;
                        next = next.get(keep).get(cut);
                        nextMask = mask.get(keep).get(":, :, :, :" + width);
                    }
                    running = staying;
                    NDScope.unregister(next, nextMask);
                }
                hidden.close();
                if (nextMask != mask) {
                    mask.close();
                }
                hidden = next;
                mask = nextMask;
            }
        }
        return Arrays.asList(results);
    }

    /**
     * The encoder's output without any exit: every layer for every row, returned as {@code [row][token][H]}
     * (each row cut to its own token count, padding dropped). For checking a backbone against a reference
     * implementation.
     */
    public float[][][] lastHiddenStates(List<TokenizedText> rows) {
        float[][][] states = new float[rows.size()][][];
        if (rows.isEmpty()) {
            return states;
        }
        int hiddenSize = config.hiddenSize();
        try (NDManager batch = manager.newSubManager()) {
            BatchInputs inputs = BatchInputs.of(batch, rows, config);
            NDArray hidden = network.embed(inputs.ids(), inputs.typeIds(), inputs.positions());
            for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray next = network.layer(layer, hidden, inputs.maskBias());
                    NDScope.unregister(next);
                    hidden = next;
                }
            }
            // [B, L, H] float32, flattened
            float[] flat = hidden.toFloatArray();
            int width = Math.toIntExact(hidden.getShape().get(1));
            for (int r = 0; r < rows.size(); r++) {
                states[r] = new float[rows.get(r).numTokens()][];
                for (int t = 0; t < states[r].length; t++) {
                    int at = (r * width + t) * hiddenSize;
                    states[r][t] = Arrays.copyOfRange(flat, at, at + hiddenSize);
                }
            }
        }
        return states;
    }

    /**
     * Records the rows that leave after {@code layer} and returns the input positions of those that go on.
     * {@code logits} is [running.length, C] flattened.
     */
    private int[] decide(List<TokenizedText> rows, int[] running, int layer, float[] logits, ExitPolicy policy,
                         float[][][] traces, Prediction[] results) {
        int labels = config.numLabels();
        int layers = config.numHiddenLayers();
        List<Integer> staying = new ArrayList<>();
        for (int i = 0; i < running.length; i++) {
            int row = running[i];
            float[] rowLogits = Arrays.copyOfRange(logits, i * labels, (i + 1) * labels);
            if (traces != null) {
                traces[row][layer - 1] = rowLogits;
                if (layer == layers) {
                    results[row] = tracedExit(rows.get(row), traces[row], policy);
                } else {
                    staying.add(row);
                }
            } else if (layer == layers) {
                results[row] = Prediction.exit(rowLogits, layer, layer, rows.get(row), null);
            } else if (policy.exitsAt(layer, Entropy.of(rowLogits))) {
                results[row] = Prediction.exit(rowLogits, layer, layer, rows.get(row), null);
            } else {
                staying.add(row);
            }
        }
        return staying.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The exit {@code policy} picks from a full trace: {@code exits[l - 1]} holds the logits after layer l. */
    private Prediction tracedExit(TokenizedText text, float[][] exits, ExitPolicy policy) {
        int layers = config.numHiddenLayers();
        int layer = 1;
        while (layer < layers && !policy.exitsAt(layer, Entropy.of(exits[layer - 1]))) {
            layer++;
        }
        return Prediction.exit(exits[layer - 1], layer, layers, text, exits);
    }

    /** Indices into {@code running} of the rows in {@code staying} (both in ascending input order). */
    private static long[] positionsIn(int[] running, int[] staying) {
        long[] positions = new long[staying.length];
        int j = 0;
        for (int i = 0; i < running.length && j < staying.length; i++) {
            if (running[i] == staying[j]) {
                positions[j++] = i;
            }
        }
        return positions;
    }

    @Override
    public void close() {
        manager.close();
    }
}
