package dev.deebert.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How a model is meant to be run, kept as {@code serving.json} in its model directory: the tokens per row it
 * was trained at ({@code train}), or a default that fits its positions (any other writer, e.g. {@code import}).
 * Commands that run a model take their default length from here, so that a model trained at 64 tokens is not
 * scored, swept or benchmarked at 128.
 *
 * @param format {@link #FORMAT}
 * @param maxSeqLen tokens per row, special tokens included
 * @param origin {@link #TRAINED} or {@link #DEFAULT}; {@link #UNRECORDED} for a directory that records none
 */
public record ServingContract(@JsonProperty("format") String format, @JsonProperty("max_seq_len") int maxSeqLen,
                              @JsonProperty("origin") String origin) {
    public static final String FILE = "serving.json";
    public static final String FORMAT = "deebert-serving/1";
    public static final String TRAINED = "trained";
    public static final String DEFAULT = "default";
    public static final String UNRECORDED = "unrecorded";
    /** The reference's fine-tuning length. */
    static final int DEFAULT_MAX_SEQ_LEN = 128;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public static ServingContract trained(int maxSeqLen) {
        return new ServingContract(FORMAT, maxSeqLen, TRAINED);
    }

    /** 128 tokens, fewer when the model's position table ends sooner (RoBERTa reserves padding_idx + 1). */
    public static ServingContract defaultFor(DeeBertConfig config) {
        return new ServingContract(FORMAT, Math.min(DEFAULT_MAX_SEQ_LEN, BatchInputs.maxTokens(config)), DEFAULT);
    }

    /** Whether the model directory says how to run it, rather than getting {@link #defaultFor}'s length. */
    public boolean recorded() {
        return !UNRECORDED.equals(origin);
    }

    /**
     * The contract of the model directory {@code dir}. Directories written before serving.json existed get
     * the length their training_report.json says they were trained at, else {@link #defaultFor}'s length,
     * unrecorded.
     */
    static ServingContract read(Path dir, DeeBertConfig config) {
        ServingContract contract = recorded(dir);
        if (contract == null) {
            return new ServingContract(FORMAT, defaultFor(config).maxSeqLen(), UNRECORDED);
        }
        int limit = BatchInputs.maxTokens(config);
        if (contract.maxSeqLen() < 2 || contract.maxSeqLen() > limit) {
            throw new ModelFormatException(dir + ": serving max_seq_len " + contract.maxSeqLen()
                    + " is outside 2.." + limit + " (the special tokens .. the model's positions)");
        }
        return contract;
    }

    private static ServingContract recorded(Path dir) {
        Path file = dir.resolve(FILE);
        Path report = dir.resolve(ModelDirectory.TRAINING_REPORT);
        try {
            if (Files.isRegularFile(file)) {
                ServingContract contract = JSON.readValue(file.toFile(), ServingContract.class);
                if (!FORMAT.equals(contract.format())) {
                    throw new ModelFormatException(file + ": format '" + contract.format() + "', expected " + FORMAT);
                }
                return contract;
            }
            return Files.isRegularFile(report)
                    ? trained(JSON.readTree(report.toFile()).path("max_seq_len").asInt()) : null;
        } catch (IOException e) {
            throw new ModelFormatException(dir + ": unreadable " + FILE + " or " + ModelDirectory.TRAINING_REPORT + ": "
                    + e.getMessage(), e);
        }
    }

    void write(Path dir) throws IOException {
        JSON.writeValue(dir.resolve(FILE).toFile(), this);
    }
}
