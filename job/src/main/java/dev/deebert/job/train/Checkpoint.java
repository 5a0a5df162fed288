package dev.deebert.job.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.deebert.model.DeeBertConfig;
import dev.deebert.model.ModelDirectory;
import dev.deebert.model.SafeTensorsFile;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The state of an interrupted run in one directory: every model tensor, the optimizer moments of the stage in
 * progress and where it stood. A save writes a sibling temp directory and renames it over the old one, so a
 * crash mid-save leaves the previous checkpoint intact.
 */
final class Checkpoint {
    static final String STATE = "state.json";
    static final String WEIGHTS = "weights.safetensors";
    static final String OPTIMIZER = "optimizer.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * @param fingerprint what the run was started with (data, labels, plan); a resume must match it
     * @param stage the stage in progress, or the last one finished when {@code step == stageSteps}
     * @param step optimizer steps of {@code stage} done
     * @param reports the stages finished so far
     */
    record State(@JsonProperty("fingerprint") String fingerprint, @JsonProperty("stage") int stage,
                 @JsonProperty("step") int step, @JsonProperty("stage_steps") int stageSteps,
                 @JsonProperty("reports") List<StageReport> reports) {}

    private final Path dir;

    Checkpoint(Path dir) {
        this.dir = dir;
    }

    Path dir() {
        return dir;
    }

    boolean exists() {
        return Files.isRegularFile(dir.resolve(STATE));
    }

    void save(State state, Parameters parameters, AdamW optimizer) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path temp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".tmp");
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            SafeTensorsFile.write(canonicalNamed(parameters.weights().asMap()), temp.resolve(WEIGHTS));
        }
        if (optimizer != null) {
            SafeTensorsFile.write(optimizer.state(), temp.resolve(OPTIMIZER));
        }
        JSON.writeValue(temp.resolve(STATE).toFile(), state);
        replace(temp, dir);
    }

    /**
     * Moves {@code from} onto {@code to}, replacing the old checkpoint as late as possible. Unlike a model
     * ({@link ModelDirectory#write}), a checkpoint has one reader, the run itself, so it needs no versions.
     */
    private static void replace(Path from, Path to) throws IOException {
        if (Files.exists(to)) {
            Path old = to.resolveSibling("." + to.getFileName() + ".old");
            ModelDirectory.deleteRecursively(old);
            Files.move(to, old, StandardCopyOption.ATOMIC_MOVE);
            moveAtomically(from, to);
            ModelDirectory.deleteRecursively(old);
        } else {
            moveAtomically(from, to);
        }
    }

    private static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    /** Tensors under their canonical names, so a checkpoint does not depend on the backbone prefix. */
    private static NDList canonicalNamed(Map<String, NDArray> tensors) {
        NDList list = new NDList(tensors.size());
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            NDArray alias = e.getValue().stopGradient();
            alias.setName(e.getKey());
            list.add(alias);
        }
        return list;
    }

    State readState(String expectedFingerprint) throws IOException {
        State state = JSON.readValue(dir.resolve(STATE).toFile(), State.class);
        if (!state.fingerprint().equals(expectedFingerprint)) {
            throw new IllegalArgumentException(dir + " was written by a run with different data or settings ("
                    + state.fingerprint() + "; now " + expectedFingerprint + "); remove it or drop --resume");
        }
        return state;
    }

    Map<String, NDArray> readWeights(NDManager manager) {
        return byName(SafeTensorsFile.read(dir.resolve(WEIGHTS), manager));
    }

    /** The optimizer moments, or null when the checkpoint was taken at a stage boundary. */
    NDList readOptimizer(NDManager manager) {
        Path file = dir.resolve(OPTIMIZER);
        return Files.isRegularFile(file) ? SafeTensorsFile.read(file, manager) : null;
    }

    private static Map<String, NDArray> byName(NDList list) {
        Map<String, NDArray> map = new LinkedHashMap<>();
        for (NDArray array : list) {
            map.put(array.getName(), array);
        }
        return map;
    }

    void delete() throws IOException {
        ModelDirectory.deleteRecursively(dir);
    }

    /** Identifies a run so that {@code --resume} refuses a checkpoint made with other inputs. */
    static String fingerprint(DeeBertConfig config, List<LabeledText> train, TrainingPlan plan) {
        long hash = 1125899906842597L;
        for (LabeledText row : train) {
            for (long id : row.tokens().ids()) {
                hash = 31 * hash + id;
            }
            hash = 31 * hash + row.label();
        }
        // the checkpoint interval and stop step may change between an interrupted run and its resume
        return "rows=" + train.size() + " data=" + Long.toHexString(hash) + " labels=" + config.id2label().values()
                + " stages=" + plan.stages() + " stage1=" + plan.stage1() + " stage2=" + plan.stage2()
                + " mode=" + plan.rampTraining().label() + " seed=" + plan.seed();
    }
}
