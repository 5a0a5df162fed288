package dev.deebert.job.score;

/**
 * More rows of a run (or of an incremental micro-batch) got an error instead of a prediction than
 * {@code --max-failed-fraction} allows: the run fails rather than pass off unscored rows as its output.
 */
public final class TooManyFailedRows extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooManyFailedRows(String message) {
        super(message);
    }
}
