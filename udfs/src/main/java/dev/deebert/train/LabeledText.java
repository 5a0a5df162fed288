package dev.deebert.train;

import dev.deebert.model.TokenizedText;

/** One training or evaluation row: its tokens and the index of its label in the {@link LabelSet}. */
public record LabeledText(TokenizedText tokens, int label) {}
