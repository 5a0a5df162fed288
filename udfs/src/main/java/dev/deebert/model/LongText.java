package dev.deebert.model;

import java.io.Serializable;
import java.util.Locale;
import java.util.Objects;

/**
 * What scoring does with a text longer than the maximum sequence length: cut it ({@link #TRUNCATE}, one chunk
 * per row), or split it into overlapping chunks, each a full sequence with its own special tokens, that all go
 * through early exit and whose probabilities make the row's prediction ({@link #chunk}).
 *
 * @param chunkOverlap tokens that consecutive chunks share (the Hugging Face tokenizer's stride)
 * @param maxChunks the most chunks scored per row; a text that needs more is scored on its first
 *     {@code maxChunks} and marked truncated
 * @param aggregate how the chunks' probabilities make the row's
 */
public record LongText(Mode mode, int chunkOverlap, int maxChunks, ChunkAggregate aggregate) implements Serializable {
    public enum Mode {
        TRUNCATE,
        CHUNK;

        /** The command-line name. */
        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** {@code --max-chunks} unless given. */
    public static final int DEFAULT_MAX_CHUNKS = 16;

    public static final LongText TRUNCATE = new LongText(Mode.TRUNCATE, 0, 1, ChunkAggregate.MEAN);

    public LongText {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(aggregate, "aggregate");
        if (chunkOverlap < 0) {
            throw new IllegalArgumentException("--chunk-overlap must be >= 0, got " + chunkOverlap);
        }
        if (maxChunks < 1) {
            throw new IllegalArgumentException("--max-chunks must be >= 1, got " + maxChunks);
        }
    }

    public static LongText chunk(int chunkOverlap, int maxChunks, ChunkAggregate aggregate) {
        return new LongText(Mode.CHUNK, chunkOverlap, maxChunks, aggregate);
    }

    public boolean chunked() {
        return mode == Mode.CHUNK;
    }

    /**
     * Fails unless each chunk that {@code model}'s tokenizer cuts at {@code maxSeqLen} tokens brings tokens the
     * one before did not have: the overlap must stay below what a chunk holds besides its special tokens.
     */
    public void checkFits(ModelDirectory model, int maxSeqLen) {
        if (!chunked()) {
            return;
        }
        try (DeeBertTokenizer tokenizer = model.tokenizer(maxSeqLen)) {
            int special = tokenizer.specialTokens();
            if (chunkOverlap >= maxSeqLen - special) {
                throw new IllegalArgumentException("--chunk-overlap must be less than the " + (maxSeqLen - special)
                        + " text tokens a chunk holds (--max-seq-len " + maxSeqLen + " less " + special
                        + " special tokens), got " + chunkOverlap);
            }
        }
    }
}
