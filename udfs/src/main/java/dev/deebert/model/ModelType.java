package dev.deebert.model;

import java.util.List;
import java.util.Locale;

/** The backbone families DeeBERT supports; they differ only in embeddings and the weight-name prefix. */
public enum ModelType {
    BERT("bert", List.of("bert")),
    // XLM-RoBERTa is RoBERTa with another vocabulary; transformers stores its weights under roberta. too.
    ROBERTA("roberta", List.of("roberta", "xlm-roberta"));

    private final String prefix;
    private final List<String> modelTypes;

    ModelType(String prefix, List<String> modelTypes) {
        this.prefix = prefix;
        this.modelTypes = modelTypes;
    }

    /** Prefix of every backbone and ramp tensor in model.safetensors (`bert.` or `roberta.`). */
    public String prefix() {
        return prefix;
    }

    /** The family of a config.json model_type. */
    public static ModelType parse(String name) {
        if (name == null) {
            throw new ModelFormatException("config.json: no model_type");
        }
        for (ModelType type : values()) {
            if (type.modelTypes.contains(name.toLowerCase(Locale.ROOT))) {
                return type;
            }
        }
        throw new ModelFormatException(
                "config.json: model_type '" + name + "' is not supported (expected bert, roberta or xlm-roberta)");
    }
}
