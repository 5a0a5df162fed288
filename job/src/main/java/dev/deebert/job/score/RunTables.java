package dev.deebert.job.score;

import dev.deebert.score.ScoreSchemas;
import io.delta.tables.DeltaTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The Delta tables of an output root, written in two ways that never overlap because a run id belongs to
 * one mode ({@code runs.mode}):
 * <ul>
 *   <li>A batch run replaces exactly its own rows in one atomic commit per table ({@code replaceWhere
 *       run_id = ...}): a rerun of a run id, after a crash or not, leaves that run's rows once and never
 *       touches other runs.</li>
 *   <li>An incremental run appends each micro-batch with Delta's idempotent writes ({@code txnAppId} = the
 *       streaming query's id, fixed by its checkpoint; {@code txnVersion} = the micro-batch id). A micro-batch
 *       that Spark replays after a crash is skipped by each table that already committed it, so its rows stay
 *       with the run that first wrote them (a crash between the two tables' commits leaves the replay to write
 *       the other table's rows, under the rerun's id: each row still lands once). Its run id is fresh per invocation and never reused, so no
 *       {@code replaceWhere} ever deletes incremental rows; a rescore after a model change rewrites rows of
 *       incremental runs with one MERGE.</li>
 * </ul>
 * Only the {@code runs} row of any run is replaced by run id (running, then succeeded or failed).
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
     * whose columns differ from what this run would write. A table may lack columns of {@code addedLater}
     * (written before they existed): {@link #addMissingColumns} gives them to it.
     */
    public void checkWritable(SparkSession spark, Map<Path, StructType> schemas, StructType addedLater) {
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
            StructType existing = schemaOf(spark, table);
            StructType evolved = existing;
            for (StructField field : missingAddedLater(existing, e.getValue(), addedLater).fields()) {
                evolved = evolved.add(field);
            }
            if (!sameColumns(evolved, e.getValue())) {
                throw new IllegalArgumentException(table + " has columns " + existing.simpleString()
                        + " but this run writes " + e.getValue().simpleString() + "; choose another --output");
            }
        }
    }

    /**
     * Adds to each existing table the columns of {@code addedLater} it lacks (nullable, so its older rows read
     * null there), in one Delta commit per table. On the driver, after {@link #checkWritable} and before any
     * task writes: a task's write must find the columns it writes.
     */
    public static void addMissingColumns(SparkSession spark, Map<Path, StructType> schemas, StructType addedLater) {
        schemas.forEach((table, schema) -> {
            if (Files.exists(table.resolve("_delta_log"))) {
                StructType missing = missingAddedLater(schemaOf(spark, table), schema, addedLater);
                if (missing.size() > 0) {
                    spark.sql("ALTER TABLE delta.`" + table.toAbsolutePath() + "` ADD COLUMNS ("
                            + missing.toDDL() + ")");
                }
            }
        });
    }

    /** The columns of {@code addedLater} that {@code schema} has and {@code existing} lacks. */
    private static StructType missingAddedLater(StructType existing, StructType schema, StructType addedLater) {
        StructType missing = new StructType();
        for (StructField field : addedLater.fields()) {
            if (schema.getFieldIndex(field.name()).isDefined() && existing.getFieldIndex(field.name()).isEmpty()) {
                missing = missing.add(field);
            }
        }
        return missing;
    }

    private static StructType schemaOf(SparkSession spark, Path table) {
        return spark.read().format("delta").load(table.toAbsolutePath().toString()).schema();
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

    /**
     * Creates each missing table, empty, before any task writes: tasks put their files into the table
     * directory before the commit, so a driver killed during the first run would otherwise leave a plain
     * directory that every rerun refuses as "not a Delta table".
     *
     * @param partitionedByRun the table of {@code schemas} that is written partitioned by run id
     */
    public static void createMissing(SparkSession spark, Map<Path, StructType> schemas, Path partitionedByRun) {
        schemas.forEach((table, schema) -> {
            if (!Files.exists(table)) {
                var builder = DeltaTable.createIfNotExists(spark).location(table.toAbsolutePath().toString())
                        .addColumns(schema);
                if (table.equals(partitionedByRun)) {
                    builder = builder.partitionedBy("run_id");
                }
                builder.execute();
            }
        });
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

    /**
     * Removes {@code runId}'s rows from predictions and partition_stats (those that exist), one commit each:
     * a batch run over an input of no rows replaces that run's earlier rows by none.
     */
    public void deleteRun(SparkSession spark, String runId) {
        for (Path table : List.of(predictions(), partitionStats())) {
            if (Files.exists(table.resolve("_delta_log"))) {
                DeltaTable.forPath(spark, table.toAbsolutePath().toString())
                        .delete(functions.col("run_id").equalTo(runId));
            }
        }
    }

    /**
     * Appends {@code rows} to {@code table} unless the table already holds the write {@code version} of
     * {@code appId} (Delta's idempotent writes); versions of one app id must only grow.
     */
    public static void appendOnce(Dataset<Row> rows, Path table, String appId, long version, boolean partitionByRun) {
        var writer = rows.write().format("delta").mode("append")
                .option("txnAppId", appId)
                .option("txnVersion", version);
        if (partitionByRun) {
            writer = writer.partitionBy("run_id");
        }
        writer.save(table.toAbsolutePath().toString());
    }

    /**
     * Fails when {@code runId} is taken by a run of another mode, or, for an incremental run, at all: an
     * incremental run appends, so reusing its id would mix two runs' rows under one id.
     */
    public void checkRunIdFree(SparkSession spark, String runId, String mode) {
        List<Row> existing = table(spark, runs(), RunRecord.SCHEMA).filter(functions.col("run_id").equalTo(runId))
                .select("mode").collectAsList();
        for (Row row : existing) {
            if (mode.equals(RunRecord.INCREMENTAL) || !mode.equals(row.getString(0))) {
                throw new IllegalArgumentException("--run-id " + runId + " is already taken by a" + (row.getString(0)
                        .equals(RunRecord.INCREMENTAL) ? "n incremental" : " batch") + " run in " + runs()
                        + "; an incremental run needs a new id (leave --run-id out to get one)");
            }
        }
    }

    /** The partition stats rows of one run (none before the table exists). */
    public List<Row> statsOf(SparkSession spark, String runId) {
        return table(spark, partitionStats(), ScoreSchemas.PARTITION_STATS).filter(functions.col("run_id").equalTo(runId)).collectAsList();
    }

    /** Ids of the incremental runs recorded in {@code runs} that used {@code checkpoint}. */
    public List<String> incrementalRunIds(SparkSession spark, String checkpoint) {
        return table(spark, runs(), RunRecord.SCHEMA).filter(functions.col("mode").equalTo(RunRecord.INCREMENTAL)
                        .and(functions.get_json_object(functions.col("config"), "$.checkpoint").equalTo(checkpoint)))
                .select("run_id").as(Encoders.STRING()).collectAsList();
    }

    /** A table of this root, or an empty one with its schema before the first write created it. */
    private static Dataset<Row> table(SparkSession spark, Path table, StructType schema) {
        if (!Files.exists(table.resolve("_delta_log"))) {
            return spark.createDataFrame(List.of(), schema);
        }
        return spark.read().format("delta").load(table.toAbsolutePath().toString());
    }
}
