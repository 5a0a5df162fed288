package dev.deebert.bench;

import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;

import dev.deebert.job.DeltaTables;
import dev.deebert.tables.NamedRow;
import dev.deebert.tables.Table;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/** Timings per contender across rounds, and the figures derived from their medians. */
final class BenchReport {
    /** The bench's results, appended to under the root of {@code --output}: one row per contender and bench run. */
    static final Table TABLE = new Table("bench", new StructType()
            .add("bench_at", TimestampType).add("contender", StringType).add("precision", StringType)
            .add("threshold", DoubleType).add("batch_size", IntegerType).add("rows", IntegerType)
            .add("threads", IntegerType).add("rows_per_s", DoubleType).add("ms_per_row", DoubleType)
            .add("accuracy", DoubleType).add("expected_saving", DoubleType).add("actual_saving", DoubleType)
            .add("actual_over_expected", DoubleType).add("ratio_to_peer", DoubleType)
            .add("agreement_with_fp32", DoubleType).add("rss_mb", LongType)
            .add("peak_rss_mb", LongType), List.of(), new StructType());

    private record Key(String name, String precision, double threshold, int batchSize, int rows) {}

    private static final class Timings {
        final List<Double> seconds = new ArrayList<>();
        double accuracy;
        Contender.Outcome outcome;
        long layers;
        long rssMb;

        double median() {
            List<Double> sorted = seconds.stream().sorted().toList();
            int n = sorted.size();
            return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        }
    }

    private final int numLayers;
    private final int threads;
    private final Instant at = Instant.now();
    private final Map<Key, Timings> timings = new LinkedHashMap<>();

    BenchReport(int numLayers, int threads) {
        this.numLayers = numLayers;
        this.threads = threads;
    }

    /** Times one run of {@code contender} over {@code rows}; returns its seconds. */
    double time(Contender contender, LabeledRows rows) throws Exception {
        long start = System.nanoTime();
        Contender.Outcome outcome = contender.run(rows);
        double seconds = (System.nanoTime() - start) / 1e9;
        Timings t = timings.computeIfAbsent(new Key(contender.name(), contender.precision(), contender.threshold(),
                contender.batchSize(), rows.size()), k -> new Timings());
        t.seconds.add(seconds);
        t.accuracy = rows.accuracy(outcome.labels());
        t.outcome = outcome;
        t.layers = outcome.layersComputed();
        t.rssMb = Math.max(t.rssMb, procStatusMb("VmRSS"));
        return seconds;
    }

    /** One result row per contender, a row of {@link #TABLE}. */
    List<Row> rows() {
        Key peer = timings.keySet().stream().filter(k -> Double.isNaN(k.threshold())).findFirst().orElseThrow();
        double peerRate = peer.rows() / timings.get(peer).median();
        long peak = procStatusMb("VmHWM");
        List<Row> out = new ArrayList<>();
        for (Map.Entry<Key, Timings> e : timings.entrySet()) {
            Key k = e.getKey();
            Timings t = e.getValue();
            double rate = k.rows() / t.median();
            Double expected = Double.isNaN(k.threshold()) ? null : 1.0 - (double) t.layers / ((long) k.rows() * numLayers);
            Timings full = timings.get(new Key(k.name(), k.precision(), 0.0, k.batchSize(), k.rows()));
            Double actual = expected == null || full == null ? null : 1.0 - t.median() / full.median();
            Double ratio = actual == null || expected == 0 ? null : actual / expected;
            Timings fp32 = timings.get(new Key(k.name(), "fp32", k.threshold(), k.batchSize(), k.rows()));
            Double agreement = fp32 == null || fp32 == t || t.outcome.exitLayers() == null ? null
                    : agreement(t.outcome, fp32.outcome);
            out.add(withSchema(new NamedRow(TABLE.schema()).set("bench_at", Timestamp.from(at)).set("contender", k.name())
                    .set("precision", k.precision()).set("threshold", Double.isNaN(k.threshold()) ? null : k.threshold())
                    .set("batch_size", k.batchSize()).set("rows", k.rows()).set("threads", threads)
                    .set("rows_per_s", rate).set("ms_per_row", 1000 / rate).set("accuracy", t.accuracy)
                    .set("expected_saving", expected).set("actual_saving", actual).set("actual_over_expected", ratio)
                    .set("ratio_to_peer", rate / peerRate).set("agreement_with_fp32", agreement)
                    .set("rss_mb", t.rssMb).set("peak_rss_mb", peak).toRow()));
        }
        return out;
    }

    /** {@code row} readable by column name, as {@link #markdown} reads it (RowFactory rows have no schema). */
    private static Row withSchema(Row row) {
        Object[] values = new Object[row.length()];
        for (int i = 0; i < values.length; i++) {
            values[i] = row.get(i);
        }
        return new org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema(values, TABLE.schema());
    }

    /** Share of rows with the same label and the same exit layer in both outcomes. */
    private static double agreement(Contender.Outcome a, Contender.Outcome b) {
        int same = 0;
        for (int i = 0; i < a.labels().length; i++) {
            same += a.labels()[i] == b.labels()[i] && a.exitLayers()[i] == b.exitLayers()[i] ? 1 : 0;
        }
        return (double) same / a.labels().length;
    }

    String markdown() {
        StringBuilder md = new StringBuilder("| contender | precision | S | batch | rows | rows/s | ms/row | accuracy "
                + "| expected saving | actual saving | actual/expected | x peer | x int8 peer | same label+exit as fp32 "
                + "| RSS MB |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        List<Row> rows = rows();
        // rows/s of ONNX Runtime int8 (the peer that "x peer", fp32, is not), when the bench ran one
        double int8Peer = rows.stream().filter(r -> r.getAs("threshold") == null && "int8".equals(r.getAs("precision")))
                .mapToDouble(r -> r.<Double>getAs("rows_per_s")).findFirst().orElse(Double.NaN);
        for (Row r : rows) {
            md.append(String.format("| %s | %s | %s | %d | %d | %.1f | %.1f | %.4f | %s | %s | %s | %.2f | %.2f | %s "
                            + "| %d |%n",
                    r.<String>getAs("contender"), r.<String>getAs("precision"), orDash(r.getAs("threshold")),
                    r.<Integer>getAs("batch_size"), r.<Integer>getAs("rows"), r.<Double>getAs("rows_per_s"),
                    r.<Double>getAs("ms_per_row"), r.<Double>getAs("accuracy"), percent(r.getAs("expected_saving")),
                    percent(r.getAs("actual_saving")), r.getAs("actual_over_expected") == null ? "-"
                            : String.format("%.2f", r.<Double>getAs("actual_over_expected")),
                    r.<Double>getAs("ratio_to_peer"), r.<Double>getAs("rows_per_s") / int8Peer,
                    percent(r.getAs("agreement_with_fp32")),
                    r.<Long>getAs("rss_mb")));
        }
        md.append(String.format("%nthreads %d, peak RSS %d MB, medians of %d rounds%n", threads, procStatusMb("VmHWM"),
                timings.values().iterator().next().seconds.size()));
        return md.toString();
    }

    void append(DeltaTables tables) {
        tables.append(TABLE, tables.spark().createDataFrame(rows(), TABLE.schema()));
    }

    private static Object orDash(Object value) {
        return value == null ? "-" : value;
    }

    private static String percent(Object fraction) {
        return fraction == null ? "-" : String.format("%.1f%%", 100 * (Double) fraction);
    }

    /** A memory figure of this process from /proc/self/status (Linux), in MB; 0 where unavailable. */
    private static long procStatusMb(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
            return 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
