package dev.deebert.job.train;

import java.util.Locale;

/**
 * Defaults for options not given. {@code reference}: the DeeBERT paper's stage 1 (128 tokens, 3 epochs).
 * {@code fast}: 64 tokens and 1 epoch of stage 1, for a demo on a laptop (about 13.5 CPU minutes on the 4,808
 * SpamAssassin training mails with BGE-small). Both train stage 2 the cached way unless
 * {@code --stage2-mode reference} is given.
 */
record Preset(int maxSeqLen, int epochs) {
    static final Preset REFERENCE = new Preset(128, 3);
    static final Preset FAST = new Preset(64, 1);

    static Preset parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "reference" -> REFERENCE;
            case "fast" -> FAST;
            default -> throw new IllegalArgumentException("preset must be 'reference' or 'fast', got '" + name + "'");
        };
    }
}
