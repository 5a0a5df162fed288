package dev.deebert.job.importer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.deebert.model.DeeBertConfig;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.ModelFormatException;
import dev.deebert.model.ModelType;
import dev.deebert.model.SafeTensorsFile;
import dev.deebert.model.TensorNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A Hugging Face model directory as transformers' {@code save_pretrained} writes it: config.json,
 * model.safetensors or a sharded checkpoint (model.safetensors.index.json and its shards), tokenizer.json or the
 * vocabulary files of transformers' slow tokenizers ({@link HfTokenizer}).
 * Opening one checks everything but the tensor values, from config.json and the safetensors headers alone:
 * the architecture, every tensor's name, dtype and shape. Pickle checkpoints are never read.
 */
final class HfCheckpoint {
    static final String INDEX = "model.safetensors.index.json";
    /** config.json model_type to the class-name stem transformers gives the family. */
    private static final Map<String, String> CLASS_STEMS =
            new TreeMap<>(Map.of("bert", "Bert", "roberta", "Roberta", "xlm-roberta", "XLMRoberta"));
    private static final String BARE = "Model";
    private static final String SEQUENCE_CLASSIFICATION = "ForSequenceClassification";
    private static final String SUPPORTED = CLASS_STEMS.values().stream()
            .flatMap(stem -> Stream.of(stem + BARE, stem + SEQUENCE_CLASSIFICATION))
            .collect(Collectors.joining(", "));
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A tensor as the checkpoint's headers describe it. */
    private record Stored(Path file, SafeTensorsFile.Entry entry) {}

    private final String architecture;
    private final DeeBertConfig config;
    /** Every tensor the import keeps, by canonical name. */
    private final Map<String, Stored> tensors;
    private final HfTokenizer tokenizer;

    private HfCheckpoint(String architecture, DeeBertConfig config, Map<String, Stored> tensors,
                         HfTokenizer tokenizer) {
        this.architecture = architecture;
        this.config = config;
        this.tensors = tensors;
        this.tokenizer = tokenizer;
    }

    static HfCheckpoint open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no such Hugging Face model directory");
        }
        JsonNode json = readJson(requireFile(dir, ModelDirectory.CONFIG));
        // The architecture first: no point in reading the weights of a model we cannot run.
        Layout declared = Layout.declared(json, dir);
        Map<String, Stored> stored = storedTensors(dir);
        Layout layout = declared != null ? declared : Layout.inferred(json, stored.keySet(), dir);
        HfTokenizer tokenizer = HfTokenizer.of(dir, json.path("model_type").asText());
        DeeBertConfig config = DeeBertConfig.fromJson(json, stored.values().stream().map(Stored::entry).toList());
        return new HfCheckpoint(layout.architecture(), config, check(dir, layout, config, stored), tokenizer);
    }

    private static Path requireFile(Path dir, String name) {
        Path file = dir.resolve(name);
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(dir + ": missing " + name);
        }
        return file;
    }

    /**
     * How the modules of one transformers class land in a DeeBERT model: checkpoint name prefixes to
     * canonical prefixes, the longest matching prefix winning.
     */
    private record Layout(String architecture, boolean classifier, Map<String, String> prefixes) {
        /** The class config.json's architectures names, or null when it names none. */
        static Layout declared(JsonNode config, Path dir) {
            String stem = classStem(config, dir);
            JsonNode architectures = config.path("architectures");
            if (!architectures.isArray() || architectures.isEmpty()) {
                return null;
            }
            if (architectures.size() > 1) {
                throw new ModelFormatException(dir + ": config.json names several architectures "
                        + architectures + "; import --hf reads one of " + SUPPORTED);
            }
            return of(config, stem, architectures.get(0).asText(), dir);
        }

        /** For configs written without architectures: a classification head shows in the tensor names. */
        static Layout inferred(JsonNode config, Set<String> tensorNames, Path dir) {
            String stem = classStem(config, dir);
            boolean head = tensorNames.stream().anyMatch(TensorNames.FINAL_HEAD.classifier()::owns);
            return of(config, stem, stem + (head ? SEQUENCE_CLASSIFICATION : BARE), dir);
        }

        /** The stem of the family's class names (Bert, ...); refuses what DeeBERT cannot compute. */
        private static String classStem(JsonNode config, Path dir) {
            String modelType = config.path("model_type").asText();
            String stem = CLASS_STEMS.get(modelType);
            if (stem == null) {
                throw new ModelFormatException(dir + ": model_type '" + modelType + "' is not supported; import "
                        + "--hf reads " + SUPPORTED);
            }
            if (!"absolute".equals(config.path("position_embedding_type").asText("absolute"))
                    || config.path("is_decoder").asBoolean(false)) {
                throw new ModelFormatException(dir + ": only encoders with absolute position embeddings are "
                        + "supported (position_embedding_type " + config.path("position_embedding_type")
                        + ", is_decoder " + config.path("is_decoder") + ")");
            }
            return stem;
        }

        private static Layout of(JsonNode config, String stem, String architecture, Path dir) {
            ModelType type = ModelType.parse(config.path("model_type").asText());
            String backbone = type.prefix() + ".";
            Map<String, String> prefixes = new LinkedHashMap<>();
            if (architecture.equals(stem + BARE)) {
                // transformers loads a bare model with or without its base-model prefix; so do we.
                prefixes.put("", "");
                prefixes.put(backbone, "");
                return new Layout(architecture, false, prefixes);
            }
            if (architecture.equals(stem + SEQUENCE_CLASSIFICATION)) {
                prefixes.put(backbone, "");
                prefixes.putAll(TensorNames.sequenceClassificationHead(type));
                return new Layout(architecture, true, prefixes);
            }
            throw new ModelFormatException(dir + ": architecture " + architecture + " is not supported; import "
                    + "--hf reads " + SUPPORTED + ". For a checkpoint with another head, save its encoder first: "
                    + "python -c \"from transformers import AutoModel; "
                    + "AutoModel.from_pretrained('DIR').save_pretrained('ENCODER_DIR')\"");
        }

        /** The canonical name of a checkpoint tensor, or null when no module of this class holds it. */
        String canonical(String name) {
            String from = longest(prefixes.keySet(), name);
            return from == null ? null : prefixes.get(from) + name.substring(from.length());
        }

        /** The checkpoint name a canonical tensor has in this class (the first such, for error messages). */
        String checkpointName(String canonical) {
            String to = longest(prefixes.values(), canonical);
            String from = prefixes.entrySet().stream().filter(e -> e.getValue().equals(to)).findFirst()
                    .orElseThrow().getKey();
            return from + canonical.substring(to.length());
        }

        private static String longest(Iterable<String> prefixes, String name) {
            String best = null;
            for (String prefix : prefixes) {
                if (name.startsWith(prefix) && (best == null || prefix.length() > best.length())) {
                    best = prefix;
                }
            }
            return best;
        }
    }

    /**
     * Every tensor of the checkpoint by name, from the headers of model.safetensors or of the shards that
     * model.safetensors.index.json lists (each checked to hold exactly the tensors the index gives it).
     */
    private static Map<String, Stored> storedTensors(Path dir) {
        Path single = dir.resolve(ModelDirectory.WEIGHTS);
        Map<String, Stored> stored = new LinkedHashMap<>();
        if (Files.isRegularFile(single)) {
            SafeTensorsFile.readHeader(single).forEach((name, entry) -> stored.put(name, new Stored(single, entry)));
            return stored;
        }
        Path index = dir.resolve(INDEX);
        if (!Files.isRegularFile(index)) {
            ModelDirectory.refusePickle(dir);
            throw new ModelFormatException(dir + ": has neither " + ModelDirectory.WEIGHTS + " nor " + INDEX);
        }
        JsonNode weightMap = readJson(index).path("weight_map");
        if (!weightMap.isObject() || weightMap.isEmpty()) {
            throw new ModelFormatException(index + ": no weight_map");
        }
        Map<String, List<String>> byShard = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            byShard.computeIfAbsent(e.getValue().asText(), shard -> new ArrayList<>()).add(e.getKey());
        }
        List<String> problems = new ArrayList<>();
        Path base = dir.toAbsolutePath().normalize();
        for (Map.Entry<String, List<String>> e : byShard.entrySet()) {
            String shardName = e.getKey();
            Path shard = base.resolve(shardName).normalize();
            if (!base.equals(shard.getParent()) || !Files.isRegularFile(shard)) {
                problems.add("shard '" + shardName + "' is not a file in " + dir);
                continue;
            }
            Map<String, SafeTensorsFile.Entry> header = SafeTensorsFile.readHeader(shard);
            for (String name : e.getValue()) {
                SafeTensorsFile.Entry entry = header.remove(name);
                if (entry == null) {
                    problems.add(shardName + " lacks " + name);
                } else {
                    stored.put(name, new Stored(shard, entry));
                }
            }
            header.keySet().forEach(name -> problems.add(shardName + " holds " + name + ", which " + INDEX
                    + " does not list there"));
        }
        if (!problems.isEmpty()) {
            throw new ModelFormatException(index + ": " + String.join("; ", problems));
        }
        return stored;
    }

    /**
     * Every tensor to import by canonical name, after checking that the checkpoint holds exactly what its
     * class has (buffers aside), in a dtype we read and the shape config.json implies.
     */
    private static Map<String, Stored> check(Path dir, Layout layout, DeeBertConfig config,
                                             Map<String, Stored> stored) {
        Map<String, long[]> shapes = new HashMap<>();
        TensorNames.shapes(config).forEach((name, shape) -> shapes.put(name, shape.getShape()));
        Set<String> wanted = new LinkedHashSet<>(TensorNames.backbone(config));
        if (layout.classifier()) {
            wanted.add(TensorNames.FINAL_HEAD.classifier().weight());
            wanted.add(TensorNames.FINAL_HEAD.classifier().bias());
        }
        List<String> problems = new ArrayList<>();
        Map<String, Stored> kept = new LinkedHashMap<>();
        Map<String, String> byCanonical = new HashMap<>();
        for (Map.Entry<String, Stored> e : stored.entrySet()) {
            String name = e.getKey();
            SafeTensorsFile.Entry entry = e.getValue().entry();
            if (TensorNames.isBuffer(name)) {
                continue;
            }
            String canonical = layout.canonical(name);
            if (canonical == null || !wanted.contains(canonical)) {
                problems.add("unexpected tensor " + name + " (not part of a " + config.numHiddenLayers() + "-layer "
                        + layout.architecture() + ")");
            } else if (byCanonical.putIfAbsent(canonical, name) != null) {
                problems.add(byCanonical.get(canonical) + " and " + name + " would both be " + canonical);
            } else if (!SafeTensorsFile.FLOAT_DTYPES.contains(entry.dtype())) {
                problems.add(name + " has dtype " + entry.dtype() + "; " + SafeTensorsFile.FLOAT_DTYPES
                        + " are supported");
            } else if (!Arrays.equals(entry.shape(), shapes.get(canonical))) {
                problems.add(name + " has shape " + Arrays.toString(entry.shape()) + ", config.json implies "
                        + Arrays.toString(shapes.get(canonical)));
            } else {
                kept.put(canonical, e.getValue());
            }
        }
        // A bare encoder may come without a pooler (add_pooling_layer=False); then the import makes one.
        TensorNames.Params finalPooler = TensorNames.FINAL_HEAD.pooler();
        boolean pooler = layout.classifier() || byCanonical.keySet().stream().anyMatch(finalPooler::owns);
        for (String canonical : wanted) {
            if (!byCanonical.containsKey(canonical) && (pooler || !finalPooler.owns(canonical))) {
                problems.add("missing tensor " + layout.checkpointName(canonical));
            }
        }
        if (!problems.isEmpty()) {
            throw new ModelFormatException(dir + " (" + layout.architecture() + "): " + String.join("; ", problems));
        }
        return kept;
    }

    static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelFormatException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    /** The transformers class, e.g. BertForSequenceClassification. */
    String architecture() {
        return architecture;
    }

    /** config.json as DeeBERT reads it, with the checkpoint's own labels. */
    DeeBertConfig config() {
        return config;
    }

    /** Whether the checkpoint brings a fine-tuned classifier (then its labels are config.json's). */
    boolean hasClassifier() {
        return tensors.containsKey(TensorNames.FINAL_HEAD.classifier().weight());
    }

    HfTokenizer tokenizer() {
        return tokenizer;
    }

    /** Every tensor to import under its canonical name, as float32. */
    Map<String, HostTensor> tensors() {
        Map<String, HostTensor> values = new LinkedHashMap<>();
        tensors.forEach((canonical, stored) -> values.put(canonical, new HostTensor(stored.entry().shape(),
                SafeTensorsFile.readFloats(stored.file(), stored.entry()))));
        return values;
    }
}
