package dev.deebert.score;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/** What one partition cost: rows, tokens, layers computed against the full model, and time. */
final class PartitionStats {
    private final ScoringSpec spec;
    private final long startNanos = System.nanoTime();
    private final long[] exitHistogram;
    private long rows;
    private long rowsFailed;
    private long tokens;
    private long layersComputed;
    private long tokenizeNanos;
    private long modelNanos;

    PartitionStats(ScoringSpec spec) {
        this.spec = spec;
        this.exitHistogram = new long[spec.numLayers()];
    }

    void scored(int numTokens, int exitLayer, int layers) {
        rows++;
        tokens += numTokens;
        layersComputed += layers;
        exitHistogram[exitLayer - 1]++;
    }

    void failed() {
        rows++;
        rowsFailed++;
    }

    void addTokenizeNanos(long nanos) {
        tokenizeNanos += nanos;
    }

    void addModelNanos(long nanos) {
        modelNanos += nanos;
    }

    /** The stats row (schema {@link ScoreSchemas#PARTITION_STATS}). */
    Row toRow(TaskContext task, String device) {
        long wallMs = (System.nanoTime() - startNanos) / 1_000_000;
        long scoredRows = rows - rowsFailed;
        long layersFull = scoredRows * spec.numLayers();
        Long[] histogram = java.util.Arrays.stream(exitHistogram).boxed().toArray(Long[]::new);
        return RowFactory.create(spec.runId(), task.partitionId(), task.attemptNumber(), rows, rowsFailed, tokens,
                layersComputed, layersFull, layersFull == 0 ? 0.0 : 1.0 - (double) layersComputed / layersFull,
                histogram, tokenizeNanos / 1_000_000, modelNanos / 1_000_000, wallMs,
                wallMs == 0 ? 0.0 : rows * 1000.0 / wallMs, executorId(), host(), device,
                spec.precision().toString());
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
