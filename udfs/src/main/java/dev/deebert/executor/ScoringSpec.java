package dev.deebert.executor;

import dev.deebert.model.Batching;
import dev.deebert.model.DeeBertTokenizer;
import dev.deebert.model.ExitPolicy;
import dev.deebert.model.LongText;
import dev.deebert.model.Precision;
import dev.deebert.model.TokenizedText;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * Everything an executor needs to score a partition, built and validated on the driver and shipped with
 * the task closure.
 *
 * @param modelDir model directory, readable from every executor (local path or shared mount)
 * @param modelSha256 SHA-256 of the model's weights, recorded with every prediction
 * @param numLayers encoder layers N of the model (for histograms and layers_full)
 * @param labels label names by index
 * @param policy exit thresholds
 * @param threshold the single threshold S recorded with predictions (NaN for per-layer policies)
 * @param precision fp32 or bf16
 * @param batching how a window's batches share the layers as rows exit
 * @param batchSize rows per forward pass
 * @param maxSeqLen tokens per row (per chunk), special tokens included
 * @param longText truncation, or chunks of long texts that go through early exit like rows
 * @param passThrough input columns copied unchanged to the predictions (after the fixed columns)
 */
public record ScoringSpec(String runId, String modelDir, String modelSha256, int numLayers, List<String> labels,
                          ExitPolicy policy, double threshold, Precision precision, Batching batching,
                          int batchSize, int maxSeqLen, LongText longText, List<String> passThrough)
        implements Serializable {

    /**
     * The largest {@code --batch-size}: a task reads {@link #windowRows} rows ahead, so a larger batch would
     * have every task hold over a million rows at once, and a window of 16 x 2^27 rows does not even have an
     * int size.
     */
    public static final int MAX_BATCH_SIZE = 1 << 16;

    /** Batches a task reads ahead, tokenizes, sorts by length and runs through one pass of the engine. */
    public static final int WINDOW_BATCHES = 16;

    /** Fails, naming the option, unless {@code batchSize} is a batch size scoring and sweeps can run. */
    public static void checkBatchSize(int batchSize) {
        if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
            throw new IllegalArgumentException("--batch-size must be between 1 and " + MAX_BATCH_SIZE + ", got "
                    + batchSize);
        }
    }

    /** A builder: every field named, longText truncation and passThrough empty unless set. */
    public static Builder builder() {
        return new Builder();
    }

    /** Names the thirteen fields at the call site; {@link #build} checks them all in one place. */
    public static final class Builder {
        private String runId;
        private String modelDir;
        private String modelSha256;
        private int numLayers;
        private List<String> labels;
        private ExitPolicy policy;
        private double threshold;
        private Precision precision;
        private Batching batching;
        private int batchSize;
        private int maxSeqLen;
        private LongText longText = LongText.TRUNCATE;
        private List<String> passThrough = List.of();

        private Builder() {}

        public Builder runId(String runId) {
            this.runId = runId;
            return this;
        }

        public Builder modelDir(String modelDir) {
            this.modelDir = modelDir;
            return this;
        }

        public Builder modelSha256(String modelSha256) {
            this.modelSha256 = modelSha256;
            return this;
        }

        public Builder numLayers(int numLayers) {
            this.numLayers = numLayers;
            return this;
        }

        public Builder labels(List<String> labels) {
            this.labels = labels;
            return this;
        }

        public Builder policy(ExitPolicy policy) {
            this.policy = policy;
            return this;
        }

        public Builder threshold(double threshold) {
            this.threshold = threshold;
            return this;
        }

        public Builder precision(Precision precision) {
            this.precision = precision;
            return this;
        }

        public Builder batching(Batching batching) {
            this.batching = batching;
            return this;
        }

        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        public Builder maxSeqLen(int maxSeqLen) {
            this.maxSeqLen = maxSeqLen;
            return this;
        }

        public Builder longText(LongText longText) {
            this.longText = longText;
            return this;
        }

        public Builder passThrough(List<String> passThrough) {
            this.passThrough = passThrough;
            return this;
        }

        /** The spec; fails on a missing field, no layers or labels, or a batch size scoring cannot run. */
        public ScoringSpec build() {
            Objects.requireNonNull(runId, "runId");
            Objects.requireNonNull(modelDir, "modelDir");
            Objects.requireNonNull(modelSha256, "modelSha256");
            Objects.requireNonNull(labels, "labels");
            Objects.requireNonNull(policy, "policy");
            Objects.requireNonNull(precision, "precision");
            Objects.requireNonNull(batching, "batching");
            Objects.requireNonNull(longText, "longText");
            Objects.requireNonNull(passThrough, "passThrough");
            if (numLayers < 1 || labels.isEmpty()) {
                throw new IllegalArgumentException("a model of " + numLayers + " layers and " + labels.size()
                        + " labels cannot score");
            }
            checkBatchSize(batchSize);
            return new ScoringSpec(runId, modelDir, modelSha256, numLayers, List.copyOf(labels), policy, threshold,
                    precision, batching, batchSize, maxSeqLen, longText, List.copyOf(passThrough));
        }
    }

    /** Texts are cut to this many characters before tokenizing: far beyond what maxSeqLen tokens (in each of
     *  the most chunks scored) can hold, and it keeps a megabyte-long row from costing megabytes of tokenizer
     *  work. */
    public int maxChars() {
        return maxSeqLen * 64 * longText.maxChunks();
    }

    /** Rows read ahead, tokenized and sorted by length before batching: larger windows cut more padding. */
    public int windowRows() {
        return batchSize * WINDOW_BATCHES;
    }

    /**
     * Tokenizes a row's texts the way every pass over the data must (scoring, sweeps, timing): each text cut
     * to {@link #maxChars} first, and a cut row counts as truncated.
     */
    public TokenizedText encode(DeeBertTokenizer tokenizer, String text, String textB) {
        boolean cut = tooLong(text) || tooLong(textB);
        TokenizedText tokens = tokenizer.encode(cut(text), cut(textB));
        return cut ? new TokenizedText(tokens.ids(), tokens.typeIds(), true) : tokens;
    }

    /**
     * Tokenizes a row into the chunks scoring runs through the engine: the one {@link #encode} makes unless
     * {@link #longText} chunks, and then chunks of the text, cut to {@link #maxChars} first (a cut row counts
     * as truncated). Chunks split the first text only, so a row with a second one is refused (the driver
     * refuses such runs before they start).
     */
    public List<TokenizedText> chunks(DeeBertTokenizer tokenizer, String text, String textB) {
        if (!longText.chunked()) {
            return List.of(encode(tokenizer, text, textB));
        }
        if (textB != null) {
            throw new IllegalArgumentException("--long-text chunk scores single texts, but this row has a text_b");
        }
        List<TokenizedText> chunks = tokenizer.chunks(cut(text), longText.chunkOverlap(), longText.maxChunks());
        return tooLong(text) ? chunks.stream().map(c -> new TokenizedText(c.ids(), c.typeIds(), true)).toList()
                : chunks;
    }

    /** Positions of the tokenized rows (nulls skipped), sorted by token count and cut every batchSize rows. */
    public List<int[]> batchesByLength(TokenizedText[] tokens) {
        int[] byLength = IntStream.range(0, tokens.length).filter(i -> tokens[i] != null).boxed()
                .sorted(Comparator.comparingInt(i -> tokens[i].numTokens())).mapToInt(Integer::intValue).toArray();
        List<int[]> batches = new ArrayList<>();
        for (int from = 0; from < byLength.length; from += batchSize) {
            batches.add(Arrays.copyOfRange(byLength, from, Math.min(byLength.length, from + batchSize)));
        }
        return batches;
    }

    private boolean tooLong(String text) {
        return text != null && text.length() > maxChars();
    }

    private String cut(String text) {
        return tooLong(text) ? text.substring(0, maxChars()) : text;
    }
}
