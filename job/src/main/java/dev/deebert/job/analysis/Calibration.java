package dev.deebert.job.analysis;

import static org.apache.spark.sql.functions.col;

import dev.deebert.executor.SweepCounts;
import dev.deebert.job.DeltaTables;
import dev.deebert.model.ModelDirectory;
import dev.deebert.tables.Catalog;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Picks, for each accuracy budget, the operating point of a sweep: the threshold with the largest expected
 * saving whose accuracy drop against S=0 stays within the budget with the asked confidence, judged by a
 * bootstrap of that drop from the sweep's per-row traces. Writes the points into the model directory
 * ({@link OperatingPoints}).
 *
 * <p>Why a bound and not the drop itself: of a dozen thresholds, the one of largest saving whose measured drop is
 * just within the budget is the one whose calibration rows happened to flatter it most, so on new rows it lost
 * more than it promised (the demo's 0.5-point pick, 0.16 points on dev, lost 1.67 on test).
 */
public final class Calibration {
    /** Drops are differences of accuracies; this absorbs their rounding when a drop equals a budget. */
    static final double DROP_TOLERANCE = 1e-9;

    private final SparkSession spark;

    public Calibration(SparkSession spark) {
        this.spark = spark;
    }

    /** Calibrates and writes the model's deebert.json; returns the points of the sweep's precision and length. */
    public OperatingPoints.Calibrated run(CalibrationRequest request) {
        DeltaTables tables = new DeltaTables(spark, request.sweepRoot());
        if (!tables.exists(Catalog.SWEEP) || !tables.exists(Catalog.SWEEP_ROWS)) {
            throw new IllegalArgumentException("--output " + request.sweepRoot() + " has no sweep and sweep_rows"
                    + " tables; run deebert sweep first");
        }
        Dataset<Row> all = tables.read(Catalog.SWEEP);
        String runId = request.runId() != null ? request.runId()
                : all.orderBy(col("swept_at").desc(), col("run_id").desc()).first().getAs("run_id");
        List<Row> sweep = all.filter(col("run_id").equalTo(runId)).orderBy("threshold").collectAsList();
        if (sweep.isEmpty()) {
            throw new IllegalArgumentException("no sweep run '" + runId + "' under " + request.sweepRoot() + " (runs: "
                    + all.select("run_id").distinct().as(Encoders.STRING()).collectAsList() + ")");
        }
        Row reference = sweep.get(0);
        List<String> columns = Arrays.asList(reference.schema().fieldNames());
        if (!Arrays.stream(Catalog.SWEEP_SETTINGS.fieldNames())
                .allMatch(c -> columns.contains(c) && !reference.isNullAt(reference.fieldIndex(c)))) {
            throw new IllegalArgumentException("sweep " + runId + " was written before sweeps recorded their precision,"
                    + " sequence length and batch size, so its thresholds cannot be tied to a score run; run deebert"
                    + " sweep again");
        }
        ModelDirectory model = ModelDirectory.open(request.model().toAbsolutePath());
        String sha = model.weightsSha256();
        if (!sha.equals(reference.getAs("model_sha256"))) {
            throw new IllegalArgumentException("sweep " + runId + " was made with weights " + reference.getAs("model_sha256")
                    + " but --model " + request.model() + " has weights " + sha);
        }

        double[] thresholds = sweep.stream().mapToDouble(r -> r.<Double>getAs("threshold")).toArray();
        SweepCounts counts = TracedRows.count(TracedRows.of(tables, runId), thresholds,
                model.config().numHiddenLayers(), model.config().numLabels());
        long rows = reference.getAs("rows");
        if (counts.atThreshold(0).rows() != rows) {
            throw new IllegalArgumentException("sweep_rows of run " + runId + " hold " + counts.atThreshold(0).rows()
                    + " rows but its sweep table says " + rows + "; run the sweep again");
        }

        // each threshold's resampling starts from the seed, so its bound does not depend on what else was swept
        List<DropBootstrap> drops = IntStream.range(0, sweep.size())
                .mapToObj(t -> new DropBootstrap(counts.paired(t), request.bootstrap(), request.seed())).toList();
        double[] bounds = drops.stream().mapToDouble(d -> d.upperBound(request.confidence())).toArray();
        List<OperatingPoints.Point> points = new ArrayList<>();
        for (double budget : request.maxDrops()) {
            int t = choose(sweep, bounds, budget);
            Row point = sweep.get(t);
            points.add(new OperatingPoints.Point(budget, point.getAs("threshold"), point.getAs("accuracy"),
                    point.getAs("quality_drop"), drops.get(t).interval95(), bounds[t], request.confidence(),
                    request.bootstrap(), request.seed(), point.getAs("expected_saving"), point.getAs("actual_saving"),
                    (double) counts.agreed(t) / rows));
        }
        OperatingPoints.Calibrated calibrated = new OperatingPoints.Calibrated(reference.getAs("precision"),
                reference.getAs("max_seq_len"), reference.getAs("batch_size"),
                new OperatingPoints.Sweep(runId, tables.root().toString(), reference.getAs("data_path"), rows),
                reference.getAs("accuracy"), points);
        OperatingPoints.merge(model.dir(), sha, calibrated).write(model.dir());
        return calibrated;
    }

    /**
     * Index of the sweep row (rows in ascending threshold, S=0 first) to run at for {@code budget}. Thresholds are
     * tested in ascending order, each within the budget when both its quality_drop and that drop's upper bound
     * ({@code bounds}) are, and testing stops at the first that is not: fixed-sequence testing, with which Learn
     * then Test calibrates early exit in CALM (Schuster et al., 2022), so that choosing among many thresholds does
     * not spend the confidence once per threshold. Of the thresholds within, the largest expected saving; ties go
     * to the smaller drop, then the smaller threshold. S=0 (drop 0) always qualifies.
     */
    static int choose(List<Row> sweep, double[] bounds, double budget) {
        Comparator<Integer> better = Comparator.<Integer>comparingDouble(i -> sweep.get(i).getAs("expected_saving"))
                .thenComparing(Comparator.<Integer>comparingDouble(i -> sweep.get(i).getAs("quality_drop")).reversed())
                .thenComparing(Comparator.<Integer>comparingDouble(i -> sweep.get(i).getAs("threshold")).reversed());
        int best = 0;
        for (int i = 1; i < sweep.size(); i++) {
            if (sweep.get(i).<Double>getAs("quality_drop") > budget + DROP_TOLERANCE
                    || bounds[i] > budget + DROP_TOLERANCE) {
                break;
            }
            if (better.compare(i, best) > 0) {
                best = i;
            }
        }
        return best;
    }
}
