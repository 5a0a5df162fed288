package dev.deebert.executor;

import dev.deebert.model.ExitPolicy;
import dev.deebert.model.Prediction;
import dev.deebert.tables.Catalog;
import dev.deebert.tables.NamedRow;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Queue;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;

/**
 * Traces one partition of labeled rows with the executor's shared model: every layer for every row, no
 * early exit, every exit's entropy and label recorded once. Input rows follow {@link Catalog#INPUT} then
 * {@link Catalog#LABEL_INDEX}; output rows follow {@link Catalog#SWEEP_ROWS}.
 */
public final class PartitionTracer implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    private final ScoringSpec spec;

    /** {@code spec}'s policy and threshold are not used: a trace runs every layer. */
    public PartitionTracer(ScoringSpec spec) {
        this.spec = spec;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        ExecutorModels.Loaded model = ExecutorModels.forTask(spec, TaskContext.get());
        ExitPolicy fullModel = ExitPolicy.uniform(0, spec.numLayers());
        return new WindowedOutput<>() {
            @Override
            protected boolean fill(Queue<Row> ready) {
                if (!input.hasNext()) {
                    return false;
                }
                TokenizedWindow window = TokenizedWindow.read(input, spec, model.tokenizer());
                Row[] out = new Row[window.rows.size()];
                for (int[] batch : window.batches) {
                    List<Prediction> traced = model.engine().trace(window.tokens(batch), fullModel);
                    for (int j = 0; j < batch.length; j++) {
                        out[batch[j]] = row(window.rows.get(batch[j]), traced.get(j));
                    }
                }
                ready.addAll(Arrays.asList(out));
                return true;
            }
        };
    }

    private Row row(Row in, Prediction traced) {
        ExitTrace trace = ExitTrace.of(traced);
        return new NamedRow(Catalog.SWEEP_ROWS.schema()).set("run_id", spec.runId()).set("id", in.getAs("id"))
                .set(Catalog.LABEL_INDEX, in.getAs(Catalog.LABEL_INDEX)).set("num_tokens", traced.numTokens())
                .set("truncated", traced.truncated()).set("entropies", trace.entropies())
                .set("predicted", trace.predicted()).toRow();
    }
}
