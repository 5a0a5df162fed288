package dev.deebert.job.train;

import java.util.List;

/**
 * What to train: which stages (1 = backbone + final head, 2 = ramps), each stage's settings, how stage 2
 * runs, the seed, and when to checkpoint.
 *
 * @param checkpointEvery optimizer steps between checkpoints (0: only at the end of each stage)
 * @param stopAfterSteps stop (after checkpointing) once this many steps ran in this process; 0 = never.
 *     Simulates an interruption for tests and smoke checks of {@code --resume}.
 * @param skipNonFinite batches with a NaN or infinite loss or gradient that this process may drop and go on;
 *     the next one stops the run (0: the first does)
 */
public record TrainingPlan(List<Integer> stages, StageSettings stage1, StageSettings stage2, RampTraining rampTraining,
                           long seed, int checkpointEvery, int stopAfterSteps,
                           int skipNonFinite) {
    public static final double MAX_GRAD_NORM = 1.0;

    public TrainingPlan {
        stages = List.copyOf(stages);
        if (stages.isEmpty() || !stages.stream().allMatch(s -> s == 1 || s == 2)
                || stages.stream().distinct().count() != stages.size() || !stages.equals(stages.stream().sorted().toList())) {
            throw new IllegalArgumentException("stages must be 1, 2 or 1,2, got " + stages);
        }
        if (checkpointEvery < 0 || stopAfterSteps < 0 || skipNonFinite < 0) {
            throw new IllegalArgumentException("checkpoint interval, stop step and skip count must not be negative");
        }
    }

    public boolean runs(int stage) {
        return stages.contains(stage);
    }

    public StageSettings settings(int stage) {
        return stage == 1 ? stage1 : stage2;
    }
}
