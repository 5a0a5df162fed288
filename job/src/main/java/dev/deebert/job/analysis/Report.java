package dev.deebert.job.analysis;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.when;

import dev.deebert.job.DeltaTables;
import dev.deebert.job.RunIds;
import dev.deebert.tables.Catalog;
import dev.deebert.tables.Table;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;

/**
 * The report of a scoring root and of the sweep roots beside it, in the order a reader asks: what each threshold
 * costs in quality (the calibration curves, the paper's figures 2-4, with the operating points calibrate chose
 * marked), whether the saving is real (expected against measured), what the scoring runs cost, and whether their
 * early exits agreed with the full model (the audit). Each section says what it lacks when its tables are absent.
 */
public final class Report {
    /** Scoring runs drawn in the exit-share chart: the latest, so that the chart of a long schedule stays legible. */
    static final int EXIT_RUNS_DRAWN = 8;

    private final DeltaTables scoring;
    private final List<DeltaTables> sweepRoots;
    private final List<Path> sweepInputs;
    private final List<String> runIds;

    /**
     * @param output the root of the scoring runs, which may hold sweeps too
     * @param sweepInputs roots of further sweeps (sweep's --output)
     * @param runIds runs, scoring and sweep, to report on; empty for all
     */
    public Report(SparkSession spark, Path output, List<Path> sweepInputs, List<String> runIds) {
        runIds.forEach(RunIds::check);
        this.scoring = new DeltaTables(spark, output);
        this.sweepInputs = List.copyOf(sweepInputs);
        this.sweepRoots = Stream.concat(Stream.of(output), sweepInputs.stream())
                .map(p -> p.toAbsolutePath().normalize()).distinct().map(p -> new DeltaTables(spark, p)).toList();
        this.runIds = List.copyOf(runIds);
    }

    public String html() {
        for (Path input : sweepInputs) {
            if (!new DeltaTables(scoring.spark(), input).exists(Catalog.SWEEP)) {
                throw new IllegalArgumentException("--sweep-input " + input + " holds no sweep table");
            }
        }
        boolean scored = scoring.exists(Catalog.RUNS) || scoring.exists(Catalog.PARTITION_STATS);
        Dataset<Row> sweeps = sweepRows(Catalog.SWEEP);
        if (sweeps == null && !scored) {
            throw new IllegalArgumentException("--output " + scoring.root() + " holds no sweep or scoring tables");
        }
        Html html = new Html("DeeBERT report");
        String swept = sweepRoots.stream().filter(r -> r.exists(Catalog.SWEEP)).map(r -> r.root().toString())
                .collect(Collectors.joining(", "));
        html.paragraph("Scoring runs from " + scoring.root() + (swept.isEmpty() ? "; no sweeps" : "; sweeps from "
                + swept) + ". Generated " + Instant.now() + (runIds.isEmpty() ? "" : " for runs " + runIds) + ".");
        Dataset<Row> perRun = scored ? perRun() : null;
        List<Row> runs = perRun == null ? List.of() : perRun.orderBy("started_at", "run_id").collectAsList();
        List<Chosen> chosen = chosen(runs);
        List<Row> sweepPoints = sweeps == null ? List.of() : sweeps.orderBy("sweep", "threshold").collectAsList();

        qualitySection(html, sweeps, sweepPoints, chosen);
        savingSection(html, sweepPoints, chosen, runs);
        layerSection(html, sweepPoints, chosen, runs);
        costSection(html, perRun);
        auditSection(html, perRun);
        return html.render();
    }

    /**
     * {@code table} of {@code root} filtered to the runs asked for, with the columns added later that an older
     * table lacks read as null, so that every report reads the catalog's columns by name.
     */
    private Dataset<Row> read(DeltaTables root, Table table) {
        Dataset<Row> rows = root.read(table);
        List<String> columns = Arrays.asList(rows.columns());
        for (StructField field : table.addedLater().fields()) {
            if (!columns.contains(field.name())) {
                rows = rows.withColumn(field.name(), lit(null).cast(field.dataType()));
            }
        }
        return runIds.isEmpty() ? rows : rows.filter(col("run_id").isin(runIds.toArray()));
    }

    /**
     * The rows of {@code table} (sweep or layerwise) of every sweep root, each with a column {@code sweep} naming
     * its sweep: the run id, preceded by the root's directory name where roots share a run id. Null when no root
     * holds the table.
     */
    private Dataset<Row> sweepRows(Table table) {
        List<DeltaTables> roots = sweepRoots.stream().filter(r -> r.exists(table)).toList();
        Map<String, Long> rootsPerRun = roots.stream()
                .flatMap(r -> read(r, table).select("run_id").distinct().collectAsList().stream()
                        .map(row -> row.<String>getAs("run_id")))
                .collect(Collectors.groupingBy(id -> id, Collectors.counting()));
        Object[] shared = rootsPerRun.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toArray();
        return roots.stream().map(r -> read(r, table).withColumn("sweep",
                        when(col("run_id").isin(shared), concat(lit(r.root().getFileName() + "/"), col("run_id")))
                                .otherwise(col("run_id"))))
                .reduce(Dataset::unionByName).orElse(null);
    }

    /**
     * Per scoring run, what runs records joined with what its partitions cost: run_s from start to finish,
     * rows_per_s over run_s, model_ms_per_row the model's time in the tasks per row.
     */
    private Dataset<Row> perRun() {
        Dataset<Row> stats = read(scoring, Catalog.PARTITION_STATS).groupBy("run_id").agg(
                sum("rows").as("rows"), sum("rows_failed").as("rows_failed"),
                sum("layers_computed").as("layers_computed"), sum("layers_full").as("layers_full"),
                sum("model_ms").as("model_ms"), sum("audit_agreed").as("audit_agreed"),
                sum("audit_layers").as("audit_layers"), sum("audit_ms").as("audit_ms"));
        Dataset<Row> runs = read(scoring, Catalog.RUNS).drop("rows", "rows_failed", "expected_saving");
        Column runSeconds = col("finished_at").cast("double").minus(col("started_at").cast("double"));
        return runs.join(stats, "run_id", "full_outer")
                .withColumn("run_s", round(runSeconds, 1))
                .withColumn("rows_per_s", round(col("rows").divide(runSeconds), 1))
                .withColumn("model_ms_per_row", col("model_ms").divide(col("rows")))
                .withColumn("layers_saved", col("layers_full").minus(col("layers_computed")))
                .withColumn("saving", saving());
    }

    /**
     * The weights, precision and length a sweep or scoring run ran at (from its row): a threshold chosen for one
     * of them holds for it alone. Null fields where a table predates the columns.
     */
    private record Serving(String modelSha256, String precision, Integer maxSeqLen) {
        static Serving of(Row row) {
            return new Serving(row.getAs("model_sha256"), row.getAs("precision"), row.getAs("max_seq_len"));
        }

        @Override
        public String toString() {
            return precision + ", " + maxSeqLen + " tokens, model " + shortHash(modelSha256);
        }
    }

    /** A threshold calibrate chose for some accuracy budgets (points), and where it was chosen. */
    private record Chosen(Serving serving, double threshold, String budgets, Path file) {
        boolean isAt(Row sweepPoint) {
            return serving.equals(Serving.of(sweepPoint)) && threshold == sweepPoint.<Double>getAs("threshold");
        }

        String label() {
            return "S=" + plain(threshold) + " (" + budgets + " pt budget" + (budgets.contains(",") ? "s)" : ")");
        }
    }

    /**
     * The operating points in the deebert.json of the models the scoring runs used (the file is the model's, not
     * the tables'); a model directory that is gone or unreadable from here has none to show.
     */
    private static List<Chosen> chosen(List<Row> runs) {
        List<Chosen> chosen = new ArrayList<>();
        for (String dir : runs.stream().map(r -> r.<String>getAs("model_dir")).filter(Objects::nonNull)
                .collect(Collectors.toCollection(TreeSet::new))) {
            OperatingPoints file;
            Path model;
            try {
                model = Path.of(dir);
                file = OperatingPoints.read(model);
            } catch (IllegalArgumentException e) {
                // Not a path here (InvalidPathException) or not a readable deebert.json: no points to mark.
                continue;
            }
            if (file == null) {
                continue;
            }
            for (OperatingPoints.Calibrated c : file.calibrations()) {
                Map<Double, List<String>> budgets = new TreeMap<>();
                c.points().forEach(p -> budgets.computeIfAbsent(p.threshold(), s -> new ArrayList<>())
                        .add(plain(p.maxDrop())));
                Serving serving = new Serving(file.modelSha256(), c.precision(), c.maxSeqLen());
                budgets.forEach((s, drops) -> chosen.add(new Chosen(serving, s, String.join(", ", drops),
                        model.resolve(OperatingPoints.FILE))));
            }
        }
        return chosen;
    }

    private static String plain(double value) {
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    /** The calibrated points among {@code points} of one sweep, at (x, y) of that sweep's curve. */
    private static List<Charts.Mark> marks(List<Row> points, List<Chosen> chosen, String y) {
        List<Charts.Mark> marks = new ArrayList<>();
        for (Row p : points) {
            for (Chosen c : chosen) {
                if (c.isAt(p) && p.getAs(y) != null) {
                    marks.add(new Charts.Mark(c.label(), 100 * p.<Double>getAs("expected_saving"),
                            100 * p.<Double>getAs(y)));
                }
            }
        }
        return marks;
    }

    private static Map<String, List<Row>> bySweep(List<Row> points) {
        return points.stream().collect(Collectors.groupingBy(r -> r.getAs("sweep"), TreeMap::new, Collectors.toList()));
    }

    private static List<double[]> xy(List<Row> points, String y) {
        return points.stream().filter(p -> p.getAs(y) != null).map(p -> new double[] {
                100 * p.<Double>getAs("expected_saving"), 100 * p.<Double>getAs(y)}).toList();
    }

    private void qualitySection(Html html, Dataset<Row> sweeps, List<Row> points, List<Chosen> chosen) {
        html.section("sweep", "Calibration: quality against expected saving");
        if (sweeps == null) {
            html.paragraph("No sweep tables: pass the sweep's root (sweep --output) as --sweep-input.").endSection();
            return;
        }
        html.paragraph("Quality is measured on a sweep's labeled rows at each entropy threshold S; the drop is in"
                + " accuracy points against S=0 (the full model). Expected saving = share of encoder layers not"
                + " computed; actual saving = share of model time saved by the real early exit (sweep"
                + " --measure-time); agreement = share of rows labelled as by the full model, what a scoring run's"
                + " audit should find at that S.");
        List<String> files = chosen.stream().map(c -> c.file().toString()).distinct().toList();
        html.paragraph(files.isEmpty() ? "No operating points marked: no scoring run's model has a deebert.json"
                + " (calibrate writes it)." : "Marked: the operating points calibrate chose (" + String.join(", ", files)
                + "), on every sweep of the same weights, precision and length.");
        List<Charts.Series> quality = new ArrayList<>();
        List<Charts.Mark> marks = new ArrayList<>();
        List<String> marked = new ArrayList<>();
        bySweep(points).forEach((sweep, rows) -> {
            quality.add(new Charts.Series(sweep, xy(rows, "accuracy")));
            List<Charts.Mark> own = marks(rows, chosen, "accuracy");
            marks.addAll(own);
            own.forEach(m -> marked.add(sweep + " " + m.label()));
        });
        html.image("fig2", "Fig. 2: accuracy of each sweep against its expected saving, one point per threshold S"
                        + " (left: S=0, the full model)" + (marked.isEmpty() ? ""
                                : "; diamonds: the calibrated operating points, " + String.join(", ", marked)),
                Charts.png(Charts.percentOnX(Charts.lines("Quality vs expected saving",
                        "expected saving (% of encoder layers)", "accuracy (%)", quality, false,
                        "calibrated operating point", marks))));
        html.table("sweep-table", sweeps.orderBy("sweep", "threshold").select(col("sweep"), col("threshold"),
                col("rows"), col("accuracy"), col("macro_f1"), col("positive_f1"), col("quality_drop"),
                col("expected_saving"), col("mean_exit_layer"), col("agreement"), col("measured_ms"),
                col("actual_saving"),
                col("precision"), col("max_seq_len"), col("model_sha256")));
        html.endSection();
    }

    private void savingSection(Html html, List<Row> points, List<Chosen> chosen, List<Row> runs) {
        html.section("saving", "Expected against measured saving");
        List<Charts.Series> measured = new ArrayList<>();
        List<Charts.Mark> marks = new ArrayList<>();
        bySweep(points).forEach((sweep, rows) -> {
            if (rows.stream().anyMatch(p -> p.getAs("actual_saving") != null)) {
                measured.add(new Charts.Series(sweep, xy(rows, "actual_saving")));
                marks.addAll(marks(rows, chosen, "actual_saving"));
            }
        });
        if (measured.isEmpty()) {
            html.paragraph("No sweep was timed: sweep --measure-time runs the real early exit at every threshold"
                    + " and records the model time it saved.");
        } else {
            measured.add(new Charts.Series("measured = expected", List.of(new double[] {0, 0},
                    new double[] {100, 100}), Charts.Style.REFERENCE));
            html.image("fig3", "Fig. 3: model time the real early exit saved against the layers it was expected to"
                            + " save, per threshold; below the dashed line the ramps and smaller batches cost time",
                    Charts.png(Charts.fromZeroOnY(Charts.percentOnX(Charts.lines("Expected vs measured saving",
                            "expected saving (% of encoder layers)", "measured saving (% of model time at S=0)",
                            measured, false, "calibrated operating point", marks)))));
        }
        runTimes(html, runs);
        html.endSection();
    }

    /**
     * The scoring runs' model time per row against their expected saving, one series per model, precision and
     * length; where such a run scored at S=0 its time, scaled by (1 - saving), is the line a saving would follow
     * if every layer cost the same.
     */
    private static void runTimes(Html html, List<Row> runs) {
        Map<String, List<Row>> byServing = runs.stream().filter(r -> r.getAs("model_ms_per_row") != null)
                .collect(Collectors.groupingBy(r -> Serving.of(r).toString(), TreeMap::new, Collectors.toList()));
        if (byServing.isEmpty()) {
            html.paragraph("No scoring run recorded its model time (partition_stats).");
            return;
        }
        List<Charts.Series> series = new ArrayList<>();
        byServing.forEach((serving, rows) -> {
            series.add(new Charts.Series(serving, rows.stream().map(r -> new double[] {
                    100 * r.<Double>getAs("saving"), r.<Double>getAs("model_ms_per_row")}).toList(),
                    Charts.Style.POINTS));
            rows.stream().filter(r -> r.<Double>getAs("threshold") == 0).reduce((a, b) -> b).ifPresent(full -> {
                double t0 = full.getAs("model_ms_per_row");
                double most = rows.stream().mapToDouble(r -> r.<Double>getAs("saving")).max().orElse(0);
                series.add(new Charts.Series("S=0 time x (1 - saving), " + serving, List.of(new double[] {0, t0},
                        new double[] {100 * most, t0 * (1 - most)}), Charts.Style.REFERENCE));
            });
        });
        html.image("run-times", "Scoring runs: model time per row against expected saving, one point per run"
                        + (series.stream().anyMatch(s -> s.style() == Charts.Style.REFERENCE) ? ""
                                : " (a run at --threshold 0 of the same model, precision and length adds the line"
                                + " a saving of model time would follow)"),
                Charts.png(Charts.fromZeroOnY(Charts.percentOnX(Charts.lines(
                        "Scoring runs: model time vs expected saving", "expected saving (% of encoder layers)",
                        "model time per row (ms)", series, false)))));
    }

    private static String shortHash(String sha) {
        return sha == null ? "?" : sha.substring(0, Math.min(Html.HASH_CHARS, sha.length()));
    }

    private void layerSection(Html html, List<Row> sweepPoints, List<Chosen> chosen, List<Row> runs) {
        html.section("layers", "Per-layer quality and exit shares");
        Dataset<Row> layerwise = sweepRows(Catalog.LAYERWISE);
        List<Charts.Series> exits = new ArrayList<>();
        if (layerwise == null) {
            html.paragraph("No layerwise tables (sweep writes them): no per-layer quality.");
        } else {
            List<Row> layers = layerwise.orderBy("sweep", "threshold", "layer").collectAsList();
            Map<String, List<double[]>> forced = new TreeMap<>();
            layers.stream().filter(r -> r.<Double>getAs("threshold") == 0).forEach(r -> forced
                    .computeIfAbsent(r.getAs("sweep"), k -> new ArrayList<>())
                    .add(new double[] {r.<Integer>getAs("layer"), 100 * r.<Double>getAs("forced_accuracy")}));
            List<Charts.Series> series = new ArrayList<>();
            forced.forEach((sweep, xy) -> series.add(new Charts.Series(sweep, xy)));
            html.image("fig4-forced", "Fig. 4 (left): accuracy when every row leaves at that layer's ramp",
                    Charts.png(Charts.lines("Forced-exit accuracy per layer", "layer (exit after it)", "accuracy (%)",
                            series, true)));
            exits.addAll(sweepExits(layers, sweepPoints, chosen, runs));
        }
        exits.addAll(runExits(runs));
        if (exits.isEmpty()) {
            html.paragraph("No exit shares: neither sweeps nor scoring runs.");
        } else {
            html.image("exits", "Fig. 4 (right): share of rows leaving at each layer, for the sweeps at their chosen"
                            + " thresholds (calibrated or scored at) and for the latest scoring runs as they ran"
                            + " (hollow markers; on a sweep's line where the run scored the sweep's rows at its S): "
                            + exits.stream().map(Charts.Series::name).collect(Collectors.joining(", ")),
                    Charts.png(Charts.lines("Exit layers", "layer (exit after it)", "rows leaving (% of rows)", exits,
                            true)));
        }
        html.endSection();
    }

    /**
     * Each sweep's exit shares at its chosen thresholds: those calibrated on it and those its model's scoring runs
     * ran at (a sweep nobody chose from shows every threshold).
     */
    private static List<Charts.Series> sweepExits(List<Row> layers, List<Row> sweepPoints, List<Chosen> chosen,
                                                  List<Row> runs) {
        Map<String, TreeSet<Double>> thresholds = new TreeMap<>();
        for (Row p : sweepPoints) {
            TreeSet<Double> of = thresholds.computeIfAbsent(p.getAs("sweep"), k -> new TreeSet<>());
            double s = p.getAs("threshold");
            boolean calibrated = chosen.stream().anyMatch(c -> c.isAt(p));
            boolean scored = runs.stream().anyMatch(r -> Objects.equals(r.getAs("threshold"), s)
                    && Serving.of(r).equals(Serving.of(p)));
            if (calibrated || scored) {
                of.add(s);
            }
        }
        Map<String, List<double[]>> shares = new LinkedHashMap<>();
        for (Row r : layers) {
            TreeSet<Double> of = thresholds.get(r.<String>getAs("sweep"));
            double s = r.getAs("threshold");
            if (of == null || of.isEmpty() || of.contains(s)) {
                shares.computeIfAbsent(r.getAs("sweep") + " S=" + plain(s), k -> new ArrayList<>())
                        .add(new double[] {r.<Integer>getAs("layer"), 100 * r.<Double>getAs("exit_fraction")});
            }
        }
        return shares.entrySet().stream().map(e -> new Charts.Series(e.getKey(), e.getValue())).toList();
    }

    /** The exit shares of the latest {@link #EXIT_RUNS_DRAWN} scoring runs, from their partitions' histograms. */
    private List<Charts.Series> runExits(List<Row> runs) {
        List<Row> counted = runs.stream().filter(r -> r.getAs("rows") != null).toList();
        List<Row> latest = counted.subList(Math.max(0, counted.size() - EXIT_RUNS_DRAWN), counted.size());
        if (latest.isEmpty()) {
            return List.of();
        }
        Map<String, Row> byId = latest.stream().collect(Collectors.toMap(r -> r.getAs("run_id"), r -> r));
        Map<String, List<double[]>> shares = new HashMap<>();
        read(scoring, Catalog.PARTITION_STATS).filter(col("run_id").isin(byId.keySet().toArray()))
                .select(col("run_id"), posexplode(col("exit_histogram")).as(new String[] {"index", "exits"}))
                .groupBy("run_id", "index").agg(sum("exits").as("exits")).orderBy("run_id", "index")
                .collectAsList().forEach(r -> {
                    Row run = byId.get(r.<String>getAs("run_id"));
                    shares.computeIfAbsent(run.getAs("run_id"), k -> new ArrayList<>()).add(new double[] {
                            r.<Integer>getAs("index") + 1, 100.0 * r.<Long>getAs("exits") / run.<Long>getAs("rows")});
                });
        return latest.stream().filter(r -> shares.containsKey(r.<String>getAs("run_id")))
                .map(r -> new Charts.Series("run " + r.getAs("run_id") + (r.getAs("threshold") == null ? ""
                        : " (S=" + plain(r.getAs("threshold")) + ")"), shares.get(r.<String>getAs("run_id")),
                        Charts.Style.POINTS))
                .toList();
    }

    private void costSection(Html html, Dataset<Row> perRun) {
        html.section("scoring", "Scoring runs: cost");
        if (perRun == null) {
            html.paragraph("No scoring tables (runs, partition_stats) under --output.").endSection();
            return;
        }
        html.subheading("Per run");
        html.paragraph("run_s: from the run's start to its end; rows_per_s: rows over run_s; model_ms_per_row:"
                + " the model's time in the tasks, per row. Layers saved = layers of the full model (rows x N) -"
                + " layers computed.");
        html.table("per-run", perRun.orderBy("started_at", "run_id").select("run_id", "status", "started_at", "run_s",
                "threshold", "precision", "max_seq_len", "rows", "rows_failed", "rows_per_s", "model_ms_per_row",
                "layers_saved", "saving", "model_sha256"));
        Map<String, Map<String, Number>> layers = layersPerRun(perRun);
        if (!layers.get("computed").isEmpty()) {
            html.image("layers-per-run", "Encoder layers computed and saved per run", Charts.png(
                    Charts.stackedBars("Encoder layers per run", "run", "encoder layers (rows x layers)", layers)));
        }
        html.subheading("Per day");
        html.table("per-day", perRun.filter(col("started_at").isNotNull())
                .groupBy(to_date(col("started_at")).as("day"))
                .agg(count(lit(1)).as("runs"), sum("rows").as("rows"),
                        sum("layers_computed").as("layers_computed"), sum("layers_full").as("layers_full"),
                        sum("layers_saved").as("layers_saved"))
                .withColumn("saving", saving()).orderBy("day"));
        partitionTable(html, read(scoring, Catalog.PARTITION_STATS));
        if (scoring.exists(Catalog.PREDICTIONS)) {
            html.subheading("Predictions per label");
            html.table("labels", read(scoring, Catalog.PREDICTIONS).groupBy("run_id", "label")
                    .agg(count(lit(1)).as("rows")).orderBy("run_id", "label"));
        }
        html.endSection();
    }

    /** Per partition, and a total line per run. */
    private static void partitionTable(Html html, Dataset<Row> stats) {
        html.subheading("Per partition");
        Dataset<Row> partitions = stats.select(col("run_id"), col("partition_id").cast("string").as("partition"),
                col("rows"), col("layers_computed"), col("layers_full"),
                col("layers_full").minus(col("layers_computed")).as("layers_saved"), col("expected_saving").as("saving"),
                round(col("rows_per_s"), 1).as("rows_per_s"), col("device"), col("host"), col("partition_id").as("_order"));
        Dataset<Row> totals = stats.groupBy("run_id").agg(sum("rows").as("rows"),
                        sum("layers_computed").as("layers_computed"), sum("layers_full").as("layers_full"),
                        sum("wall_ms").as("wall_ms"))
                .select(col("run_id"), lit("total").as("partition"), col("rows"), col("layers_computed"),
                        col("layers_full"), col("layers_full").minus(col("layers_computed")).as("layers_saved"),
                        saving().as("saving"), round(col("rows").multiply(1000.0).divide(col("wall_ms")), 1)
                                .as("rows_per_s"), lit(null).cast("string").as("device"),
                        lit(null).cast("string").as("host"), lit(Integer.MAX_VALUE).as("_order"));
        html.table("per-partition", partitions.unionByName(totals).orderBy("run_id", "_order").drop("_order"));
        html.paragraph("rows_per_s of a total: rows per second of task time, summed over partitions.");
    }

    /**
     * Agreement of each audited run's early exits with the full model on its audit sample, with the 95% interval
     * and what calibration promised for its operating point; a run whose whole interval lies below the promise
     * has drifted from the calibration data and is flagged. Then the audit's cost, and agreement per day.
     */
    private static void auditSection(Html html, Dataset<Row> perRun) {
        html.section("audit", "Audit agreement");
        Dataset<Row> audited = perRun == null ? null : perRun.filter(col("audit_agreement").isNotNull())
                .withColumn("drifted", col("audit_high").lt(col("audit_expected")));
        List<Row> rows = audited == null ? List.of() : audited.orderBy("started_at", "run_id").collectAsList();
        if (rows.isEmpty()) {
            html.paragraph("No audit was recorded: these runs were scored before score audited a sample of its rows"
                    + " at full depth.").endSection();
            return;
        }
        html.paragraph("Share of each run's audit sample whose early-exit label is the full model's (S=0), with its"
                + " 95% interval, against the agreement calibrate measured for the run's operating point"
                + " (audit_expected; none for a threshold given as a number). A run whose whole interval lies below"
                + " it has drifted from the calibration data.");
        List<String> drifted = rows.stream().filter(r -> Boolean.TRUE.equals(r.getAs("drifted")))
                .map(r -> r.<String>getAs("run_id")).toList();
        html.paragraph(drifted.isEmpty() ? "No run drifted." : "Drifted: " + String.join(", ", drifted) + ".");
        List<Charts.Interval> agreement = rows.stream().map(r -> new Charts.Interval(r.getAs("run_id"),
                100 * r.<Double>getAs("audit_agreement"), 100 * r.<Double>getAs("audit_low"),
                100 * r.<Double>getAs("audit_high"),
                r.getAs("audit_expected") == null ? null : 100 * r.<Double>getAs("audit_expected"))).toList();
        html.image("audit-agreement", "Audit: agreement with the full model per run, 95% interval, and what"
                        + " calibration promised",
                Charts.png(Charts.intervals("Audit agreement per run", "run", "agreement with S=0 (% of audited rows)",
                        "agreement (95% interval)", "calibration promised", agreement)));
        html.table("audit-table", audited.orderBy("started_at", "run_id").select(col("run_id"), col("started_at"),
                col("threshold"), col("saving"), col("audit_rows"), col("audit_agreement"), col("audit_low"),
                col("audit_high"), col("audit_expected"), col("drifted"), col("audit_layers"), col("audit_ms")));
        html.paragraph("audit_layers, audit_ms: the encoder layers and model time the audit added (rows that left"
                + " early, run again to the last layer).");
        html.subheading("Agreement per day");
        html.table("audit-per-day", audited.groupBy(to_date(col("started_at")).as("day"))
                .agg(count(lit(1)).as("runs"), sum("audit_rows").as("audit_rows"),
                        sum("audit_agreed").divide(sum("audit_rows")).as("audit_agreement"),
                        sum("layers_computed").as("layers_computed"), sum("layers_full").as("layers_full"))
                .withColumn("saving", saving()).drop("layers_computed", "layers_full").orderBy("day"));
        html.endSection();
    }

    private static Column saving() {
        return lit(1.0).minus(col("layers_computed").divide(col("layers_full")));
    }

    /** Per run with partition stats, the layers computed and saved: series -> run -> layers. */
    private static Map<String, Map<String, Number>> layersPerRun(Dataset<Row> perRun) {
        Map<String, Map<String, Number>> values = new LinkedHashMap<>();
        values.put("computed", new LinkedHashMap<>());
        values.put("saved", new LinkedHashMap<>());
        for (Row r : perRun.select("run_id", "layers_computed", "layers_saved").orderBy("run_id").collectAsList()) {
            if (r.getAs("layers_computed") != null) {
                values.get("computed").put(r.getAs("run_id"), r.<Long>getAs("layers_computed"));
                values.get("saved").put(r.getAs("run_id"), r.<Long>getAs("layers_saved"));
            }
        }
        return values;
    }
}
