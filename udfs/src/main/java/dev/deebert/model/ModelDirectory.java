package dev.deebert.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * A model directory: {@code config.json}, {@code model.safetensors}, {@code tokenizer.json} and its serving
 * contract ({@code serving.json}). Opening one checks everything that can be checked without loading the
 * weights (files, config, header shapes and dtypes, tokenizer vocabulary, contract), so a driver can refuse a
 * bad model before any task starts.
 *
 * <p>{@link #write} makes {@code dir} a link to a version of the model ({@link ModelVersions}), so that a replace
 * is one rename; an opened directory reads every file from the version {@code dir} named when it was opened.
 *
 * @param dir the directory as named (what runs record and executors open)
 * @param files the directory the files are read from: {@code dir} with links resolved, once
 */
public record ModelDirectory(Path dir, Path files, DeeBertConfig config, ServingContract serving) {
    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String TOKENIZER = "tokenizer.json";
    /** The operating points calibrate writes (dev.deebert.job.analysis.OperatingPoints). */
    public static final String OPERATING_POINTS = "deebert.json";
    /** The report train writes (dev.deebert.job.train.TrainingReport). */
    public static final String TRAINING_REPORT = "training_report.json";
    /** Everything a model directory holds; replacing one deletes nothing else. */
    private static final Set<String> MODEL_FILES = Set.of(CONFIG, WEIGHTS, TOKENIZER, ServingContract.FILE,
            TRAINING_REPORT, OPERATING_POINTS);
    /** Pickle checkpoints run code when loaded; we never open them. */
    private static final List<String> PICKLE_SUFFIXES = List.of(".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt");

    public static ModelDirectory open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir + ": model directory does not exist");
        }
        Path files;
        try {
            files = dir.toRealPath();
        } catch (IOException e) {
            throw new ModelFormatException(dir + ": cannot resolve: " + e.getMessage(), e);
        }
        refusePickle(files);
        for (String name : List.of(CONFIG, WEIGHTS, TOKENIZER)) {
            if (!Files.isRegularFile(files.resolve(name))) {
                throw new ModelFormatException(dir + ": missing " + name);
            }
        }
        Map<String, SafeTensorsFile.Entry> header = SafeTensorsFile.readHeader(files.resolve(WEIGHTS));
        DeeBertConfig config = DeeBertConfig.read(files.resolve(CONFIG), header.values());
        checkHeader(files.resolve(WEIGHTS), header, config);
        checkTokenizer(files.resolve(TOKENIZER), config);
        return new ModelDirectory(dir, files, config, ServingContract.read(files, config));
    }

    /** Fails, saying how to convert, when {@code dir} holds a pickle checkpoint. */
    public static void refusePickle(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            List<String> pickles = files.map(p -> p.getFileName().toString())
                    .filter(n -> PICKLE_SUFFIXES.stream().anyMatch(n::endsWith)).sorted().toList();
            if (!pickles.isEmpty()) {
                throw new ModelFormatException(dir + ": holds pickle checkpoint(s) " + pickles
                        + "; pickle can run arbitrary code and is never loaded. Convert to safetensors with: "
                        + "python -c \"import torch, safetensors.torch as st; "
                        + "st.save_file(torch.load('pytorch_model.bin'), 'model.safetensors')\" "
                        + "(in a trusted environment), then remove the pickle file");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void checkHeader(Path weights, Map<String, SafeTensorsFile.Entry> header, DeeBertConfig config) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Shape> e : TensorNames.shapes(config).entrySet()) {
            String name = TensorNames.fileName(config, e.getKey());
            SafeTensorsFile.Entry entry = header.get(name);
            if (entry == null) {
                problems.add("missing tensor " + name);
            } else if (!"F32".equals(entry.dtype())) {
                problems.add(name + " has dtype " + entry.dtype() + ", expected F32");
            } else if (!Arrays.equals(entry.shape(), e.getValue().getShape())) {
                problems.add(name + " has shape " + Arrays.toString(entry.shape()) + ", expected " + e.getValue());
            }
        }
        if (!problems.isEmpty()) {
            throw new ModelFormatException(weights + " does not match config.json: " + String.join("; ", problems));
        }
    }

    /**
     * A tokenizer that can emit token or token type ids beyond the embedding tables would fail (or worse) on
     * some rows only. Type ids come from the post-processor's templates ({@code type_id}); a model with one
     * token type reads every type id as 0, as RoBERTa does.
     */
    private static void checkTokenizer(Path tokenizer, DeeBertConfig config) {
        long maxId = -1;
        long maxTypeId = 0;
        try {
            JsonNode root = new ObjectMapper().readTree(tokenizer.toFile());
            for (JsonNode typeId : root.path("post_processor").findValues("type_id")) {
                maxTypeId = Math.max(maxTypeId, typeId.asLong());
            }
            JsonNode vocab = root.path("model").path("vocab");
            if (vocab.isObject()) {
                for (JsonNode id : (Iterable<JsonNode>) vocab::elements) {
                    maxId = Math.max(maxId, id.asLong());
                }
            } else if (vocab.isArray()) {
                maxId = vocab.size() - 1;
            }
            for (JsonNode added : root.path("added_tokens")) {
                maxId = Math.max(maxId, added.path("id").asLong());
            }
        } catch (IOException e) {
            throw new ModelFormatException(tokenizer + ": not valid JSON: " + e.getMessage(), e);
        }
        if (maxId < 0) {
            throw new ModelFormatException(tokenizer + ": has no vocabulary");
        }
        if (maxId >= config.vocabSize()) {
            throw new ModelFormatException(tokenizer + ": token ids reach " + maxId + " but config.json vocab_size is "
                    + config.vocabSize() + " (tokenizer and model do not belong together)");
        }
        if (config.typeVocabSize() > 1 && maxTypeId >= config.typeVocabSize()) {
            throw new ModelFormatException(tokenizer + ": its templates give token type id " + maxTypeId
                    + " but config.json type_vocab_size is " + config.typeVocabSize());
        }
    }

    public Path weightsFile() {
        return files.resolve(WEIGHTS);
    }

    public Path tokenizerFile() {
        return files.resolve(TOKENIZER);
    }

    /** Loads and fully checks the weights (including NaN/Inf) into {@code manager}. */
    public DeeBertWeights loadWeights(NDManager manager) {
        return DeeBertWeights.from(config, SafeTensorsFile.read(weightsFile(), manager), weightsFile());
    }

    /**
     * {@link #loadWeights(NDManager)}, failing unless the bytes loaded hash to {@code sha256}: an executor must
     * score with the weights its run was validated with and stamps on every row, not with a model replaced since.
     */
    public DeeBertWeights loadWeights(NDManager manager, String sha256) {
        SafeTensorsFile.Loaded loaded = SafeTensorsFile.load(weightsFile(), manager);
        if (!loaded.sha256().equals(sha256)) {
            throw new ModelFormatException(dir + " was replaced after the run started: its " + WEIGHTS
                    + " has SHA-256 " + loaded.sha256() + " but the run was validated with, and stamps its rows"
                    + " with, " + sha256 + "; rerun to score the new model");
        }
        return DeeBertWeights.from(config, loaded.tensors(), weightsFile());
    }

    /**
     * Everything {@link #open} checks plus the tensor values (NaN/Inf): what a driver runs once before any
     * task starts, so that no executor is the first to find a broken model.
     */
    public ModelDirectory verify() {
        try (NDManager manager = Engines.newManager(ai.djl.Device.cpu())) {
            loadWeights(manager);
        }
        try (DeeBertTokenizer tokenizer = DeeBertTokenizer.load(tokenizerFile(), 2)) {
            return this;
        }
    }

    /**
     * The tokens per row to run at, first given of: {@code commandLine} (--max-seq-len typed), the length the
     * model records, {@code siteDefault} (conf/deebert.properties), the default for its positions. Checked
     * against the position table.
     */
    public int maxSeqLen(Integer commandLine, Integer siteDefault) {
        int maxSeqLen = commandLine != null ? commandLine
                : !serving.recorded() && siteDefault != null ? siteDefault : serving.maxSeqLen();
        checkMaxSeqLen(maxSeqLen);
        return maxSeqLen;
    }

    /** Loads the tokenizer, checking the length fits the position table. */
    public DeeBertTokenizer tokenizer(int maxSeqLen) {
        checkMaxSeqLen(maxSeqLen);
        return DeeBertTokenizer.load(tokenizerFile(), maxSeqLen);
    }

    /** Fails unless rows of {@code maxSeqLen} tokens hold the special tokens and fit the model's position table. */
    public void checkMaxSeqLen(int maxSeqLen) {
        int limit = BatchInputs.maxTokens(config);
        if (maxSeqLen < 2) {
            throw new IllegalArgumentException("max sequence length must be at least 2 (the special tokens), got "
                    + maxSeqLen);
        }
        if (maxSeqLen > limit) {
            throw new IllegalArgumentException("max sequence length " + maxSeqLen + " exceeds the model's "
                    + limit + " positions");
        }
    }

    /**
     * Hashes already taken in this JVM, by file identity (inode, size, modification time): a driver checks a
     * model's calibration and then stamps its outputs, and BGE-sized weights take ~0.5 s to hash. Writers
     * replace the file atomically, which gives it a new identity.
     */
    private static final Map<List<Object>, String> SHA256_BY_FILE = new java.util.concurrent.ConcurrentHashMap<>();

    /** SHA-256 of model.safetensors: identifies the model version in outputs. */
    public String weightsSha256() {
        try {
            BasicFileAttributes attributes = Files.readAttributes(weightsFile(), BasicFileAttributes.class);
            List<Object> identity = Arrays.asList(weightsFile().toString(), attributes.fileKey(), attributes.size(),
                    attributes.lastModifiedTime().toMillis());
            return SHA256_BY_FILE.computeIfAbsent(identity, k -> SafeTensorsFile.sha256(weightsFile()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Fails unless a model may be written to {@code dir}: nothing is there, or {@code replace} (--force) is set
     * and {@code dir} is a model directory, holding model files only, so that replacing it deletes nothing else
     * (even with --force, {@code --out models} never deletes the models in it). Commands call it before their
     * work, and {@link #write} again when the model is ready (for train, hours later).
     */
    public static void checkWritable(Path dir, boolean replace) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!replace) {
            throw new IllegalArgumentException(dir + " already exists; choose another --out or add --force to"
                    + " replace it");
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + " is not a model directory (not a directory); --force only"
                    + " replaces model directories: choose another --out");
        }
        try (Stream<Path> entries = Files.list(dir)) {
            List<String> others = entries.filter(p -> !MODEL_FILES.contains(p.getFileName().toString())
                    || !Files.isRegularFile(p)).map(p -> p.getFileName().toString()).sorted().toList();
            if (!others.isEmpty()) {
                throw new IllegalArgumentException(dir + " is not a model directory: it also holds "
                        + (others.size() > 5 ? others.subList(0, 5) + " and " + (others.size() - 5) + " more" : others)
                        + "; --force only replaces model directories (" + new TreeSet<>(MODEL_FILES)
                        + "), so nothing else is ever deleted: choose another --out");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes an imported model with the default serving contract ({@link ServingContract#defaultFor}); an
     * existing {@code dir} is replaced only if {@code replace} and it is a model directory ({@link #checkWritable}).
     */
    public static ModelDirectory write(Path dir, DeeBertWeights weights, Path tokenizerJson, boolean replace)
            throws IOException {
        return write(dir, weights, tokenizerJson, ServingContract.defaultFor(weights.config()), null, replace);
    }

    /** Writes {@link #TRAINING_REPORT}, which only the trainer knows the schema of. */
    @FunctionalInterface
    public interface ReportWriter {
        void write(Path file) throws IOException;
    }

    /** Writes a trained model: its report, and as its serving contract the length it was trained at. */
    public static ModelDirectory write(Path dir, DeeBertWeights weights, Path tokenizerJson, int trainedMaxSeqLen,
                                       ReportWriter report, boolean replace) throws IOException {
        return write(dir, weights, tokenizerJson, ServingContract.trained(trainedMaxSeqLen), report, replace);
    }

    /**
     * Writes a new version of the model and then makes {@code dir} name it in one rename ({@link ModelVersions}),
     * so readers see the old model or the new one, never none or half of one. The version is checked as the
     * driver of a run checks a model ({@link #verify}) first: a model that would not load never replaces one.
     */
    private static ModelDirectory write(Path dir, DeeBertWeights weights, Path tokenizerJson, ServingContract serving,
                                        ReportWriter report, boolean replace) throws IOException {
        checkWritable(dir, replace);
        Path draft = ModelVersions.draft(dir);
        try {
            weights.config().write(draft.resolve(CONFIG));
            SafeTensorsFile.write(weights.toNamedList(), draft.resolve(WEIGHTS));
            Files.copy(tokenizerJson, draft.resolve(TOKENIZER), StandardCopyOption.REPLACE_EXISTING);
            serving.write(draft);
            if (report != null) {
                report.write(draft.resolve(TRAINING_REPORT));
            }
            open(draft).verify();
        } catch (IOException | RuntimeException e) {
            ModelVersions.discard(draft);
            throw e;
        }
        ModelVersions.publish(draft, dir);
        return open(dir);
    }

    public static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
