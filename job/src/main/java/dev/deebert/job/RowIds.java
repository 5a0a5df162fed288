package dev.deebert.job;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.substring;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.expressions.Window;

/**
 * Row ids: the input's id column where given and not null, else a hash of the row's texts plus its rank
 * among identical texts of the same read, the same on every rerun whatever the partitioning. Scoring and
 * sweeps share the rule, so their outputs over one input join on {@code id}. Ranks count within one read
 * (an incremental micro-batch is one read), so identical texts of different reads share an id.
 */
public final class RowIds {
    private RowIds() {}

    /** {@code idCol} may be null; {@code textB} is null-valued for single-text tasks. */
    public static Column of(String idCol, Column text, Column textB) {
        Column hash = substring(sha2(concat_ws("\u0001", coalesce(text, lit("\u0000")),
                coalesce(textB, lit("\u0000"))), 256), 1, 16);
        Column derived = concat_ws("-", hash, row_number().over(Window.partitionBy(hash).orderBy(hash)).cast("string"));
        return idCol == null ? derived : coalesce(InputColumns.named(idCol).cast("string"), derived);
    }
}
