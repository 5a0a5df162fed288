package dev.deebert.job.analysis;

import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;
import static org.apache.spark.sql.types.DataTypes.createArrayType;

import dev.deebert.score.ScoreSchemas;
import io.delta.tables.DeltaTable;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * The sweep's Delta tables under an output root (next to the scoring tables, which share the root):
 * {@code sweep} (one row per run and threshold), {@code layerwise} (one row per run, threshold and layer)
 * and {@code sweep_rows} (one traced row per input row, from which any threshold can be derived).
 */
public record AnalysisTables(Path root) {
    /**
     * How a sweep ran, which calibrate records with its operating points: precision and tokens per row
     * ({@link ScoreSchemas#SERVING}) and rows per batch. Added after the first sweeps were written, hence
     * nullable; an existing sweep table gets them (null in its older runs) before a sweep writes to it.
     */
    public static final StructType SWEEP_SETTINGS = ScoreSchemas.SERVING.add("batch_size", IntegerType, true);

    /**
     * One row per (run_id, threshold). Quality is accuracy/F1 in [0, 1]; quality_drop is in accuracy points
     * (100 x (accuracy at S=0 - accuracy at S)); savings are fractions of the encoder layers (expected) or of
     * the model time at S=0 (actual, only with --measure-time).
     */
    public static final StructType SWEEP = ScoreSchemas.followedBy(new StructType()
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
            .add("swept_at", TimestampType, false), SWEEP_SETTINGS);

    /**
     * Long format, one row per (run_id, threshold, layer): the share of rows leaving after that layer at
     * that threshold, and the quality of forcing every row out at that layer. The forced_* columns depend
     * on (run_id, layer) only and repeat across thresholds, so that one table serves both halves of the
     * paper's fig. 4.
     */
    public static final StructType LAYERWISE = new StructType()
            .add("run_id", StringType, false)
            .add("threshold", DoubleType, false)
            .add("layer", IntegerType, false)
            .add("exit_rows", LongType, false)
            .add("exit_fraction", DoubleType, false)
            .add("forced_accuracy", DoubleType, false)
            .add("forced_macro_f1", DoubleType, false)
            .add("forced_positive_f1", DoubleType, true);

    public Path sweep() {
        return root.resolve("sweep");
    }

    public Path layerwise() {
        return root.resolve("layerwise");
    }

    public Path sweepRows() {
        return root.resolve("sweep_rows");
    }

    /** Whether {@code table} is a Delta table (absent tables are simply left out of reports). */
    public static boolean isTable(SparkSession spark, Path table) {
        return Files.isDirectory(table) && DeltaTable.isDeltaTable(spark, table.toAbsolutePath().toString());
    }
}
