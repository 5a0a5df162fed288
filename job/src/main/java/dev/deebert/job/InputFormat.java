package dev.deebert.job;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** The table formats commands read, chosen by name or guessed from the path. */
public enum InputFormat {
    PARQUET, DELTA, JSON, CSV, TEXT;

    public static InputFormat parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.equals("jsonl")) {
            return JSON;
        }
        for (InputFormat f : values()) {
            if (f.name().toLowerCase(Locale.ROOT).equals(n)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown format '" + name + "' (expected parquet, delta, json, csv or text)");
    }

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

    /** Reads {@code path}; a text file becomes one column {@code text}, one row per line. */
    public Dataset<Row> read(SparkSession spark, Path path) {
        String location = path.toAbsolutePath().toString();
        return switch (this) {
            case PARQUET -> spark.read().parquet(location);
            case DELTA -> spark.read().format("delta").load(location);
            case JSON -> spark.read().json(location);
            case CSV -> spark.read().option("header", "true").option("multiLine", "true").option("escape", "\"")
                    .csv(location);
            case TEXT -> spark.read().text(location).withColumnRenamed("value", "text");
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
