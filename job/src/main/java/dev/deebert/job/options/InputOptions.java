package dev.deebert.job.options;

import dev.deebert.job.InputFormat;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The options that name a table to read and its columns. Each column is a mixin of its own because commands
 * read different ones (sweep and bench need labels, score and train a second text for pair tasks).
 */
public final class InputOptions {
    private InputOptions() {}

    /**
     * The rows score and sweep read, identified alike ({@link dev.deebert.job.RowIds}) so that sweep_rows join
     * the predictions of the same input.
     */
    public static final class Rows {
        @Mixin
        private Table table;

        @Mixin
        private IdColumn ids;

        @Mixin
        private TextColumn text;

        public Table table() {
            return table;
        }

        /** Null: ids derived from the text. */
        public String idCol() {
            return ids.name();
        }

        public String textCol() {
            return text.name();
        }
    }

    /** {@code --input} and {@code --format}. */
    public static final class Table {
        @Option(names = "--input", required = true, paramLabel = "PATH", description = "Input table: a file or"
                + " directory.")
        private Path path;

        @Mixin
        private Format format;

        public Path path() {
            return path;
        }

        /** The format named on the command line, or null where the reader tells it from the path. */
        public InputFormat format() {
            return format.named();
        }

        public InputFormat formatOrGuess() {
            return format.named() != null ? format.named() : InputFormat.guess(path);
        }
    }

    /** {@code --format}: of {@link Table}, and of both of train's tables. */
    public static final class Format {
        @Option(names = "--format", converter = FormatName.class, paramLabel = "FORMAT",
                description = "parquet, delta, json (jsonl), csv or text (default: from the path).")
        private InputFormat named;

        /** Null where the reader tells it from the path. */
        public InputFormat named() {
            return named;
        }
    }

    /** {@code jsonl} is a name of its own because it is the extension users see on JSON-lines files. */
    static final class FormatName implements ITypeConverter<InputFormat> {
        @Override
        public InputFormat convert(String name) {
            String key = name.trim().toUpperCase(Locale.ROOT);
            try {
                return key.equals("JSONL") ? InputFormat.JSON : InputFormat.valueOf(key);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("expected parquet, delta, json (jsonl), csv or text, got '"
                        + name + "'");
            }
        }
    }

    /** {@code --text-col}. */
    public static final class TextColumn {
        @Option(names = "--text-col", paramLabel = "COL", defaultValue = "text",
                description = "Text column (default: ${DEFAULT-VALUE}).")
        private String name;

        public String name() {
            return name;
        }
    }

    /** {@code --text-b-col}. */
    public static final class SecondTextColumn {
        @Option(names = "--text-b-col", paramLabel = "COL", description = "Second text column, for pair tasks.")
        private String name;

        /** Null for single-text tasks. */
        public String name() {
            return name;
        }
    }

    /** {@code --id-col}, for the commands whose rows follow {@link dev.deebert.job.RowIds}. */
    public static final class IdColumn {
        @Option(names = "--id-col", paramLabel = "COL", description = "Column of row ids (default: derived from the"
                + " text, stable across reruns and partitionings).")
        private String name;

        /** Null: ids derived from the text. */
        public String name() {
            return name;
        }
    }

    /** {@code --label-col}. */
    public static final class LabelColumn {
        @Option(names = "--label-col", paramLabel = "COL", defaultValue = "label",
                description = "Label column: label names or indices (default: ${DEFAULT-VALUE}).")
        private String name;

        public String name() {
            return name;
        }
    }
}
