package dev.deebert.analysis;

import static org.apache.spark.sql.types.DataTypes.BooleanType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.createArrayType;

import dev.deebert.score.ScoreSchemas;
import org.apache.spark.sql.types.StructType;

/** Schemas of what the sweep's executors read and write. */
public final class AnalysisSchemas {
    private AnalysisSchemas() {}

    /**
     * The true label's index: the column the tracer's and the timer's input has after the scorer's input
     * columns ({@link ScoreSchemas#INPUT}).
     */
    public static final String LABEL_INDEX = "label_index";

    /**
     * One traced row: what every exit said, from which the exit and the prediction under any threshold
     * follow ({@link ExitTrace}). {@code entropies} and {@code predicted} have N entries: ramps 1..N-1 then
     * the final head.
     */
    public static final StructType SWEEP_ROWS = new StructType()
            .add("run_id", StringType, false)
            .add("id", StringType, false)
            .add(LABEL_INDEX, IntegerType, false)
            .add("num_tokens", IntegerType, false)
            .add("truncated", BooleanType, false)
            .add("entropies", createArrayType(DoubleType, false), false)
            .add("predicted", createArrayType(IntegerType, false), false);

    /** One partition's timing of the real early exit: model nanoseconds per threshold, in sweep order. */
    public static final StructType TIMINGS = new StructType()
            .add("partition_id", IntegerType, false)
            .add("rows", LongType, false)
            .add("model_nanos", createArrayType(LongType, false), false);
}
