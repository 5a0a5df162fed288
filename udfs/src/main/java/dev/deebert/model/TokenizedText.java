package dev.deebert.model;

/** One row after tokenization: special tokens included, already cut to the maximum length. */
public record TokenizedText(long[] ids, long[] typeIds, boolean truncated) {
    public int numTokens() {
        return ids.length;
    }
}
