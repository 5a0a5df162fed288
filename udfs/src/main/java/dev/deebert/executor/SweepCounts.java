package dev.deebert.executor;

import dev.deebert.model.ExitPolicy;
import dev.deebert.tables.Catalog;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import org.apache.spark.sql.Row;

/**
 * Everything a sweep reports, counted in one pass over traced rows for all thresholds at once: per
 * threshold the confusion matrix, the exit histogram, how each row's correctness compares with the full
 * model's and how often its label is the full model's; per layer the confusion matrix of forcing every row out there. Partial counts of partitions
 * {@link #merge} into the total.
 */
public final class SweepCounts implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Index into {@link #paired}: only the early exit is right, both agree in correctness, only the full model is right. */
    public static final int ONLY_EXIT_RIGHT = 0;
    public static final int SAME = 1;
    public static final int ONLY_FULL_RIGHT = 2;

    private final double[] thresholds;
    private final int layers;
    private final ExitPolicy[] policies;
    /** [threshold][true][predicted] */
    private final long[][][] confusion;
    /** [threshold][exit layer - 1] */
    private final long[][] exits;
    /** [layer - 1][true][predicted] when every row leaves after that layer */
    private final long[][][] forced;
    /** [threshold][ONLY_EXIT_RIGHT | SAME | ONLY_FULL_RIGHT] */
    private final long[][] paired;
    /** [threshold]: rows whose label there is the full model's */
    private final long[] agreed;

    public SweepCounts(double[] thresholds, int layers, int labels) {
        this.thresholds = thresholds.clone();
        this.layers = layers;
        this.policies = Arrays.stream(thresholds).mapToObj(s -> ExitPolicy.uniform(s, layers)).toArray(ExitPolicy[]::new);
        this.confusion = new long[thresholds.length][labels][labels];
        this.exits = new long[thresholds.length][layers];
        this.forced = new long[layers][labels][labels];
        this.paired = new long[thresholds.length][3];
        this.agreed = new long[thresholds.length];
    }

    /** Counts the traced rows ({@link Catalog#SWEEP_ROWS}) of one partition. */
    public static SweepCounts of(Iterator<Row> rows, double[] thresholds, int layers, int labels) {
        SweepCounts counts = new SweepCounts(thresholds, layers, labels);
        while (rows.hasNext()) {
            Row row = rows.next();
            counts.add(row.<Integer>getAs(Catalog.LABEL_INDEX), ExitTrace.of(row));
        }
        return counts;
    }

    public void add(int label, ExitTrace trace) {
        if (trace.numLayers() != layers) {
            throw new IllegalArgumentException("trace has " + trace.numLayers() + " exits, the sweep " + layers);
        }
        int full = trace.labelAt(layers);
        boolean fullRight = full == label;
        for (int t = 0; t < thresholds.length; t++) {
            int exit = trace.exitLayer(policies[t]);
            int predicted = trace.labelAt(exit);
            confusion[t][label][predicted]++;
            exits[t][exit - 1]++;
            boolean exitRight = predicted == label;
            paired[t][exitRight == fullRight ? SAME : exitRight ? ONLY_EXIT_RIGHT : ONLY_FULL_RIGHT]++;
            if (predicted == full) {
                agreed[t]++;
            }
        }
        for (int l = 1; l <= layers; l++) {
            forced[l - 1][label][trace.labelAt(l)]++;
        }
    }

    public SweepCounts merge(SweepCounts other) {
        if (!Arrays.equals(thresholds, other.thresholds) || layers != other.layers) {
            throw new IllegalArgumentException("cannot merge counts of different sweeps");
        }
        addInto(confusion, other.confusion);
        addInto(exits, other.exits);
        addInto(forced, other.forced);
        addInto(paired, other.paired);
        for (int t = 0; t < agreed.length; t++) {
            agreed[t] += other.agreed[t];
        }
        return this;
    }

    public double[] thresholds() {
        return thresholds.clone();
    }

    public int layers() {
        return layers;
    }

    public Confusion atThreshold(int t) {
        return new Confusion(confusion[t]);
    }

    /** Rows leaving after each layer at threshold {@code t} (index 0 = layer 1). */
    public long[] exitHistogram(int t) {
        return exits[t].clone();
    }

    /** The quality of exiting every row after {@code layer} (1-based): the paper's fig. 4 left. */
    public Confusion forcedAt(int layer) {
        return new Confusion(forced[layer - 1]);
    }

    /** Rows by how their correctness at threshold {@code t} compares with the full model's (see the constants). */
    public long[] paired(int t) {
        return paired[t].clone();
    }

    /** Rows whose label at threshold {@code t} is the full model's: what an audit at {@code t} counts as agreeing. */
    public long agreed(int t) {
        return agreed[t];
    }

    private static void addInto(long[][][] into, long[][][] from) {
        for (int i = 0; i < into.length; i++) {
            addInto(into[i], from[i]);
        }
    }

    private static void addInto(long[][] into, long[][] from) {
        for (int i = 0; i < into.length; i++) {
            for (int j = 0; j < into[i].length; j++) {
                into[i][j] += from[i][j];
            }
        }
    }
}
