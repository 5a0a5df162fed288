package dev.deebert.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.deebert.job.CommandPlugin;
import dev.deebert.job.DeltaTables;
import dev.deebert.job.Sessions;
import dev.deebert.job.importer.OnnxWeightsWriter;
import dev.deebert.job.options.EngineOptions;
import dev.deebert.job.options.InputOptions;
import dev.deebert.job.options.ModelOption;
import dev.deebert.model.Batching;
import dev.deebert.model.DeeBertEngine;
import dev.deebert.model.DeeBertTokenizer;
import dev.deebert.model.DeeBertWeights;
import dev.deebert.model.Engines;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import dev.deebert.model.TensorNames;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code deebert bench}: DeeBERT against ONNX Runtime on the same rows in one process, contenders
 * interleaved (A B A B ...) for several rounds, medians reported. Only in the local launcher's classpath
 * (this module), never in the app jar, so ONNX Runtime never ships with the product.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark DeeBERT (fp32/bf16/int8, S=0 and early exit, batch 1) against ONNX Runtime (fp32 and"
                + " int8 dynamic quantization).")
public final class BenchCommand implements CommandPlugin {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Mixin
    InputOptions.Table input;

    @Mixin
    InputOptions.TextColumn textCol;

    @Mixin
    InputOptions.LabelColumn labelCol;

    @Option(names = "--rows", defaultValue = "512", description = "Rows to run (default: ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--reference-rows", defaultValue = "128",
            description = "Rows for the slow batch-1 reference mode (default: ${DEFAULT-VALUE}).")
    int referenceRows;

    @Mixin
    EngineOptions.BatchSize batch;

    @Mixin
    EngineOptions.MaxSeqLen maxSeqLen;

    @Option(names = "--rounds", defaultValue = "3", description = "Rounds at least (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--min-seconds", defaultValue = "3", description = "Rounds go on past --rounds until every"
            + " contender has been timed this long in all: a fast contender's pass over the rows can take half a"
            + " second, too short to time on a shared machine (default: ${DEFAULT-VALUE}).")
    double minSeconds;

    @Option(names = "--threads", defaultValue = "2", description = "Intra-op threads for both engines.")
    int threads;

    @Option(names = "--thresholds", split = ",", description = "Early-exit thresholds to run, e.g. the calibrated "
            + "0.5- and 2-point operating points.")
    List<Double> thresholds = List.of();

    @Option(names = "--precision", split = ",", paramLabel = "PRECISION",
            description = "DeeBERT precisions to run (default: fp32, bf16 where this CPU has oneDNN bf16 GEMMs, int8;"
                    + " on other CPUs bf16 runs on generic kernels many times slower, so it runs only when named)."
                    + " fp32 is the reference of the agreement column and of the batch-1 rows.")
    List<Precision> precisions;

    @Option(names = "--batching", split = ",", defaultValue = "compaction,refill", paramLabel = "BATCHING",
            description = "How DeeBERT's batches share layers as rows exit, each a contender of its own (default:"
                    + " ${DEFAULT-VALUE}).")
    List<Batching> batchings;

    @Option(names = "--onnx", description = "Backbone ONNX file for the peer, run as is (default: the model's "
            + "encoder weights written into --peer-onnx-template).")
    Path onnx;

    @Option(names = "--peer-onnx-template", description = "ONNX export of the model's architecture that the peer "
            + "runs with the model's encoder weights (default: the known backbone, BGE-small or all-MiniLM-L6-v2, "
            + "whose export fits the model).")
    Path peerOnnxTemplate;

    @Option(names = "--output", description = "Output root: results are appended to its Delta table `bench`.")
    Path output;

    @Option(names = "--markdown", description = "Also write the Markdown table to this file.")
    Path markdown;

    @Option(names = "--profile", description = "After timing, run each DeeBERT contender once more under "
            + "libtorch's profiler and print self time per operator and per row-layer; the Chrome traces go to "
            + "this directory.")
    Path profile;

    @Option(names = "--profile-rows", defaultValue = "128", description = "Rows profiled (default: "
            + "${DEFAULT-VALUE}); profiling all 601 rows of the demo test split at six thresholds took the "
            + "process to 23 GB of native memory.")
    int profileRows;

    @Override
    public Integer call() throws Exception {
        ModelDirectory dir = ModelDirectory.open(model.dir()).verify();
        int seqLen = maxSeqLen.of(dir);
        int batchSize = batch.rows(seqLen);
        if (rows < 1 || batchSize < 1 || rounds < 1 || threads < 1 || !(minSeconds >= 0)) {
            throw new IllegalArgumentException("--rows, --batch-size, --rounds and --threads must be >= 1,"
                    + " --min-seconds >= 0");
        }
        SparkSession spark = Sessions.getOrCreate("deebert bench");
        List<Row> sample = input.formatOrGuess().read(spark, input.path()).select(textCol.name(), labelCol.name())
                .limit(rows).collectAsList();
        LabeledRows labeled;
        try (DeeBertTokenizer tokenizer = dir.tokenizer(seqLen)) {
            labeled = LabeledRows.of(sample, textCol.name(), labelCol.name(), dir.config(), tokenizer);
        }
        LabeledRows referenceSample = labeled.spread(referenceRows);
        JniUtils.setNumThreads(threads);
        if (precisions == null) {
            if (Precision.fastestOn(Device.cpu()) == Precision.BF16) {
                precisions = List.of(Precision.FP32, Precision.BF16, Precision.INT8);
            } else {
                precisions = List.of(Precision.FP32, Precision.INT8);
                spec.commandLine().getErr().println("bench: bf16 left out, this CPU has no oneDNN bf16 GEMMs"
                        + " (--precision fp32,bf16,int8 runs it anyway)");
            }
        }

        BenchReport report = new BenchReport(dir.config().numHiddenLayers(), threads);
        StringBuilder profiles = new StringBuilder();
        byte[] peerFp32 = peerModel(dir);
        OnnxPeer.FinalHead head = finalHead(dir);
        try (OnnxPeer peer = new OnnxPeer(peerFp32, threads, head);
             OnnxPeer peerInt8 = new OnnxPeer(OnnxInt8.quantize(peerFp32), threads, head);
             LoadedEngines engines = new LoadedEngines()) {
            DeeBertEngine fp32 = engines.load(dir, Precision.FP32);
            List<Contender> contenders = new ArrayList<>();
            contenders.add(Contender.peer(peer, "fp32", batchSize));
            contenders.add(Contender.peer(peerInt8, "int8", batchSize));
            for (Precision precision : precisions) {
                DeeBertEngine engine = precision == Precision.FP32 ? fp32 : engines.load(dir, precision);
                for (Batching batching : batchings) {
                    contenders.add(Contender.deebert(engine, 0, batchSize, batching));
                    for (double threshold : thresholds) {
                        contenders.add(Contender.deebert(engine, threshold, batchSize, batching));
                    }
                }
            }
            double referenceThreshold = thresholds.isEmpty() ? 0 : thresholds.get(0);
            Contender reference = Contender.deebert(fp32, referenceThreshold, 1, Batching.COMPACTION);
            Contender referenceBatched = Contender.deebert(fp32, referenceThreshold, batchSize, batchings.get(0));

            PrintWriter err = spec.commandLine().getErr();
            for (Contender c : contenders) {
                c.run(labeled);  // warm-up: first-call allocations and oneDNN kernel selection
            }
            Map<Contender, Double> timed = new HashMap<>();
            for (int round = 1; round <= rounds || contenders.stream()
                    .anyMatch(c -> timed.getOrDefault(c, 0.0) < minSeconds); round++) {
                err.printf("round %d%n", round);
                err.flush();
                for (Contender c : contenders) {
                    timed.merge(c, report.time(c, labeled), Double::sum);
                }
                report.time(reference, referenceSample);
                report.time(referenceBatched, referenceSample);
            }
            if (profile != null) {
                Files.createDirectories(profile);
                LabeledRows profiled = labeled.spread(profileRows);
                for (Contender c : contenders.stream().filter(c -> !Double.isNaN(c.threshold())).toList()) {
                    String name = c.name().replace(' ', '-') + "-" + c.precision() + "-s" + c.threshold() + ".json";
                    profiles.append(OpProfile.markdown(c, profiled, profile.resolve(name))).append('\n');
                }
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        String table = report.markdown() + profiles;
        out.println(table);
        out.flush();
        if (markdown != null) {
            Files.writeString(markdown, table);
        }
        if (output != null) {
            report.append(new DeltaTables(spark, output));
        }
        return 0;
    }

    /**
     * The peer's backbone: --onnx as given, else this model's own (fine-tuned) encoder weights written into
     * the graph of --peer-onnx-template or of the known backbone that fits, so that both contenders compute
     * the same function.
     */
    private byte[] peerModel(ModelDirectory dir) throws Exception {
        if (onnx != null && peerOnnxTemplate != null) {
            throw new IllegalArgumentException("give --onnx or --peer-onnx-template, not both");
        }
        if (onnx != null) {
            return Files.readAllBytes(onnx);
        }
        try {
            return peerOnnxTemplate != null
                    ? OnnxWeightsWriter.write(Files.readAllBytes(peerOnnxTemplate), peerOnnxTemplate.toString(), dir)
                    : OnnxWeightsWriter.writeIntoKnownBackbone(dir);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + "; give --peer-onnx-template, an ONNX export of the"
                    + " model's own architecture (or --onnx, a backbone run as is)", e);
        }
    }

    /** The engines a bench run loads, closed together. */
    private static final class LoadedEngines implements AutoCloseable {
        private final List<DeeBertEngine> loaded = new ArrayList<>();

        DeeBertEngine load(ModelDirectory dir, Precision precision) {
            DeeBertEngine engine = DeeBertEngine.load(dir, Device.cpu(), precision);
            loaded.add(engine);
            return engine;
        }

        @Override
        public void close() {
            loaded.forEach(DeeBertEngine::close);
        }
    }

    private static OnnxPeer.FinalHead finalHead(ModelDirectory dir) {
        try (NDManager manager = Engines.newManager(Device.cpu())) {
            DeeBertWeights w = dir.loadWeights(manager);
            TensorNames.Exit head = TensorNames.FINAL_HEAD;
            return new OnnxPeer.FinalHead(w.get(head.pooler().weight()).toFloatArray(),
                    w.get(head.pooler().bias()).toFloatArray(), w.get(head.classifier().weight()).toFloatArray(),
                    w.get(head.classifier().bias()).toFloatArray());
        }
    }
}
