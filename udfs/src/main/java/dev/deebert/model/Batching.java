package dev.deebert.model;

import ai.djl.Device;
import java.util.Locale;

/**
 * How rows of several batches share the encoder's layers once rows start to leave ({@link DeeBertNetwork#encode}
 * keeps one queue of running rows per layer; this says when a queue's layer runs).
 */
public enum Batching {
    /**
     * A layer runs as soon as its queue holds a row: each batch runs to its end before the next starts and
     * shrinks as rows leave, so late layers run on few rows.
     */
    COMPACTION,
    /**
     * A layer runs when its queue holds a full batch: the rows that go on after layer k, from any batch, wait
     * until layer k + 1 has a batch's worth, so late layers run on full batches too; what is left waits until
     * the input is drained.
     */
    REFILL;

    /** Rows a layer's queue must hold before the layer runs, for batches of {@code batchSize} rows. */
    int runsAt(int batchSize) {
        return this == REFILL ? batchSize : 1;
    }

    /**
     * What runs on {@code device} with {@code threads} intra-op threads: {@code named}, or when none is named
     * (auto) refill on GPUs, where a layer costs the same on few rows as on many, and on CPUs whose layers run
     * on several threads, where a few rows leave a thread idle; compaction on one CPU thread, where refill's
     * pooling copies save nothing.
     */
    public static Batching on(Device device, int threads, Batching named) {
        return named != null ? named : device.isGpu() || threads > 1 ? REFILL : COMPACTION;
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
