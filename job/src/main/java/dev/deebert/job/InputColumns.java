package dev.deebert.job;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.functions;

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
}
