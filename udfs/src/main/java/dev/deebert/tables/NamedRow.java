package dev.deebert.tables;

import java.util.Arrays;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructField;
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

    /**
     * Sets a column. Primitive arrays are boxed: Spark's Row encoder takes arrays of boxed values (or Scala
     * Seqs), not primitive arrays or java.util.List.
     */
    public NamedRow set(String column, Object value) {
        int at = schema.fieldIndex(column);
        values[at] = boxed(value);
        set[at] = true;
        return this;
    }

    /** Sets every column of {@code row} (a row with a schema) under its own name. */
    public NamedRow setAll(Row row) {
        StructField[] fields = row.schema().fields();
        for (int i = 0; i < fields.length; i++) {
            set(fields[i].name(), row.get(i));
        }
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

    private static Object boxed(Object value) {
        if (value instanceof float[] floats) {
            Float[] boxed = new Float[floats.length];
            for (int i = 0; i < floats.length; i++) {
                boxed[i] = floats[i];
            }
            return boxed;
        }
        if (value instanceof double[] doubles) {
            return Arrays.stream(doubles).boxed().toArray(Double[]::new);
        }
        if (value instanceof long[] longs) {
            return Arrays.stream(longs).boxed().toArray(Long[]::new);
        }
        if (value instanceof int[] ints) {
            return Arrays.stream(ints).boxed().toArray(Integer[]::new);
        }
        return value;
    }
}
