package dev.deebert.job.score;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.substring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.StructType;

/**
 * The scorer's input columns (id, text, text_b, pass-through) of a request. Without an id column, a row's id
 * is a hash of its texts plus its rank among identical texts of the same read: the same on every rerun,
 * whatever the partitioning. An incremental run ranks within one micro-batch, so identical texts that
 * arrive in different micro-batches share an id; pass {@code --id-col} where such duplicates matter.
 */
record ScorerInput(ScoreRequest request) {
    /** Fails, naming the column, when the input lacks a column the request reads. */
    void check(StructType schema) {
        List<String> columns = Arrays.asList(schema.fieldNames());
        List<String> needed = new ArrayList<>();
        needed.add(request.textCol());
        if (request.idCol() != null) {
            needed.add(request.idCol());
        }
        if (request.textBCol() != null) {
            needed.add(request.textBCol());
        }
        needed.addAll(request.keepCols());
        for (String column : needed) {
            if (!columns.contains(column)) {
                throw new IllegalArgumentException(request.input() + " has no column '" + column + "' (columns: "
                        + String.join(", ", columns) + ")");
            }
        }
    }

    Dataset<Row> select(Dataset<Row> raw) {
        Column text = col(request.textCol()).cast("string");
        Column textB = request.textBCol() == null ? lit(null).cast("string") : col(request.textBCol()).cast("string");
        Column hash = substring(sha2(concat_ws("\u0001", coalesce(text, lit("\u0000")),
                coalesce(textB, lit("\u0000"))), 256), 1, 16);
        Column derived = concat_ws("-", hash,
                row_number().over(Window.partitionBy(hash).orderBy(hash)).cast("string"));
        Column id = request.idCol() == null ? derived : coalesce(col(request.idCol()).cast("string"), derived);

        List<Column> select = new ArrayList<>(List.of(id.as("id"), text.as("text"), textB.as("text_b")));
        request.keepCols().forEach(c -> select.add(col(c)));
        return raw.select(select.toArray(Column[]::new));
    }
}
