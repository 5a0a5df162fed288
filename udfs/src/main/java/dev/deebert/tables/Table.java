package dev.deebert.tables;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A Delta table of an output root, as {@link Catalog} declares it.
 *
 * @param name the table's directory under the output root
 * @param partitionColumns the columns a table is created and written partitioned by
 * @param addedLater the columns of {@code schema} that a table written by an earlier version may lack:
 *     nullable, so that such a table gets them (null in its older rows) before a run writes to it
 */
public record Table(String name, StructType schema, List<String> partitionColumns, StructType addedLater) {
    public Table {
        partitionColumns = List.copyOf(partitionColumns);
        for (String column : partitionColumns) {
            schema.apply(column);
        }
        for (StructField field : addedLater.fields()) {
            if (!field.nullable() || !schema.apply(field.name()).equals(field)) {
                throw new IllegalArgumentException(name + ": column " + field.name() + " was added later, so it must"
                        + " be a nullable column of the table");
            }
        }
    }

    public Path at(Path root) {
        return root.resolve(name);
    }
}
