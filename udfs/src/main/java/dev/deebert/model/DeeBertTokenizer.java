package dev.deebert.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/** Hugging Face tokenization of one text (or a pair), special tokens added, cut to a maximum length. */
public final class DeeBertTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    private final int maxSeqLen;

    private DeeBertTokenizer(HuggingFaceTokenizer tokenizer, int maxSeqLen) {
        this.tokenizer = tokenizer;
        this.maxSeqLen = maxSeqLen;
    }

    public static DeeBertTokenizer load(Path tokenizerJson, int maxSeqLen) {
        if (maxSeqLen < 2) {
            throw new IllegalArgumentException("max sequence length must be at least 2, got " + maxSeqLen);
        }
        try {
            return new DeeBertTokenizer(HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of(
                    "addSpecialTokens", "true",
                    "truncation", "longest_first",
                    "padding", "false",
                    "maxLength", Integer.toString(maxSeqLen),
                    "modelMaxLength", Integer.toString(maxSeqLen))), maxSeqLen);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            throw new ModelFormatException(tokenizerJson + ": not a usable tokenizer.json: " + e.getMessage(), e);
        }
    }

    public int maxSeqLen() {
        return maxSeqLen;
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
    }
}
