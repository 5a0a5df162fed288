package dev.deebert.job.options;

import ai.djl.Device;
import dev.deebert.job.Sessions;
import dev.deebert.model.BatchInputs;
import dev.deebert.model.Batching;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * How the commands that run a model run it. Sweep and score declare the same three so that a threshold holds
 * for the runs it was calibrated for (README, "The serving contract").
 */
public final class EngineOptions {
    private EngineOptions() {}

    /**
     * {@code --precision}: {@code fp32}, {@code bf16}, {@code int8} (CPU only, never chosen by auto), or
     * {@code auto}, decided where the model will run.
     */
    public static final class PrecisionOption {
        @Option(names = "--precision", defaultValue = "auto", converter = PrecisionName.class,
                paramLabel = "PRECISION",
                description = "fp32, bf16, int8 or auto: bf16 on GPUs and on CPUs with oneDNN bf16 GEMMs, else"
                        + " fp32 (default: ${DEFAULT-VALUE}, in every command that runs the model). int8: dynamic"
                        + " int8 quantization of the encoder's Linear layers, CPU only.")
        private Precision named;

        /**
         * For the tasks of {@code spark}: auto is decided here, on the driver, once for the whole run (calibrated
         * thresholds are looked up by it).
         */
        public Precision forTasksOf(SparkSession spark) {
            return on(Sessions.taskDevice(spark));
        }

        public Precision on(Device device) {
            return Precision.on(device, named);
        }
    }

    /**
     * The choice of that name, or null for {@code auto}, which only the device the model runs on can decide.
     */
    abstract static class AutoOr<E extends Enum<E>> implements ITypeConverter<E> {
        private final Class<E> choices;

        AutoOr(Class<E> choices) {
            this.choices = choices;
        }

        @Override
        public E convert(String name) {
            String key = name.trim().toUpperCase(Locale.ROOT);
            if (key.equals("AUTO")) {
                return null;
            }
            try {
                return Enum.valueOf(choices, key);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("expected " + Arrays.stream(choices.getEnumConstants())
                        .map(c -> c.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "))
                        + " or auto, got '" + name + "'");
            }
        }
    }

    static final class PrecisionName extends AutoOr<Precision> {
        PrecisionName() {
            super(Precision.class);
        }
    }

    /** {@code --batching}: {@code compaction}, {@code refill}, or {@code auto}, decided where the model will run. */
    public static final class BatchingOption {
        @Option(names = "--batching", defaultValue = "auto", converter = BatchingName.class, paramLabel = "BATCHING",
                description = "How a window's batches share the layers as rows exit: compaction (each batch shrinks"
                        + " as rows leave), refill (the rows that go on from several batches fill full batches) or"
                        + " auto: refill on GPUs and where tasks hold several cores, compaction on one core"
                        + " (default: ${DEFAULT-VALUE}).")
        private Batching named;

        /** For the tasks of {@code spark}: auto is decided here, on the driver, once for the whole run. */
        public Batching forTasksOf(SparkSession spark) {
            return on(Sessions.taskDevice(spark), Sessions.taskCpus(spark));
        }

        public Batching on(Device device, int threads) {
            return Batching.on(device, threads, named);
        }
    }

    static final class BatchingName extends AutoOr<Batching> {
        BatchingName() {
            super(Batching.class);
        }
    }

    /** {@code --max-seq-len} of the commands that run a model at the length it records. */
    public static final class MaxSeqLen {
        @Spec(Spec.Target.MIXEE)
        private CommandSpec command;

        @Option(names = "--max-seq-len", paramLabel = "N", description = "Tokens per row, special tokens included"
                + " (default: the model's serving.json, i.e. the length it was trained at).")
        private Integer tokens;

        /**
         * The tokens per row to run {@code model} at: a length typed on the command line, else the one the model
         * records, else conf/deebert.properties, else the model's default. picocli fills the option from conf/ as
         * well, so only the parse result tells a typed value from a site default.
         */
        public int of(ModelDirectory model) {
            boolean typed = command.commandLine().getParseResult().hasMatchedOption("--max-seq-len");
            return model.maxSeqLen(typed ? tokens : null, typed ? null : tokens);
        }
    }

    /** {@code --batch-size} of the commands that score rows. */
    public static final class BatchSize {
        @Option(names = "--batch-size", paramLabel = "N", description = "Rows per forward pass (default: "
                + BatchInputs.BATCH_TOKENS + " tokens' worth at --max-seq-len: 32 rows of 128 tokens, 64 of 64, 128"
                + " of 32).")
        private Integer rows;

        /** The rows per forward pass for rows of {@code maxSeqLen} tokens: as given, else the engine's default. */
        public int rows(int maxSeqLen) {
            return rows != null ? rows : BatchInputs.defaultBatchSize(maxSeqLen);
        }
    }
}
