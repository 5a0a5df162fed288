package dev.deebert.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.deebert.tests.Fixtures;
import dev.deebert.tests.RandomTexts;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A long text is tokenized from its head when the head alone fills the sequence; the tokens must be those the
 * Hugging Face tokenizer gives the whole text, for every tokenizer family the engine loads.
 */
class DeeBertTokenizerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int[] LENGTHS = {8, 32, 64};

    @TempDir
    static Path dir;

    /**
     * The real tokenizers: the two known backbones' (from their Maven jars), the golden BERT's (WordPiece) and
     * RoBERTa's (byte-level BPE), and a SentencePiece Unigram one of XLM-R's kind (Metaspace), each as its
     * library wrote it.
     */
    static Path tokenizer(String name) throws IOException {
        if (name.startsWith("golden-")) {
            return Fixtures.golden(name.substring("golden-".length())).resolve(ModelDirectory.TOKENIZER);
        }
        if (name.equals("unigram")) {
            return Fixtures.tokenizer(name);
        }
        Path file = dir.resolve(name);
        try (InputStream in = DeeBertTokenizerTest.class.getResourceAsStream("/" + name)) {
            Files.copy(in, file);
        }
        return file;
    }

    @ParameterizedTest
    @ValueSource(strings = {"bge-small-en-v1.5-tokenizer.json", "all-minilm-l6-v2-tokenizer.json", "golden-bert",
            "golden-roberta", "unigram"})
    void aLongTextGetsTheTokensOfTheWholeText(String name) throws IOException {
        Path json = tokenizer(name);
        assertTrue(DeeBertTokenizer.wordsEndAtSpaces(JSON.readTree(json.toFile())), name);
        List<String> texts = texts();
        for (int length : LENGTHS) {
            int headChars = DeeBertTokenizer.HEAD_CHARS_PER_TOKEN * length;
            int fromTheHead = 0;
            try (DeeBertTokenizer tokenizer = DeeBertTokenizer.load(json, length);
                 HuggingFaceTokenizer library = HuggingFaceTokenizer.newInstance(json, Map.of(
                         "addSpecialTokens", "true", "truncation", "longest_first", "padding", "false",
                         "maxLength", Integer.toString(length), "modelMaxLength", Integer.toString(length)))) {
                for (String text : texts) {
                    String what = name + " at " + length + " tokens: " + text.substring(0, Math.min(80, text.length()));
                    Encoding whole = library.encode(DeeBertTokenizer.wellFormed(text));
                    TokenizedText tokens = tokenizer.encode(text, null);
                    assertArrayEquals(whole.getIds(), tokens.ids(), what);
                    assertArrayEquals(whole.getTypeIds(), tokens.typeIds(), what);
                    assertEquals(whole.exceedMaxLength(), tokens.truncated(), what);
                    if (text.length() > headChars
                            && library.encode(DeeBertTokenizer.wellFormed(text.substring(0, headChars)))
                                    .exceedMaxLength()) {
                        fromTheHead++;
                    }
                }
            }
            // the texts must reach the head path, or the assertions above prove nothing about it
            assertTrue(fromTheHead >= texts.size() / 4, name + " at " + length + ": " + fromTheHead + " of "
                    + texts.size() + " texts have a head that fills the sequence");
        }
    }

    /**
     * The raw mails of the converter's fixtures (headers, base64, HTML, KOI8-R read as Latin-1), and seeded
     * texts of words mixed with what tokenizers treat apart: runs of spaces, tabs and newlines, punctuation,
     * CJK (no spaces), accents as combining marks, emoji and unpaired surrogates, words of hundreds of letters
     * (WordPiece's [UNK]) and special tokens written out.
     */
    private static List<String> texts() throws IOException {
        List<String> texts = new ArrayList<>();
        try (Stream<Path> mails = Files.walk(Fixtures.corpus())) {
            for (Path mail : mails.filter(Files::isRegularFile).sorted().toList()) {
                texts.add(Files.readString(mail, StandardCharsets.ISO_8859_1));
            }
        }
        String[] pieces = {" ", "  ", "\t", "\n", " \n\n ", ".", ", ", "!?", "(", ")", "'s", "-", "$4.99", "12345",
            "东京大学的学生", "café", "cafe\u0301", "naïve", "\uD83D\uDE00", "\uD83D", "\uDE00 ", "[MASK]", "<mask>",
            "https://example.com/a?b=c", "\u00A0", "\u3000", "ÄÖÜ", "ß"};
        Random random = new Random(7);
        for (int t = 0; t < 60; t++) {
            StringBuilder text = new StringBuilder();
            int chars = 100 + random.nextInt(1500);
            while (text.length() < chars) {
                int pick = random.nextInt(10);
                if (pick < 5) {
                    text.append(RandomTexts.WORDS.get(random.nextInt(RandomTexts.WORDS.size()))).append(' ');
                } else if (pick < 9) {
                    text.append(pieces[random.nextInt(pieces.length)]);
                } else {
                    text.append("x".repeat(1 + random.nextInt(300)));
                }
            }
            texts.add(text.toString());
        }
        return texts;
    }

    /** Tokenizer.json files that the head must not be trusted with: each is read whole. */
    @Test
    void tokenizersWhoseTokensMayReachAcrossASpaceAreReadWhole() throws IOException {
        JsonNode bert = JSON.readTree(tokenizer("golden-bert").toFile());
        JsonNode roberta = JSON.readTree(tokenizer("golden-roberta").toFile());

        assertFalse(wordsEndAtSpaces(roberta, "pre_tokenizer", "{\"type\": \"ByteLevel\", \"use_regex\": false}"));
        assertFalse(wordsEndAtSpaces(bert, "pre_tokenizer", "{\"type\": \"Metaspace\", \"split\": false}"));
        assertFalse(wordsEndAtSpaces(bert, "pre_tokenizer", "null"));
        assertFalse(wordsEndAtSpaces(bert, "pre_tokenizer", "{\"type\": \"Split\", \"pattern\": {\"String\": \" \"},"
                + " \"behavior\": \"Removed\", \"invert\": false}"));
        assertFalse(wordsEndAtSpaces(bert, "pre_tokenizer",
                "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Digits\", \"individual_digits\": true}]}"));
        assertFalse(wordsEndAtSpaces(bert, "normalizer",
                "{\"type\": \"Replace\", \"pattern\": {\"String\": \"new york\"}, \"content\": \"NY\"}"));
        assertFalse(wordsEndAtSpaces(bert, "normalizer",
                "{\"type\": \"Replace\", \"pattern\": {\"Regex\": \"\\\\s+x\"}, \"content\": \"x\"}"));
        ObjectNode spacedToken = bert.deepCopy();
        ((ObjectNode) spacedToken.withArray("added_tokens").get(0)).put("content", "new york");
        assertFalse(DeeBertTokenizer.wordsEndAtSpaces(spacedToken));

        // what XLM-R's tokenizer.json has, and a pre-tokenizer sequence that splits at spaces in one of its steps
        assertTrue(wordsEndAtSpaces(bert, "normalizer", "{\"type\": \"Sequence\", \"normalizers\": ["
                + "{\"type\": \"Precompiled\", \"precompiled_charsmap\": \"\"},"
                + "{\"type\": \"Replace\", \"pattern\": {\"Regex\": \" {2,}\"}, \"content\": \" \"}]}"));
        assertTrue(wordsEndAtSpaces(bert, "pre_tokenizer", "{\"type\": \"Sequence\", \"pretokenizers\": ["
                + "{\"type\": \"Digits\", \"individual_digits\": true}, {\"type\": \"WhitespaceSplit\"}]}"));
        assertTrue(wordsEndAtSpaces(bert, "pre_tokenizer", "{\"type\": \"Metaspace\", \"replacement\": \"▁\","
                + " \"prepend_scheme\": \"always\", \"split\": true}"));
    }

    private static boolean wordsEndAtSpaces(JsonNode tokenizerJson, String field, String value) throws IOException {
        ObjectNode changed = tokenizerJson.deepCopy();
        changed.set(field, JSON.readTree(value));
        return DeeBertTokenizer.wordsEndAtSpaces(changed);
    }
}
