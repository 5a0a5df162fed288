package dev.deebert.job;

import dev.deebert.job.score.TooManyFailedRows;
import dev.deebert.model.ModelFormatException;
import dev.deebert.job.train.TrainingDivergedException;
import dev.deebert.model.NativeCacheException;
import picocli.CommandLine;

/**
 * Turns the errors a user can fix (bad model, bad input, bad option) into one line and exit code 2, and a
 * diverged training run (which names its step, tensor and rows) or a scoring run with too many failed rows
 * (which names the counts and the commonest error) into one line and exit code 1; anything else keeps its
 * stack trace and exits 1.
 */
final class ErrorReporter implements CommandLine.IExecutionExceptionHandler {
    static final int USER_ERROR = 2;

    @Override
    public int handleExecutionException(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        if (e instanceof ModelFormatException || e instanceof NativeCacheException || e instanceof IllegalArgumentException
                || e instanceof java.io.FileNotFoundException || e instanceof java.nio.file.NoSuchFileException) {
            cli.getErr().println("deebert " + cli.getCommandName() + ": " + e.getMessage());
            return USER_ERROR;
        }
        if (e instanceof TrainingDivergedException || causedBy(e, TooManyFailedRows.class)) {
            cli.getErr().println("deebert " + cli.getCommandName() + " failed: " + e.getMessage());
            return 1;
        }
        cli.getErr().println("deebert " + cli.getCommandName() + " failed:");
        e.printStackTrace(cli.getErr());
        return 1;
    }

    /** An incremental run reports a failed micro-batch wrapped in what stopped its stream. */
    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
