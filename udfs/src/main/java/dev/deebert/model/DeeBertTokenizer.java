package dev.deebert.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.StreamSupport;

/**
 * Hugging Face tokenization of one text (or a pair), special tokens added, cut to a maximum length; or of one
 * text into chunks of that length.
 */
public final class DeeBertTokenizer implements AutoCloseable {
    /**
     * A single text longer than this many characters per token is first tokenized from its head (see
     * {@link #encodeHead}). Mails run about 4 characters a token in BGE-small's WordPiece; at 8 none of the
     * SpamAssassin dev and test mails needed tokenizing twice at 32, 64 or 128 tokens.
     */
    static final int HEAD_CHARS_PER_TOKEN = 8;
    /** Pre-tokenizers that split at every space, whatever else they do. */
    private static final Set<String> SPACE_SPLITTERS = Set.of("BertPreTokenizer", "Whitespace", "WhitespaceSplit",
            "ByteLevel", "Metaspace");
    /** Normalizers that map characters one by one, or a few adjacent ones that are never spaces. */
    private static final Set<String> LOCAL_NORMALIZERS = Set.of("BertNormalizer", "Lowercase", "NFC", "NFD",
            "NFKC", "NFKD", "Nmt", "StripAccents", "Strip", "Prepend", "Precompiled");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path tokenizerJson;
    private final HuggingFaceTokenizer tokenizer;
    private final int maxSeqLen;
    /** See {@link #wordsEndAtSpaces(JsonNode)}. */
    private final boolean wordsEndAtSpaces;
    /**
     * The stride is a setting of a Hugging Face tokenizer, not of a call, so each overlap has a tokenizer of its
     * own, built on first use (a run uses one).
     */
    private final Map<Integer, HuggingFaceTokenizer> chunkersByOverlap = new ConcurrentHashMap<>();

    private DeeBertTokenizer(Path tokenizerJson, HuggingFaceTokenizer tokenizer, int maxSeqLen,
                             boolean wordsEndAtSpaces) {
        this.tokenizerJson = tokenizerJson;
        this.tokenizer = tokenizer;
        this.maxSeqLen = maxSeqLen;
        this.wordsEndAtSpaces = wordsEndAtSpaces;
    }

    public static DeeBertTokenizer load(Path tokenizerJson, int maxSeqLen) {
        if (maxSeqLen < 2) {
            throw new IllegalArgumentException("max sequence length must be at least 2, got " + maxSeqLen);
        }
        HuggingFaceTokenizer tokenizer = open(tokenizerJson, maxSeqLen, Map.of());
        try {
            return new DeeBertTokenizer(tokenizerJson, tokenizer, maxSeqLen,
                    wordsEndAtSpaces(JSON.readTree(tokenizerJson.toFile())));
        } catch (IOException e) {
            tokenizer.close();
            throw new UncheckedIOException(e);
        }
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
        Encoding encoding = textB != null ? tokenizer.encode(wellFormed(text), wellFormed(textB)) : encodeHead(text);
        if (encoding == null) {
            encoding = tokenizer.encode(wellFormed(text));
        }
        return new TokenizedText(encoding.getIds(), encoding.getTypeIds(), encoding.exceedMaxLength());
    }

    /**
     * The encoding of a long text's head, the words before the space run nearest {@link #HEAD_CHARS_PER_TOKEN}
     * x maxSeqLen characters, when they alone overflow maxSeqLen tokens; else null. Those words get the tokens
     * they get in the whole text, so the kept tokens are the same, and a mail costs a few hundred characters of
     * tokenizer work instead of thousands: 0.15-0.29 against 0.54-0.71 ms a row at 32-64 tokens.
     */
    private Encoding encodeHead(String text) {
        int end = HEAD_CHARS_PER_TOKEN * maxSeqLen;
        if (!wordsEndAtSpaces || text.length() <= end) {
            return null;
        }
        while (end > 0 && !(text.charAt(end) == ' ' && !Character.isWhitespace(text.charAt(end - 1)))) {
            end--;
        }
        if (end == 0) {
            return null;
        }
        Encoding head = tokenizer.encode(wellFormed(text.substring(0, end)));
        return head.exceedMaxLength() ? head : null;
    }

    /**
     * Whether, in {@code tokenizerJson}, a word that a space follows gets the same tokens whatever comes after
     * the space: the pre-tokenizer splits at spaces (tokens never span one), and neither the normalizer nor an
     * added token reads across one. Then the head of a text that ends where a space run starts is tokenized as
     * in the whole text. Any other tokenizer is read whole.
     */
    static boolean wordsEndAtSpaces(JsonNode tokenizerJson) {
        return splitsAtSpaces(tokenizerJson.path("pre_tokenizer"))
                && normalizesLocally(tokenizerJson.path("normalizer"))
                && StreamSupport.stream(tokenizerJson.path("added_tokens").spliterator(), false)
                        .noneMatch(token -> token.path("content").asText().contains(" "));
    }

    private static boolean splitsAtSpaces(JsonNode preTokenizer) {
        String type = preTokenizer.path("type").asText();
        if (type.equals("Sequence")) {
            return StreamSupport.stream(preTokenizer.path("pretokenizers").spliterator(), false)
                    .anyMatch(DeeBertTokenizer::splitsAtSpaces);
        }
        return SPACE_SPLITTERS.contains(type) && preTokenizer.path("use_regex").asBoolean(true)
                && preTokenizer.path("split").asBoolean(true);
    }

    private static boolean normalizesLocally(JsonNode normalizer) {
        String type = normalizer.path("type").asText();
        return switch (type) {
            case "" -> normalizer.isMissingNode() || normalizer.isNull();
            case "Sequence" -> StreamSupport.stream(normalizer.path("normalizers").spliterator(), false)
                    .allMatch(DeeBertTokenizer::normalizesLocally);
            // SentencePiece's collapse of space runs (XLM-R's " {2,}"), or a replacement with no space in it
            case "Replace" -> normalizer.path("pattern").path("Regex").asText().matches(" (\\{\\d+,\\d*}|\\+)")
                    || normalizer.path("pattern").has("String")
                    && !normalizer.path("pattern").path("String").asText().contains(" ");
            default -> LOCAL_NORMALIZERS.contains(type);
        };
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
