package dev.deebert.job.train;

import dev.deebert.model.TokenizedText;

/**
 * One training or evaluation row: its id (named when a batch goes wrong), its tokens and the index of its label
 * in the {@link LabelSet}.
 */
public record LabeledText(String id, TokenizedText tokens, int label) {}
