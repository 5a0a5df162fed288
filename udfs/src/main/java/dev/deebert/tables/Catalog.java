package dev.deebert.tables;

import static org.apache.spark.sql.types.DataTypes.BooleanType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.FloatType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;
import static org.apache.spark.sql.types.DataTypes.createArrayType;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Every column deebert reads or writes, declared once for the driver and the executors alike: the Delta
 * tables of an output root (README's table sections describe these), then the rows the partition functions
 * exchange with the driver. Rows of these schemas are built by column name ({@link NamedRow}).
 */
public final class Catalog {
    private Catalog() {}

    /**
     * How a run tokenized and computed: tokens per row and precision. Added after the first predictions, runs
     * and sweeps were written.
     */
    private static final StructType SERVING = new StructType()
            .add("max_seq_len", IntegerType, true)
            .add("precision", StringType, true);

    /**
     * The incremental feed that wrote a prediction: its streaming query's id, which Spark keeps in the feed's
     * checkpoint, so it is the same in every run of the feed and differs between feeds sharing an output root.
     * Null for batch runs. Added after the first predictions were written.
     */
    private static final StructType FEED = new StructType().add("feed_id", StringType, true);

    /**
     * The audit of a scored row ({@code --audit-fraction}): the full model's label for a row the run also scored
     * at full depth, null for the rows it did not audit. Added after the first predictions were written.
     */
    private static final StructType AUDIT_LABEL = new StructType().add("audit_label", StringType, true);

    /**
     * What a partition's audit cost: rows audited, those whose early-exit label was the full model's, encoder
     * layers and model time spent on it. Added after the first partition stats were written.
     */
    private static final StructType AUDIT_COST = new StructType()
            .add("audit_rows", LongType, true)
            .add("audit_agreed", LongType, true)
            .add("audit_layers", LongType, true)
            .add("audit_ms", LongType, true);

    /**
     * A run's audit: rows audited, the share whose early-exit label was the full model's with its 95% Wilson
     * interval, and the agreement that calibration measured for the operating point the run used (null for a
     * threshold given as a number). Added after the first runs were written.
     */
    private static final StructType AUDIT = new StructType()
            .add("audit_rows", LongType, true)
            .add("audit_agreement", DoubleType, true)
            .add("audit_low", DoubleType, true)
            .add("audit_high", DoubleType, true)
            .add("audit_expected", DoubleType, true);

    /**
     * The share of a sweep's rows whose label at a threshold is the full model's: what a score run's audit
     * should find there. Added after the first sweeps were written.
     */
    private static final StructType SWEEP_AGREEMENT = new StructType().add("agreement", DoubleType, true);

    /**
     * What a row cost when its text may be scored in chunks ({@code --long-text chunk}): chunks scored and encoder
     * layers run, summed over them (1 and the exit layer for truncation). Added after the first predictions
     * were written.
     */
    private static final StructType CHUNKS = new StructType()
            .add("num_chunks", IntegerType, true)
            .add("layers_computed", IntegerType, true);

    /** How a sweep batched its rows, which calibrate records with its operating points; added with {@link #SERVING}. */
    private static final StructType SWEEP_BATCHING = new StructType().add("batch_size", IntegerType, true);

    /**
     * How a sweep ran (precision, length, batch size), without which calibrate cannot tie its thresholds to a
     * score run.
     */
    public static final StructType SWEEP_SETTINGS = followedBy(SERVING, SWEEP_BATCHING);

    /** One row per scored input row; a run's pass-through columns follow ({@link #predictions}). */
    public static final Table PREDICTIONS = new Table("predictions", followedBy(new StructType()
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
            .add("threshold", DoubleType, false), SERVING, FEED, AUDIT_LABEL, CHUNKS), List.of("run_id"),
            followedBy(SERVING, FEED, AUDIT_LABEL, CHUNKS));

    /** What one task's partition cost. */
    public static final Table PARTITION_STATS = new Table("partition_stats", followedBy(new StructType()
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
            .add("precision", StringType, false), AUDIT_COST), List.of(), AUDIT_COST);

    /** One row per scoring run: what ran, on which model, with which outcome. */
    public static final Table RUNS = new Table("runs", followedBy(new StructType()
            .add("run_id", StringType, false)
            .add("mode", StringType, false)
            .add("started_at", TimestampType, false)
            .add("finished_at", TimestampType, true)
            .add("model_dir", StringType, false)
            .add("model_sha256", StringType, false)
            .add("threshold", DoubleType, false)
            .add("config", StringType, false)
            .add("batches", LongType, true)
            .add("rows", LongType, true)
            .add("rows_failed", LongType, true)
            .add("rows_rescored", LongType, true)
            .add("expected_saving", DoubleType, true)
            .add("status", StringType, false), SERVING, AUDIT), List.of(), followedBy(SERVING, AUDIT));

    /**
     * One row per (run_id, threshold). Quality is accuracy/F1 in [0, 1]; quality_drop is in accuracy points
     * (100 x (accuracy at S=0 - accuracy at S)); savings are fractions of the encoder layers (expected) or of
     * the model time at S=0 (actual, only with --measure-time).
     */
    public static final Table SWEEP = new Table("sweep", followedBy(new StructType()
            .add("run_id", StringType, false)
            .add("threshold", DoubleType, false)
            .add("rows", LongType, false)
            .add("accuracy", DoubleType, false)
            .add("macro_f1", DoubleType, false)
            .add("positive_f1", DoubleType, true)
            .add("quality_drop", DoubleType, false)
            .add("expected_saving", DoubleType, false)
            .add("mean_exit_layer", DoubleType, false)
            .add("exit_histogram", createArrayType(LongType, false), false)
            .add("measured_ms", DoubleType, true)
            .add("actual_saving", DoubleType, true)
            .add("model_sha256", StringType, false)
            .add("data_path", StringType, false)
            .add("swept_at", TimestampType, false), SERVING, SWEEP_BATCHING, SWEEP_AGREEMENT), List.of(),
            followedBy(SERVING, SWEEP_BATCHING, SWEEP_AGREEMENT));

    /**
     * Long format, one row per (run_id, threshold, layer): the share of rows leaving after that layer at
     * that threshold, and the quality of forcing every row out at that layer. The forced_* columns depend
     * on (run_id, layer) only and repeat across thresholds, so that one table serves both halves of the
     * paper's fig. 4.
     */
    public static final Table LAYERWISE = new Table("layerwise", new StructType()
            .add("run_id", StringType, false)
            .add("threshold", DoubleType, false)
            .add("layer", IntegerType, false)
            .add("exit_rows", LongType, false)
            .add("exit_fraction", DoubleType, false)
            .add("forced_accuracy", DoubleType, false)
            .add("forced_macro_f1", DoubleType, false)
            .add("forced_positive_f1", DoubleType, true), List.of(), new StructType());

    /** The true label's index, in sweep_rows and in the tracer's and the timer's input. */
    public static final String LABEL_INDEX = "label_index";

    /**
     * One traced row: what every exit said, from which the exit and the prediction under any threshold
     * follow ({@code ExitTrace}). {@code entropies} and {@code predicted} have N entries: ramps 1..N-1 then
     * the final head.
     */
    public static final Table SWEEP_ROWS = new Table("sweep_rows", new StructType()
            .add("run_id", StringType, false)
            .add("id", StringType, false)
            .add(LABEL_INDEX, IntegerType, false)
            .add("num_tokens", IntegerType, false)
            .add("truncated", BooleanType, false)
            .add("entropies", createArrayType(DoubleType, false), false)
            .add("predicted", createArrayType(IntegerType, false), false), List.of("run_id"), new StructType());

    /**
     * The partition functions' input: id, text, optional second text; the scorer's also has {@link #KEPT}, the
     * tracer's and the timer's {@link #LABEL_INDEX}.
     */
    public static final StructType INPUT = new StructType()
            .add("id", StringType, false)
            .add("text", StringType, true)
            .add("text_b", StringType, true);

    /**
     * The scorer input's struct of pass-through columns, named as in the predictions ({@link #keptName}): a
     * struct, because a kept column may be named like the input's own {@code id} or {@code text}.
     */
    public static final String KEPT = "kept";

    /** One partition's timing of the real early exit: model nanoseconds per threshold, in sweep order. */
    public static final StructType TIMINGS = new StructType()
            .add("partition_id", IntegerType, false)
            .add("rows", LongType, false)
            .add("model_nanos", createArrayType(LongType, false), false);

    /**
     * The scorer input's optional boolean column of the rows to audit, which the driver samples per run; without
     * it nothing is audited.
     */
    public static final String AUDIT_SAMPLE = "audit";

    /** The scorer output's column of a prediction row ({@link #scorerOutput}). */
    public static final String PREDICTION = "prediction";

    /** The scorer output's column of a partition's stats row ({@link #scorerOutput}). */
    public static final String STATS = "partition_stats";

    /**
     * What the scorer emits for {@code predictions} (a {@link #predictions} schema): one row per input row
     * carrying its prediction, then one row per partition carrying only that partition's stats.
     */
    public static StructType scorerOutput(StructType predictions) {
        return new StructType().add(PREDICTION, predictions, true).add(STATS, PARTITION_STATS.schema(), true);
    }

    /**
     * Predictions with the pass-through columns of {@code input} appended, each named {@link #keptName}. Names
     * compare ignoring case, as Spark and Delta compare column names; pass-through columns that would still
     * share a name are refused.
     */
    public static Table predictions(StructType input, List<String> passThrough) {
        StructType schema = PREDICTIONS.schema();
        for (String column : passThrough) {
            String name = keptName(column);
            if (has(schema, name)) {
                throw new IllegalArgumentException("--keep-cols " + column + " would be a second column named "
                        + name + " in the predictions");
            }
            schema = schema.add(name, input.apply(column).dataType(), true);
        }
        return new Table(PREDICTIONS.name(), schema, PREDICTIONS.partitionColumns(), PREDICTIONS.addedLater());
    }

    /**
     * The predictions' name of pass-through column {@code column}: {@code input_<column>} when the predictions
     * have a column of that name (typically the gold {@code label}), else {@code column}.
     */
    public static String keptName(String column) {
        return has(PREDICTIONS.schema(), column) ? "input_" + column : column;
    }

    private static boolean has(StructType schema, String name) {
        return Arrays.stream(schema.fieldNames()).anyMatch(name::equalsIgnoreCase);
    }

    private static StructType followedBy(StructType schema, StructType... more) {
        for (StructType columns : more) {
            for (StructField field : columns.fields()) {
                schema = schema.add(field);
            }
        }
        return schema;
    }
}
