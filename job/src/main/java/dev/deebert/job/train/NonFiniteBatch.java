package dev.deebert.job.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * A batch whose loss or gradient was NaN or infinite.
 *
 * @param tensor "loss", or the first trained tensor (in model order) whose gradient is not finite
 * @param rowIds the ids of the batch's rows
 */
public record NonFiniteBatch(@JsonProperty("stage") int stage, @JsonProperty("step") int step,
                             @JsonProperty("tensor") String tensor, @JsonProperty("row_ids") List<String> rowIds) {
    String describe() {
        String what = "loss".equals(tensor) ? "the loss" : "the gradient of " + tensor;
        return "stage " + stage + " step " + step + ": " + what + " is not finite (NaN or infinite) on the batch of rows "
                + rowIds;
    }
}
