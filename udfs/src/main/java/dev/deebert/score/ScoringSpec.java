package dev.deebert.score;

import dev.deebert.model.ExitPolicy;
import dev.deebert.model.Precision;
import java.io.Serializable;
import java.util.List;

/**
 * Everything an executor needs to score a partition, built and validated on the driver and shipped with
 * the task closure.
 *
 * @param modelDir model directory, readable from every executor (local path or shared mount)
 * @param modelSha256 SHA-256 of the model's weights, recorded with every prediction
 * @param numLayers encoder layers N of the model (for histograms and layers_full)
 * @param labels label names by index
 * @param policy exit thresholds
 * @param threshold the single threshold S recorded with predictions (NaN for per-layer policies)
 * @param precision fp32 or bf16
 * @param batchSize rows per forward pass
 * @param maxSeqLen tokens per row, special tokens included
 * @param passThrough input columns copied unchanged to the predictions (after the fixed columns)
 */
public record ScoringSpec(String runId, String modelDir, String modelSha256, int numLayers, List<String> labels,
                          ExitPolicy policy, double threshold, Precision precision, int batchSize, int maxSeqLen,
                          List<String> passThrough) implements Serializable {

    /** Texts are cut to this many characters before tokenizing: far beyond what maxSeqLen tokens can hold,
     *  and it keeps a megabyte-long row from costing megabytes of tokenizer work. */
    public int maxChars() {
        return maxSeqLen * 64;
    }

    /** Rows read ahead, tokenized and sorted by length before batching: larger windows cut more padding. */
    public int windowRows() {
        return batchSize * 16;
    }
}
