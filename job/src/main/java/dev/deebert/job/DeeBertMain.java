package dev.deebert.job;

import dev.deebert.job.analysis.CalibrateCommand;
import dev.deebert.job.analysis.ReportCommand;
import dev.deebert.job.analysis.SweepCommand;
import dev.deebert.job.corpus.PrepareCorpusCommand;
import dev.deebert.job.importer.ImportCommand;
import dev.deebert.job.options.DeprecatedSpellings;
import dev.deebert.job.score.ScoreCommand;
import dev.deebert.job.train.TrainCommand;
import java.util.ServiceLoader;
import org.apache.spark.SparkUserAppException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the application jar: {@code deebert <command> [options]}, locally through
 * {@code submit/deebert} or on a cluster through {@code spark-submit --class dev.deebert.job.DeeBertMain}.
 */
@Command(name = "deebert", mixinStandardHelpOptions = true, version = "deebert-spark 0.1.0",
        description = "DeeBERT early-exit classification on Apache Spark.",
        subcommands = {
            CalibrateCommand.class,
            ImportCommand.class,
            InspectCommand.class,
            PrepareCorpusCommand.class,
            ReportCommand.class,
            ScoreCommand.class,
            SweepCommand.class,
            TrainCommand.class,
        })
public final class DeeBertMain implements Runnable {
    /** System property naming a properties file of option defaults (keys: deebert.<command>.<option>). */
    public static final String DEFAULTS_PROPERTY = "deebert.defaults";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    /**
     * Client and local mode: the JVM exits with the command's code (submit/deebert and schedulers read 0, 1 and
     * 2), whatever non-daemon threads a library left behind.
     *
     * <p>YARN cluster mode: main runs in a thread of the ApplicationMaster, which reports the application's final
     * status when main ends (Spark 3.5 ApplicationMaster.startUserApplication): SUCCEEDED when it returns, FAILED
     * with exit code N and "User application exited with status N" when it throws SparkUserAppException(N), as
     * Spark's own PythonRunner and RRunner do. System.exit there runs the AM's shutdown hook before any final
     * status is reported: the attempt is marked FAILED ("Shutdown hook called before final status was
     * reported", even after exit 0) and YARN starts another attempt, which scores the batch again.
     */
    public static void main(String[] args) throws SparkUserAppException {
        int code = execute(args);
        if (!inYarnApplicationMaster()) {
            System.exit(code);
        }
        if (code != 0) {
            throw new SparkUserAppException(code);
        }
    }

    /** The ApplicationMaster sets both before it starts main in cluster mode (ApplicationMaster.run). */
    private static boolean inYarnApplicationMaster() {
        return "yarn".equals(System.getProperty("spark.master"))
                && "cluster".equals(System.getProperty("spark.submit.deployMode"));
    }

    /** Runs a command line and returns its exit code (tests call this instead of {@link #main}). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new DeeBertMain());
        ServiceLoader.load(CommandPlugin.class).forEach(cli::addSubcommand);
        DeprecatedSpellings.install(cli);
        // as before picocli converted the enum options: FP32 and Fast work as fp32 and fast do
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        String defaults = System.getProperty(DEFAULTS_PROPERTY);
        if (defaults != null) {
            cli.setDefaultValueProvider(new CommandLine.PropertiesDefaultProvider(new java.io.File(defaults)));
        }
        cli.setExecutionExceptionHandler(new ErrorReporter());
        return cli.execute(args);
    }
}
