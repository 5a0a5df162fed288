package dev.deebert.job.train;

import java.util.Locale;

/**
 * Defaults for options not given. {@code reference}: the DeeBERT paper's stage 1 (128 tokens, 3 epochs).
 * {@code fast}: 64 tokens and 1 epoch of stage 1 on at most {@code maxTrainRows} rows, for a demo on a laptop.
 * Both train stage 2 the cached way unless {@code --stage2-mode reference} is given.
 *
 * @param maxTrainRows 0: all rows
 */
record Preset(int maxSeqLen, int epochs, int maxTrainRows) {
    static final Preset REFERENCE = new Preset(128, 3, 0);
    static final Preset FAST = new Preset(64, 1, 0);

    static Preset parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "reference" -> REFERENCE;
            case "fast" -> FAST;
            default -> throw new IllegalArgumentException("preset must be 'reference' or 'fast', got '" + name + "'");
        };
    }
}
