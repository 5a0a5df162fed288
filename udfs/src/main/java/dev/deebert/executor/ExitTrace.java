package dev.deebert.executor;

import dev.deebert.model.Entropy;
import dev.deebert.model.ExitPolicy;
import dev.deebert.model.Prediction;
import dev.deebert.tables.Catalog;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.Row;

/**
 * What every exit of a fully traced row said, so that the exit under any threshold can be derived
 * without running the model again.
 *
 * @param entropies entropy of each exit, index l - 1 = the exit after layer l (ramps 1..N-1, then the
 *     final head at N) [N]
 * @param predicted argmax label index of each exit, same indexing [N]
 */
public record ExitTrace(double[] entropies, int[] predicted) implements Serializable {

    public ExitTrace {
        if (entropies.length != predicted.length || entropies.length == 0) {
            throw new IllegalArgumentException("a trace needs one entropy and one label per exit, got "
                    + entropies.length + " and " + predicted.length);
        }
    }

    /** The trace of a prediction made by {@code DeeBertEngine.trace}. */
    public static ExitTrace of(Prediction traced) {
        float[][] layers = traced.layerLogits();
        if (layers == null) {
            throw new IllegalArgumentException("prediction was not traced (no per-layer logits)");
        }
        double[] entropies = new double[layers.length];
        int[] predicted = new int[layers.length];
        for (int l = 0; l < layers.length; l++) {
            entropies[l] = Entropy.of(layers[l]);
            predicted[l] = Entropy.argmax(layers[l]);
        }
        return new ExitTrace(entropies, predicted);
    }

    /** The trace stored in a {@link Catalog#SWEEP_ROWS} row. */
    public static ExitTrace of(Row row) {
        List<Double> e = row.getList(row.fieldIndex("entropies"));
        List<Integer> p = row.getList(row.fieldIndex("predicted"));
        return new ExitTrace(e.stream().mapToDouble(Double::doubleValue).toArray(),
                p.stream().mapToInt(Integer::intValue).toArray());
    }

    public int numLayers() {
        return entropies.length;
    }

    /** The layer {@code policy} lets this row leave after: its first accepted ramp, else the final head N. */
    public int exitLayer(ExitPolicy policy) {
        int layer = 1;
        while (layer < numLayers() && !policy.exitsAt(layer, entropies[layer - 1])) {
            layer++;
        }
        return layer;
    }

    /** The label the exit after {@code layer} (1-based) predicts. */
    public int labelAt(int layer) {
        return predicted[layer - 1];
    }
}
