package dev.deebert.job;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.to_json;

import java.util.Arrays;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;

/**
 * Row ids: without an id column, a hash of the row's texts plus its rank among identical texts of the same
 * read; with one, its value, or where that is null a hash of the row's texts plus a hash of the whole row (rows
 * equal in every column share it). Either is the same on every rerun whatever the partitioning. Scoring and
 * sweeps share the rule, so their outputs over one input join on {@code id}. Ranks count within one read
 * (an incremental micro-batch is one read), so identical texts of different reads share an id.
 */
public final class RowIds {
    private RowIds() {}

    /**
     * {@code idCol} may be null; {@code textB} is null-valued for single-text tasks. Identical texts are ranked
     * by all the input's columns ({@code input}), so that the rank never depends on the order rows arrive in
     * (a rerun, or a stage recomputed after a lost executor, reads them in another order); rows equal in every
     * column are interchangeable.
     */
    public static Column of(String idCol, Column text, Column textB, Dataset<Row> input) {
        Column hash = substring(sha2(concat_ws("\u0001", coalesce(text, lit("\u0000")),
                coalesce(textB, lit("\u0000"))), 256), 1, 16);
        // to_json orders any column type, maps included, which a sort on the columns themselves refuses
        Column everything = to_json(struct(Arrays.stream(input.columns()).map(InputColumns::named).toArray(Column[]::new)));
        if (idCol == null) {
            return concat_ws("-", hash, row_number().over(Window.partitionBy(hash).orderBy(everything)).cast("string"));
        }
        // A rank would shuffle every row to number the few whose id is null: those are told apart by the whole row
        return coalesce(InputColumns.named(idCol).cast("string"),
                concat_ws("-", hash, substring(sha2(everything, 256), 1, 16)));
    }
}
