package dev.deebert.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A model directory: {@code config.json}, {@code model.safetensors}, {@code tokenizer.json} and its serving
 * contract ({@code serving.json}). Opening one checks everything that can be checked without loading the
 * weights (files, config, header shapes and dtypes, tokenizer vocabulary, contract), so a driver can refuse a
 * bad model before any task starts.
 */
public record ModelDirectory(Path dir, DeeBertConfig config, ServingContract serving) {
    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String TOKENIZER = "tokenizer.json";
    /** Pickle checkpoints run code when loaded; we never open them. */
    private static final List<String> PICKLE_SUFFIXES = List.of(".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt");

    public static ModelDirectory open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir + ": model directory does not exist");
        }
        refusePickle(dir);
        for (String name : List.of(CONFIG, WEIGHTS, TOKENIZER)) {
            if (!Files.isRegularFile(dir.resolve(name))) {
                throw new ModelFormatException(dir + ": missing " + name);
            }
        }
        Map<String, SafeTensorsFile.Entry> header = SafeTensorsFile.readHeader(dir.resolve(WEIGHTS));
        DeeBertConfig config = DeeBertConfig.read(dir.resolve(CONFIG), header.values());
        checkHeader(dir.resolve(WEIGHTS), header, config);
        checkTokenizer(dir.resolve(TOKENIZER), config);
        return new ModelDirectory(dir, config, ServingContract.read(dir, config));
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
        for (Map.Entry<String, Shape> e : DeeBertWeights.expectedShapes(config).entrySet()) {
            String name = DeeBertWeights.fileName(config, e.getKey());
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
        return dir.resolve(WEIGHTS);
    }

    public Path tokenizerFile() {
        return dir.resolve(TOKENIZER);
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
        try (NDManager manager = NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch")) {
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
            List<Object> identity = Arrays.asList(weightsFile().toAbsolutePath().normalize().toString(),
                    attributes.fileKey(), attributes.size(), attributes.lastModifiedTime().toMillis());
            return SHA256_BY_FILE.computeIfAbsent(identity, k -> SafeTensorsFile.sha256(weightsFile()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }


    /** Writes a model directory with the default serving contract ({@link ServingContract#defaultFor}). */
    public static ModelDirectory write(Path dir, DeeBertWeights weights, Path tokenizerJson) throws IOException {
        return write(dir, weights, tokenizerJson, ServingContract.defaultFor(weights.config()));
    }

    /**
     * Writes a model directory atomically: everything goes to a sibling temp directory that is renamed into
     * place, so readers never see half a model.
     */
    public static ModelDirectory write(Path dir, DeeBertWeights weights, Path tokenizerJson, ServingContract serving)
            throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path temp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".tmp");
        if (Files.getFileStore(temp).supportsFileAttributeView("posix")) {
            // Temp directories are private (rwx------); executors running as other users must read the model.
            Files.setPosixFilePermissions(temp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        try {
            weights.config().write(temp.resolve(CONFIG));
            SafeTensorsFile.write(weights.toNamedList(), temp.resolve(WEIGHTS));
            Files.copy(tokenizerJson, temp.resolve(TOKENIZER), StandardCopyOption.REPLACE_EXISTING);
            serving.write(temp);
            // Checked before the rename, so that a model that would not open never replaces a good one.
            open(temp).tokenizer(2).close();
        } catch (IOException | RuntimeException e) {
            deleteRecursively(temp);
            throw e;
        }
        replace(temp, dir);
        return open(dir);
    }

    /** Moves {@code from} onto {@code to}, replacing an existing directory as late as possible. */
    public static void replace(Path from, Path to) throws IOException {
        if (Files.exists(to)) {
            Path old = to.resolveSibling("." + to.getFileName() + ".old");
            deleteRecursively(old);
            Files.move(to, old, StandardCopyOption.ATOMIC_MOVE);
            moveAtomically(from, to);
            deleteRecursively(old);
        } else {
            moveAtomically(from, to);
        }
    }

    private static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
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
