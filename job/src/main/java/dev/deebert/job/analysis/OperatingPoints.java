package dev.deebert.job.analysis;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.Precision;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The calibrated operating points of a model, kept as {@code deebert.json} in its model directory. A threshold
 * holds only for the numbers it was chosen on, so the points are kept per (precision, max_seq_len) of the
 * sweep they come from: for each accuracy budget, the threshold with the largest expected saving whose drop
 * stayed within the budget on the calibration data with the confidence asked ({@link Calibration}). How the
 * score command turns {@code --operating-point 0.5} or {@code --threshold auto} into a threshold:
 *
 * <pre>{@code
 * OperatingPoints.Calibrated points = OperatingPoints.lookup(modelDir, sha256, Precision.BF16, 64);
 * double s = points.threshold(0.5);        // --operating-point 0.5
 * double auto = points.auto().threshold(); // --threshold auto: the strictest budget
 * }</pre>
 *
 * Files of format 1 (written before the points were keyed) did not record the precision and length they were
 * swept at, so they are never used: score asks for a new calibration and calibrate replaces them.
 *
 * @param format {@link #FORMAT}
 * @param modelSha256 SHA-256 of the model.safetensors every entry was calibrated on
 * @param calibrations one per (precision, max_seq_len)
 */
public record OperatingPoints(@JsonProperty("format") String format,
                              @JsonProperty("model_sha256") String modelSha256,
                              @JsonProperty("calibrations") List<Calibrated> calibrations) {
    public static final String FILE = ModelDirectory.OPERATING_POINTS;
    public static final String FORMAT = "deebert-operating-points/2";
    static final String FORMAT_1 = "deebert-operating-points/1";

    /**
     * The operating points of one (precision, max_seq_len), and how the sweep behind them ran: a score run
     * with this precision and length makes the exit decisions the sweep derived, batched the same way.
     *
     * @param batchSize rows per batch of the sweep: rows sorted by length within windows of 16 batches, as
     *     score batches them; the exits were derived from every layer of those batches
     * @param referenceAccuracy accuracy at S=0 (the full model) on the calibration data
     * @param points one per budget, strictest first
     */
    public record Calibrated(@JsonProperty("precision") String precision,
                             @JsonProperty("max_seq_len") int maxSeqLen,
                             @JsonProperty("batch_size") int batchSize,
                             @JsonProperty("sweep") Sweep sweep,
                             @JsonProperty("reference_accuracy") double referenceAccuracy,
                             @JsonProperty("operating_points") List<Point> points) {
        public Calibrated {
            points = points.stream().sorted(Comparator.comparingDouble(Point::maxDrop)).toList();
        }

        boolean isFor(String otherPrecision, int otherMaxSeqLen) {
            return precision.equals(otherPrecision) && maxSeqLen == otherMaxSeqLen;
        }

        /** The point calibrated for exactly this budget (accuracy points). */
        public Point point(double maxDrop) {
            return points.stream().filter(p -> p.maxDrop() == maxDrop).findFirst().orElseThrow(() ->
                    new IllegalArgumentException("no operating point for a drop of " + maxDrop + " points at "
                            + key() + "; calibrated: " + points.stream().map(p -> Double.toString(p.maxDrop()))
                            .collect(Collectors.joining(", "))));
        }

        /** The threshold calibrated for exactly this budget (accuracy points). */
        public double threshold(double maxDrop) {
            return point(maxDrop).threshold();
        }

        /** The point of budget {@code maxDrop}, or of the strictest budget when it is null (auto). */
        public Point pointFor(Double maxDrop) {
            return maxDrop != null ? point(maxDrop) : auto();
        }

        /** The point of the strictest budget: what {@code --threshold auto} means. */
        public Point auto() {
            return points.get(0);
        }

        String key() {
            return precision + " at " + maxSeqLen + " tokens";
        }
    }

    /**
     * @param runId the sweep run
     * @param output the sweep's output root
     * @param dataPath the labeled data swept
     * @param rows rows of the labeled data
     */
    public record Sweep(@JsonProperty("run_id") String runId,
                        @JsonProperty("output") String output,
                        @JsonProperty("data_path") String dataPath,
                        @JsonProperty("rows") long rows) {}

    /**
     * @param maxDrop the budget: accuracy points the early exit may lose against S=0
     * @param threshold the entropy threshold S to score with
     * @param accuracy accuracy at S on the calibration data
     * @param drop accuracy points lost at S (at most maxDrop)
     * @param dropCi95 bootstrap 95% percentile interval of the drop [low, high], in points
     * @param dropBound the bootstrap's upper bound of the drop at {@code confidence} (at most maxDrop), in points;
     *     null where calibrate picked by the drop alone (files written before it judged by the bound)
     * @param confidence how sure calibrate was that the drop stays within maxDrop; null as for dropBound
     * @param bootstrap resamples behind the interval and the bound
     * @param seed seed of the resampling
     * @param expectedSaving share of encoder layers not computed at S
     * @param actualSaving measured share of model time saved, or null when the sweep did not time
     * @param agreement share of the calibration rows whose label at S is the full model's: what a score run's
     *     audit should find; null when the sweep predates recording it
     */
    public record Point(@JsonProperty("max_drop") double maxDrop,
                        @JsonProperty("threshold") double threshold,
                        @JsonProperty("accuracy") double accuracy,
                        @JsonProperty("drop") double drop,
                        @JsonProperty("drop_ci95") double[] dropCi95,
                        @JsonProperty("drop_bound") Double dropBound,
                        @JsonProperty("confidence") Double confidence,
                        @JsonProperty("bootstrap") int bootstrap,
                        @JsonProperty("seed") long seed,
                        @JsonProperty("expected_saving") double expectedSaving,
                        @JsonProperty("actual_saving") Double actualSaving,
                        @JsonProperty("agreement") Double agreement) {}

    /** Why a score run has no operating points: a user error whose message says how to calibrate. */
    public static final class Uncalibrated extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final String reason;

        Uncalibrated(String reason, String howToCalibrate) {
            super(reason + "; " + howToCalibrate);
            this.reason = reason;
        }

        /** Why there are no points, without the commands. */
        public String reason() {
            return reason;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public OperatingPoints {
        calibrations = List.copyOf(calibrations);
    }

    /**
     * Reads {@code modelDir/deebert.json}: null when there is none or it has format 1 (which holds no point
     * usable for any precision and length); an unreadable file is a user error.
     */
    public static OperatingPoints read(Path modelDir) {
        Path file = modelDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            JsonNode tree = JSON.readTree(file.toFile());
            String format = tree.path("format").asText();
            if (FORMAT_1.equals(format)) {
                return null;
            }
            OperatingPoints points = JSON.treeToValue(tree, OperatingPoints.class);
            if (!FORMAT.equals(format) || points.calibrations() == null || points.modelSha256() == null) {
                throw new IllegalArgumentException(file + " is not a " + FORMAT + " operating points file");
            }
            return points;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " is not a valid operating points file: " + e.getMessage(), e);
        }
    }

    /**
     * The points calibrated on the model's current weights ({@code sha256}) at this precision and length.
     *
     * @throws Uncalibrated when there are none, with the commands that calibrate them
     */
    public static Calibrated lookup(Path modelDir, String sha256, Precision precision, int maxSeqLen) {
        Path file = modelDir.resolve(FILE);
        OperatingPoints points = read(modelDir);
        String why;
        if (points == null) {
            why = Files.isRegularFile(file) ? file + " predates keyed operating points (it did not record the"
                    + " precision and length it was swept at)" : modelDir + " has no " + FILE;
        } else if (!points.modelSha256().equals(sha256)) {
            why = file + " was calibrated on weights " + points.modelSha256() + " but the model's weights are " + sha256;
        } else {
            Calibrated found = points.find(precision, maxSeqLen);
            if (found != null) {
                return found;
            }
            why = file + " has no operating points for " + precision + " at " + maxSeqLen + " tokens (calibrated: "
                    + points.calibrations().stream().map(Calibrated::key).collect(Collectors.joining(", ")) + ")";
        }
        // The data and output root of an earlier calibration make the commands ready to run.
        Sweep earlier = points == null || points.calibrations().isEmpty() ? null : points.calibrations().get(0).sweep();
        String data = earlier != null ? earlier.dataPath() : "LABELED_DATA";
        String output = earlier != null ? earlier.output() : "SWEEP_OUTPUT";
        throw new Uncalibrated(why, "calibrate with: deebert sweep --model " + modelDir + " --input " + data
                + " --output " + output + " --precision " + precision + " --max-seq-len " + maxSeqLen
                + " && deebert calibrate --output " + output + " --model " + modelDir
                + " (or score with --threshold S, or --allow-uncalibrated)");
    }

    /** The entry of this precision and length, or null. */
    public Calibrated find(Precision precision, int maxSeqLen) {
        return calibrations.stream().filter(c -> c.isFor(precision.toString(), maxSeqLen)).findFirst().orElse(null);
    }

    /**
     * {@code calibrated} added to the operating points already in {@code modelDir} for the weights
     * {@code sha256}, replacing those of its own precision and length; points of other weights or of format 1
     * are dropped, as no run can use them.
     */
    static OperatingPoints merge(Path modelDir, String sha256, Calibrated calibrated) {
        OperatingPoints existing = read(modelDir);
        List<Calibrated> kept = new ArrayList<>();
        if (existing != null && existing.modelSha256().equals(sha256)) {
            existing.calibrations().stream()
                    .filter(c -> !c.isFor(calibrated.precision(), calibrated.maxSeqLen())).forEach(kept::add);
        }
        kept.add(calibrated);
        kept.sort(Comparator.comparing(Calibrated::precision).thenComparingInt(Calibrated::maxSeqLen));
        return new OperatingPoints(FORMAT, sha256, kept);
    }

    /**
     * Writes {@code modelDir/deebert.json}, replacing it in one rename so readers never see half a file. The temp
     * file is created as the model's own files are, with the umask's permissions: a temp file's rw------- would
     * keep drivers running as other users from reading the operating points.
     */
    void write(Path modelDir) {
        Path file = modelDir.resolve(FILE);
        try {
            Path temp = modelDir.resolve("." + FILE + "." + UUID.randomUUID() + ".tmp");
            try (OutputStream out = Files.newOutputStream(temp, StandardOpenOption.CREATE_NEW)) {
                JSON.writeValue(out, this);
            }
            try {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
