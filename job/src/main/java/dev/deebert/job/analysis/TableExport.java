package dev.deebert.job.analysis;

import dev.deebert.job.DeltaTables;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;

/** Parquet snapshots of every Delta table under an output root, for pandas and other readers without Delta. */
final class TableExport {
    private TableExport() {}

    /** Writes {@code to/<table>} (replacing it) for each Delta table directly under {@code root}; returns the names. */
    static List<String> export(SparkSession spark, Path root, Path to) {
        List<Path> tables;
        try (Stream<Path> children = Files.list(root)) {
            tables = children.filter(p -> DeltaTables.isTable(spark, p)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (Path table : tables) {
            spark.read().format("delta").load(table.toString()).write().mode("overwrite")
                    .parquet(to.toAbsolutePath().resolve(table.getFileName().toString()).toString());
        }
        return tables.stream().map(p -> p.getFileName().toString()).toList();
    }
}
