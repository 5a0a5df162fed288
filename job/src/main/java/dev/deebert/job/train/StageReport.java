package dev.deebert.job.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * What one stage did and the dev-set quality after it.
 *
 * @param mode "reference" or "cached" for stage 2; "reference" for stage 1
 * @param seconds wall time of the optimizer steps run in this process (a resumed stage counts only its part)
 * @param cachingSeconds cached stage 2: time to compute the frozen states of the training rows
 * @param firstEpochLoss mean training loss over the first epoch; null when that epoch ran before a resume
 * @param lastEpochLoss mean training loss over the last epoch's steps run in this process
 * @param devFinal the final head on dev
 * @param devRamps ramp l (1..N-1) on dev with every row forced to exit there
 * @param skippedBatches batches dropped for a non-finite loss or gradient (null: none)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StageReport(@JsonProperty("stage") int stage, @JsonProperty("mode") String mode,
                          @JsonProperty("epochs") int epochs, @JsonProperty("batch_size") int batchSize,
                          @JsonProperty("learning_rate") double learningRate, @JsonProperty("steps") int steps,
                          @JsonProperty("seconds") double seconds, @JsonProperty("rows_per_second") double rowsPerSecond,
                          @JsonProperty("caching_seconds") Double cachingSeconds,
                          @JsonProperty("first_epoch_loss") Double firstEpochLoss,
                          @JsonProperty("last_epoch_loss") Double lastEpochLoss,
                          @JsonProperty("dev_final") Quality devFinal,
                          @JsonProperty("dev_ramps") List<Quality> devRamps,
                          @JsonProperty("skipped_batches") List<NonFiniteBatch> skippedBatches) {

    public StageReport withDev(Quality devFinal, List<Quality> devRamps) {
        return new StageReport(stage, mode, epochs, batchSize, learningRate, steps, seconds, rowsPerSecond,
                cachingSeconds, firstEpochLoss, lastEpochLoss, devFinal, devRamps, skippedBatches);
    }
}
