package dev.deebert.job.options;

import java.util.Map;
import java.util.Stack;
import picocli.CommandLine;
import picocli.CommandLine.IParameterPreprocessor;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Option names that were renamed so that one idea has one name ({@code --input} for a table read,
 * {@code --output} for a Delta root). Scripts and schedules written before keep working: the old spelling is
 * rewritten to the new one before picocli parses the command, with one warning line on stderr. A hidden second
 * option would not do: picocli's required check and its help know only the new name this way.
 */
public final class DeprecatedSpellings implements IParameterPreprocessor {
    /** Per command, each old spelling and the name it has now. */
    private static final Map<String, Map<String, String>> RENAMED = Map.of(
            "sweep", Map.of("--data", "--input"),
            "bench", Map.of("--data", "--input"),
            "calibrate", Map.of("--sweep", "--output"));

    private final Map<String, String> renamed;

    private DeprecatedSpellings(Map<String, String> renamed) {
        this.renamed = renamed;
    }

    /** Installs the rewriting on every subcommand of {@code cli} that had an option renamed. */
    public static void install(CommandLine cli) {
        cli.getSubcommands().forEach((name, sub) -> {
            Map<String, String> renamed = RENAMED.get(name);
            if (renamed != null) {
                sub.getCommandSpec().preprocessor(new DeprecatedSpellings(renamed));
            }
        });
    }

    /**
     * Runs once picocli has matched the command; {@code args} holds the rest of the command line, next argument
     * on top. An option's value is skipped, so that a text that happens to read "--data" stays the text.
     */
    @Override
    public boolean preprocess(Stack<String> args, CommandSpec command, ArgSpec unused, Map<String, Object> info) {
        for (int i = args.size() - 1; i >= 0; i--) {
            String arg = args.get(i);
            if (arg.equals("--")) {
                break;
            }
            if (!arg.startsWith("-")) {
                continue;
            }
            int equals = arg.indexOf('=');
            String name = equals < 0 ? arg : arg.substring(0, equals);
            String now = renamed.get(name);
            if (now != null) {
                args.set(i, now + arg.substring(name.length()));
                command.commandLine().getErr().println("deebert: " + name + " is deprecated, use " + now);
                name = now;
            }
            OptionSpec option = command.findOption(name);
            if (option != null && equals < 0 && option.arity().max() > 0) {
                i--;
            }
        }
        return false;
    }
}
