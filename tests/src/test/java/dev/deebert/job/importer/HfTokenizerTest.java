package dev.deebert.job.importer;

import static dev.deebert.tests.JsonArrays.longs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.deebert.model.ModelFormatException;
import dev.deebert.tests.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A tokenizer built from BertTokenizer's vocab.txt or RobertaTokenizer's vocab.json and merges.txt gives the ids
 * transformers gives from the same files (tests/fixtures/make_hf.py: BGE-small's real vocabulary and a byte-level
 * BPE one, each set of options, texts with accents, CJK, control characters, over-long words and special
 * tokens), and, with BERT's defaults, the ids of the tokenizer.json BGE-small ships (bert-base-uncased's,
 * converted by transformers) on every corpus mail.
 */
class HfTokenizerTest {
    private static final Map<String, String> UNTRUNCATED = Map.of("addSpecialTokens", "true", "truncation", "false",
            "padding", "false");

    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({"vocab-txt, defaults", "vocab-txt, cased", "vocab-txt, keep-accents-no-cjk",
        "vocab-txt, cased-strip-accents", "vocab-json, defaults", "vocab-json, add-prefix-space"})
    void vocabularyFilesTokenizeAsTransformersDoes(String files, String options) throws IOException {
        JsonNode variant = new ObjectMapper().readTree(Fixtures.hf("expected.json").toFile())
                .path(files.replace('-', '_')).path(options);
        assertEquals(options.equals("defaults"), variant.path("options").isNull());
        Path dir = checkpoint(files, options);
        try (HuggingFaceTokenizer tokenizer = built(dir, files.equals("vocab-txt") ? "bert" : "roberta")) {
            int cases = 0;
            for (JsonNode c : variant.path("cases")) {
                String text = c.path("text").asText();
                Encoding encoding = c.path("text_b").isNull() ? tokenizer.encode(text)
                        : tokenizer.encode(text, c.path("text_b").asText());
                assertArrayEquals(longs(c.path("input_ids")), encoding.getIds(), options + ": " + text);
                assertArrayEquals(longs(c.path("token_type_ids")), encoding.getTypeIds(), options + ": " + text);
                cases++;
            }
            assertTrue(cases >= 10, "cases " + cases);
        }
    }

    @Test
    void defaultsMatchTheTokenizerJsonTransformersConvertedOnEveryMail() throws IOException {
        Path published = tmp.resolve("bge-tokenizer.json");
        try (InputStream in = getClass().getResourceAsStream("/bge-small-en-v1.5-tokenizer.json")) {
            Files.copy(in, published);
        }
        List<Path> mails;
        try (Stream<Path> files = Files.walk(Fixtures.corpus())) {
            mails = files.filter(Files::isRegularFile).sorted().toList();
        }
        assertFalse(mails.isEmpty());
        try (HuggingFaceTokenizer ours = built(checkpoint("vocab-txt", "defaults"), "bert");
             HuggingFaceTokenizer theirs = HuggingFaceTokenizer.newInstance(published, UNTRUNCATED)) {
            for (Path mail : mails) {
                String text = Files.readString(mail, StandardCharsets.ISO_8859_1);
                assertArrayEquals(theirs.encode(text).getIds(), ours.encode(text).getIds(), mail.toString());
            }
        }
    }

    @Test
    void aCheckpointsOwnTokenizerJsonIsTakenAsItIs() throws IOException {
        HfTokenizer tokenizer = HfTokenizer.of(Fixtures.hf("bert-cls"), "bert");
        assertFalse(tokenizer.isBuilt());
        Path copy = tmp.resolve("tokenizer.json");
        tokenizer.write(copy);
        assertEquals(-1, Files.mismatch(Fixtures.hf("bert-cls").resolve("tokenizer.json"), copy));
    }

    @Test
    void aSpecialTokenTheVocabularyLacksIsRefusedByRole() throws IOException {
        Path dir = checkpoint("vocab-txt", "defaults");
        List<String> vocab = Files.readAllLines(dir.resolve(HfTokenizer.VOCAB_TXT));
        Files.write(dir.resolve(HfTokenizer.VOCAB_TXT), vocab.stream().map(t -> t.equals("[CLS]") ? "[unused-cls]" : t)
                .toList());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfTokenizer.of(dir, "bert"));
        assertTrue(e.getMessage().contains("the cls_token '[CLS]' is not in the vocabulary"), e.getMessage());

        Files.write(dir.resolve(HfTokenizer.VOCAB_TXT), vocab);
        Files.writeString(dir.resolve(HfTokenizer.CONFIG), "{\"sep_token\": null}");
        e = assertThrows(ModelFormatException.class, () -> HfTokenizer.of(dir, "bert"));
        assertTrue(e.getMessage().contains("the tokenizer has no sep_token"), e.getMessage());
    }

    /**
     * make_hf.py's vocabulary files ({@code files}: vocab-txt, vocab-json), with the option set's
     * tokenizer_config.json where it wrote one (not for the defaults).
     */
    private Path checkpoint(String files, String options) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(files + "-" + options));
        for (String vocabulary : files.equals("vocab-txt") ? List.of(HfTokenizer.VOCAB_TXT)
                : List.of(HfTokenizer.VOCAB_JSON, HfTokenizer.MERGES)) {
            Files.copy(Fixtures.hf(files).resolve(vocabulary), dir.resolve(vocabulary));
        }
        Path config = Fixtures.hf(files).resolve(options).resolve(HfTokenizer.CONFIG);
        if (Files.exists(config)) {
            Files.copy(config, dir.resolve(HfTokenizer.CONFIG));
        }
        return dir;
    }

    private HuggingFaceTokenizer built(Path dir, String modelType) throws IOException {
        HfTokenizer tokenizer = HfTokenizer.of(dir, modelType);
        assertTrue(tokenizer.isBuilt());
        Path json = dir.resolve("built-tokenizer.json");
        tokenizer.write(json);
        return HuggingFaceTokenizer.newInstance(json, UNTRUNCATED);
    }
}
