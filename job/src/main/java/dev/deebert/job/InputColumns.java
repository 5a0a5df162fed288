package dev.deebert.job;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Columns of the user's input, named by options such as {@code --text-col} and {@code --id-col}. */
public final class InputColumns {
    private InputColumns() {}

    /**
     * The column of that exact name: backquoted, so that a dot, a space or a backquote is part of the name and
     * {@code meta.id} is a column named so, never field {@code id} of a struct {@code meta}.
     */
    public static Column named(String name) {
        return functions.col("`" + name.replace("`", "``") + "`");
    }

    /**
     * Fails, naming the column, when {@code schema} (of {@code input}) lacks one of {@code read} (nulls are
     * options not given) or when one of {@code texts} among them holds no strings.
     */
    public static void check(Path input, StructType schema, List<String> read, List<String> texts) {
        List<String> columns = Arrays.asList(schema.fieldNames());
        for (String column : read.stream().filter(Objects::nonNull).toList()) {
            if (!columns.contains(column)) {
                throw new IllegalArgumentException(input + " has no column '" + column + "' (columns: "
                        + String.join(", ", columns) + ")");
            }
        }
        for (String text : texts.stream().filter(Objects::nonNull).toList()) {
            requireStrings(input + ": column '" + text + "'", schema.apply(text));
        }
    }

    /**
     * Fails unless {@code field} holds strings: a number or a struct cast to text would be classified, giving
     * plausible labels for what is no text (an id column named by mistake, say).
     */
    public static void requireStrings(String what, StructField field) {
        if (!field.dataType().equals(DataTypes.StringType)) {
            throw new IllegalArgumentException(what + " holds " + field.dataType().simpleString()
                    + ", not text (string)");
        }
    }
}
