package dev.deebert.ml;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.monotonically_increasing_id;
import static org.apache.spark.sql.functions.struct;

import ai.djl.Device;
import dev.deebert.executor.PartitionScorer;
import dev.deebert.executor.ScoringSpec;
import dev.deebert.job.InputColumns;
import dev.deebert.job.Sessions;
import dev.deebert.job.analysis.OperatingPoints;
import dev.deebert.model.BatchInputs;
import dev.deebert.model.Batching;
import dev.deebert.model.ChunkAggregate;
import dev.deebert.model.ExitPolicy;
import dev.deebert.model.LongText;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import dev.deebert.tables.Catalog;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * DeeBERT as a Spark ML Pipeline stage: {@link #transform} adds the prediction columns of the {@code predictions}
 * table to every row, computed by the executor code {@code score} runs (one model per executor JVM, batched early
 * exit, a row that cannot be scored gets its {@code error} instead of failing the task). Unset parameters follow
 * the model's serving contract exactly as {@code score}'s options do: its trained length, {@code auto} precision,
 * the strictest operating point calibrated for that precision and length. Unlike {@code score} it writes no table
 * and keeps no run: the output is as lazy as any transformer's, in the input's partitions and row order.
 *
 * <pre>{@code
 * DeeBertClassifier deebert = new DeeBertClassifier().setModelDir("models/spam-deebert").setTextCol("body");
 * Dataset<Row> scored = new Pipeline().setStages(new PipelineStage[] {cleaner, deebert}).fit(mails).transform(mails);
 * }</pre>
 */
public final class DeeBertClassifier extends Transformer implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;

    /** The prediction columns added, named {@link #outputPrefix} + the predictions table's name. */
    static final List<String> OUTPUT_COLUMNS = List.of("label", "label_index", "confidence", "probabilities",
            "entropy", "exit_layer", "num_tokens", "truncated", "error", "num_chunks", "layers_computed");

    /** The scorer's pass-through column holding the whole input row. */
    private static final String ROW = "row";

    private final String uid;
    // Spark finds a stage's params through its public no-argument methods that return a Param (as Scala's vals
    // compile), so each field has its accessor below.
    private final Param<String> modelDir;
    private final DoubleParam threshold;
    private final DoubleParam operatingPoint;
    private final Param<String> textCol;
    private final Param<String> textBCol;
    private final IntParam batchSize;
    private final Param<String> precision;
    private final IntParam maxSeqLen;
    private final Param<String> batching;
    private final Param<String> longText;
    private final IntParam chunkOverlap;
    private final IntParam maxChunks;
    private final Param<String> chunkAggregate;
    private final Param<String> outputPrefix;

    public DeeBertClassifier() {
        this(Identifiable.randomUID("deebert"));
    }

    /** The constructor {@link #copy} and {@link #read} call. */
    public DeeBertClassifier(String uid) {
        // Params belong to this uid, so they are made once it is set.
        this.uid = uid;
        modelDir = new Param<>(this, "modelDir", "DeeBERT model directory, readable by every executor");
        threshold = new DoubleParam(this, "threshold", "entropy threshold S, used as given; 0 runs the full model",
                ParamValidators.gtEq(0));
        operatingPoint = new DoubleParam(this, "operatingPoint", "accuracy points the early exit may lose: the"
                + " threshold calibrate chose for this budget (default: the strictest one calibrated)",
                ParamValidators.gtEq(0));
        textCol = new Param<>(this, "textCol", "text column");
        textBCol = new Param<>(this, "textBCol", "second text column, for pair tasks");
        batchSize = new IntParam(this, "batchSize", "rows per forward pass (default: " + BatchInputs.BATCH_TOKENS
                + " tokens' worth at maxSeqLen)",
                ParamValidators.inRange(1, ScoringSpec.MAX_BATCH_SIZE));
        precision = new Param<>(this, "precision", "fp32, bf16, int8 (CPU only) or auto (bf16 on GPUs and on CPUs"
                + " with oneDNN bf16 GEMMs, else fp32)", ParamValidators.inArray(names(Precision.values())));
        maxSeqLen = new IntParam(this, "maxSeqLen", "tokens per row, special tokens included (default: the"
                + " length the model was trained at)", ParamValidators.gtEq(2));
        batching = new Param<>(this, "batching", "compaction, refill or auto (refill on GPUs and on tasks of several"
                + " cores): how batches share layers as rows exit", ParamValidators.inArray(names(Batching.values())));
        longText = new Param<>(this, "longText", "a text longer than maxSeqLen: truncate, or chunk (overlapping"
                + " chunks each go through early exit and their probabilities make the row's prediction; single texts"
                + " only)", ParamValidators.inArray(spelled(LongText.Mode.values())));
        chunkOverlap = new IntParam(this, "chunkOverlap", "with longText chunk: tokens consecutive chunks share"
                + " (Hugging Face tokenizers' stride)", ParamValidators.gtEq(0));
        maxChunks = new IntParam(this, "maxChunks", "with longText chunk: the most chunks scored per row",
                ParamValidators.gtEq(1));
        chunkAggregate = new Param<>(this, "chunkAggregate", "with longText chunk: mean or max-confidence",
                ParamValidators.inArray(spelled(ChunkAggregate.values())));
        outputPrefix = new Param<>(this, "outputPrefix", "prefix of the added columns' names");
        setDefault(textCol, "text");
        setDefault(precision, "auto");
        setDefault(batching, "auto");
        setDefault(longText, LongText.TRUNCATE.mode().toString());
        setDefault(chunkOverlap, 0);
        setDefault(maxChunks, LongText.DEFAULT_MAX_CHUNKS);
        setDefault(chunkAggregate, ChunkAggregate.MEAN.toString());
        setDefault(outputPrefix, "");
    }

    /** The choice a param names, or null for "auto" (the param's validator admits only {@link #names}). */
    private static <E extends Enum<E>> E named(Class<E> choices, String name) {
        return "auto".equals(name) ? null : Enum.valueOf(choices, name.toUpperCase(Locale.ROOT));
    }

    /** "auto" and each choice, as the command line names them. */
    private static String[] names(Enum<?>[] choices) {
        List<String> names = new ArrayList<>(List.of("auto"));
        Arrays.stream(choices).map(c -> c.name().toLowerCase(Locale.ROOT)).forEach(names::add);
        return names.toArray(String[]::new);
    }

    /** Each choice as the command line spells it (its toString). */
    private static String[] spelled(Enum<?>[] choices) {
        return Arrays.stream(choices).map(Enum::toString).toArray(String[]::new);
    }

    public Param<String> modelDir() {
        return modelDir;
    }

    public DoubleParam threshold() {
        return threshold;
    }

    public DoubleParam operatingPoint() {
        return operatingPoint;
    }

    public Param<String> textCol() {
        return textCol;
    }

    public Param<String> textBCol() {
        return textBCol;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public Param<String> precision() {
        return precision;
    }

    public IntParam maxSeqLen() {
        return maxSeqLen;
    }

    public Param<String> batching() {
        return batching;
    }

    public Param<String> longText() {
        return longText;
    }

    public IntParam chunkOverlap() {
        return chunkOverlap;
    }

    public IntParam maxChunks() {
        return maxChunks;
    }

    public Param<String> chunkAggregate() {
        return chunkAggregate;
    }

    public Param<String> outputPrefix() {
        return outputPrefix;
    }

    @Override
    public String uid() {
        return uid;
    }

    public DeeBertClassifier setModelDir(String value) {
        return (DeeBertClassifier) set(modelDir, value);
    }

    public DeeBertClassifier setThreshold(double value) {
        return (DeeBertClassifier) set(threshold, value);
    }

    public DeeBertClassifier setOperatingPoint(double maxDrop) {
        return (DeeBertClassifier) set(operatingPoint, maxDrop);
    }

    public DeeBertClassifier setTextCol(String value) {
        return (DeeBertClassifier) set(textCol, value);
    }

    public DeeBertClassifier setTextBCol(String value) {
        return (DeeBertClassifier) set(textBCol, value);
    }

    public DeeBertClassifier setBatchSize(int value) {
        return (DeeBertClassifier) set(batchSize, value);
    }

    public DeeBertClassifier setPrecision(String value) {
        return (DeeBertClassifier) set(precision, value.toLowerCase(Locale.ROOT));
    }

    public DeeBertClassifier setMaxSeqLen(int value) {
        return (DeeBertClassifier) set(maxSeqLen, value);
    }

    public DeeBertClassifier setBatching(String value) {
        return (DeeBertClassifier) set(batching, value.toLowerCase(Locale.ROOT));
    }

    public DeeBertClassifier setLongText(String value) {
        return (DeeBertClassifier) set(longText, value.toLowerCase(Locale.ROOT));
    }

    public DeeBertClassifier setChunkOverlap(int value) {
        return (DeeBertClassifier) set(chunkOverlap, value);
    }

    public DeeBertClassifier setMaxChunks(int value) {
        return (DeeBertClassifier) set(maxChunks, value);
    }

    public DeeBertClassifier setChunkAggregate(String value) {
        return (DeeBertClassifier) set(chunkAggregate, value.toLowerCase(Locale.ROOT));
    }

    public DeeBertClassifier setOutputPrefix(String value) {
        return (DeeBertClassifier) set(outputPrefix, value);
    }

    public String getModelDir() {
        return getOrDefault(modelDir);
    }

    public double getThreshold() {
        return (Double) getOrDefault(threshold);
    }

    public double getOperatingPoint() {
        return (Double) getOrDefault(operatingPoint);
    }

    public String getTextCol() {
        return getOrDefault(textCol);
    }

    public String getTextBCol() {
        return getOrDefault(textBCol);
    }

    public int getBatchSize() {
        return (Integer) getOrDefault(batchSize);
    }

    public String getPrecision() {
        return getOrDefault(precision);
    }

    public int getMaxSeqLen() {
        return (Integer) getOrDefault(maxSeqLen);
    }

    public String getBatching() {
        return getOrDefault(batching);
    }

    public String getLongText() {
        return getOrDefault(longText);
    }

    public int getChunkOverlap() {
        return (Integer) getOrDefault(chunkOverlap);
    }

    public int getMaxChunks() {
        return (Integer) getOrDefault(maxChunks);
    }

    public String getChunkAggregate() {
        return getOrDefault(chunkAggregate);
    }

    public String getOutputPrefix() {
        return getOrDefault(outputPrefix);
    }

    /**
     * Checks on the driver what can be checked without the model: the text columns exist and the added columns
     * take no name the input has (compared ignoring case, as Spark does).
     */
    @Override
    public StructType transformSchema(StructType schema) {
        if (!isDefined(modelDir)) {
            throw new IllegalArgumentException(uid + ": set modelDir");
        }
        if (isDefined(threshold) && isDefined(operatingPoint)) {
            throw new IllegalArgumentException(uid + ": set threshold or operatingPoint, not both");
        }
        if (longTextChosen().chunked() && isDefined(textBCol)) {
            throw new IllegalArgumentException(uid + ": longText chunk splits single texts; pairs (textBCol) are"
                    + " scored with truncation");
        }
        List<String> names = Arrays.stream(schema.fieldNames()).map(n -> n.toLowerCase(Locale.ROOT)).toList();
        for (Param<String> column : textColumns()) {
            String name = getOrDefault(column);
            StructField field = Arrays.stream(schema.fields()).filter(f -> f.name().equalsIgnoreCase(name))
                    .findFirst().orElseThrow(() -> new IllegalArgumentException(uid + ": " + column.name() + " '"
                            + name + "' is not a column of the input (columns: "
                            + String.join(", ", schema.fieldNames()) + ")"));
            InputColumns.requireStrings(uid + ": " + column.name() + " '" + name + "'", field);
        }
        StructType out = schema;
        for (String name : OUTPUT_COLUMNS) {
            String added = getOutputPrefix() + name;
            if (names.contains(added.toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException(uid + ": the input already has a column '" + added
                        + "'; set outputPrefix so that the prediction columns get names of their own");
            }
            StructField field = Catalog.PREDICTIONS.schema().apply(name);
            out = out.add(added, field.dataType(), true);
        }
        return out;
    }

    private LongText longTextChosen() {
        return LongText.Mode.CHUNK.toString().equals(getLongText())
                ? LongText.chunk(getChunkOverlap(), getMaxChunks(), ChunkAggregate.named(getChunkAggregate()))
                : LongText.TRUNCATE;
    }

    private List<Param<String>> textColumns() {
        return isDefined(textBCol) ? List.of(textCol, textBCol) : List.of(textCol);
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType input = dataset.schema();
        transformSchema(input);
        SparkSession spark = dataset.sparkSession();
        ModelDirectory model = ModelDirectory.open(Path.of(getModelDir()).toAbsolutePath()).verify();
        int tokens = model.maxSeqLen(isDefined(maxSeqLen) ? getMaxSeqLen() : null, null);
        model.checkMaxSeqLen(tokens);
        Device device = Sessions.taskDevice(spark);
        Precision chosen = Precision.on(device, named(Precision.class, getPrecision()));
        double s = isDefined(threshold) ? getThreshold()
                : OperatingPoints.lookup(model.dir(), model.weightsSha256(), chosen, tokens)
                        .pointFor(isDefined(operatingPoint) ? getOperatingPoint() : null).threshold();
        LongText longTextChoice = longTextChosen();
        longTextChoice.checkFits(model, tokens);
        int layers = model.config().numHiddenLayers();
        ScoringSpec spec = ScoringSpec.builder().runId(uid).modelDir(model.dir().toString())
                .modelSha256(model.weightsSha256()).numLayers(layers).labels(model.config().labelNames())
                .policy(ExitPolicy.uniform(s, layers)).threshold(s).precision(chosen)
                .batching(Batching.on(device, Sessions.taskCpus(spark), named(Batching.class, getBatching())))
                .batchSize(isDefined(batchSize) ? getBatchSize() : BatchInputs.defaultBatchSize(tokens))
                .maxSeqLen(tokens).longText(longTextChoice).passThrough(List.of(ROW)).build();

        // The scorer reads Catalog.INPUT and passes the whole row through; the id is only the scorer's.
        Column[] columns = Arrays.stream(input.fieldNames()).map(InputColumns::named).toArray(Column[]::new);
        Column textB = isDefined(textBCol) ? InputColumns.named(getTextBCol()).cast("string")
                : lit(null).cast("string");
        Dataset<Row> scorerInput = dataset.toDF().select(monotonically_increasing_id().cast("string").as("id"),
                InputColumns.named(getTextCol()).cast("string").as("text"), textB.as("text_b"),
                struct(struct(columns).as(ROW)).as(Catalog.KEPT));
        StructType predictions = Catalog.predictions(new StructType().add(ROW, input, false), List.of(ROW)).schema();
        Dataset<Row> scored = scorerInput.mapPartitions(new PartitionScorer(spec, predictions),
                Encoders.row(Catalog.scorerOutput(predictions))).filter(col(Catalog.PREDICTION).isNotNull());

        List<Column> out = new ArrayList<>(List.of(col(Catalog.PREDICTION + "." + ROW + ".*")));
        OUTPUT_COLUMNS.forEach(name -> out.add(col(Catalog.PREDICTION + "." + name).as(getOutputPrefix() + name)));
        return scored.select(out.toArray(Column[]::new));
    }

    @Override
    public DeeBertClassifier copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    public static MLReader<DeeBertClassifier> read() {
        return new DefaultParamsReader<>();
    }

    public static DeeBertClassifier load(String path) {
        return read().load(path);
    }
}
