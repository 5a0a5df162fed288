package dev.deebert.job.analysis;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.to_date;

import dev.deebert.job.DeltaTables;
import dev.deebert.job.RunIds;
import dev.deebert.tables.Catalog;
import dev.deebert.tables.Table;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The report of an output root: for sweeps the paper's figures 2-4 and their tables; for scoring runs
 * what they cost per partition, per run and per day. Tables absent from the root are left out.
 */
public final class Report {
    private final SparkSession spark;
    private final DeltaTables tables;
    private final List<String> runIds;

    /** @param runIds runs to report on; empty for all */
    public Report(SparkSession spark, Path root, List<String> runIds) {
        this.spark = spark;
        this.tables = new DeltaTables(spark, root);
        this.runIds = List.copyOf(runIds);
        runIds.forEach(RunIds::check);
    }

    public String html() {
        Html html = new Html("DeeBERT report: " + tables.root());
        html.paragraph("Generated " + Instant.now() + (runIds.isEmpty() ? "" : " for runs " + runIds) + ".");
        boolean any = false;
        if (tables.exists(Catalog.SWEEP)) {
            sweepSection(html, read(Catalog.SWEEP),
                    tables.exists(Catalog.LAYERWISE) ? read(Catalog.LAYERWISE) : null);
            any = true;
        }
        if (tables.exists(Catalog.RUNS) || tables.exists(Catalog.PARTITION_STATS)) {
            scoringSection(html);
            any = true;
        }
        if (!any) {
            throw new IllegalArgumentException("--output " + tables.root() + " holds no sweep or scoring tables");
        }
        return html.render();
    }

    private Dataset<Row> read(Table table) {
        Dataset<Row> rows = tables.read(table);
        return runIds.isEmpty() ? rows : rows.filter(col("run_id").isin(runIds.toArray()));
    }

    private void sweepSection(Html html, Dataset<Row> sweep, Dataset<Row> layerwise) {
        html.section("sweep", "Threshold sweeps");
        html.paragraph("Quality is measured on the labeled data at each entropy threshold S; the drop is in accuracy"
                + " points against S=0 (the full model). Expected saving = share of encoder layers not computed;"
                + " actual saving = share of model time saved by the real early exit (with --measure-time).");
        html.table("sweep-table", sweep.orderBy("run_id", "threshold").select(col("run_id"), col("threshold"),
                col("rows"), col("accuracy"), col("macro_f1"), col("positive_f1"), col("quality_drop"),
                col("expected_saving"), col("mean_exit_layer"), col("measured_ms"), col("actual_saving")));
        List<Row> points = sweep.orderBy("run_id", "threshold").collectAsList();
        Map<String, List<double[]>> accuracy = new TreeMap<>();
        Map<String, List<double[]>> macroF1 = new TreeMap<>();
        Map<String, List<double[]>> measured = new TreeMap<>();
        for (Row p : points) {
            String run = p.getAs("run_id");
            double saving = 100 * p.<Double>getAs("expected_saving");
            accuracy.computeIfAbsent(run, r -> new ArrayList<>()).add(new double[] {saving, 100 * p.<Double>getAs("accuracy")});
            macroF1.computeIfAbsent(run, r -> new ArrayList<>()).add(new double[] {saving, 100 * p.<Double>getAs("macro_f1")});
            if (p.getAs("actual_saving") != null) {
                measured.computeIfAbsent(run, r -> new ArrayList<>())
                        .add(new double[] {saving, 100 * p.<Double>getAs("actual_saving")});
            }
        }
        List<Charts.Series> quality = new ArrayList<>();
        accuracy.forEach((run, xy) -> quality.add(new Charts.Series(run + " accuracy", xy)));
        macroF1.forEach((run, xy) -> quality.add(new Charts.Series(run + " macro F1", xy)));
        html.image("fig2", "Fig. 2: quality against expected saving across thresholds",
                Charts.png(Charts.lines("Quality vs expected saving", "expected saving (% of layers)", "quality (%)",
                        quality)));
        if (!measured.isEmpty()) {
            List<Charts.Series> savings = new ArrayList<>();
            measured.forEach((run, xy) -> savings.add(new Charts.Series(run, xy)));
            savings.add(new Charts.Series("expected = actual", List.of(new double[] {0, 0}, new double[] {100, 100})));
            html.image("fig3", "Fig. 3: expected against measured saving",
                    Charts.png(Charts.lines("Expected vs actual saving", "expected saving (%)", "actual saving (%)",
                            savings)));
        }
        if (layerwise != null) {
            layerSection(html, layerwise);
        }
        html.endSection();
    }

    private void layerSection(Html html, Dataset<Row> layerwise) {
        Map<String, List<double[]>> forced = new TreeMap<>();
        for (Row r : layerwise.select("run_id", "layer", "forced_accuracy").distinct().orderBy("run_id", "layer")
                .collectAsList()) {
            forced.computeIfAbsent(r.getAs("run_id"), k -> new ArrayList<>())
                    .add(new double[] {r.<Integer>getAs("layer"), 100 * r.<Double>getAs("forced_accuracy")});
        }
        List<Charts.Series> series = new ArrayList<>();
        forced.forEach((run, xy) -> series.add(new Charts.Series(run, xy)));
        html.image("fig4-forced", "Fig. 4 (left): accuracy when every row leaves at that layer's ramp",
                Charts.png(Charts.lines("Forced-exit accuracy per layer", "layer", "accuracy (%)", series, true)));
        for (String run : forced.keySet()) {
            Map<Double, List<double[]>> byThreshold = new TreeMap<>();
            for (Row r : layerwise.filter(col("run_id").equalTo(run)).orderBy("threshold", "layer")
                    .select("threshold", "layer", "exit_fraction").collectAsList()) {
                byThreshold.computeIfAbsent(r.getAs("threshold"), k -> new ArrayList<>())
                        .add(new double[] {r.<Integer>getAs("layer"), 100 * r.<Double>getAs("exit_fraction")});
            }
            List<Charts.Series> exits = new ArrayList<>();
            byThreshold.forEach((s, xy) -> exits.add(new Charts.Series("S=" + s, xy)));
            html.image("fig4-exits-" + run, "Fig. 4 (right): share of rows leaving at each layer, run " + run,
                    Charts.png(Charts.lines("Exit layers, run " + run, "layer", "rows leaving (%)", exits, true)));
        }
    }

    private void scoringSection(Html html) {
        html.section("scoring", "Scoring runs: cost");
        boolean hasStats = tables.exists(Catalog.PARTITION_STATS);
        Dataset<Row> perRun = null;
        if (hasStats) {
            Dataset<Row> stats = read(Catalog.PARTITION_STATS);
            perRun = stats.groupBy("run_id").agg(sum("rows").as("rows"), sum("rows_failed").as("rows_failed"),
                    sum("layers_computed").as("layers_computed"), sum("layers_full").as("layers_full"),
                    count(lit(1)).as("partitions"), sum("wall_ms").as("task_ms"));
            perRun = perRun.withColumn("layers_saved", col("layers_full").minus(col("layers_computed")))
                    .withColumn("saving", saving());
        }
        if (tables.exists(Catalog.RUNS)) {
            Dataset<Row> runs = read(Catalog.RUNS).select("run_id", "started_at", "finished_at", "threshold",
                    "status", "model_sha256");
            perRun = perRun == null ? runs : runs.join(perRun, "run_id", "left");
        }
        html.subheading("Per run");
        html.paragraph("Layers computed against the full model (rows x N); layers saved = full - computed.");
        html.table("per-run", perRun.orderBy("run_id"));
        if (hasStats) {
            html.image("layers-per-run", "Encoder layers computed and saved per run", Charts.png(layersChart(perRun)));
            if (tables.exists(Catalog.RUNS)) {
                html.subheading("Per day");
                html.table("per-day", perRun.filter(col("started_at").isNotNull())
                        .groupBy(to_date(col("started_at")).as("day"))
                        .agg(count(lit(1)).as("runs"), sum("rows").as("rows"),
                                sum("layers_computed").as("layers_computed"), sum("layers_full").as("layers_full"),
                                sum("layers_saved").as("layers_saved"))
                        .withColumn("saving", saving()).orderBy("day"));
            }
            partitionTable(html, read(Catalog.PARTITION_STATS));
        }
        if (tables.exists(Catalog.PREDICTIONS)) {
            html.subheading("Predictions per label");
            html.table("labels", read(Catalog.PREDICTIONS).groupBy("run_id", "label").agg(count(lit(1)).as("rows"))
                    .orderBy("run_id", "label"));
        }
        html.endSection();
    }

    /** Per partition, and a total line per run. */
    private void partitionTable(Html html, Dataset<Row> stats) {
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

    private static Column saving() {
        return lit(1.0).minus(col("layers_computed").divide(col("layers_full")));
    }

    private static org.jfree.chart.JFreeChart layersChart(Dataset<Row> perRun) {
        Map<String, Map<String, Number>> values = new LinkedHashMap<>();
        values.put("computed", new LinkedHashMap<>());
        values.put("saved", new LinkedHashMap<>());
        for (Row r : perRun.select("run_id", "layers_computed", "layers_saved").orderBy("run_id").collectAsList()) {
            if (r.getAs("layers_computed") != null) {
                values.get("computed").put(r.getAs("run_id"), r.<Long>getAs("layers_computed"));
                values.get("saved").put(r.getAs("run_id"), r.<Long>getAs("layers_saved"));
            }
        }
        return Charts.stackedBars("Encoder layers per run", "run", "layers", values);
    }
}
