package dev.deebert.model;

import java.util.Locale;

/** The backbone families DeeBERT supports; they differ only in embeddings and the weight-name prefix. */
public enum ModelType {
    BERT("bert"),
    ROBERTA("roberta");

    private final String prefix;

    ModelType(String prefix) {
        this.prefix = prefix;
    }

    /** Prefix of every backbone and ramp tensor in model.safetensors (`bert.` or `roberta.`). */
    public String prefix() {
        return prefix;
    }

    public static ModelType parse(String name) {
        for (ModelType type : values()) {
            if (type.prefix.equals(name.toLowerCase(Locale.ROOT))) {
                return type;
            }
        }
        throw new ModelFormatException(
                "config.json: model_type '" + name + "' is not supported (expected bert or roberta)");
    }
}
