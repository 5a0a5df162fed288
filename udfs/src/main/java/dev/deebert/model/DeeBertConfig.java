package dev.deebert.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * The Hugging Face config.json fields a DeeBERT model needs. Unknown fields (architectures, dtype, ...) are
 * ignored on read so that configs written by transformers load unchanged. Written with num_labels as well as
 * id2label: transformers 2.x (the reference's) reads num_labels, later versions derive it from id2label and
 * accept both when they agree.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DeeBertConfig(
        @JsonProperty("model_type") String modelType,
        @JsonProperty("vocab_size") int vocabSize,
        @JsonProperty("hidden_size") int hiddenSize,
        @JsonProperty("num_hidden_layers") int numHiddenLayers,
        @JsonProperty("num_attention_heads") int numAttentionHeads,
        @JsonProperty("intermediate_size") int intermediateSize,
        @JsonProperty("hidden_act") String hiddenAct,
        @JsonProperty("max_position_embeddings") int maxPositionEmbeddings,
        @JsonProperty("type_vocab_size") int typeVocabSize,
        @JsonProperty("layer_norm_eps") double layerNormEps,
        @JsonProperty("hidden_dropout_prob") double hiddenDropoutProb,
        @JsonProperty("attention_probs_dropout_prob") double attentionProbsDropoutProb,
        @JsonProperty("initializer_range") double initializerRange,
        @JsonProperty("pad_token_id") Integer padTokenId,
        @JsonProperty("num_labels") int numLabels,
        @JsonProperty("id2label") Map<String, String> id2label,
        @JsonProperty("label2id") Map<String, Integer> label2id)
        implements Serializable {

    /** Fields that are each a dimension of some tensor (or, for heads, divide one). */
    private static final List<String> SIZES = List.of("vocab_size", "hidden_size", "num_attention_heads",
            "intermediate_size", "max_position_embeddings", "type_vocab_size", "num_labels");

    private static final ObjectMapper JSON =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public DeeBertConfig {
        if (initializerRange <= 0) {
            initializerRange = 0.02;  // transformers' default, for a config.json that leaves it out
        }
        if (id2label == null || id2label.isEmpty()) {
            id2label = new TreeMap<>();
            for (int i = 0; i < numLabels; i++) {
                id2label.put(Integer.toString(i), "LABEL_" + i);
            }
        }
        if (label2id == null || label2id.isEmpty()) {
            label2id = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : id2label.entrySet()) {
                label2id.put(e.getValue(), Integer.parseInt(e.getKey()));
            }
        }
        if (hiddenAct == null) {
            hiddenAct = "gelu";
        }
    }

    /** A config for a classifier with the given label names, index = position in the list. */
    public DeeBertConfig withLabels(List<String> labels) {
        return toBuilder().labels(labels).build();
    }

    /** A builder with transformers' BertConfig defaults for the fields a model may leave out. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this config's fields, to change some of them. */
    public Builder toBuilder() {
        return builder().modelType(modelType).vocabSize(vocabSize).hiddenSize(hiddenSize)
                .numHiddenLayers(numHiddenLayers).numAttentionHeads(numAttentionHeads)
                .intermediateSize(intermediateSize).hiddenAct(hiddenAct).maxPositionEmbeddings(maxPositionEmbeddings)
                .typeVocabSize(typeVocabSize).layerNormEps(layerNormEps).hiddenDropoutProb(hiddenDropoutProb)
                .attentionProbsDropoutProb(attentionProbsDropoutProb).initializerRange(initializerRange)
                .padTokenId(padTokenId).numLabels(numLabels).id2label(id2label).label2id(label2id);
    }

    /**
     * Names every field of a config built in code (config.json binds through the record's constructor).
     * Hand-written: the record must stay a plain Jackson-bound record, and no builder library is on the classpath.
     */
    public static final class Builder {
        private String modelType;
        private int vocabSize;
        private int hiddenSize;
        private int numHiddenLayers;
        private int numAttentionHeads;
        private int intermediateSize;
        private String hiddenAct = "gelu";
        private int maxPositionEmbeddings;
        private int typeVocabSize;
        private double layerNormEps = 1e-12;
        private double hiddenDropoutProb = 0.1;
        private double attentionProbsDropoutProb = 0.1;
        private double initializerRange = 0.02;
        private Integer padTokenId;
        private int numLabels = 2;
        private Map<String, String> id2label;
        private Map<String, Integer> label2id;

        private Builder() {}

        public Builder modelType(String modelType) {
            this.modelType = modelType;
            return this;
        }

        public Builder vocabSize(int vocabSize) {
            this.vocabSize = vocabSize;
            return this;
        }

        public Builder hiddenSize(int hiddenSize) {
            this.hiddenSize = hiddenSize;
            return this;
        }

        public Builder numHiddenLayers(int numHiddenLayers) {
            this.numHiddenLayers = numHiddenLayers;
            return this;
        }

        public Builder numAttentionHeads(int numAttentionHeads) {
            this.numAttentionHeads = numAttentionHeads;
            return this;
        }

        public Builder intermediateSize(int intermediateSize) {
            this.intermediateSize = intermediateSize;
            return this;
        }

        public Builder hiddenAct(String hiddenAct) {
            this.hiddenAct = hiddenAct;
            return this;
        }

        public Builder maxPositionEmbeddings(int maxPositionEmbeddings) {
            this.maxPositionEmbeddings = maxPositionEmbeddings;
            return this;
        }

        public Builder typeVocabSize(int typeVocabSize) {
            this.typeVocabSize = typeVocabSize;
            return this;
        }

        public Builder layerNormEps(double layerNormEps) {
            this.layerNormEps = layerNormEps;
            return this;
        }

        public Builder hiddenDropoutProb(double hiddenDropoutProb) {
            this.hiddenDropoutProb = hiddenDropoutProb;
            return this;
        }

        public Builder attentionProbsDropoutProb(double attentionProbsDropoutProb) {
            this.attentionProbsDropoutProb = attentionProbsDropoutProb;
            return this;
        }

        public Builder initializerRange(double initializerRange) {
            this.initializerRange = initializerRange;
            return this;
        }

        /** Null leaves it to {@link #padId}: 1 for RoBERTa, else 0. */
        public Builder padTokenId(Integer padTokenId) {
            this.padTokenId = padTokenId;
            return this;
        }

        /** Labels LABEL_0 .. LABEL_{n-1} unless {@link #id2label} names them. */
        public Builder numLabels(int numLabels) {
            this.numLabels = numLabels;
            return this;
        }

        public Builder id2label(Map<String, String> id2label) {
            this.id2label = id2label;
            return this;
        }

        public Builder label2id(Map<String, Integer> label2id) {
            this.label2id = label2id;
            return this;
        }

        /** A classifier over {@code labels}, index = position in the list (sets num_labels, id2label, label2id). */
        public Builder labels(List<String> labels) {
            Map<String, String> names = new TreeMap<>();
            Map<String, Integer> ids = new LinkedHashMap<>();
            for (int i = 0; i < labels.size(); i++) {
                names.put(Integer.toString(i), labels.get(i));
                ids.put(labels.get(i), i);
            }
            return numLabels(labels.size()).id2label(names).label2id(ids);
        }

        /** The config, checked as config.json is ({@link #validate}). */
        public DeeBertConfig build() {
            return new DeeBertConfig(modelType, vocabSize, hiddenSize, numHiddenLayers, numAttentionHeads,
                    intermediateSize, hiddenAct, maxPositionEmbeddings, typeVocabSize, layerNormEps,
                    hiddenDropoutProb, attentionProbsDropoutProb, initializerRange, padTokenId, numLabels,
                    id2label, label2id).validate();
        }
    }

    @JsonIgnore
    public ModelType type() {
        return ModelType.parse(modelType);
    }

    @JsonIgnore
    public int headSize() {
        return hiddenSize / numAttentionHeads;
    }

    /** Token id that marks padding: RoBERTa's position ids are counted from it. */
    @JsonIgnore
    public int padId() {
        return padTokenId != null ? padTokenId : (type() == ModelType.ROBERTA ? 1 : 0);
    }

    /** The label names in index order: the inverse of {@link #withLabels}. */
    @JsonIgnore
    public List<String> labelNames() {
        return IntStream.range(0, numLabels).mapToObj(this::labelName).toList();
    }

    public String labelName(int index) {
        String name = id2label.get(Integer.toString(index));
        return name != null ? name : "LABEL_" + index;
    }

    /** Checks the fields are self-consistent; throws one message naming every problem found. */
    public DeeBertConfig validate() {
        StringBuilder problems = new StringBuilder();
        type();
        requirePositive(problems, "vocab_size", vocabSize);
        requirePositive(problems, "hidden_size", hiddenSize);
        requirePositive(problems, "num_hidden_layers", numHiddenLayers);
        requirePositive(problems, "num_attention_heads", numAttentionHeads);
        requirePositive(problems, "intermediate_size", intermediateSize);
        requirePositive(problems, "max_position_embeddings", maxPositionEmbeddings);
        requirePositive(problems, "type_vocab_size", typeVocabSize);
        if (numAttentionHeads > 0 && hiddenSize % numAttentionHeads != 0) {
            problems.append("hidden_size ").append(hiddenSize)
                    .append(" is not a multiple of num_attention_heads ").append(numAttentionHeads).append("; ");
        }
        if (!(layerNormEps > 0) || !Double.isFinite(layerNormEps)) {
            problems.append("layer_norm_eps must be a positive number; ");
        }
        if (numLabels < 2) {
            problems.append("num_labels must be at least 2, got ").append(numLabels).append("; ");
        }
        if (id2label.size() != numLabels) {
            problems.append("id2label has ").append(id2label.size()).append(" entries but num_labels is ")
                    .append(numLabels).append("; ");
        }
        for (int i = 0; i < numLabels; i++) {
            if (!id2label.containsKey(Integer.toString(i))) {
                problems.append("id2label lacks index ").append(i).append("; ");
            }
        }
        if (!"gelu".equals(hiddenAct)) {
            problems.append("hidden_act '").append(hiddenAct).append("' is not supported (only gelu); ");
        }
        if (problems.length() > 0) {
            throw new ModelFormatException("config.json: " + problems.substring(0, problems.length() - 2));
        }
        return this;
    }

    private static void requirePositive(StringBuilder problems, String field, int value) {
        if (value <= 0) {
            problems.append(field).append(" must be positive, got ").append(value).append("; ");
        }
    }

    /** Reads config.json for weights whose safetensors header entries are {@code tensors} (see {@link #fromJson}). */
    public static DeeBertConfig read(Path file, Collection<SafeTensorsFile.Entry> tensors) {
        JsonNode json;
        try {
            json = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelFormatException(file + ": not a readable config.json: " + e.getMessage(), e);
        }
        return fromJson(json, tensors);
    }

    /**
     * A parsed config.json. transformers 4 and 5 write no num_labels: it is the size of id2label, and 2 when
     * id2label is absent too (transformers' default, which save_pretrained leaves out).
     *
     * <p>Every size must fit the weights it describes ({@code tensors}, their safetensors header entries), and
     * is checked before anything is allocated by it: a config claiming 2^31 labels or 2e8 layers would
     * otherwise exhaust the heap before the weights are looked at.
     */
    public static DeeBertConfig fromJson(JsonNode json, Collection<SafeTensorsFile.Entry> tensors) {
        if (!json.isObject()) {
            throw new ModelFormatException("config.json: not a JSON object");
        }
        long largestTensor = tensors.stream().mapToLong(SafeTensorsFile.Entry::elements).max().orElse(0);
        List<String> oversized = new ArrayList<>();
        for (String size : SIZES) {
            if (json.path(size).canConvertToLong() && json.path(size).asLong() > largestTensor) {
                oversized.add(size + " " + json.path(size).asLong());
            }
        }
        if (json.path("num_hidden_layers").asLong() > tensors.size()) {
            oversized.add("num_hidden_layers " + json.path("num_hidden_layers").asLong());
        }
        if (!oversized.isEmpty()) {
            throw new ModelFormatException("config.json: " + String.join(", ", oversized) + " cannot describe "
                    + "weights of " + tensors.size() + " tensors holding at most " + largestTensor + " values each");
        }
        // transformers trains these heads with sigmoids or a regression loss; a DeeBERT exit is a softmax over
        // labels, so such a model would load and score every row with wrong labels
        JsonNode problemType = json.path("problem_type");
        if (problemType.isTextual() && !problemType.asText().equals("single_label_classification")) {
            throw new ModelFormatException("config.json: problem_type '" + problemType.asText() + "' is not"
                    + " supported: DeeBERT gives each row one label (a softmax over the labels at every exit), as"
                    + " single_label_classification does");
        }
        ObjectNode fields = ((ObjectNode) json).deepCopy();
        if (!fields.hasNonNull("num_labels")) {
            JsonNode id2label = fields.path("id2label");
            fields.put("num_labels", id2label.isObject() && !id2label.isEmpty() ? id2label.size() : 2);
        }
        try {
            return JSON.treeToValue(fields, DeeBertConfig.class).validate();
        } catch (JsonProcessingException e) {
            throw new ModelFormatException("config.json: " + e.getOriginalMessage(), e);
        }
    }

    public void write(Path file) throws IOException {
        Files.writeString(file, JSON.writeValueAsString(this));
    }
}
