package dev.deebert.bench;

import dev.deebert.executor.ScoringSpec;
import dev.deebert.model.Batching;
import dev.deebert.model.DeeBertEngine;
import dev.deebert.model.ExitPolicy;
import dev.deebert.model.Prediction;
import dev.deebert.model.TokenizedText;
import java.util.List;

/** One way of classifying the benchmark rows; {@link #run} is what gets timed. */
interface Contender {
    /**
     * What a run produced: a label and an exit layer per row (the peer always runs all layers) and the
     * encoder layers computed in all (0 for the peer, whose layers are not ours to count).
     */
    record Outcome(int[] labels, int[] exitLayers, long layersComputed) {}

    String name();

    String precision();

    /** Entropy threshold, or NaN for the peer. */
    double threshold();

    int batchSize();

    Outcome run(LabeledRows rows) throws Exception;

    /** {@code precision}: how the peer's graph computes, "fp32" or "int8" (dynamic quantization). */
    static Contender peer(OnnxPeer peer, String precision, int batchSize) {
        return new Contender() {
            public String name() {
                return "onnxruntime (peer)";
            }

            public String precision() {
                return precision;
            }

            public double threshold() {
                return Double.NaN;
            }

            public int batchSize() {
                return batchSize;
            }

            public Outcome run(LabeledRows rows) throws Exception {
                int[] labels = new int[rows.size()];
                int at = 0;
                for (List<TokenizedText> batch : rows.batches(batchSize)) {
                    int[] out = peer.classify(batch);
                    System.arraycopy(out, 0, labels, at, out.length);
                    at += out.length;
                }
                return new Outcome(labels, null, 0);
            }
        };
    }

    /**
     * DeeBERT's batched early exit, a window of {@link ScoringSpec#WINDOW_BATCHES} batches per pass as the
     * scoring job runs it; batch size 1 is the reference implementation's mode.
     */
    static Contender deebert(DeeBertEngine engine, double threshold, int batchSize, Batching batching) {
        ExitPolicy policy = ExitPolicy.uniform(threshold, engine.config().numHiddenLayers());
        return new Contender() {
            public String name() {
                return batchSize == 1 ? "deebert batch 1 (reference mode)" : "deebert " + batching;
            }

            public String precision() {
                return engine.precision().toString();
            }

            public double threshold() {
                return threshold;
            }

            public int batchSize() {
                return batchSize;
            }

            public Outcome run(LabeledRows rows) {
                int[] labels = new int[rows.size()];
                int[] exits = new int[rows.size()];
                long layers = 0;
                int at = 0;
                List<List<TokenizedText>> batches = rows.batches(batchSize);
                for (int from = 0; from < batches.size(); from += ScoringSpec.WINDOW_BATCHES) {
                    List<List<TokenizedText>> window =
                            batches.subList(from, Math.min(batches.size(), from + ScoringSpec.WINDOW_BATCHES));
                    for (Prediction p : engine.classify(window, policy, batching)) {
                        labels[at] = p.labelIndex();
                        exits[at++] = p.exitLayer();
                        layers += p.layersComputed();
                    }
                }
                return new Outcome(labels, exits, layers);
            }
        };
    }
}
