package dev.deebert.executor;

import dev.deebert.tables.Catalog;
import dev.deebert.tables.NamedRow;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;

/**
 * What one partition cost: rows, tokens, layers computed against the full model, and time. Tokens and layers
 * count every chunk of a row.
 */
final class PartitionStats {
    private final ScoringSpec spec;
    private final long startNanos = System.nanoTime();
    private final long[] exitHistogram;
    private long rows;
    private long rowsFailed;
    private long tokens;
    private long layersComputed;
    private long chunks;
    private long tokenizeNanos;
    private long modelNanos;
    private long auditRows;
    private long auditAgreed;
    private long auditLayers;
    private long auditNanos;

    PartitionStats(ScoringSpec spec) {
        this.spec = spec;
        this.exitHistogram = new long[spec.numLayers()];
    }

    /**
     * A row scored: its tokens and layers summed over its chunks, the exit layer of the chunk that decided
     * (the histogram counts rows).
     */
    void scored(int numTokens, int exitLayer, int layers, int numChunks) {
        rows++;
        tokens += numTokens;
        layersComputed += layers;
        chunks += numChunks;
        exitHistogram[exitLayer - 1]++;
    }

    void failed() {
        rows++;
        rowsFailed++;
    }

    /** An audited row: whether its early-exit label was the full model's, and the layers run again for it. */
    void audited(boolean agreed, int layers) {
        auditRows++;
        auditAgreed += agreed ? 1 : 0;
        auditLayers += layers;
    }

    void addAuditNanos(long nanos) {
        auditNanos += nanos;
    }

    void addTokenizeNanos(long nanos) {
        tokenizeNanos += nanos;
    }

    void addModelNanos(long nanos) {
        modelNanos += nanos;
    }

    /** The stats row (a {@link Catalog#PARTITION_STATS} row). */
    Row toRow(TaskContext task, String device) {
        long wallMs = (System.nanoTime() - startNanos) / 1_000_000;
        // every chunk could have run every layer
        long layersFull = chunks * spec.numLayers();
        return new NamedRow(Catalog.PARTITION_STATS.schema())
                .set("run_id", spec.runId()).set("partition_id", task.partitionId())
                .set("task_attempt", task.attemptNumber()).set("rows", rows).set("rows_failed", rowsFailed)
                .set("tokens", tokens).set("layers_computed", layersComputed).set("layers_full", layersFull)
                .set("expected_saving", layersFull == 0 ? 0.0 : 1.0 - (double) layersComputed / layersFull)
                .set("exit_histogram", exitHistogram).set("tokenize_ms", tokenizeNanos / 1_000_000)
                .set("model_ms", modelNanos / 1_000_000).set("wall_ms", wallMs)
                .set("rows_per_s", wallMs == 0 ? 0.0 : rows * 1000.0 / wallMs).set("executor_id", executorId())
                .set("host", host()).set("device", device).set("precision", spec.precision().toString())
                .set("audit_rows", auditRows).set("audit_agreed", auditAgreed).set("audit_layers", auditLayers)
                .set("audit_ms", auditNanos / 1_000_000)
                .toRow();
    }

    private static String executorId() {
        SparkEnv env = SparkEnv.get();
        return env == null ? null : env.executorId();
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
