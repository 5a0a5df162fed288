package dev.deebert.job.importer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.ModelFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The tokenizer of a Hugging Face model directory as the tokenizer.json a DeeBERT model serves with: the
 * directory's own, or, where a checkpoint has only the files of transformers' slow tokenizers (vocab.txt for
 * BERT; vocab.json and merges.txt for RoBERTa), one built from them as transformers builds its BertTokenizer and
 * RobertaTokenizer from them: the same model, normalizer, pre-tokenizer, special tokens and post-processor, with
 * the options tokenizer_config.json gives. Built by hand because neither DJL nor the Rust tokenizers library it
 * binds builds a tokenizer from these files in Java; the format written is the one tokenizers itself writes.
 */
final class HfTokenizer {
    static final String VOCAB_TXT = "vocab.txt";
    static final String VOCAB_JSON = "vocab.json";
    static final String MERGES = "merges.txt";
    static final String CONFIG = "tokenizer_config.json";
    /** transformers 4 wrote the special tokens here too, and they won over tokenizer_config.json's. */
    static final String SPECIAL_TOKENS_MAP = "special_tokens_map.json";
    private static final Set<String> BERT_CLASSES = Set.of("BertTokenizer", "BertTokenizerFast");
    private static final Set<String> ROBERTA_CLASSES = Set.of("RobertaTokenizer", "RobertaTokenizerFast");
    /** Special token roles to transformers' defaults, in the order its added tokens list them. */
    private static final Map<String, String> BERT_SPECIALS = ordered("pad_token", "[PAD]", "unk_token", "[UNK]",
            "cls_token", "[CLS]", "sep_token", "[SEP]", "mask_token", "[MASK]");
    private static final Map<String, String> ROBERTA_SPECIALS = ordered("bos_token", "<s>", "pad_token", "<pad>",
            "eos_token", "</s>", "unk_token", "<unk>", "cls_token", "<s>", "sep_token", "</s>", "mask_token",
            "<mask>");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** The directory's tokenizer.json, or null when it is built. */
    private final Path file;
    private final ObjectNode built;
    /** What the tokenizer comes from, for the import's report. */
    private final String source;

    private HfTokenizer(Path file, ObjectNode built, String source) {
        this.file = file;
        this.built = built;
        this.source = source;
    }

    /**
     * The tokenizer of {@code dir}, a checkpoint of config.json's {@code modelType}; refuses, with how to write a
     * tokenizer.json, one it cannot build.
     */
    static HfTokenizer of(Path dir, String modelType) {
        Path json = dir.resolve(ModelDirectory.TOKENIZER);
        if (Files.isRegularFile(json)) {
            return new HfTokenizer(json, null, ModelDirectory.TOKENIZER);
        }
        JsonNode config = readJsonIfPresent(dir.resolve(CONFIG));
        JsonNode specialTokensMap = readJsonIfPresent(dir.resolve(SPECIAL_TOKENS_MAP));
        String tokenizerClass = config.path("tokenizer_class").asText(null);
        if ("bert".equals(modelType) && Files.isRegularFile(dir.resolve(VOCAB_TXT))
                && (tokenizerClass == null || BERT_CLASSES.contains(tokenizerClass))) {
            return new HfTokenizer(null, wordPiece(dir, config, specialTokensMap), describe(VOCAB_TXT, config));
        }
        if ("roberta".equals(modelType) && Files.isRegularFile(dir.resolve(VOCAB_JSON))
                && Files.isRegularFile(dir.resolve(MERGES))
                && (tokenizerClass == null || ROBERTA_CLASSES.contains(tokenizerClass))) {
            return new HfTokenizer(null, byteLevelBpe(dir, config, specialTokensMap),
                    describe(VOCAB_JSON + " and " + MERGES, config));
        }
        throw new ModelFormatException(dir + ": missing " + ModelDirectory.TOKENIZER + "; import --hf builds one "
                + "only from a BERT checkpoint's " + VOCAB_TXT + " or a RoBERTa checkpoint's " + VOCAB_JSON + " and "
                + MERGES + " (this is a " + modelType + " checkpoint" + (tokenizerClass != null ? " whose " + CONFIG
                + " names " + tokenizerClass : "") + "). Let transformers write it: python -c \"from transformers "
                + "import AutoTokenizer; AutoTokenizer.from_pretrained('" + dir + "').save_pretrained('" + dir
                + "')\"");
    }

    private static String describe(String files, JsonNode config) {
        return files + (config.isEmpty() ? "" : " and " + CONFIG);
    }

    /** What the tokenizer was taken or built from: tokenizer.json, or the files it was built from. */
    String source() {
        return source;
    }

    boolean isBuilt() {
        return built != null;
    }

    void write(Path target) throws IOException {
        if (file != null) {
            Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
        } else {
            JSON.writerWithDefaultPrettyPrinter().writeValue(target.toFile(), built);
        }
    }

    /** transformers' BertTokenizer: BERT's normalizer and pre-tokenizer, WordPiece, [CLS] A [SEP] (B [SEP]). */
    private static ObjectNode wordPiece(Path dir, JsonNode config, JsonNode specialTokensMap) {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        List<String> lines = readLines(dir.resolve(VOCAB_TXT));
        for (int id = 0; id < lines.size(); id++) {
            vocab.put(lines.get(id), id);
        }
        Map<String, String> specials = specials(dir, BERT_SPECIALS, List.of("unk_token", "cls_token", "sep_token"),
                config, specialTokensMap);
        ObjectNode tokenizer = header(dir, specials, vocab, config);

        ObjectNode normalizer = tokenizer.putObject("normalizer").put("type", "BertNormalizer").put("clean_text", true)
                .put("handle_chinese_chars", config.path("tokenize_chinese_chars").asBoolean(true));
        JsonNode stripAccents = config.path("strip_accents");
        normalizer.set("strip_accents", stripAccents.isBoolean() ? stripAccents : NODES.nullNode());
        normalizer.put("lowercase", config.path("do_lower_case").asBoolean(true));
        tokenizer.putObject("pre_tokenizer").put("type", "BertPreTokenizer");

        String cls = specials.get("cls_token");
        String sep = specials.get("sep_token");
        ObjectNode post = tokenizer.putObject("post_processor").put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.add(piece("SpecialToken", cls, 0)).add(piece("Sequence", "A", 0)).add(piece("SpecialToken", sep, 0));
        post.putArray("pair").addAll(single)
                .add(piece("Sequence", "B", 1)).add(piece("SpecialToken", sep, 1));
        ObjectNode postSpecials = post.putObject("special_tokens");
        for (String token : List.of(cls, sep)) {
            ObjectNode special = postSpecials.putObject(token).put("id", token);
            special.putArray("ids").add(vocab.get(token));
            special.putArray("tokens").add(token);
        }
        tokenizer.putObject("decoder").put("type", "WordPiece").put("prefix", "##").put("cleanup", true);
        ObjectNode model = tokenizer.putObject("model").put("type", "WordPiece").put("unk_token",
                        specials.get("unk_token")).put("continuing_subword_prefix", "##")
                .put("max_input_chars_per_word", 100);
        vocab.forEach(model.putObject("vocab")::put);
        return tokenizer;
    }

    /** transformers' RobertaTokenizer: byte-level BPE, <s> A </s> (</s> B </s>). */
    private static ObjectNode byteLevelBpe(Path dir, JsonNode config, JsonNode specialTokensMap) {
        JsonNode vocabJson = HfCheckpoint.readJson(dir.resolve(VOCAB_JSON));
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = vocabJson.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (!entry.getValue().canConvertToInt()) {
                throw new ModelFormatException(dir.resolve(VOCAB_JSON) + ": the id of '" + entry.getKey()
                        + "' is not an integer: " + entry.getValue());
            }
            vocab.put(entry.getKey(), entry.getValue().asInt());
        }
        Map<String, String> specials = specials(dir, ROBERTA_SPECIALS, List.of("cls_token", "sep_token"), config,
                specialTokensMap);
        ObjectNode tokenizer = header(dir, specials, vocab, config);

        boolean addPrefixSpace = config.path("add_prefix_space").asBoolean(false);
        boolean trimOffsets = config.path("trim_offsets").asBoolean(true);
        tokenizer.putNull("normalizer");
        tokenizer.set("pre_tokenizer", byteLevel(addPrefixSpace));
        ObjectNode post = tokenizer.putObject("post_processor").put("type", "RobertaProcessing");
        for (String role : List.of("sep", "cls")) {
            String token = specials.get(role + "_token");
            post.putArray(role).add(token).add(vocab.get(token));
        }
        post.put("trim_offsets", trimOffsets).put("add_prefix_space", addPrefixSpace);
        tokenizer.set("decoder", byteLevel(true));
        ObjectNode model = tokenizer.putObject("model").put("type", "BPE").putNull("dropout").putNull("unk_token")
                .put("continuing_subword_prefix", "").put("end_of_word_suffix", "").put("fuse_unk", false)
                .put("byte_fallback", false);
        vocab.forEach(model.putObject("vocab")::put);
        ArrayNode merges = model.putArray("merges");
        List<String> lines = readLines(dir.resolve(MERGES));
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith("#version") || line.isEmpty()) {
                continue;
            }
            String[] pair = line.split(" ", -1);
            if (pair.length != 2) {
                throw new ModelFormatException(dir.resolve(MERGES) + ": line " + (i + 1) + " is not a merge of two "
                        + "tokens: '" + line + "'");
            }
            merges.addArray().add(pair[0]).add(pair[1]);
        }
        return tokenizer;
    }

    private static ObjectNode byteLevel(boolean addPrefixSpace) {
        return NODES.objectNode().put("type", "ByteLevel").put("add_prefix_space", addPrefixSpace)
                .put("trim_offsets", true).put("use_regex", true);
    }

    /**
     * The start every tokenizer.json shares: no truncation or padding (the engine asks for its own), and the added
     * tokens: every special token, and what tokenizer_config.json's added_tokens_decoder lists, by id.
     */
    private static ObjectNode header(Path dir, Map<String, String> specials, Map<String, Integer> vocab,
                                     JsonNode config) {
        Map<Integer, ObjectNode> added = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = config.path("added_tokens_decoder").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            JsonNode token = entry.getValue();
            if (!entry.getKey().matches("\\d+") || !token.path("content").isTextual()) {
                throw new ModelFormatException(dir.resolve(CONFIG) + ": added_tokens_decoder entry '" + entry.getKey()
                        + "' is not an id and a token with its content: " + token);
            }
            int id = Integer.parseInt(entry.getKey());
            added.put(id, addedToken(id, token.path("content").asText(), token.path("single_word").asBoolean(false),
                    token.path("lstrip").asBoolean(false), token.path("rstrip").asBoolean(false),
                    token.path("normalized").asBoolean(false), token.path("special").asBoolean(false)));
        }
        specials.forEach((role, token) -> {
            Integer id = vocab.get(token);
            if (id == null) {
                throw new ModelFormatException(dir + ": the " + role + " '" + token + "' is not in the vocabulary");
            }
            added.putIfAbsent(id, addedToken(id, token, false, false, false, false, true));
        });
        ObjectNode tokenizer = NODES.objectNode().put("version", "1.0").putNull("truncation").putNull("padding");
        tokenizer.putArray("added_tokens").addAll(added.values());
        return tokenizer;
    }

    private static ObjectNode addedToken(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip,
                                         boolean normalized, boolean special) {
        return NODES.objectNode().put("id", id).put("content", content).put("single_word", singleWord)
                .put("lstrip", lstrip).put("rstrip", rstrip).put("normalized", normalized).put("special", special);
    }

    private static ObjectNode piece(String kind, String id, int typeId) {
        ObjectNode piece = NODES.objectNode();
        piece.putObject(kind).put("id", id).put("type_id", typeId);
        return piece;
    }

    /**
     * Each role's token: special_tokens_map.json's, else tokenizer_config.json's, else transformers' default; a
     * token is written as text or as an AddedToken object with its content, and a role set to null has none. The
     * roles the tokenizer cannot do without ({@code required}) must have one.
     */
    private static Map<String, String> specials(Path dir, Map<String, String> defaults, List<String> required,
                                                JsonNode config, JsonNode specialTokensMap) {
        Map<String, String> specials = new LinkedHashMap<>();
        defaults.forEach((role, fallback) -> {
            JsonNode given = specialTokensMap.has(role) ? specialTokensMap.get(role) : config.path(role);
            String token = given.isMissingNode() ? fallback
                    : given.isObject() ? given.path("content").asText(null) : given.textValue();
            if (token != null) {
                specials.put(role, token);
            } else if (required.contains(role)) {
                throw new ModelFormatException(dir + ": the tokenizer has no " + role + ", which it needs");
            }
        });
        return specials;
    }

    /** Lines as Python's text-mode readlines splits them (at \n, \r and \r\n), which transformers reads with. */
    private static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": not readable as UTF-8 text: " + e.getMessage(), e);
        }
    }

    private static JsonNode readJsonIfPresent(Path file) {
        return Files.isRegularFile(file) ? HfCheckpoint.readJson(file) : NODES.objectNode();
    }

    private static Map<String, String> ordered(String... rolesAndTokens) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < rolesAndTokens.length; i += 2) {
            map.put(rolesAndTokens[i], rolesAndTokens[i + 1]);
        }
        return map;
    }
}
