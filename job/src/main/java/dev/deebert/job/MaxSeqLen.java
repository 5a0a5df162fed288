package dev.deebert.job;

import dev.deebert.model.ModelDirectory;
import picocli.CommandLine.Model.CommandSpec;

/** The {@code --max-seq-len} option of the commands that run a model. */
public final class MaxSeqLen {
    private MaxSeqLen() {}

    /**
     * The tokens per row to run {@code model} at: a length typed on the command line, else the one the model
     * records, else conf/deebert.properties, else the model's default. picocli fills {@code option} from
     * conf/ as well, so only the parse result tells a typed value from a site default.
     */
    public static int of(CommandSpec spec, Integer option, ModelDirectory model) {
        boolean typed = spec.commandLine().getParseResult().hasMatchedOption("--max-seq-len");
        return model.maxSeqLen(typed ? option : null, typed ? null : option);
    }
}
