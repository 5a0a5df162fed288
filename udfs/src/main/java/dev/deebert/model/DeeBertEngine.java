package dev.deebert.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Batched early exit over a loaded model: {@link DeeBertNetwork#encode} with {@link BatchExits} deciding after
 * each layer which rows leave. Thread-safe: weights are shared, every call works in its own sub-manager, and
 * each layer's temporaries are freed as soon as the layer is done.
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
        NDManager manager = Engines.newManager(device);
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
        return classify(List.of(rows), policy, Batching.COMPACTION);
    }

    /**
     * Early exit over several batches, which share the layers as {@code batching} says. Results are in input
     * order, batch after batch, and each row's is what it gets alone (up to float rounding).
     */
    public List<Prediction> classify(List<List<TokenizedText>> batches, ExitPolicy policy, Batching batching) {
        List<TokenizedText> rows = batches.stream().flatMap(List::stream).toList();
        return run(batches, batching, BatchExits.early(network, rows, policy), policy);
    }

    /**
     * Runs every layer for every row and records every exit's logits; the exit layer is still the one
     * {@code policy} would choose, decided from the recorded logits (what inspect and the sweep need).
     */
    public List<Prediction> trace(List<TokenizedText> rows, ExitPolicy policy) {
        return run(List.of(rows), Batching.COMPACTION, BatchExits.traced(network, rows, policy), policy);
    }

    private List<Prediction> run(List<List<TokenizedText>> batches, Batching batching, BatchExits exits,
                                 ExitPolicy policy) {
        int layers = config.numHiddenLayers();
        if (policy.numRamps() != layers - 1) {
            throw new IllegalArgumentException("policy has " + policy.numRamps() + " thresholds for "
                    + (layers - 1) + " ramps");
        }
        try (NDManager work = manager.newSubManager()) {
            network.encode(batches.stream().filter(rows -> !rows.isEmpty())
                    .map(rows -> BatchInputs.of(work, rows, config)).toList(), batching, exits);
        }
        Engines.trimFreedMemory();
        return exits.predictions();
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
            // [B, L, H] float32, flattened
            NDArray hidden = network.encode(BatchInputs.of(batch, rows, config), DeeBertNetwork.EVERY_LAYER);
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

    @Override
    public void close() {
        manager.close();
    }
}
