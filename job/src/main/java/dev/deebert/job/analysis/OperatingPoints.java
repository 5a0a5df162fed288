package dev.deebert.job.analysis;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The calibrated operating points of a model, kept as {@code deebert.json} in its model directory: for each
 * accuracy budget, the threshold with the largest expected saving whose drop stayed within the budget on
 * the calibration data. How the score command turns {@code --operating-point 0.5} or {@code --threshold
 * auto} into a threshold:
 *
 * <pre>{@code
 * OperatingPoints points = OperatingPoints.read(modelDir);
 * points.checkModel(model.weightsSha256());
 * double s = points.threshold(0.5);        // --operating-point 0.5
 * double auto = points.auto().threshold(); // --threshold auto: the strictest budget
 * }</pre>
 *
 * @param format {@link #FORMAT}
 * @param modelSha256 SHA-256 of the model.safetensors the points were calibrated on
 * @param sweep where the figures come from
 * @param referenceAccuracy accuracy at S=0 (the full model) on the calibration data
 * @param points one per budget, strictest first
 */
public record OperatingPoints(@JsonProperty("format") String format,
                              @JsonProperty("model_sha256") String modelSha256,
                              @JsonProperty("sweep") Sweep sweep,
                              @JsonProperty("reference_accuracy") double referenceAccuracy,
                              @JsonProperty("operating_points") List<Point> points) {
    public static final String FILE = "deebert.json";
    public static final String FORMAT = "deebert-operating-points/1";

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
     * @param bootstrap resamples behind the interval
     * @param seed seed of the resampling
     * @param expectedSaving share of encoder layers not computed at S
     * @param actualSaving measured share of model time saved, or null when the sweep did not time
     */
    public record Point(@JsonProperty("max_drop") double maxDrop,
                        @JsonProperty("threshold") double threshold,
                        @JsonProperty("accuracy") double accuracy,
                        @JsonProperty("drop") double drop,
                        @JsonProperty("drop_ci95") double[] dropCi95,
                        @JsonProperty("bootstrap") int bootstrap,
                        @JsonProperty("seed") long seed,
                        @JsonProperty("expected_saving") double expectedSaving,
                        @JsonProperty("actual_saving") Double actualSaving) {}

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public OperatingPoints {
        points = points.stream().sorted(Comparator.comparingDouble(Point::maxDrop)).toList();
    }

    /** Reads {@code modelDir/deebert.json}; a missing or unreadable file is a user error naming the fix. */
    public static OperatingPoints read(Path modelDir) {
        Path file = modelDir.resolve(FILE);
        OperatingPoints points;
        try {
            points = JSON.readValue(Files.readAllBytes(file), OperatingPoints.class);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(modelDir + " has no " + FILE + "; run deebert calibrate first");
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " is not a valid operating points file: " + e.getMessage(), e);
        }
        if (!FORMAT.equals(points.format()) || points.points() == null || points.points().isEmpty()) {
            throw new IllegalArgumentException(file + " is not a " + FORMAT + " file with operating points");
        }
        return points;
    }

    /** Writes {@code modelDir/deebert.json}, replacing it in one rename so readers never see half a file. */
    public void write(Path modelDir) {
        Path file = modelDir.resolve(FILE);
        try {
            Path temp = Files.createTempFile(modelDir, "." + FILE, ".tmp");
            JSON.writeValue(temp.toFile(), this);
            try {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The point calibrated for exactly this budget (accuracy points). */
    public Point point(double maxDrop) {
        return points.stream().filter(p -> p.maxDrop() == maxDrop).findFirst().orElseThrow(() ->
                new IllegalArgumentException("no operating point for a drop of " + maxDrop + " points; calibrated: "
                        + points.stream().map(p -> Double.toString(p.maxDrop())).collect(Collectors.joining(", "))));
    }

    /** The threshold calibrated for exactly this budget (accuracy points). */
    public double threshold(double maxDrop) {
        return point(maxDrop).threshold();
    }

    /** The point of the strictest budget: what {@code --threshold auto} means. */
    public Point auto() {
        return points.get(0);
    }

    /** Fails unless the points were calibrated on the model whose weights have {@code sha256}. */
    public void checkModel(String sha256) {
        if (!modelSha256.equals(sha256)) {
            throw new IllegalArgumentException(FILE + " was calibrated on weights " + modelSha256
                    + " but the model's weights are " + sha256 + "; run deebert calibrate again");
        }
    }
}
