package dev.deebert.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;

/**
 * A batch of tokenized rows as padded tensors. Padding goes at the end of each row, so positions of real
 * tokens never depend on the batch: BERT counts from 0, RoBERTa from padding_idx + 1.
 *
 * @param ids [B, L] int64, pad id beyond each row's length
 * @param typeIds [B, L] int64
 * @param positions [B, L] int64
 * @param lengths [B]: tokens per row, for the attention mask ({@link #maskBias}) and to cut the batch to its
 *     longest row once rows leave
 */
public record BatchInputs(NDArray ids, NDArray typeIds, NDArray positions, int[] lengths) {
    static final float MASKED = -1e9f;

    /**
     * Tokens a forward pass holds unless told otherwise, as rows x tokens per row: 32 rows of 128 tokens. What
     * runs fast is a GEMM this tall, not a number of rows: at 32 and 64 tokens, 32 rows left bf16's GEMMs short
     * (oneDNN's GEMM on this layer's shapes: ~620 GFLOP/s at 1024 rows, ~680 at 2048 and 4096 on the Zen 5 VM),
     * while 8192 token rows fell off a cliff (bf16 at 64 tokens: 0.6x the speed of 4096).
     */
    public static final int BATCH_TOKENS = 32 * 128;

    /** Rows per forward pass unless told otherwise: {@link #BATCH_TOKENS} of rows of {@code maxSeqLen} tokens. */
    public static int defaultBatchSize(int maxSeqLen) {
        return Math.max(1, BATCH_TOKENS / maxSeqLen);
    }

    /** Public for training, which batches rows the same way as inference. */
    public static BatchInputs of(NDManager manager, List<TokenizedText> rows, DeeBertConfig config) {
        int width = rows.stream().mapToInt(TokenizedText::numTokens).max().orElse(0);
        int batch = rows.size();
        long[] ids = new long[batch * width];
        long[] types = new long[batch * width];
        long[] positions = new long[batch * width];
        boolean roberta = config.type() == ModelType.ROBERTA;
        long pad = config.padId();
        for (int r = 0; r < batch; r++) {
            TokenizedText row = rows.get(r);
            for (int t = 0; t < width; t++) {
                int at = r * width + t;
                boolean real = t < row.numTokens();
                ids[at] = real ? checkedId(row.ids()[t], config) : pad;
                types[at] = real && config.typeVocabSize() > 1 ? checkedTypeId(row.typeIds()[t], config) : 0;
                positions[at] = roberta ? (real ? pad + 1 + t : pad) : t;
            }
        }
        Shape shape = new Shape(batch, width);
        return new BatchInputs(manager.create(ids, shape), manager.create(types, shape),
                manager.create(positions, shape), rows.stream().mapToInt(TokenizedText::numTokens).toArray());
    }

    /**
     * The attention mask of rows of {@code lengths} tokens padded to {@code width}: [B, 1, 1, L] float32, 0 for
     * tokens and -1e9 for padding, added to the attention scores.
     */
    static NDArray maskBias(NDManager manager, int[] lengths, int width) {
        float[] mask = new float[lengths.length * width];
        for (int r = 0; r < lengths.length; r++) {
            Arrays.fill(mask, r * width + lengths[r], (r + 1) * width, MASKED);
        }
        return manager.create(mask, new Shape(lengths.length, 1, 1, width));
    }

    private static long checkedId(long id, DeeBertConfig config) {
        if (id < 0 || id >= config.vocabSize()) {
            throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + config.vocabSize());
        }
        return id;
    }

    private static long checkedTypeId(long id, DeeBertConfig config) {
        if (id < 0 || id >= config.typeVocabSize()) {
            throw new IllegalArgumentException("token type id " + id + " outside the " + config.typeVocabSize()
                    + " token types");
        }
        return id;
    }

    /** Longest position a row may reach for this config; RoBERTa reserves padding_idx + 1 slots. */
    static int maxTokens(DeeBertConfig config) {
        return config.type() == ModelType.ROBERTA
                ? config.maxPositionEmbeddings() - config.padId() - 1
                : config.maxPositionEmbeddings();
    }
}
