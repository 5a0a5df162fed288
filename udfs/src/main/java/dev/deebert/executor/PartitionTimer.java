package dev.deebert.executor;

import dev.deebert.model.ExitPolicy;
import dev.deebert.tables.Catalog;
import dev.deebert.tables.NamedRow;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;

/**
 * Times the real early exit ({@code DeeBertEngine.classify}, a window's batches per pass, as scoring runs it)
 * on one partition at every threshold of a sweep and emits one {@link Catalog#TIMINGS} row. Every window runs at every threshold, in an order that
 * rotates from window to window, so that drift in the machine's speed spreads over all thresholds alike,
 * and counts the fastest of {@link #REPEATS} runs, so that a burst of other work on the machine does not
 * land on one threshold; the first window runs once untimed to warm the engine up.
 */
public final class PartitionTimer implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    static final int REPEATS = 3;

    private final ScoringSpec spec;
    private final double[] thresholds;

    public PartitionTimer(ScoringSpec spec, double[] thresholds) {
        this.spec = spec;
        this.thresholds = thresholds.clone();
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        TaskContext task = TaskContext.get();
        ExecutorModels.Loaded model = ExecutorModels.forTask(spec, task);
        ExitPolicy[] policies = Arrays.stream(thresholds).mapToObj(s -> ExitPolicy.uniform(s, spec.numLayers()))
                .toArray(ExitPolicy[]::new);
        long[] nanos = new long[thresholds.length];
        long rows = 0;
        for (int w = 0; input.hasNext(); w++) {
            TokenizedWindow window = TokenizedWindow.read(input, spec, model.tokenizer());
            if (w == 0) {
                classify(model, window, policies[0]);
            }
            for (int k = 0; k < policies.length; k++) {
                int t = (w + k) % policies.length;
                long fastest = Long.MAX_VALUE;
                for (int r = 0; r < REPEATS; r++) {
                    long start = System.nanoTime();
                    classify(model, window, policies[t]);
                    fastest = Math.min(fastest, System.nanoTime() - start);
                }
                nanos[t] += fastest;
            }
            rows += window.rows.size();
        }
        return List.of(new NamedRow(Catalog.TIMINGS).set("partition_id", task.partitionId()).set("rows", rows)
                .set("model_nanos", nanos).toRow()).iterator();
    }

    private void classify(ExecutorModels.Loaded model, TokenizedWindow window, ExitPolicy policy) {
        model.engine().classify(window.batches.stream().map(window::tokens).toList(), policy, spec.batching());
    }
}
