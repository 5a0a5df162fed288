package dev.deebert.job;

import dev.deebert.tables.Table;
import io.delta.tables.DeltaTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The Delta tables of an output root ({@code --output}), as every job reads and writes them on the driver:
 * checks before a run, schema evolution, creation, and the writes that keep a run's rows exactly once.
 */
public record DeltaTables(SparkSession spark, Path root) {
    public DeltaTables {
        root = root.toAbsolutePath();
    }

    public Path path(Table table) {
        return table.at(root);
    }

    /** Whether {@code table} holds a Delta table (tables absent from a root are simply left out of reports). */
    public boolean exists(Table table) {
        return isTable(spark, path(table));
    }

    public static boolean isTable(SparkSession spark, Path path) {
        return Files.isDirectory(path) && DeltaTable.isDeltaTable(spark, path.toAbsolutePath().toString());
    }

    /** {@code table}'s rows, or none (with its catalog schema) before its first write created it. */
    public Dataset<Row> read(Table table) {
        if (!exists(table)) {
            return spark.createDataFrame(List.of(), table.schema());
        }
        return spark.read().format("delta").load(path(table).toString());
    }

    /**
     * Fails before any work when a table path holds something that is not a Delta table, or a Delta table
     * whose columns differ from what this run would write. A table may lack columns its catalog entry added
     * later (written before they existed): {@link #prepare} gives them to it.
     */
    public void checkWritable(List<Table> tables) {
        if (Files.exists(root) && !Files.isDirectory(root)) {
            throw new IllegalArgumentException("--output " + root + " is a file, not a directory");
        }
        for (Table table : tables) {
            Path path = path(table);
            if (!Files.exists(path)) {
                continue;
            }
            if (!isTable(spark, path)) {
                throw new IllegalArgumentException(path + " exists but is not a Delta table; choose another --output");
            }
            StructType existing = schemaOf(table);
            StructType evolved = existing;
            for (StructField field : missingAddedLater(existing, table).fields()) {
                evolved = evolved.add(field);
            }
            if (!sameColumns(evolved, table.schema())) {
                throw new IllegalArgumentException(path + " has columns " + existing.simpleString()
                        + " but this run writes " + table.schema().simpleString() + "; choose another --output");
            }
        }
    }

    /**
     * On the driver, after {@link #checkWritable} and before any task writes: gives each existing table the
     * columns added later that it lacks (nullable, so its older rows read null there), in one Delta commit per
     * table, because a task's write must find the columns it writes; and creates each missing table, empty,
     * because tasks put their files into the table directory before the commit, so a driver killed during
     * the first run would otherwise leave a plain directory that every rerun refuses as "not a Delta table".
     */
    public void prepare(List<Table> tables) {
        for (Table table : tables) {
            Path path = path(table);
            if (exists(table)) {
                StructType missing = missingAddedLater(schemaOf(table), table);
                if (missing.size() > 0) {
                    spark.sql("ALTER TABLE delta.`" + path + "` ADD COLUMNS (" + missing.toDDL() + ")");
                }
            } else if (!Files.exists(path)) {
                var builder = DeltaTable.createIfNotExists(spark).location(path.toString()).addColumns(table.schema());
                if (!table.partitionColumns().isEmpty()) {
                    builder = builder.partitionedBy(partitionColumns(table));
                }
                builder.execute();
            }
        }
    }

    /**
     * Replaces {@code runId}'s rows of {@code table} with {@code rows} in one commit ({@code replaceWhere}): a
     * rerun of a run id, after a crash or not, leaves that run's rows once and never touches other runs.
     */
    public void replaceRun(Table table, Dataset<Row> rows, String runId) {
        write(table, rows, "overwrite").option("replaceWhere", "run_id = '" + runId + "'").save(path(table).toString());
    }

    /**
     * Appends {@code rows} to {@code table} unless the table already holds the write {@code version} of
     * {@code appId} (Delta's idempotent writes); versions of one app id must only grow.
     */
    public void appendOnce(Table table, Dataset<Row> rows, String appId, long version) {
        write(table, rows, "append").option("txnAppId", appId).option("txnVersion", version)
                .save(path(table).toString());
    }

    public void append(Table table, Dataset<Row> rows) {
        write(table, rows, "append").save(path(table).toString());
    }

    /** Removes {@code runId}'s rows from those of {@code tables} that exist, one commit each. */
    public void deleteRun(String runId, Table... tables) {
        for (Table table : tables) {
            if (exists(table)) {
                DeltaTable.forPath(spark, path(table).toString()).delete(functions.col("run_id").equalTo(runId));
            }
        }
    }

    private static DataFrameWriter<Row> write(Table table, Dataset<Row> rows, String mode) {
        DataFrameWriter<Row> writer = rows.write().format("delta").mode(mode);
        return table.partitionColumns().isEmpty() ? writer : writer.partitionBy(partitionColumns(table));
    }

    private static String[] partitionColumns(Table table) {
        return table.partitionColumns().toArray(String[]::new);
    }

    /** The columns added later to {@code table} that {@code existing} lacks. */
    private static StructType missingAddedLater(StructType existing, Table table) {
        StructType missing = new StructType();
        for (StructField field : table.addedLater().fields()) {
            if (existing.getFieldIndex(field.name()).isEmpty()) {
                missing = missing.add(field);
            }
        }
        return missing;
    }

    private StructType schemaOf(Table table) {
        return spark.read().format("delta").load(path(table).toString()).schema();
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
}
