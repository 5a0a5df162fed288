package dev.deebert.model;

/**
 * One row's prediction, aggregated from the predictions of its chunks ({@link ChunkAggregate}); a row scored
 * with truncation is a row of one chunk, whose prediction this is unchanged.
 *
 * @param labelIndex argmax of {@code probabilities}
 * @param probabilities the chunks' probabilities, aggregated
 * @param decider the chunk that decided: the one that gives {@code labelIndex} the highest probability (the
 *     first of those on ties); the row's entropy and exit layer are its
 * @param numChunks chunks scored
 * @param layersComputed encoder layers run, summed over the chunks
 * @param numTokens tokens fed to the encoder, summed over the chunks (special tokens included)
 * @param truncated whether part of the text was left unscored: cut to the maximum sequence length, or, with
 *     chunks, more chunks needed than the most scored
 */
public record ChunkedPrediction(int labelIndex, float[] probabilities, Prediction decider, int numChunks,
                                int layersComputed, int numTokens, boolean truncated) {}
