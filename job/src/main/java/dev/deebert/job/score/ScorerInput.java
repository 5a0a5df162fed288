package dev.deebert.job.score;

import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;

import dev.deebert.job.InputColumns;
import dev.deebert.job.RowIds;
import dev.deebert.tables.Catalog;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * The scorer's input columns ({@link Catalog#INPUT}, then the pass-through columns as {@link Catalog#KEPT}) of
 * a request; ids follow {@link RowIds}.
 * Identical texts arriving in different incremental micro-batches share a derived id; pass
 * {@code --id-col} where such duplicates matter.
 */
record ScorerInput(ScoreRequest request) {
    /** Fails, naming the column, when the input lacks a column the request reads or a text column holds no text. */
    void check(StructType schema) {
        List<String> read = new ArrayList<>(Arrays.asList(request.textCol(), request.idCol(), request.textBCol()));
        read.addAll(request.keepCols());
        InputColumns.check(request.input(), schema, read, Arrays.asList(request.textCol(), request.textBCol()));
    }

    Dataset<Row> select(Dataset<Row> raw) {
        Column text = InputColumns.named(request.textCol()).cast("string");
        Column textB = request.textBCol() == null ? lit(null).cast("string")
                : InputColumns.named(request.textBCol()).cast("string");
        Column id = RowIds.of(request.idCol(), text, textB, raw);
        List<Column> select = new ArrayList<>(List.of(id.as("id"), text.as("text"), textB.as("text_b")));
        if (!request.keepCols().isEmpty()) {
            select.add(struct(request.keepCols().stream().map(c -> InputColumns.named(c).as(Catalog.keptName(c)))
                    .toArray(Column[]::new)).as(Catalog.KEPT));
        }
        return raw.select(select.toArray(Column[]::new));
    }
}
