package dev.deebert.score;

import static org.apache.spark.sql.types.DataTypes.BooleanType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.FloatType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.createArrayType;

import java.util.Arrays;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Schemas of what the scorer reads and writes; README's table schemas are these. */
public final class ScoreSchemas {
    /** Column of the scorer's output that carries a partition's stats (null on prediction rows). */
    public static final String STATS = "_partition_stats";

    private ScoreSchemas() {}

    /** The scorer's input: id, text, optional second text, then pass-through columns. */
    public static final StructType INPUT = new StructType()
            .add("id", StringType, false)
            .add("text", StringType, true)
            .add("text_b", StringType, true);

    /**
     * How a run tokenized and computed: tokens per row and precision. Added after the first tables were
     * written, hence nullable: an existing table gets these columns, null in its older rows, before a run
     * writes to it.
     */
    public static final StructType SERVING = new StructType()
            .add("max_seq_len", IntegerType, true)
            .add("precision", StringType, true);

    /**
     * The incremental feed that wrote a prediction: its streaming query's id, which Spark keeps in the feed's
     * checkpoint, so it is the same in every run of the feed and differs between feeds sharing an output root.
     * Null for batch runs. Added after the first tables were written, like {@link #SERVING}.
     */
    public static final StructType FEED = new StructType().add("feed_id", StringType, true);

    /** Every column added after the first tables were written: a table that lacks some gets them, nullable. */
    public static final StructType ADDED_LATER = followedBy(SERVING, FEED);

    public static final StructType PREDICTIONS = followedBy(followedBy(new StructType()
            .add("run_id", StringType, false)
            .add("id", StringType, false)
            .add("label", StringType, true)
            .add("label_index", IntegerType, true)
            .add("confidence", FloatType, true)
            .add("probabilities", createArrayType(FloatType, false), true)
            .add("entropy", DoubleType, true)
            .add("exit_layer", IntegerType, true)
            .add("num_tokens", IntegerType, true)
            .add("truncated", BooleanType, true)
            .add("error", StringType, true)
            .add("model_sha256", StringType, false)
            .add("threshold", DoubleType, false), SERVING), FEED);

    public static final StructType PARTITION_STATS = new StructType()
            .add("run_id", StringType, false)
            .add("partition_id", IntegerType, false)
            .add("task_attempt", IntegerType, false)
            .add("rows", LongType, false)
            .add("rows_failed", LongType, false)
            .add("tokens", LongType, false)
            .add("layers_computed", LongType, false)
            .add("layers_full", LongType, false)
            .add("expected_saving", DoubleType, false)
            .add("exit_histogram", createArrayType(LongType, false), false)
            .add("tokenize_ms", LongType, false)
            .add("model_ms", LongType, false)
            .add("wall_ms", LongType, false)
            .add("rows_per_s", DoubleType, false)
            .add("executor_id", StringType, true)
            .add("host", StringType, true)
            .add("device", StringType, false)
            .add("precision", StringType, false);

    /** The columns of {@code schema}, then those of {@code more}. */
    public static StructType followedBy(StructType schema, StructType more) {
        for (StructField field : more.fields()) {
            schema = schema.add(field);
        }
        return schema;
    }

    /**
     * Predictions with the pass-through columns of {@code input} appended. A pass-through column named like
     * a predictions column (typically the gold {@code label}) is kept as {@code input_<name>}. Names compare
     * ignoring case, as Spark and Delta compare column names; pass-through columns that would still share a
     * name are refused.
     */
    public static StructType predictions(StructType input, Iterable<String> passThrough) {
        StructType schema = PREDICTIONS;
        for (String column : passThrough) {
            StructField field = input.apply(column);
            String name = has(PREDICTIONS, field.name()) ? "input_" + field.name() : field.name();
            if (has(schema, name) || name.equalsIgnoreCase(STATS)) {
                throw new IllegalArgumentException("--keep-cols " + column + " would be a second column named "
                        + name + " in the predictions");
            }
            schema = schema.add(name, field.dataType(), true);
        }
        return schema;
    }

    private static boolean has(StructType schema, String name) {
        return Arrays.stream(schema.fieldNames()).anyMatch(name::equalsIgnoreCase);
    }

    /** What the scorer emits: prediction rows, then one row per partition that only carries its stats. */
    public static StructType scorerOutput(StructType predictions) {
        StructType output = new StructType();
        for (StructField field : predictions.fields()) {
            output = output.add(field.name(), field.dataType(), true);  // null on the stats rows
        }
        return output.add(STATS, PARTITION_STATS, true);
    }
}
