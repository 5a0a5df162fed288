package dev.deebert.score;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

/**
 * A row of a schema built by column name, so that a column added to the schema cannot shift the others'
 * values. Columns not set are null; leaving a non-nullable one unset is a bug, caught when the row is built.
 */
public final class NamedRow {
    private final StructType schema;
    private final Object[] values;
    private final boolean[] set;

    public NamedRow(StructType schema) {
        this.schema = schema;
        this.values = new Object[schema.size()];
        this.set = new boolean[schema.size()];
    }

    public NamedRow set(String column, Object value) {
        int at = schema.fieldIndex(column);
        values[at] = value;
        set[at] = true;
        return this;
    }

    /** The values in the schema's column order. */
    public Object[] values() {
        for (int i = 0; i < values.length; i++) {
            if (!set[i] && !schema.fields()[i].nullable()) {
                throw new IllegalStateException("column " + schema.fields()[i].name() + " was not set");
            }
        }
        return values.clone();
    }

    public Row toRow() {
        return RowFactory.create(values());
    }
}
