package dev.deebert.job.train;

/**
 * Defaults for options not given. {@code reference}: the DeeBERT paper's stage 1 (128 tokens, 3 epochs).
 * {@code fast}: 64 tokens and 1 epoch of stage 1, for a demo on a laptop (about 13.5 CPU minutes on the 4,808
 * SpamAssassin training mails with BGE-small). Both train stage 2 the cached way unless
 * {@code --stage2-mode reference} is given.
 */
enum Preset {
    REFERENCE(128, 3),
    FAST(64, 1);

    final int maxSeqLen;
    final int epochs;

    Preset(int maxSeqLen, int epochs) {
        this.maxSeqLen = maxSeqLen;
        this.epochs = epochs;
    }
}
