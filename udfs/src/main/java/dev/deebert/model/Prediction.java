package dev.deebert.model;

/**
 * The outcome for one row.
 *
 * @param labelIndex argmax of the exit's logits
 * @param logits the logits of the exit the row left by
 * @param probabilities softmax of those logits
 * @param entropy entropy of those probabilities (natural log)
 * @param exitLayer 1..N: the layer after which the row left (N = the final head)
 * @param layersComputed encoder layers run for this row (= exitLayer with early exit, N when traced)
 * @param numTokens tokens fed to the encoder, special tokens included
 * @param truncated whether the text was cut to the maximum sequence length
 * @param layerLogits when traced: the logits of every exit, ramps 1..N-1 then the final head ([N][C]);
 *     otherwise null
 */
public record Prediction(int labelIndex, float[] logits, float[] probabilities, double entropy, int exitLayer,
                         int layersComputed, int numTokens, boolean truncated, float[][] layerLogits) {

    static Prediction exit(float[] logits, int exitLayer, int layersComputed, TokenizedText text,
                           float[][] layerLogits) {
        return new Prediction(Entropy.argmax(logits), logits, Entropy.softmax(logits), Entropy.of(logits),
                exitLayer, layersComputed, text.numTokens(), text.truncated(), layerLogits);
    }
}
