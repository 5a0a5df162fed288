package dev.deebert.job.train;

/** A non-finite batch beyond what the run may skip; the checkpoint holds the state before it. */
public final class TrainingDivergedException extends RuntimeException {
    private final NonFiniteBatch batch;

    TrainingDivergedException(NonFiniteBatch batch, String message) {
        super(message);
        this.batch = batch;
    }

    public NonFiniteBatch batch() {
        return batch;
    }
}
