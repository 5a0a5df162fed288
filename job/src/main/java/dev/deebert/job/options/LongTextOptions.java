package dev.deebert.job.options;

import dev.deebert.model.ChunkAggregate;
import dev.deebert.model.LongText;
import java.util.List;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** {@code --long-text} and the options of its chunks, of the command that scores. */
public final class LongTextOptions {
    private static final List<String> CHUNK_OPTIONS = List.of("--chunk-overlap", "--max-chunks", "--chunk-aggregate");

    @Spec(Spec.Target.MIXEE)
    private CommandSpec command;

    @Option(names = "--long-text", defaultValue = "truncate", paramLabel = "MODE", description = "A text longer than"
            + " --max-seq-len: truncate (only its first tokens are scored) or chunk (it is split into overlapping"
            + " chunks of --max-seq-len tokens that each go through early exit, and their probabilities make the"
            + " row's prediction; single texts only) (default: ${DEFAULT-VALUE}).")
    private LongText.Mode mode;

    @Option(names = "--chunk-overlap", defaultValue = "0", paramLabel = "N", description = "With --long-text chunk:"
            + " tokens that consecutive chunks share (Hugging Face tokenizers' stride), less than --max-seq-len less"
            + " the special tokens (default: ${DEFAULT-VALUE}).")
    private int overlap;

    @Option(names = "--max-chunks", defaultValue = "" + LongText.DEFAULT_MAX_CHUNKS, paramLabel = "N",
            description = "With --long-text chunk: the most chunks scored per row; a text that needs more is scored"
                    + " on its first N and marked truncated (default: ${DEFAULT-VALUE}).")
    private int maxChunks;

    @Option(names = "--chunk-aggregate", defaultValue = "mean", converter = AggregateName.class,
            paramLabel = "AGGREGATE", description = "With --long-text chunk: mean (of the chunks' probabilities) or"
                    + " max-confidence (the probabilities of the most confident chunk) (default: ${DEFAULT-VALUE}).")
    private ChunkAggregate aggregate;

    /** What the options ask for; the chunk options without {@code --long-text chunk} are refused. */
    public LongText longText() {
        if (mode == LongText.Mode.CHUNK) {
            return LongText.chunk(overlap, maxChunks, aggregate);
        }
        // conf/ may set site defaults for these too: only options typed without chunks are a mistake.
        for (String option : CHUNK_OPTIONS) {
            if (command.commandLine().getParseResult().hasMatchedOption(option)) {
                throw new IllegalArgumentException(String.join(", ", CHUNK_OPTIONS) + " need --long-text chunk");
            }
        }
        return LongText.TRUNCATE;
    }

    static final class AggregateName implements ITypeConverter<ChunkAggregate> {
        @Override
        public ChunkAggregate convert(String name) {
            try {
                return ChunkAggregate.named(name);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
