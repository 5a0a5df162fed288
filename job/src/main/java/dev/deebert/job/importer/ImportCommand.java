package dev.deebert.job.importer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.deebert.job.options.OutputOptions;
import dev.deebert.model.DeeBertConfig;
import dev.deebert.model.DeeBertWeights;
import dev.deebert.model.Engines;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.ModelType;
import dev.deebert.model.TensorNames;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code deebert import}: a DeeBERT model directory from a pretrained encoder (ONNX + tokenizer.json, or a
 * Hugging Face model directory), with freshly initialized ramps and, unless the checkpoint brings a fine-tuned
 * one, classifier: ready for fine-tuning.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Build a DeeBERT model directory from a pretrained BERT/RoBERTa: an ONNX file and its "
                + "tokenizer.json, or a Hugging Face model directory.")
public final class ImportCommand implements Callable<Integer> {
    /** Options that describe an ONNX graph; a Hugging Face config.json says all of it. */
    private static final List<String> ONNX_OPTIONS = List.of("--num-heads", "--model-type", "--layer-norm-eps");

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Source source;

    static final class Source {
        @Option(names = "--backbone", description = "A backbone shipped as a Maven artifact: bge-small-en-v1.5 "
                + "(the default when neither --onnx nor --hf is given).")
        KnownBackbone backbone;

        @ArgGroup(exclusive = false)
        OnnxFiles files;

        @Option(names = "--hf", description = "A Hugging Face model directory (save_pretrained): config.json, "
                + "model.safetensors or a sharded checkpoint, tokenizer.json (or, without it, BertTokenizer's "
                + "vocab.txt or RobertaTokenizer's vocab.json and merges.txt, with tokenizer_config.json's options). "
                + "BertModel, "
                + "BertForSequenceClassification, RobertaModel, RobertaForSequenceClassification, XLM-RoBERTa.")
        Path hf;
    }

    static final class OnnxFiles {
        @Option(names = "--onnx", required = true, description = "ONNX export of a BERT/RoBERTa encoder.")
        Path onnx;

        @Option(names = "--tokenizer", required = true, description = "The encoder's tokenizer.json.")
        Path tokenizer;
    }

    @Mixin
    OutputOptions.ModelOut out;

    @Option(names = "--labels", split = ",", description = "Label names, in index order (default: with --hf and a"
            + " classifier, config.json's id2label; else LABEL_0, LABEL_1, as transformers' configs default to, for"
            + " train to re-head with the task's labels).")
    List<String> labels;

    @Option(names = "--num-labels", description = "Number of labels (when --labels is not given).")
    Integer numLabels;

    @Option(names = "--num-heads", description = "Attention heads (default: read from the graph).")
    Integer numHeads;

    @Option(names = "--model-type", defaultValue = "bert", description = "bert or roberta (default: ${DEFAULT-VALUE}).")
    ModelType modelType;

    @Option(names = "--layer-norm-eps", defaultValue = "1e-12",
            description = "LayerNorm epsilon of the encoder (default: ${DEFAULT-VALUE}).")
    double layerNormEps;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for the new heads (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws IOException {
        ModelDirectory.checkWritable(out.dir(), out.force());
        if (source != null && source.hf != null) {
            importHf(source.hf);
        } else {
            importOnnx();
        }
        return 0;
    }

    private void importOnnx() throws IOException {
        List<String> labelNames = labelNames(null);
        BackboneSource from = source != null && source.files != null
                ? BackboneSource.files(source.files.onnx, source.files.tokenizer)
                : BackboneSource.named(source != null ? source.backbone : KnownBackbone.BGE_SMALL_EN_V15);

        BertOnnxBackbone backbone;
        try (InputStream in = from.openOnnx()) {
            backbone = BertOnnxBackbone.from(OnnxGraph.read(in, from.description()), numHeads, from.description());
        }
        DeeBertConfig config = backbone.config(modelType, labelNames, layerNormEps);
        write(from.description(), config.modelType(), config, backbone.tensors(), file -> {
            try (InputStream in = from.openTokenizer()) {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            }
        });
    }

    private void importHf(Path dir) throws IOException {
        List<String> ignored = ONNX_OPTIONS.stream().filter(spec.commandLine().getParseResult()::hasMatchedOption)
                .toList();
        if (!ignored.isEmpty()) {
            throw new IllegalArgumentException(String.join(", ", ignored) + " cannot be given with --hf: the "
                    + "checkpoint's config.json says it");
        }
        HfCheckpoint checkpoint = HfCheckpoint.open(dir);
        List<String> labelNames = labelNames(checkpoint.hasClassifier() ? checkpoint.config().labelNames() : null);
        if (checkpoint.hasClassifier() && labelNames.size() != checkpoint.config().numLabels()) {
            throw new IllegalArgumentException(labelNames.size() + " labels given but the classifier of " + dir
                    + " has " + checkpoint.config().numLabels());
        }
        HfTokenizer tokenizer = checkpoint.tokenizer();
        write(dir.toString(), checkpoint.architecture(), checkpoint.config().withLabels(labelNames),
                checkpoint.tensors(), tokenizer::write);
        if (tokenizer.isBuilt()) {
            spec.commandLine().getOut().printf("tokenizer.json built from %s, as transformers builds it%n",
                    tokenizer.source());
            spec.commandLine().getOut().flush();
        }
    }

    /** Writes the tokenizer.json of the model being imported into a file. */
    @FunctionalInterface
    private interface TokenizerWriter {
        void writeTo(Path file) throws IOException;
    }

    /**
     * Writes --out: the imported tensors (a pooler and classifier among them when the checkpoint brings
     * them) plus new exits for the rest ({@link UntrainedExits}).
     */
    private void write(String from, String kind, DeeBertConfig config, Map<String, HostTensor> imported,
                       TokenizerWriter tokenizer) throws IOException {
        Map<String, HostTensor> tensors = new LinkedHashMap<>(imported);
        tensors.putAll(UntrainedExits.create(config, imported, seed));
        Path tokenizerFile = Files.createTempFile("deebert-import-", ".json");
        try (NDManager manager = Engines.newManager(Device.cpu())) {
            tokenizer.writeTo(tokenizerFile);
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            tensors.forEach((name, t) -> arrays.put(name, t.toNDArray(manager)));
            ModelDirectory.write(out.dir(), DeeBertWeights.of(config, arrays), tokenizerFile, out.force());
        } finally {
            Files.deleteIfExists(tokenizerFile);
        }

        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf("imported %s: %s, %d layers, hidden %d, %d heads, vocab %d, %s pooler, %s classifier, "
                        + "labels %s -> %s%n", from, kind, config.numHiddenLayers(), config.hiddenSize(),
                config.numAttentionHeads(), config.vocabSize(),
                origin(imported, TensorNames.FINAL_HEAD.pooler().weight()),
                origin(imported, TensorNames.FINAL_HEAD.classifier().weight()), config.labelNames(), out.dir());
        stdout.flush();
    }

    private static String origin(Map<String, HostTensor> imported, String tensor) {
        return imported.containsKey(tensor) ? "pretrained" : "new";
    }

    /**
     * --labels or --num-labels; when neither is given, {@code checkpointLabels} unless null, else two labels as
     * transformers' {@code PretrainedConfig} defaults to: a backbone is imported to be trained, and train gives
     * it the task's labels.
     */
    private List<String> labelNames(List<String> checkpointLabels) {
        if (labels == null && numLabels == null) {
            return checkpointLabels != null ? checkpointLabels : List.of("LABEL_0", "LABEL_1");
        }
        if (labels != null && numLabels != null && labels.size() != numLabels) {
            throw new IllegalArgumentException("--labels names " + labels.size() + " labels but --num-labels is "
                    + numLabels);
        }
        List<String> names = labels;
        if (names == null) {
            names = new ArrayList<>();
            for (int i = 0; i < numLabels; i++) {
                names.add("LABEL_" + i);
            }
        }
        if (names.size() < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 labels, got " + names.size());
        }
        if (new HashSet<>(names).size() != names.size() || names.stream().anyMatch(String::isBlank)) {
            throw new IllegalArgumentException("--labels must be distinct, non-empty names: " + names);
        }
        return names;
    }
}
