package dev.deebert.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.streaming.DataStreamReader;
import org.apache.spark.sql.types.StructType;

/** The table formats commands read, chosen by name or guessed from the path. */
public enum InputFormat {
    PARQUET, DELTA, JSON, CSV, TEXT;

    /** A Delta table directory, else by file extension (of the path or, for a directory, of its files). */
    public static InputFormat guess(Path path) {
        if (Files.isDirectory(path.resolve("_delta_log"))) {
            return DELTA;
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (Files.isDirectory(path)) {
            try (var files = Files.list(path)) {
                name = files.map(p -> p.getFileName().toString().toLowerCase(Locale.ROOT))
                        .filter(n -> !n.startsWith(".") && !n.startsWith("_")).findFirst().orElse(name);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        if (name.endsWith(".parquet")) {
            return PARQUET;
        }
        if (name.endsWith(".json") || name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
            return JSON;
        }
        if (name.endsWith(".csv")) {
            return CSV;
        }
        if (name.endsWith(".txt")) {
            return TEXT;
        }
        throw new IllegalArgumentException(path + ": cannot tell its format; pass --format");
    }

    /**
     * Whether {@code path} is a file of no bytes or a directory (not a Delta table) in which Spark finds no file
     * to read: nothing, or only files and directories that Spark's file listing skips as hidden (names starting
     * with '_' but holding no '=', names starting with '.', and HDFS's '._COPYING_' files). Spark infers no
     * columns from either.
     */
    public static boolean holdsNothingToRead(Path path) {
        try {
            if (Files.isRegularFile(path) && Files.size(path) == 0) {
                return true;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!Files.isDirectory(path) || Files.isDirectory(path.resolve("_delta_log"))) {
            return false;
        }
        try (Stream<Path> files = Files.walk(path)) {
            return files.filter(Files::isRegularFile).allMatch(file -> hidden(path.relativize(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether Spark skips {@code relative}: the file or a directory on its way is hidden. */
    private static boolean hidden(Path relative) {
        for (Path name : relative) {
            String n = name.toString();
            if (n.startsWith("_") && !n.contains("=") || n.startsWith(".") || n.endsWith("._COPYING_")) {
                return true;
            }
        }
        return false;
    }

    /** Reads {@code path}; a text file becomes one column {@code text}, one row per line. */
    public Dataset<Row> read(SparkSession spark, Path path) {
        Dataset<Row> table = named(spark.read().format(source()).options(options()).load(location(path)));
        if (this == JSON) {
            refuseMalformedLines(spark, table, path);
        }
        return table;
    }

    /**
     * Spark reads a line that is no JSON object as a row of nulls and keeps the line in a column of its own,
     * which the inferred schema holds only when there is such a line. Scored, the row would fail as "text is
     * null" under an id made up for it, and nothing would lead the user back to the line.
     */
    private static void refuseMalformedLines(SparkSession spark, Dataset<Row> table, Path path) {
        String corrupt = spark.conf().get("spark.sql.columnNameOfCorruptRecord");
        List<String> columns = Arrays.asList(table.columns());
        if (!columns.contains(corrupt)) {
            return;
        }
        if (columns.size() == 1) {
            throw new IllegalArgumentException(path + ": no line is a JSON object");
        }
        // all columns read: Spark refuses a query of raw JSON that reads the corrupt-record column alone
        List<String> lines = table.where(functions.col(corrupt).isNotNull()).limit(3).collectAsList().stream()
                .map(row -> abbreviate(row.<String>getAs(corrupt).strip())).toList();
        throw new IllegalArgumentException(path + ": lines that are no JSON object, e.g. " + String.join(" | ", lines)
                + "; mend or remove them");
    }

    private static String abbreviate(String line) {
        return line.length() <= 120 ? line : line.substring(0, 117) + "...";
    }

    /**
     * Reads {@code path} as a stream of what arrives after each run, parsed as {@link #read} parses it. File
     * sources need their schema up front: {@code schema}, from a batch read of the current files.
     *
     * @param maxFilesPerTrigger input files per micro-batch, or 0 for no limit
     */
    public Dataset<Row> readStream(SparkSession spark, Path path, StructType schema, int maxFilesPerTrigger) {
        DataStreamReader reader = spark.readStream().format(source()).options(options());
        if (maxFilesPerTrigger > 0) {
            reader = reader.option("maxFilesPerTrigger", maxFilesPerTrigger);
        }
        if (this != DELTA) {
            reader = reader.option("maxFileAge", FILE_AGE_UNLIMITED);
        }
        if (this != DELTA && this != TEXT) {
            reader = reader.schema(schema);
        }
        return named(reader.load(location(path)));
    }

    /**
     * Spark's file stream source skips a new file whose modification time lies more than {@code maxFileAge}
     * (7 days by default) before the newest file it has seen: files delivered with their original times
     * ({@code rsync -a}, {@code cp -p}, {@code tar x}) would never be scored, silently. A thousand years is
     * never, without overflowing Spark's arithmetic on it (even for files dated 1970). What the option
     * bounds, the seen-file list kept in memory, Spark rebuilds in full from its checkpoint log on every
     * start anyway.
     */
    private static final String FILE_AGE_UNLIMITED = "365000d";

    /** Spark's data source name. */
    private String source() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** CSV: a header row, quoted fields that may span lines. */
    private Map<String, String> options() {
        return this == CSV ? Map.of("header", "true", "multiLine", "true", "escape", "\"") : Map.of();
    }

    private Dataset<Row> named(Dataset<Row> table) {
        return this == TEXT ? table.withColumnRenamed("value", "text") : table;
    }

    private static String location(Path path) {
        return path.toAbsolutePath().toString();
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
