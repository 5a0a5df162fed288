package dev.deebert.job.train;

import java.util.Locale;

/** How stage 2 trains the ramps. */
public enum RampTraining {
    /**
     * The reference procedure: every step runs the frozen network (dropout on) and updates the ramps at the
     * stage-2 learning rate (2e-5 by default).
     */
    REFERENCE,
    /**
     * The frozen network's first-token states of layers 1..N-1 are computed once (dropout off), then the
     * ramps alone train on them: cheap enough for a much larger learning rate and more epochs.
     */
    CACHED;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
