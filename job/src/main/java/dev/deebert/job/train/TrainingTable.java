package dev.deebert.job.train;

import dev.deebert.job.InputColumns;
import dev.deebert.job.InputFormat;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A labelled table read with Spark and collected to the driver (training sets are thousands of rows):
 * id, text, optional second text, and label as a string (integer labels become their decimal form).
 */
final class TrainingTable {
    record Example(String id, String text, String textB, String label) {}

    /** The id column a table's rows are named by unless --id-col says otherwise. */
    static final String DEFAULT_ID_COL = "id";

    private TrainingTable() {}

    /**
     * Reads {@code path}; {@code format} null means: tell it from the path ({@link InputFormat#guess}).
     * {@code idCol} null means {@value #DEFAULT_ID_COL} where the table has it, else "row N" by position.
     */
    static List<Example> read(SparkSession spark, Path path, InputFormat format, String idCol, String textCol,
                              String textBCol, String labelCol) throws IOException {
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "training data not found");
        }
        InputFormat chosen = format != null ? format : InputFormat.guess(path);
        // a .json file holding one array (not JSON lines) needs Spark's multi-line mode
        Dataset<Row> table = chosen == InputFormat.JSON && startsWithArray(path)
                ? spark.read().option("multiLine", true).json(path.toString()) : chosen.read(spark, path);
        List<String> columns = Arrays.asList(table.columns());
        String ids = idCol != null || !columns.contains(DEFAULT_ID_COL) ? idCol : DEFAULT_ID_COL;
        InputColumns.check(path, table.schema(), Arrays.asList(textCol, labelCol, textBCol, ids),
                Arrays.asList(textCol, textBCol));
        List<Column> selected = new ArrayList<>();
        for (String name : new String[] {textCol, labelCol, textBCol, ids}) {
            if (name != null) {
                selected.add(InputColumns.named(name).cast("string").as(name));
            }
        }
        List<Row> rows = table.select(selected.toArray(new Column[0])).collectAsList();
        List<Example> examples = new ArrayList<>(rows.size());
        long nullTexts = 0;
        long nullLabels = 0;
        for (Row row : rows) {
            String text = row.getAs(textCol);
            String label = row.getAs(labelCol);
            nullTexts += text == null ? 1 : 0;
            nullLabels += label == null ? 1 : 0;
            String id = ids == null ? null : row.<String>getAs(ids);
            examples.add(new Example(id != null ? id : "row " + (examples.size() + 1), text,
                    textBCol == null ? null : row.getAs(textBCol), label));
        }
        if (nullTexts > 0 || nullLabels > 0) {
            throw new IllegalArgumentException(path + ": " + nullTexts + " rows without '" + textCol + "' and "
                    + nullLabels + " rows without '" + labelCol + "'; every row needs a text and a label");
        }
        if (examples.isEmpty()) {
            throw new IllegalArgumentException(path + " holds no rows");
        }
        return examples;
    }

    private static boolean startsWithArray(Path path) throws IOException {
        if (!Files.isRegularFile(path)) {
            return false;
        }
        try (Reader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            int c;
            do {
                c = in.read();
            } while (c >= 0 && Character.isWhitespace(c));
            return c == '[';
        }
    }
}
