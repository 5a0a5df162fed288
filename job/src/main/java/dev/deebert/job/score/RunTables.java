package dev.deebert.job.score;

import io.delta.tables.DeltaTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The Delta tables of an output root. Every write replaces exactly one run's rows in one atomic commit
 * ({@code replaceWhere run_id = ...}): a rerun of a run id, after a crash or not, leaves that run's rows
 * once and never touches other runs.
 */
public record RunTables(Path root) {
    public Path predictions() {
        return root.resolve("predictions");
    }

    public Path partitionStats() {
        return root.resolve("partition_stats");
    }

    public Path runs() {
        return root.resolve("runs");
    }

    /**
     * Fails before any work when a table path holds something that is not a Delta table, or a Delta table
     * whose columns differ from what this run would write.
     */
    public void checkWritable(SparkSession spark, Map<Path, StructType> schemas) {
        if (Files.exists(root) && !Files.isDirectory(root)) {
            throw new IllegalArgumentException("--output " + root + " is a file, not a directory");
        }
        for (Map.Entry<Path, StructType> e : schemas.entrySet()) {
            Path table = e.getKey();
            if (!Files.exists(table)) {
                continue;
            }
            if (!DeltaTable.isDeltaTable(spark, table.toAbsolutePath().toString())) {
                throw new IllegalArgumentException(table + " exists but is not a Delta table; choose another --output");
            }
            StructType existing = spark.read().format("delta").load(table.toAbsolutePath().toString()).schema();
            if (!sameColumns(existing, e.getValue())) {
                throw new IllegalArgumentException(table + " has columns " + existing.simpleString()
                        + " but this run writes " + e.getValue().simpleString() + "; choose another --output");
            }
        }
    }

    private static boolean sameColumns(StructType a, StructType b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (StructField field : a.fields()) {
            int at = b.getFieldIndex(field.name()).getOrElse(() -> -1);
            if (at < 0 || !field.dataType().sql().equals(b.fields()[at].dataType().sql())) {
                return false;
            }
        }
        return true;
    }

    /** Replaces {@code runId}'s rows of {@code table} with {@code rows} in one commit. */
    public static void replaceRun(Dataset<Row> rows, Path table, String runId, boolean partitionByRun) {
        var writer = rows.write().format("delta").mode("overwrite")
                .option("replaceWhere", "run_id = '" + runId + "'");
        if (partitionByRun) {
            writer = writer.partitionBy("run_id");
        }
        writer.save(table.toAbsolutePath().toString());
    }
}
