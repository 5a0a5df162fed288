package dev.deebert.analysis;

import dev.deebert.model.ExitPolicy;
import dev.deebert.model.Prediction;
import dev.deebert.score.ExecutorModels;
import dev.deebert.score.ScoreSchemas;
import dev.deebert.score.ScoringSpec;
import dev.deebert.score.WindowedOutput;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Queue;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Traces one partition of labeled rows with the executor's shared model: every layer for every row, no
 * early exit, every exit's entropy and label recorded once. Input rows follow {@link ScoreSchemas#INPUT}
 * then {@link AnalysisSchemas#LABEL_INDEX}; output rows follow {@link AnalysisSchemas#SWEEP_ROWS}.
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
        Double[] entropies = Arrays.stream(trace.entropies()).boxed().toArray(Double[]::new);
        Integer[] predicted = Arrays.stream(trace.predicted()).boxed().toArray(Integer[]::new);
        return RowFactory.create(spec.runId(), in.getString(0), in.getInt(in.fieldIndex(AnalysisSchemas.LABEL_INDEX)),
                traced.numTokens(), traced.truncated(), entropies, predicted);
    }
}
