package dev.deebert.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hugging Face tokenization of one text (or a pair), special tokens added, cut to a maximum length; or of one
 * text into chunks of that length.
 */
public final class DeeBertTokenizer implements AutoCloseable {
    private final Path tokenizerJson;
    private final HuggingFaceTokenizer tokenizer;
    private final int maxSeqLen;
    /**
     * The stride is a setting of a Hugging Face tokenizer, not of a call, so each overlap has a tokenizer of its
     * own, built on first use (a run uses one).
     */
    private final Map<Integer, HuggingFaceTokenizer> chunkersByOverlap = new ConcurrentHashMap<>();

    private DeeBertTokenizer(Path tokenizerJson, HuggingFaceTokenizer tokenizer, int maxSeqLen) {
        this.tokenizerJson = tokenizerJson;
        this.tokenizer = tokenizer;
        this.maxSeqLen = maxSeqLen;
    }

    public static DeeBertTokenizer load(Path tokenizerJson, int maxSeqLen) {
        if (maxSeqLen < 2) {
            throw new IllegalArgumentException("max sequence length must be at least 2, got " + maxSeqLen);
        }
        return new DeeBertTokenizer(tokenizerJson, open(tokenizerJson, maxSeqLen, Map.of()), maxSeqLen);
    }

    private static HuggingFaceTokenizer open(Path tokenizerJson, int maxSeqLen, Map<String, String> more) {
        Map<String, String> options = new HashMap<>(Map.of(
                "addSpecialTokens", "true",
                "truncation", "longest_first",
                "padding", "false",
                "maxLength", Integer.toString(maxSeqLen),
                "modelMaxLength", Integer.toString(maxSeqLen)));
        options.putAll(more);
        try {
            return HuggingFaceTokenizer.newInstance(tokenizerJson, options);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            throw new ModelFormatException(tokenizerJson + ": not a usable tokenizer.json: " + e.getMessage(), e);
        }
    }

    public int maxSeqLen() {
        return maxSeqLen;
    }

    /** Tokens the model's template adds to a single text ([CLS] and [SEP] for BERT, <s> and </s> for RoBERTa). */
    public int specialTokens() {
        return tokenizer.encode("").getIds().length;
    }

    /**
     * Tokenizes {@code text} into chunks of at most {@link #maxSeqLen} tokens, each with the template's special
     * tokens, consecutive chunks sharing {@code overlap} tokens: the tokenizer's own overflow with that stride.
     * At most {@code maxChunks}, in text order; when the text needs more, each is marked truncated.
     */
    public List<TokenizedText> chunks(String text, int overlap, int maxChunks) {
        if (text == null) {
            throw new IllegalArgumentException("text is null");
        }
        HuggingFaceTokenizer chunker = chunkersByOverlap.computeIfAbsent(overlap, stride -> open(tokenizerJson,
                maxSeqLen, Map.of("stride", Integer.toString(stride), "withOverflowingTokens", "true")));
        Encoding first = chunker.encode(wellFormed(text), true, true);
        List<Encoding> all = new ArrayList<>(List.of(first));
        all.addAll(List.of(first.getOverflowing()));
        boolean truncated = all.size() > maxChunks;
        return all.stream().limit(maxChunks)
                .map(chunk -> new TokenizedText(chunk.getIds(), chunk.getTypeIds(), truncated)).toList();
    }

    /** Tokenizes {@code text}, paired with {@code textB} when it is not null. */
    public TokenizedText encode(String text, String textB) {
        if (text == null) {
            throw new IllegalArgumentException("text is null");
        }
        Encoding encoding = textB == null ? tokenizer.encode(wellFormed(text))
                : tokenizer.encode(wellFormed(text), wellFormed(textB));
        return new TokenizedText(encoding.getIds(), encoding.getTypeIds(), encoding.exceedMaxLength());
    }

    /**
     * Replaces unpaired UTF-16 surrogates with U+FFFD: they have no UTF-8 form, and the native tokenizer
     * must only ever see valid Unicode.
     */
    static String wellFormed(String text) {
        StringBuilder fixed = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1));
            if (paired) {
                if (fixed != null) {
                    fixed.append(c).append(text.charAt(i + 1));
                }
                i++;
            } else if (Character.isSurrogate(c)) {
                if (fixed == null) {
                    fixed = new StringBuilder(text.length()).append(text, 0, i);
                }
                fixed.append('\uFFFD');
            } else if (fixed != null) {
                fixed.append(c);
            }
        }
        return fixed == null ? text : fixed.toString();
    }

    @Override
    public void close() {
        tokenizer.close();
        chunkersByOverlap.values().forEach(HuggingFaceTokenizer::close);
    }
}
