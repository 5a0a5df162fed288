package dev.deebert.job.train;

/**
 * Optimisation settings of one stage: AdamW at {@code learningRate} decaying linearly to 0 over all steps,
 * no warm-up, gradients clipped to a global norm of {@code maxGradNorm}.
 */
public record StageSettings(int epochs, int batchSize, double learningRate, double maxGradNorm) {
    public StageSettings {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be a positive number, got " + learningRate);
        }
    }

    /** Optimizer steps for {@code rows} training rows: the last batch of an epoch may be short. */
    public int totalSteps(int rows) {
        return epochs * stepsPerEpoch(rows);
    }

    public int stepsPerEpoch(int rows) {
        return (rows + batchSize - 1) / batchSize;
    }
}
