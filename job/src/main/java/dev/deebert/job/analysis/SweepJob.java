package dev.deebert.job.analysis;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.map;
import static org.apache.spark.sql.functions.when;

import dev.deebert.executor.PartitionTimer;
import dev.deebert.executor.PartitionTracer;
import dev.deebert.executor.SweepCounts;
import dev.deebert.job.DeltaTables;
import dev.deebert.job.InputColumns;
import dev.deebert.job.RowIds;
import dev.deebert.model.DeeBertConfig;
import dev.deebert.model.ExitPolicy;
import dev.deebert.model.ModelDirectory;
import dev.deebert.executor.ScoringSpec;
import dev.deebert.tables.Catalog;
import dev.deebert.tables.NamedRow;
import dev.deebert.tables.Table;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * The threshold sweep (the paper's sections 4.2-4.4): traces every labeled row once through every layer on
 * the executors, stores the traces in {@code sweep_rows}, derives every threshold's exits from them in one
 * pass, and writes the {@code sweep} and {@code layerwise} tables. With {@code measureTime} it also times the
 * real early exit at every threshold.
 */
public final class SweepJob {
    private final SparkSession spark;

    public SweepJob(SparkSession spark) {
        this.spark = spark;
    }

    public SweepPoint[] run(SweepRequest request) {
        ModelDirectory model = request.model().verify();
        DeeBertConfig config = model.config();
        int layers = config.numHiddenLayers();
        List<String> labels = config.labelNames();
        model.checkMaxSeqLen(request.maxSeqLen());
        ScoringSpec spec = ScoringSpec.builder().runId(request.runId()).modelDir(model.dir().toString())
                .modelSha256(model.weightsSha256()).numLayers(layers).labels(labels)
                .policy(ExitPolicy.uniform(0, layers)).threshold(0).precision(request.precision())
                .batching(request.batching())
                .batchSize(request.batchSize()).maxSeqLen(request.maxSeqLen()).build();

        DeltaTables tables = new DeltaTables(spark, request.output());
        List<Table> written = List.of(Catalog.SWEEP, Catalog.LAYERWISE, Catalog.SWEEP_ROWS);
        tables.checkWritable(written);
        Dataset<Row> input = labeledInput(request, labels).persist(StorageLevel.MEMORY_AND_DISK());
        try {
            tables.prepare(written);
            describeJob(request, "trace every layer");
            tables.replaceRun(Catalog.SWEEP_ROWS, input.mapPartitions(new PartitionTracer(spec),
                    Encoders.row(Catalog.SWEEP_ROWS.schema())), request.runId());
            describeJob(request, "derive exits for every threshold");
            SweepCounts counts = TracedRows.count(TracedRows.of(tables, request.runId()), request.thresholds(),
                    layers, labels.size());
            long[] nanos = null;
            if (request.measureTime()) {
                describeJob(request, "time the early exit at every threshold");
                nanos = modelNanos(input, spec, request.thresholds());
            }
            SweepPoint[] points = SweepPoint.of(counts, TracedRows.positiveLabel(labels), nanos);
            describeJob(request, "write sweep and layerwise");
            write(tables, request, spec.modelSha256(), points, counts, labels);
            return points;
        } finally {
            input.unpersist();
            spark.sparkContext().setJobDescription(null);
        }
    }

    /**
     * The tracer's input ({@link Catalog#INPUT} then {@link Catalog#LABEL_INDEX}). A label is
     * a label name of the model or a label index; rows without text or with an unknown label stop the sweep
     * before any model work. Row ids follow {@link RowIds}, as in scoring.
     */
    private Dataset<Row> labeledInput(SweepRequest request, List<String> labels) {
        Dataset<Row> raw = request.format().read(spark, request.data());
        InputColumns.check(request.data(), raw.schema(),
                Arrays.asList(request.textCol(), request.labelCol(), request.idCol()), List.of(request.textCol()));
        Column label = InputColumns.named(request.labelCol()).cast("string");
        List<Column> nameToIndex = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) {
            nameToIndex.add(lit(labels.get(i)));
            nameToIndex.add(lit(i));
        }
        // an index may come as 1.0: pandas writes an integer column that holds a missing value as floats
        Column index = label.rlike("^[0-9]{1,9}(\\.0+)?$");
        Column asIndex = label.cast("double").cast("int");
        Column byIndex = when(index.and(asIndex.lt(labels.size())), asIndex);
        Column labelIndex = coalesce(element_at(map(nameToIndex.toArray(Column[]::new)), label), byIndex);
        Column text = InputColumns.named(request.textCol()).cast("string");
        Column noTextB = lit(null).cast("string");
        Dataset<Row> labeled = raw.select(RowIds.of(request.idCol(), text, noTextB, raw).as("id"), text.as("text"),
                noTextB.as("text_b"), labelIndex.as(Catalog.LABEL_INDEX), label.as("label"));

        Row check = labeled.agg(count(lit(1)).as("rows"), count(when(col("text").isNull(), 1)).as("no_text"),
                count(when(col(Catalog.LABEL_INDEX).isNull(), 1)).as("unknown_label")).first();
        if (check.<Long>getAs("rows") == 0) {
            throw new IllegalArgumentException("--input " + request.data() + " has no rows");
        }
        long noText = check.getAs("no_text");
        if (noText > 0) {
            throw new IllegalArgumentException("--input " + request.data() + ": " + noText + " rows have no "
                    + request.textCol());
        }
        long unknownLabel = check.getAs("unknown_label");
        if (unknownLabel > 0) {
            List<String> unknown = labeled.filter(col(Catalog.LABEL_INDEX).isNull()).select("label").distinct()
                    .limit(5).collectAsList().stream().map(r -> String.valueOf(r.<String>getAs("label"))).toList();
            throw new IllegalArgumentException("--input " + request.data() + ": " + unknownLabel + " rows have a "
                    + request.labelCol() + " that is not one of the model's labels " + labels + " or their indices"
                    + " (e.g. " + unknown + ")");
        }
        int partitions = Math.max(raw.rdd().getNumPartitions(), spark.sparkContext().defaultParallelism());
        return labeled.drop("label").repartition(partitions);
    }

    /** Model nanoseconds of the real early exit per threshold, summed over partitions. */
    private static long[] modelNanos(Dataset<Row> input, ScoringSpec spec, double[] thresholds) {
        long[] total = new long[thresholds.length];
        for (Row partition : input.mapPartitions(new PartitionTimer(spec, thresholds),
                Encoders.row(Catalog.TIMINGS)).collectAsList()) {
            List<Long> nanos = partition.getList(partition.fieldIndex("model_nanos"));
            for (int t = 0; t < total.length; t++) {
                total[t] += nanos.get(t);
            }
        }
        return total;
    }

    private void write(DeltaTables tables, SweepRequest request, String modelSha256, SweepPoint[] points,
                       SweepCounts counts, List<String> labels) {
        Timestamp sweptAt = Timestamp.from(Instant.now());
        String dataPath = request.data().toAbsolutePath().toString();
        List<Row> sweep = Arrays.stream(points).map(p -> p.toRow(request, modelSha256, dataPath, sweptAt)).toList();
        int positive = TracedRows.positiveLabel(labels);
        List<Row> layerwise = new ArrayList<>();
        for (int t = 0; t < points.length; t++) {
            long[] histogram = points[t].exitHistogram();
            for (int l = 1; l <= counts.layers(); l++) {
                var forced = counts.forcedAt(l);
                layerwise.add(new NamedRow(Catalog.LAYERWISE.schema()).set("run_id", request.runId())
                        .set("threshold", points[t].threshold()).set("layer", l).set("exit_rows", histogram[l - 1])
                        .set("exit_fraction", (double) histogram[l - 1] / points[t].rows())
                        .set("forced_accuracy", forced.accuracy()).set("forced_macro_f1", forced.macroF1())
                        .set("forced_positive_f1", positive < 0 ? null : forced.f1(positive)).toRow());
            }
        }
        tables.replaceRun(Catalog.SWEEP, spark.createDataFrame(sweep, Catalog.SWEEP.schema()), request.runId());
        tables.replaceRun(Catalog.LAYERWISE, spark.createDataFrame(layerwise, Catalog.LAYERWISE.schema()),
                request.runId());
    }

    private void describeJob(SweepRequest request, String step) {
        spark.sparkContext().setJobDescription("deebert sweep " + request.runId() + ": " + step);
    }
}
