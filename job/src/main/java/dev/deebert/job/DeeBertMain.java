package dev.deebert.job;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the application jar: {@code deebert <command> [options]}, locally through
 * {@code submit/deebert} or on a cluster through {@code spark-submit --class dev.deebert.job.DeeBertMain}.
 */
@Command(name = "deebert", mixinStandardHelpOptions = true, version = "deebert-spark 0.1.0",
        description = "DeeBERT early-exit classification on Apache Spark.",
        subcommands = {
            InspectCommand.class,
            dev.deebert.job.train.TrainCommand.class,
        })
public final class DeeBertMain implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs a command line and returns its exit code (tests call this instead of {@link #main}). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new DeeBertMain());
        cli.setExecutionExceptionHandler(new ErrorReporter());
        return cli.execute(args);
    }
}
